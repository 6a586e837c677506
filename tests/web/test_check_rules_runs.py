"""The check form's rules on runs: read with an error beside each wrong field, shown
open when set, saved, and the check page showing them and a threshold's count."""

from datetime import timedelta

import pytest

from tests.helpers import reload
from tests.web.conftest import Web
from tests.web.test_check_edit import EDITED
from tocsin.domain.run_rules import NO_RULES, RunRules
from tocsin.store import checks as check_store
from tocsin.web.check_form import CheckForm, form_of, read_check_form
from tocsin.web.check_rules_runs import RUN_DEFAULTS, read_run_rules, runs_open


def test_the_defaults_read_as_no_rules() -> None:
    errors: dict[str, str] = {}
    assert read_run_rules(dict(RUN_DEFAULTS), errors) == NO_RULES
    assert errors == {}
    assert not runs_open(dict(RUN_DEFAULTS), {})


def test_rules_typed_are_read() -> None:
    values = RUN_DEFAULTS | {
        "min_duration": "5m",
        "failure_threshold": "3",
        "interval_from": "starts",
    }
    assert read_run_rules(values, {}) == RunRules(
        min_duration=timedelta(minutes=5), interval_from_starts=True, failure_threshold=3
    )
    assert runs_open(values, {})


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ({"min_duration": "5"}, "min_duration"),
        ({"max_duration": "soon"}, "max_duration"),
        ({"failure_threshold": "0"}, "failure_threshold"),
        ({"recovery_threshold": "٣"}, "recovery_threshold"),
        ({"failure_threshold": "99999999999999999999"}, "failure_threshold"),
        ({"interval_from": "never"}, "interval_from"),
        ({"min_duration": "1h", "max_duration": "5m"}, "min_duration"),
    ],
)
def test_wrong_rules_are_explained_beside_their_field(typed: dict[str, str], field: str) -> None:
    errors: dict[str, str] = {}
    assert read_run_rules(RUN_DEFAULTS | typed, errors) is None
    assert field in errors
    assert runs_open(RUN_DEFAULTS | typed, errors)


def test_the_form_shows_a_checks_rules_and_the_preview_in_words() -> None:
    spec, _ = read_check_form({**EDITED, "min_duration": "5m", "failure_threshold": "3"})
    assert spec is not None
    form = form_of(spec)
    assert form.values["min_duration"] == "5m"
    assert form.rules_open
    assert form.runs_preview == (
        "Alert after 3 failures in a row; a run shorter than 5m counts as a failure."
    )
    assert not CheckForm().rules_open


async def test_a_new_check_needs_no_rule_and_the_section_is_closed(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    page = await person.client.get(f"/projects/{web.project_id}/checks/new")
    assert page.status_code == 200
    assert '<details id="more-rules" class="more-rules">' in page.text
    assert 'name="failure_threshold" inputmode="numeric" value="1"' in page.text


async def test_saving_sets_the_rules_and_the_check_page_shows_them(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    page = f"/projects/{web.project_id}/checks/{check.uuid}"
    form = {**EDITED, "min_duration": "5m", "failure_threshold": "2", "recovery_threshold": "1"}
    saved = await person.post(f"{page}/edit", **form)
    assert saved.status_code == 303
    async with web.database.read() as connection:
        details = await connection.run_sync(check_store.details_by_uuid, check.uuid)
    assert details is not None
    assert details.spec.rules == RunRules(min_duration=timedelta(minutes=5), failure_threshold=2)
    await web.client().post(f"/ping/{check.uuid}/fail")
    shown = await person.client.get(page)
    assert 'id="check-streak">failing (1 of 2)</span>' in shown.text
    listed = await person.client.get(f"/projects/{web.project_id}/checks")
    assert '<span class="streak">failing (1 of 2)</span>' in listed.text
    assert (
        "Alert after 2 failures in a row; a run shorter than 5m counts as a failure." in shown.text
    )
    edit = await person.client.get(f"{page}/edit")
    assert '<details id="more-rules" class="more-rules" open>' in edit.text


async def test_a_wrong_rule_is_refused_beside_its_field(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    check = await web.check(name="db backup")
    page = f"/projects/{web.project_id}/checks/{check.uuid}"
    refused = await person.post(f"{page}/edit", **{**EDITED, "failure_threshold": "0"})
    assert refused.status_code == 400
    assert 'id="failure_threshold-error"' in refused.text
    assert (await reload(web.database, check)).state.rules == NO_RULES


async def test_the_live_preview_says_the_rules_typed_or_why_not(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    preview = f"/projects/{web.project_id}/run-rules-preview"
    typed = {"failure_threshold": "3", "min_duration": "5m"}
    shown = (await person.client.get(preview, params=typed)).json()
    assert shown == {
        "words": "Alert after 3 failures in a row; a run shorter than 5m counts as a failure."
    }
    wrong = (await person.client.get(preview, params={"max_duration": "5"})).json()
    assert "a unit is required" in wrong["error"]
