"""Whatever a client sends, the answer is a reason, never a crash: Healthchecks' own
error strings where it has them, a plain sentence where Tocsin needs its own."""

import json
import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.api.conftest import Api
from tocsin.api.healthchecks.spec import CheckSpec

PREFIX = "json validation error: "

FIELD_MISTAKES: list[tuple[dict[str, Any], str]] = [
    ({"name": 5}, "name is not a string"),
    ({"name": None}, "name is not a string"),
    ({"name": "x" * 101}, "name is too long"),
    ({"name": "nul \x00 inside"}, "name contains a NUL character or an unpaired surrogate"),
    ({"desc": ["a"]}, "desc is not a string"),
    ({"tags": "t" * 501}, "tags is too long"),
    ({"timeout": "60"}, "timeout is not a number"),
    ({"timeout": 1.5}, "timeout is not a number"),
    ({"timeout": True}, "timeout is not a number"),
    ({"timeout": None}, "timeout is not a number"),
    ({"timeout": 59}, "timeout is too small"),
    ({"timeout": 31_536_001}, "timeout is too large"),
    ({"timeout": 10**40}, "timeout is too large"),
    ({"timeout": -(10**40)}, "timeout is too small"),
    ({"grace": 0}, "grace is too small"),
    ({"manual_resume": "yes"}, "manual_resume is not a boolean"),
    ({"methods": "GET"}, "methods has unexpected value"),
    ({"slug": "Has Caps"}, "slug does not match pattern"),
    ({"slug": "é"}, "slug does not match pattern"),
    ({"unique": "name"}, "unique is not an array"),
    ({"unique": ["desc"]}, "an item in 'unique' has unexpected value"),
    ({"schedule": "61 * * * *"}, "schedule is not a valid cron or OnCalendar expression"),
    # Six fields are not cron, so OnCalendar; and not a valid one either.
    ({"schedule": "* * * * * *"}, "schedule is not a valid cron or OnCalendar expression"),
    ({"schedule": "Mon *-*-* 25:00"}, "schedule is not a valid cron or OnCalendar expression"),
    ({"schedule": "*-02-30"}, "schedule is not a valid cron or OnCalendar expression"),
    ({"schedule": "0 2 * * *" + " " * 100}, "schedule is too long"),
    ({"tz": "Mars/Olympus_Mons"}, "tz is not a valid timezone"),
    ({"tz": "localtime"}, "tz is not a valid timezone"),
    ({"tz": 1}, "tz is not a string"),
    ({"channels": 5}, "channels is not a string"),
    ({"success_kw": "x" * 201}, "success_kw is too long"),
    ({"failure_kw": 5}, "failure_kw is not a string"),
    ({"start_kw": "a\x00b"}, "start_kw contains a NUL character or an unpaired surrogate"),
    ({"filter_body": "yes"}, "filter_body is not a boolean"),
    ({"filter_http_body": 1}, "filter_http_body is not a boolean"),
    ({"filter_default_fail": None}, "filter_default_fail is not a boolean"),
    ({"subject": "x" * 201}, "subject is too long"),
]


@pytest.mark.parametrize(("body", "message"), FIELD_MISTAKES)
async def test_a_bad_field_is_named_in_healthchecks_words(
    api: Api, body: dict[str, Any], message: str
) -> None:
    created = await api.post("/api/v3/checks/", body)
    assert (created.status_code, created.json()) == (400, {"error": PREFIX + message})
    check = await api.create(name="kept")
    updated = await api.post(check["update_url"], body)
    assert (updated.status_code, updated.json()) == (400, {"error": PREFIX + message})
    assert (await api.get(check["update_url"])).json() == check


async def test_a_lone_surrogate_is_refused(api: Api) -> None:
    raw = b'{"name": "\\ud800"}'
    response = await api.client.post("/api/v3/checks/", content=raw, headers=api.headers())
    assert response.json() == {
        "error": PREFIX + "name contains a NUL character or an unpaired surrogate"
    }


@pytest.mark.parametrize(
    ("raw", "status", "message"),
    [
        (b"{not json", 400, "could not parse request body"),
        (b"\xff\xfe\x00", 400, "could not parse request body"),
        (b"[" * 60_000, 400, "could not parse request body"),
        (b"1" * 5000, 400, "could not parse request body"),
        (b"[1, 2]", 400, PREFIX + "value is not an object"),
        (b'"name"', 400, PREFIX + "value is not an object"),
        (json.dumps({"desc": "x" * 70_000}).encode(), 413, "request body too large"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_refused(
    api: Api, raw: bytes, status: int, message: str
) -> None:
    response = await api.client.post("/api/v3/checks/", content=raw, headers=api.headers())
    assert response.status_code == status
    assert response.json()["error"].startswith(message)


@pytest.mark.parametrize("declared", [b"\xb2", b"9" * 5000])
async def test_a_body_length_that_only_looks_like_digits_is_no_crash(
    api: Api, declared: bytes
) -> None:
    # '²' (read as Latin-1) and 5,000 digits pass str.isdigit() but not int(). No HTTP
    # parser lets either through; the app must not crash on them all the same.
    headers = {b"x-api-key": api.key.encode(), b"content-length": declared}
    response = await api.client.post("/api/v3/checks/", content=b'{"name": "n"}', headers=headers)
    assert response.status_code == 201, response.text


async def test_fields_healthchecks_ignores_are_ignored(api: Api) -> None:
    created = await api.create(name="n", colour="red", api_key=None, filter_subject=False)
    assert "colour" not in created
    assert created["filter_subject"] is False


async def test_names_in_any_script_are_kept_exactly(api: Api) -> None:
    name = "Sauvegarde 🌙 ночь · النسخ الاحتياطي · 夜間バックアップ"
    created = await api.create(name=name, desc="ü" * 10_000, tags="🌙 ночь")
    assert (created["name"], created["tags"]) == (name, "🌙 ночь")
    longest = await api.create(name="🌙" * 100)
    assert longest["name"] == "🌙" * 100
    listed = await api.get("/api/v3/checks/", params={"tag": "ночь"})
    assert [c["name"] for c in listed.json()["checks"]] == [name]


async def test_the_limits_themselves_are_accepted(api: Api) -> None:
    low = await api.create(name="low", timeout=60, grace=60)
    high = await api.create(name="high", timeout=31_536_000, grace=31_536_000)
    assert (low["timeout"], high["grace"]) == (60, 31_536_000)
    await api.ping(high)
    assert (await api.get(high["update_url"])).json()["status"] == "up"


@pytest.mark.parametrize(
    "code",
    [
        "not-a-uuid",
        str(uuid.uuid4()).upper(),
        str(uuid.uuid4()).replace("-", ""),
        "0" * 41,
        "%00",
        "é" * 36,
    ],
)
async def test_a_check_url_that_names_no_check_is_not_found(api: Api, code: str) -> None:
    for method in ("GET", "POST", "DELETE"):
        response = await api.client.request(method, f"/api/v3/checks/{code}", headers=api.headers())
        assert (method, response.status_code) == (method, 404)
    flips = await api.get(f"/api/v3/checks/{code}/flips/")
    assert flips.status_code == 404


async def test_query_strings_of_any_kind_are_harmless(api: Api) -> None:
    await api.create(name="n", tags="a")
    for params in ({"tag": "\x00"}, {"slug": "\x00é"}, {"tag": "a" * 10_000}):
        response = await api.get("/api/v3/checks/", params=params)
        assert (response.status_code, response.json()) == (200, {"checks": []})


FIELDS = [*sorted(CheckSpec.model_fields), "api_key"]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=120),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)
JUNK = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), JSON_VALUES, max_size=6)
SECONDS = st.integers(min_value=0, max_value=40_000_000)
# Mostly what a client would send, so that many requests get as far as the database.
PLAUSIBLE = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=110),
        "slug": st.from_regex(r"[a-z0-9_-]{0,12}", fullmatch=True),
        "tags": st.text(max_size=30),
        "desc": st.text(max_size=200),
        "timeout": SECONDS,
        "grace": SECONDS,
        "schedule": st.sampled_from(["0 2 * * *", "*/5 * * * 1-5", "0 0 29 2 *", "61 * * * *"]),
        "tz": st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kathmandu", "Nowhere/Atall"]),
        "manual_resume": st.booleans(),
        "methods": st.sampled_from(["", "POST", "GET"]),
        "channels": st.sampled_from(["", "*", "pager", "pager,pager", ","]),
        "unique": st.lists(st.sampled_from(["name", "slug", "tags", "timeout", "grace"])),
        "filter_body": st.booleans(),
        "success_kw": st.sampled_from(["", "OK"]),
    },
)
BODIES = PLAUSIBLE | JUNK


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=BODIES)
async def test_any_json_object_is_either_applied_or_refused_with_a_reason(
    api: Api, body: dict[str, Any]
) -> None:
    created = await api.client.post(
        "/api/v3/checks/", content=json.dumps(body), headers=api.headers()
    )
    assert created.status_code in (200, 201, 400), created.text
    event(f"create answered {created.status_code}")  # see --hypothesis-show-statistics
    if created.status_code == 400:
        assert created.json()["error"]
        return
    updated = await api.client.post(
        created.json()["update_url"], content=json.dumps(body), headers=api.headers()
    )
    assert updated.status_code == 200, updated.text
