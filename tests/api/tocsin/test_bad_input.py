"""Whatever a client sends to Tocsin's API, a mistake is a 4xx that says what to fix,
in the one error shape, and never a 500."""

from typing import Any

import pytest

from tests.api.conftest import Api
from tocsin.api.tocsin.http import PREFIX


async def refused(
    api: Api, method: str, path: str, body: Any = None, **kwargs: Any
) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {api.key}"}
    response = await api.client.request(method, PREFIX + path, json=body, headers=headers, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["message"]
    return error


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"name": 5}, "name", "string"),
        ({"name": "x" * 101}, "name", "100"),
        ({"name": "a\x00b"}, "name", "NUL"),
        ({"bogus": 1}, "bogus", "Extra"),
        ({"period": "soon"}, "period", "duration"),
        ({"period": 10**30}, "period", "between"),
        ({"period": "0s"}, "period", "between"),
        ({"grace": -5}, "grace", "between"),
        ({"grace": True}, "grace", "seconds"),
        ({"cron": "* * *"}, "body", "5 fields"),
        ({"cron": "99 * * * *"}, "body", "invalid cron"),
        ({"cron": "0 2 * * *", "tz": "Mars/Olympus"}, "tz", "IANA"),
        ({"period": 60, "cron": "0 2 * * *"}, "body", "not both"),
        ({"tags": ["two words"]}, "tags.0", "pattern"),
        ({"tags": ["t"] * 11}, "tags", "10"),
        ({"name": None}, "body", "null"),
        ({"channels": ["not-a-uuid"]}, "channels.0", "UUID"),
        (
            {"name": "x", "channels": ["00000000-0000-4000-8000-000000000000"]},
            "channels",
            "no channel",
        ),
        ({"period": "90"}, "period", "a unit is required"),
        ({}, "name", "a check needs a name"),
        ({"name": "  ", "period": 60}, "name", "a check needs a name"),
        ({"name": "x", "keywords": {"failure": "x" * 201}}, "keywords.failure", "200"),
        ({"name": "x", "keywords": {"regex": "maybe"}}, "keywords.regex", "bool"),
        ({"name": "x", "keywords": {"fail": "E"}}, "keywords.fail", "Extra"),
        ({"name": "x", "keywords": {"success": None}}, "keywords", "null"),
        (
            {"name": "x", "keywords": {"regex": True, "failure": "(a)\\1"}},
            "keywords.failure",
            "failure is not a regular expression RE2 accepts",
        ),
    ],
)
async def test_a_bad_check_is_refused_with_the_field_and_the_reason(
    api: Api, body: dict[str, Any], field: str, words: str
) -> None:
    error = await refused(api, "POST", "/checks", body)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert words.lower() in error["fields"][field].lower()


async def test_a_body_that_is_not_json_or_not_an_object_is_refused(api: Api) -> None:
    for content in (b"{", b"[1]", b'"x"', b'{"name": "\\ud800"}'):
        error = await refused(api, "POST", "/checks", content=content)
        assert error["code"] == "invalid"


async def test_unicode_names_are_kept(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.key}"}
    response = await api.client.post(
        f"{PREFIX}/checks", json={"name": "Sauvegarde 夜 🌙"}, headers=headers
    )
    assert response.json()["name"] == "Sauvegarde 夜 🌙"


async def test_a_huge_body_is_refused_before_it_is_read(api: Api) -> None:
    error = await refused(api, "POST", "/checks", {"description": "x" * 70_000})
    assert error["code"] == "too_large"


@pytest.mark.parametrize("declared", [b"\xb2", b"9" * 5000])
async def test_a_body_length_that_only_looks_like_digits_is_no_crash(
    api: Api, declared: bytes
) -> None:
    # '²' (read as Latin-1) and 5,000 digits pass str.isdigit() but not int(). No HTTP
    # parser lets either through; the app must not crash on them all the same.
    headers = {
        b"authorization": f"Bearer {api.key}".encode(),
        b"content-type": b"application/json",
        b"content-length": declared,
    }
    response = await api.client.post(PREFIX + "/checks", content=b'{"name": "n"}', headers=headers)
    assert response.status_code == 201, response.text


async def test_a_body_declared_too_large_is_refused_however_small_it_is(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.key}", "Content-Length": "9" * 20}
    response = await api.client.post(PREFIX + "/checks", content=b'{"name": "n"}', headers=headers)
    assert response.status_code == 413, response.text


async def test_bad_query_and_path_values_are_refused(api: Api) -> None:
    for path in (
        "/checks?limit=0",
        "/checks?limit=9999",
        "/checks?status=sleepy",
        "/incidents/0",
        "/incidents/99999999999",
        "/policies/abc",
        "/channels/nope",
    ):
        error = await refused(api, "GET", path)
        assert error["code"] in ("invalid", "not_found"), (path, error)


async def test_bad_channel_settings_and_policies_are_refused(api: Api) -> None:
    bad_kind = await refused(api, "POST", "/channels", {"kind": "pigeon", "config": {}})
    assert "known kinds" in bad_kind["message"]
    bad_config = await refused(api, "POST", "/channels", {"kind": "webhook", "config": {"u": 1}})
    assert "url" in bad_config["message"]
    bad_wait = await refused(
        api, "POST", "/policies", {"name": "p", "steps": [{"wait": "30d", "channels": []}]}
    )
    assert "between" in bad_wait["message"]


async def test_a_check_cannot_be_renamed_to_a_blank_name(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.key}"}
    created = await api.client.post(PREFIX + "/checks", json={"name": "db backup"}, headers=headers)
    assert created.status_code == 201, created.text
    error = await refused(api, "PATCH", f"/checks/{created.json()['id']}", {"name": " "})
    assert error["fields"] == {"name": "a check needs a name people recognise, such as 'db backup'"}


async def test_a_duration_in_whole_seconds_is_still_a_number(api: Api) -> None:
    headers = {"Authorization": f"Bearer {api.key}"}
    body = {"name": "db backup", "period": 90, "grace": "0s"}
    created = await api.client.post(PREFIX + "/checks", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["period"] == 90
