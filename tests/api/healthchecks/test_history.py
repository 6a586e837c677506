"""Pings, their bodies, flips, channels and badges as Healthchecks' API gives them."""

import uuid
from datetime import timedelta

from tests.api.conftest import SITE, Api
from tests.helpers import add_channel


async def test_pings_come_newest_first_with_healthchecks_fields(api: Api) -> None:
    check = await api.create(name="n")
    rid = uuid.uuid4()
    await api.ping(check, f"/start?rid={rid}")
    api.clock.advance(timedelta(seconds=42))
    await api.ping(check, f"?rid={rid}", content=b"all good", headers={"User-Agent": "cron"})
    await api.ping(check, "/log")
    response = await api.get(f"/api/v3/checks/{check['uuid']}/pings/")
    log, success, start = response.json()["pings"]
    assert success == {
        "type": "success",
        "date": api.clock.now().isoformat(),
        "n": 2,
        "scheme": "https",
        "remote_addr": "127.0.0.1",
        "method": "POST",
        "ua": "cron",
        "rid": str(rid),
        "body_url": f"{SITE}/api/v3/checks/{check['uuid']}/pings/2/body",
        "duration": 42.0,
    }
    assert (start["type"], start["n"], start["body_url"], "duration" in start) == (
        "start",
        1,
        None,
        False,
    )
    assert (log["type"], log["n"]) == ("log", 3)


async def test_a_ping_body_is_served_as_sent_and_a_missing_one_is_not_found(api: Api) -> None:
    check = await api.create(name="n")
    await api.ping(check, "/fail", content="exit 3: disk full ✗".encode())
    await api.ping(check)
    base = f"/api/v3/checks/{check['uuid']}/pings"
    body = await api.get(f"{base}/1/body")
    assert (body.status_code, body.content) == (200, "exit 3: disk full ✗".encode())
    assert body.headers["content-type"].startswith("text/plain")
    for n in ("2", "3", "99999999999999", "-1", "x"):
        assert (await api.get(f"{base}/{n}/body")).status_code == 404, n


async def test_flips_are_listed_newest_first_and_filtered_by_time(api: Api) -> None:
    check = await api.create(name="n", timeout=600, grace=60)
    await api.ping(check)  # new -> up at t0
    t0 = api.clock.now()
    api.clock.advance(timedelta(hours=1))
    await api.ping(check, "/fail")  # up -> down
    api.clock.advance(timedelta(hours=1))
    await api.post(check["pause_url"])  # down -> paused
    path = f"/api/v3/checks/{check['uuid']}/flips/"

    async def ups(**params: int) -> list[int]:
        response = await api.get(path, params=params)
        assert response.status_code == 200, response.text
        return [flip["up"] for flip in response.json()["flips"]]

    everything = (await api.get(path)).json()["flips"]
    assert everything[-1] == {"timestamp": t0.isoformat(), "up": 1}
    assert [f["up"] for f in everything] == [0, 0, 1]
    start = int(t0.timestamp())
    assert await ups(seconds=3600) == [0, 0]  # from exactly an hour ago
    assert await ups(seconds=3599) == [0]
    assert await ups(seconds=0) == [0, 0, 1]  # zero means no limit, as in Healthchecks
    assert await ups(start=start + 1) == [0, 0]
    assert await ups(end=start + 1) == [1]
    assert await ups(start=start, end=start + 3601) == [0, 1]
    read_only = await api.get(path, key=api.read_key)
    assert read_only.json()["flips"] == everything


async def test_bad_flip_filters_are_400_with_a_reason(api: Api) -> None:
    check = await api.create(name="n")
    path = f"/api/v3/checks/{check['uuid']}/flips/"
    bad = ({"seconds": "-1"}, {"seconds": "31536001"}, {"start": "x"}, {"end": "1e3"})
    # Digits str.isdigit() takes, which int() refuses: once a 500.
    looks_like_digits = ({"seconds": "\u00b2"}, {"start": "9" * 5000})
    for params in (*bad, *looks_like_digits):
        response = await api.get(path, params=params)
        assert response.status_code == 400, params
        assert "must be a whole number" in response.json()["error"]


async def test_channels_are_listed_with_id_name_and_kind(api: Api) -> None:
    pager = await add_channel(api.database, "webhook", {"url": "https://e.com/a"}, "pager")
    response = await api.get("/api/v3/channels/")
    assert response.json() == {
        "channels": [{"id": str(pager.uuid), "name": "pager", "kind": "webhook"}]
    }


async def test_badges_show_the_combined_status_of_a_tag(api: Api) -> None:
    db = await api.create(name="db", tags="prod db", timeout=600, grace=60)
    web = await api.create(name="web", tags="prod web", timeout=3600, grace=60)
    await api.ping(db)
    await api.ping(web)
    badges = (await api.get("/api/v3/badges/", key=api.read_key)).json()["badges"]
    assert sorted(badges) == ["*", "db", "prod", "web"]
    assert sorted(badges["prod"]) == ["json", "json3", "shields", "shields3", "svg", "svg3"]
    api.clock.advance(timedelta(seconds=620))  # db is in its grace time

    async def fetch(url: str) -> object:
        response = await api.client.get(url)
        assert response.status_code == 200, url
        return response.json()

    assert await fetch(badges["prod"]["json"]) == {
        "status": "up",
        "total": 2,
        "grace": 1,
        "down": 0,
    }
    assert (await fetch(badges["prod"]["json3"]))["status"] == "late"  # type: ignore[index]
    assert await fetch(badges["web"]["shields3"]) == {
        "schemaVersion": 1,
        "label": "web",
        "message": "up",
        "color": "success",
    }
    api.clock.advance(timedelta(seconds=60))
    assert (await fetch(badges["*"]["json"]))["status"] == "down"  # type: ignore[index]
    svg = await api.client.get(db["badge_url"])
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "db: down" in svg.text


async def test_badge_urls_cannot_be_guessed(api: Api) -> None:
    await api.create(name="db", tags="prod secret")
    badges = (await api.get("/api/v3/badges/")).json()["badges"]
    prod = badges["prod"]["svg"]
    for url in (
        prod.replace("/prod.svg", "/secret.svg"),  # another tag with this tag's signature
        prod.replace(".svg", ".png"),
        prod.replace("/badge/", "/badge/0"),
        f"{SITE}/b/3/{'0' * 56}.svg",
    ):
        response = await api.client.get(url)
        assert (url, response.status_code) == (url, 404)
