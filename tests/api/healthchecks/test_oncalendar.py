"""OnCalendar schedules through the Healthchecks API: a `schedule` that is not one line
of five fields is read as systemd OnCalendar expressions, stored as such, shown with its
zone as Healthchecks shows it, and due where the expressions say."""

from datetime import datetime

import sqlalchemy as sa

from tests.api.conftest import Api
from tocsin.domain.schedule import OnCalendar, next_due
from tocsin.store.tables import checks

WEEKDAYS = "Mon..Fri *-*-* 02:00"


async def stored_schedule(api: Api, name: str) -> tuple[str, str | None, str]:
    query = sa.select(checks.c.kind, checks.c.cron, checks.c.tz).where(checks.c.name == name)
    async with api.database.read() as connection:
        row = (await connection.execute(query)).one()
    return row.kind, row.cron, row.tz


async def test_an_oncalendar_schedule_is_accepted_stored_and_shown_with_its_zone(
    api: Api,
) -> None:
    created = await api.create(name="backup", schedule=WEEKDAYS, tz="Europe/Berlin", grace=600)
    assert (created["schedule"], created["tz"], "timeout" in created) == (
        WEEKDAYS,
        "Europe/Berlin",
        False,
    )
    assert await stored_schedule(api, "backup") == ("oncalendar", WEEKDAYS, "Europe/Berlin")
    shown = (await api.get(f"/api/v3/checks/{created['uuid']}")).json()
    assert shown == created


async def test_several_expressions_one_a_line_are_kept(api: Api) -> None:
    lines = "Mon..Fri 02:00\nSat,Sun 10:00"
    created = await api.create(name="twice", schedule=lines)
    assert created["schedule"] == lines
    assert await stored_schedule(api, "twice") == ("oncalendar", lines, "UTC")


async def test_a_pinged_check_is_next_due_where_the_expressions_say(api: Api) -> None:
    created = await api.create(name="backup", schedule=WEEKDAYS, tz="Europe/Berlin")
    await api.ping(created)
    shown = (await api.get(f"/api/v3/checks/{created['uuid']}")).json()
    last_ping = datetime.fromisoformat(shown["last_ping"])
    expected = next_due(OnCalendar(WEEKDAYS, "Europe/Berlin"), last_ping)
    assert datetime.fromisoformat(shown["next_ping"]) == expected


async def test_an_update_switches_between_cron_oncalendar_and_a_timeout(api: Api) -> None:
    created = await api.create(name="job", schedule="0 2 * * *")
    path = f"/api/v3/checks/{created['uuid']}"
    to_oncalendar = (await api.post(path, {"schedule": "daily"})).json()
    assert (to_oncalendar["schedule"], await stored_schedule(api, "job")) == (
        "daily",
        ("oncalendar", "daily", "UTC"),
    )
    moved = (await api.post(path, {"tz": "Asia/Tokyo"})).json()
    assert (moved["schedule"], moved["tz"]) == ("daily", "Asia/Tokyo")
    assert await stored_schedule(api, "job") == ("oncalendar", "daily", "Asia/Tokyo")
    to_cron = (await api.post(path, {"schedule": "0 3 * * *"})).json()
    assert await stored_schedule(api, "job") == ("cron", "0 3 * * *", "Asia/Tokyo")
    assert to_cron["schedule"] == "0 3 * * *"
    to_timeout = (await api.post(path, {"timeout": 3600})).json()
    assert (to_timeout["timeout"], "schedule" in to_timeout) == (3600, False)


async def test_a_schedule_sent_with_a_timeout_wins(api: Api) -> None:
    created = await api.create(name="both", schedule="weekly", timeout=3600)
    assert (created["schedule"], "timeout" in created) == ("weekly", False)


async def test_past_its_last_occurrence_next_ping_is_null(api: Api) -> None:
    created = await api.create(name="millennium", schedule="2001-01-01 00:00")
    await api.ping(created)
    shown = (await api.get(f"/api/v3/checks/{created['uuid']}")).json()
    assert (shown["status"], shown["next_ping"]) == ("up", None)
    listed = (await api.get("/api/v3/checks/")).json()["checks"]
    assert [check["next_ping"] for check in listed] == [None]
