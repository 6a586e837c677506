"""The Healthchecks contract for checks: shapes, filters, partial updates, upserts,
pause and resume, and what each version and each kind of key sees."""

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from tests.api.conftest import SITE, Api, running_api
from tests.helpers import add_channel, eventually
from tocsin.domain.naming import unique_key
from tocsin.store.tables import checks, flips

ALWAYS = {
    "name",
    "slug",
    "tags",
    "desc",
    "grace",
    "n_pings",
    "status",
    "started",
    "last_ping",
    "next_ping",
    "manual_resume",
    "methods",
    "subject",
    "subject_fail",
    "start_kw",
    "success_kw",
    "failure_kw",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
    "badge_url",
}
READ_WRITE_ONLY = {"uuid", "ping_url", "update_url", "pause_url", "resume_url", "channels"}


async def alert_after(api: Api, check: dict[str, Any]) -> Any:
    query = sa.select(checks.c.alert_after).where(checks.c.uuid == uuid.UUID(check["uuid"]))
    async with api.database.read() as connection:
        return await connection.scalar(query)


async def test_a_new_check_has_every_field_healthchecks_gives(api: Api) -> None:
    created = await api.create(name="db backup", tags="prod db", desc="nightly")
    assert set(created) == ALWAYS | READ_WRITE_ONLY | {"timeout"}
    check_uuid = created["uuid"]
    assert created == created | {
        "name": "db backup",
        "slug": "",
        "tags": "prod db",
        "desc": "nightly",
        "timeout": 86400,
        "grace": 3600,
        "n_pings": 0,
        "status": "new",
        "started": False,
        "last_ping": None,
        "next_ping": None,
        "manual_resume": False,
        "methods": "",
        "channels": "",
        "ping_url": f"{SITE}/ping/{check_uuid}",
        "update_url": f"{SITE}/api/v3/checks/{check_uuid}",
        "pause_url": f"{SITE}/api/v3/checks/{check_uuid}/pause",
        "resume_url": f"{SITE}/api/v3/checks/{check_uuid}/resume",
    }
    assert created["badge_url"].startswith(f"{SITE}/b/2/")


async def test_a_read_only_key_sees_a_unique_key_instead_of_the_uuid_and_urls(api: Api) -> None:
    created = await api.create(name="cron job", schedule="0 2 * * *", tz="Asia/Tokyo")
    listed = (await api.get("/api/v3/checks/", key=api.read_key)).json()["checks"]
    assert len(listed) == 1
    assert set(listed[0]) == ALWAYS | {"unique_key", "schedule", "tz"}
    assert listed[0]["unique_key"] == unique_key(uuid.UUID(created["uuid"]))
    assert created["uuid"] not in str(listed)
    by_key = await api.get(f"/api/v3/checks/{listed[0]['unique_key']}", key=api.read_key)
    assert by_key.json() == listed[0]


async def test_cron_checks_show_schedule_and_zone_and_period_checks_a_timeout(api: Api) -> None:
    cron = await api.create(name="c", schedule="*/5  * * * *", tz="Europe/Berlin")
    assert (cron["schedule"], cron["tz"], "timeout" in cron) == (
        "*/5 * * * *",
        "Europe/Berlin",
        False,
    )
    period = await api.create(name="p", timeout=900, grace=60)
    assert (period["timeout"], period["grace"], "schedule" in period) == (900, 60, False)


async def test_the_list_filters_by_every_tag_given_and_by_slug(api: Api) -> None:
    await api.create(name="a", tags="prod db", slug="a")
    await api.create(name="b", tags="prod web", slug="b")
    await api.create(name="c", tags="production", slug="c")

    async def names(**params: Any) -> list[str]:
        response = await api.get("/api/v3/checks/", params=params)
        return [c["name"] for c in response.json()["checks"]]

    assert await names() == ["a", "b", "c"]
    assert await names(tag="prod") == ["a", "b"]
    assert await names(tag=["prod", "db"]) == ["a"]
    assert await names(tag=["db", "web"]) == []
    assert await names(slug="b") == ["b"]
    assert await names(slug="b", tag="db") == []


async def test_an_update_changes_only_the_fields_sent(api: Api) -> None:
    created = await api.create(name="n", tags="t", desc="d", timeout=600, grace=120, slug="s")
    response = await api.post(f"/api/v3/checks/{created['uuid']}", {"desc": "new words"})
    assert response.status_code == 200
    assert response.json() == created | {"desc": "new words"}
    to_cron = await api.post(f"/api/v3/checks/{created['uuid']}", {"schedule": "0 3 * * *"})
    assert (to_cron.json()["schedule"], to_cron.json()["tz"]) == ("0 3 * * *", "UTC")
    assert "timeout" not in to_cron.json()
    back = await api.post(f"/api/v3/checks/{created['uuid']}", {"timeout": 60, "tz": "Asia/Tokyo"})
    assert back.json()["timeout"] == 60
    moved = await api.post(f"/api/v3/checks/{created['uuid']}", {"schedule": "0 4 * * *"})
    assert moved.json()["tz"] == "Asia/Tokyo"  # the zone sent with the period was kept


async def test_a_new_timeout_or_grace_moves_the_deadline_the_watcher_acts_on(api: Api) -> None:
    created = await api.create(name="n", timeout=3600, grace=60)
    await api.ping(created)
    t0 = api.clock.now()
    assert await alert_after(api, created) == t0 + timedelta(seconds=3660)
    updated = await api.post(f"/api/v3/checks/{created['uuid']}", {"timeout": 600, "grace": 300})
    assert await alert_after(api, created) == t0 + timedelta(seconds=900)
    assert updated.json()["next_ping"] == (t0 + timedelta(seconds=600)).isoformat()
    await api.post(f"/api/v3/checks/{created['uuid']}", {"schedule": "0 13 * * *"})
    assert await alert_after(api, created) == t0.replace(hour=13) + timedelta(seconds=300)


async def test_statuses_are_said_in_healthchecks_words(api: Api) -> None:
    created = await api.create(name="n", timeout=600, grace=60)
    path = f"/api/v3/checks/{created['uuid']}"
    await api.ping(created)
    assert (await api.get(path)).json()["status"] == "up"
    api.clock.advance(timedelta(seconds=610))
    assert (await api.get(path)).json()["status"] == "grace"
    api.clock.advance(timedelta(seconds=60))
    assert (await api.get(path)).json()["status"] == "down"


async def test_a_started_run_is_a_status_in_v1_and_a_flag_in_v2_and_v3(api: Api) -> None:
    created = await api.create(name="n", timeout=600, grace=60)
    await api.ping(created)
    await api.ping(created, "/start")
    seen = {v: (await api.get(f"/api/v{v}/checks/{created['uuid']}")).json() for v in (1, 2, 3)}
    assert [(seen[v]["status"], seen[v]["started"]) for v in (1, 2, 3)] == [
        ("started", True),
        ("up", True),
        ("up", True),
    ]
    assert seen[1]["update_url"] == f"{SITE}/api/v1/checks/{created['uuid']}"
    assert seen[3]["next_ping"] == api.clock.now().isoformat()  # the run's start


async def test_v1_and_v2_derive_the_slug_from_a_new_name_and_v3_does_not(api: Api) -> None:
    v2 = (await api.post("/api/v2/checks/", {"name": "Nightly DB Backup!"})).json()
    assert v2["slug"] == "nightly-db-backup"
    explicit = (await api.post("/api/v1/checks/", {"name": "Other", "slug": "mine"})).json()
    assert explicit["slug"] == "mine"
    v3 = await api.create(name="Nightly DB Backup!")
    assert v3["slug"] == ""
    renamed = await api.post(f"/api/v1/checks/{v3['uuid']}", {"name": "Weekly"})
    assert renamed.json()["slug"] == "weekly"


async def test_unique_finds_the_existing_check_or_creates_one(api: Api) -> None:
    first = await api.post("/api/v3/checks/", {"name": "job", "timeout": 600, "unique": ["name"]})
    again = await api.post(
        "/api/v3/checks/", {"name": "job", "timeout": 900, "unique": ["name", "timeout"]}
    )
    same = await api.post("/api/v3/checks/", {"name": "job", "timeout": 1200, "unique": ["name"]})
    no_slug_sent = await api.post("/api/v3/checks/", {"name": "job", "unique": ["slug"]})
    assert (first.status_code, again.status_code, same.status_code) == (201, 201, 200)
    assert same.json()["uuid"] == first.json()["uuid"]
    assert same.json()["timeout"] == 1200
    assert no_slug_sent.status_code == 201
    listed = (await api.get("/api/v3/checks/")).json()["checks"]
    assert len(listed) == 3


async def test_pause_is_idempotent_and_resume_works_only_on_a_paused_check(api: Api) -> None:
    created = await api.create(name="n")
    await api.ping(created)
    paused = await api.post(created["pause_url"])
    again = await api.post(created["pause_url"])
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert (again.status_code, again.json()["status"]) == (200, "paused")
    resumed = await api.post(created["resume_url"])
    assert (resumed.json()["status"], resumed.json()["last_ping"]) == ("new", None)
    refused = await api.post(created["resume_url"])
    assert (refused.status_code, refused.json()) == (409, {"error": "check is not paused"})
    async with api.database.read() as connection:
        count = await connection.scalar(sa.select(sa.func.count()).select_from(flips))
    assert count == 3  # up, paused, new: the second pause and the refused resume wrote none


async def test_delete_answers_with_the_check_and_then_it_is_gone(api: Api) -> None:
    created = await api.create(name="gone")
    deleted = await api.delete(f"/api/v3/checks/{created['uuid']}")
    assert (deleted.status_code, deleted.json()) == (200, created)
    missing = await api.get(f"/api/v3/checks/{created['uuid']}")
    assert missing.status_code == 404


async def test_channels_are_chosen_by_star_uuid_or_name(api: Api) -> None:
    pager = await add_channel(api.database, "webhook", {"url": "https://e.com/a"}, "pager")
    mail = await add_channel(api.database, "email", {"to": ["a@example.com"]}, "mail")
    both = ",".join(sorted([str(pager.uuid), str(mail.uuid)]))
    assert (await api.create(name="a", channels="*"))["channels"] == both
    assert (await api.create(name="b", channels=f"pager,{mail.uuid}"))["channels"] == both
    by_name = await api.create(name="c", channels="mail")
    assert by_name["channels"] == str(mail.uuid)
    cleared = await api.post(by_name["update_url"], {"channels": ""})
    assert cleared.json()["channels"] == ""
    assert (await api.create(name="d"))["channels"] == ""  # none unless asked, as there


async def test_channel_mistakes_are_named(api: Api) -> None:
    await add_channel(api.database, "webhook", {"url": "https://e.com/a"}, "twin")
    await add_channel(api.database, "webhook", {"url": "https://e.com/b"}, "twin")
    for channels, message in (
        ("nope", "invalid channel identifier: nope"),
        ("twin", "non-unique channel identifier: twin"),
        ("*,", "invalid channel identifier: *"),
        (",", "empty channel identifier"),
    ):
        response = await api.post("/api/v3/checks/", {"name": "x", "channels": channels})
        assert (channels, response.status_code, response.json()) == (
            channels,
            400,
            {"error": message},
        )
    assert (await api.get("/api/v3/checks/")).json()["checks"] == []  # nothing half-made


async def test_api_calls_answer_cross_origin_requests(api: Api) -> None:
    preflight = await api.client.options("/api/v3/checks/")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert preflight.headers["access-control-allow-headers"] == "X-Api-Key, Content-Type"
    assert preflight.headers["access-control-allow-methods"] == "GET, OPTIONS, POST"
    listed = await api.get("/api/v3/checks/")
    assert listed.headers["access-control-allow-origin"] == "*"


async def test_pings_after_an_update_follow_the_new_schedule(api: Api) -> None:
    created = await api.create(name="n", timeout=3600, grace=60)
    await api.ping(created)
    await api.post(created["update_url"], {"timeout": 600})
    api.clock.advance(timedelta(seconds=10))
    await api.ping(created)
    assert await alert_after(api, created) == api.clock.now() + timedelta(seconds=660)


async def test_a_deadline_moved_into_the_past_wakes_the_watcher_at_once(database_url: str) -> None:
    # The watcher re-reads deadlines only hourly here: only the API's wake-up can be quick.
    async with running_api(
        database_url, run_watcher=True, watcher_recheck=timedelta(hours=1)
    ) as api:
        created = await api.create(name="n", timeout=3600, grace=60)
        await api.ping(created)
        await asyncio.sleep(0.2)  # the watcher now sleeps towards the hour's deadline
        api.clock.advance(timedelta(seconds=1000))
        await api.post(created["update_url"], {"timeout": 600})

        async def flipped_down() -> bool:
            query = sa.select(checks.c.status).where(checks.c.uuid == uuid.UUID(created["uuid"]))
            async with api.database.read() as connection:
                return await connection.scalar(query) == "down"

        assert await eventually(flipped_down, limit=5)


async def test_a_slug_made_from_a_long_name_still_fits(api: Api) -> None:
    made = await api.post("/api/v2/checks/", {"name": "ﬃ" * 100})  # each one is "ffi"
    assert (made.status_code, made.json()["slug"]) == (201, "ffi" * 33 + "f")


async def test_a_check_may_be_nameless_as_in_healthchecks(api: Api) -> None:
    created = await api.create(tags="prod")
    assert created["name"] == ""
    named = await api.create(name="db backup")
    renamed = await api.post(named["update_url"].removeprefix(SITE), {"name": ""})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == ""
