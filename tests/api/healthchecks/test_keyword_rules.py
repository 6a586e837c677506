"""Keyword rules through Healthchecks' API: its fields taken and given back as it
takes and gives them, the deprecated `subject` and `subject_fail` included, and the
rules set there deciding what a ping's body means."""

import sqlalchemy as sa

from tests.api.conftest import Api
from tocsin.store.tables import pings

RULES = {
    "start_kw": "starting",
    "success_kw": "OK, done",
    "failure_kw": "ERROR,FAIL",
    "filter_subject": False,
    "filter_body": True,
    "filter_http_body": True,
    "filter_default_fail": True,
}


async def test_the_keyword_fields_are_stored_and_given_back(api: Api) -> None:
    created = await api.create(name="backup", **RULES)
    assert created == created | RULES | {"subject": "", "subject_fail": ""}
    read = (await api.get(created["update_url"])).json()
    assert read == created


async def test_an_update_changes_only_the_keyword_fields_sent(api: Api) -> None:
    created = await api.create(name="backup", **RULES)
    updated = await api.post(created["update_url"], {"failure_kw": "PANIC"})
    assert updated.json() == created | {"failure_kw": "PANIC"}


async def test_subject_and_subject_fail_set_the_keywords_and_the_subject_filter(api: Api) -> None:
    created = await api.create(name="mail", subject="[ok]")
    assert created == created | {
        "success_kw": "[ok]",
        "filter_subject": True,
        "subject": "[ok]",
        "subject_fail": "",
    }
    both = (await api.post(created["update_url"], {"subject_fail": "[bad]"})).json()
    assert (both["failure_kw"], both["subject_fail"], both["filter_subject"]) == (
        "[bad]",
        "[bad]",
        True,
    )
    cleared = (await api.post(created["update_url"], {"subject": "", "subject_fail": ""})).json()
    assert cleared["filter_subject"] is False
    assert (cleared["subject"], cleared["success_kw"]) == ("", "")


async def test_a_field_sent_by_its_own_name_wins_over_subject(api: Api) -> None:
    created = await api.create(name="mail", subject="[ok]", success_kw="done")
    assert (created["success_kw"], created["subject"]) == ("done", "done")


async def kinds(api: Api) -> list[str]:
    async with api.database.read() as connection:
        rows = await connection.scalars(sa.select(pings.c.kind).order_by(pings.c.id))
        return list(rows)


async def test_rules_set_through_the_api_decide_what_a_body_means(api: Api) -> None:
    check = await api.create(name="backup", **(RULES | {"filter_default_fail": False}))
    await api.ping(check, content=b"all OK")
    await api.ping(check, content=b"disk ERROR")
    await api.ping(check, "/fail", content=b"starting")  # the body overrides the URL
    await api.ping(check, "/log", content=b"nothing to see")
    assert await kinds(api) == ["success", "fail", "start", "ign"]
    status = (await api.get(check["update_url"])).json()
    assert (status["status"], status["started"]) == ("down", True)


async def test_a_pattern_re2_refuses_on_a_regex_check_is_healthchecks_kind_of_400(
    api: Api,
) -> None:
    created = await api.client.post(
        "/api/tocsin/v1/checks",
        json={"name": "re", "keywords": {"regex": True, "failure": "E+"}},
        headers={"Authorization": f"Bearer {api.key}"},
    )
    assert created.status_code == 201, created.text
    check = (await api.get("/api/v3/checks/")).json()["checks"][0]
    refused = await api.post(check["update_url"], {"success_kw": r"(a)\1"})
    assert refused.status_code == 400
    assert refused.json()["error"].startswith(
        "json validation error: success_kw is not a regular expression RE2 accepts"
    )
    assert (await api.get(check["update_url"])).json() == check
