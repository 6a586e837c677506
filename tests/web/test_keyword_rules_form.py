"""The check form's keyword rules: filled in from a check, saved, explained in plain
words, a mistake shown beside its field with the section open; and the pure reading."""

import html

from tests.web.conftest import Web
from tocsin.domain.keywords import NO_RULES, KeywordRules
from tocsin.store import checks as check_store
from tocsin.web.keyword_form import keyword_values, keywords_on, read_keywords

BASE = {"name": "backup", "kind": "period", "period": "1d", "grace": "1h", "tz": "UTC"}
RULES = {"kw_failure": "ERROR, FAIL", "kw_success": "backup OK", "kw_http_body": "yes"}


def test_the_fields_read_back_the_rules_they_were_filled_from() -> None:
    rules = KeywordRules(
        start_kw="go", failure_kw="E", filter_body=True, filter_default_fail=True, regex=True
    )
    errors: dict[str, str] = {}
    assert read_keywords(keyword_values(rules), errors) == rules
    assert errors == {}
    assert keyword_values(NO_RULES) == {}
    assert read_keywords({}, errors) == NO_RULES


def test_a_pattern_re2_refuses_is_noted_beside_its_field() -> None:
    errors: dict[str, str] = {}
    read_keywords({"kw_success": "(?=x)", "kw_regex": "yes"}, errors)
    assert list(errors) == ["kw_success"]
    assert errors["kw_success"].startswith("not a regular expression RE2 accepts")


def test_the_section_opens_when_a_rule_reads_anything() -> None:
    assert not keywords_on({"kw_failure": "E", "kw_regex": "yes"})
    assert keywords_on({"kw_email_subject": "yes"})


async def test_rules_are_saved_shown_and_previewed_in_plain_words(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    closed = await person.client.get(edit)
    assert "Keyword rules are off" in closed.text
    assert '<details id="more-rules" class="more-rules">' in closed.text
    saved = await person.post(edit, **BASE, **RULES)
    assert saved.status_code == 303
    async with web.database.read() as connection:
        details = await connection.run_sync(check_store.details_by_uuid, check.uuid)
    assert details is not None
    assert details.spec.keywords == KeywordRules(
        success_kw="backup OK", failure_kw="ERROR, FAIL", filter_http_body=True
    )
    shown = html.unescape((await person.client.get(edit.removesuffix("/edit"))).text)
    assert '<dd id="keyword-rules">A body containing ERROR or FAIL is a failure;' in shown
    page = html.unescape((await person.client.get(edit)).text)
    assert '<details id="more-rules" class="more-rules" open>' in page
    assert 'value="ERROR, FAIL"' in page
    assert (
        "A body containing ERROR or FAIL is a failure; one containing backup OK is a success; "
        "any other body is ignored." in page
    )


async def test_a_bad_pattern_is_explained_beside_it_and_nothing_changes(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="backup")
    edit = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    refused = await person.post(
        edit, **BASE, **(RULES | {"kw_regex": "yes", "kw_failure": r"(a)\1"})
    )
    assert refused.status_code == 400
    assert 'id="kw_failure-error"' in refused.text
    assert "not a regular expression RE2 accepts" in refused.text
    assert 'more-rules" open' in refused.text
    async with web.database.read() as connection:
        details = await connection.run_sync(check_store.details_by_uuid, check.uuid)
    assert details is not None
    assert details.spec.keywords == NO_RULES


async def test_the_live_preview_words_the_rules_typed_or_says_what_is_wrong(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    url = f"/projects/{web.project_id}/keywords-preview"
    typed = {
        "kw_failure": "ERROR",
        "kw_start": "go",
        "kw_http_body": "yes",
        "kw_default_fail": "yes",
    }
    answer = (await person.client.get(url, params=typed)).json()
    assert answer == {
        "words": "A body containing ERROR is a failure; one containing go is the start of a run; "
        "any other body is a failure."
    }
    wrong = (
        await person.client.get(url, params={"kw_regex": "yes", "kw_success": "(?<=a)"})
    ).json()
    assert wrong["error"].startswith("not a regular expression RE2 accepts")
    form = (await person.client.get(f"/projects/{web.project_id}/checks/new")).text
    assert f'data-rules-preview="{url}"' in form
