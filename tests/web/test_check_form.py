"""The check form: what was typed read into a check's settings with the command line's
validation, an error beside each field that is wrong, and a check's settings filled
back in to edit them."""

from datetime import timedelta

import pytest

from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Cron, Period
from tocsin.web.check_form import DEFAULTS, CheckForm, form_of, read_check_form
from tocsin.web.check_rules_runs import RUN_DEFAULTS

NAMED = {"name": "job"}


def read(values: dict[str, str]) -> NewCheck:
    spec, form = read_check_form(NAMED | values)
    assert form.errors == {}
    assert spec is not None
    return spec


def errors(values: dict[str, str]) -> dict[str, str]:
    spec, form = read_check_form(NAMED | values)
    assert spec is None
    return form.errors


def test_fields_left_out_read_as_a_daily_check_with_an_hour_of_grace() -> None:
    assert read({}) == NewCheck(Period(timedelta(days=1)), timedelta(hours=1), name="job")


def test_a_new_form_starts_on_a_schedule_daily_at_two() -> None:
    assert CheckForm().values == DEFAULTS | {"kind": "cron", "cron": "0 2 * * *"}


@pytest.mark.parametrize("name", ["", "   "])
def test_a_blank_name_is_refused(name: str) -> None:
    assert errors({"name": name}) == {
        "name": "a check needs a name people recognise, such as 'db backup'"
    }


def test_a_bad_cron_expression_is_noted_beside_an_unknown_zone() -> None:
    assert set(errors({"kind": "cron", "cron": "0 3 * *", "tz": "Mars/Olympus"})) == {
        "cron",
        "tz",
    }


def test_every_field_is_read() -> None:
    spec = read(
        {
            "name": "DB backup",
            "slug": "db-backup",
            "tags": "  db   nightly ",
            "description": "Dumps every database.",
            "kind": "period",
            "period": "15m",
            "grace": "5m",
            "tz": "Asia/Tokyo",
            "post_only": "yes",
            "manual_resume": "yes",
        }
    )
    assert spec == NewCheck(
        Period(timedelta(minutes=15)),
        timedelta(minutes=5),
        name="DB backup",
        slug="db-backup",
        tags="db nightly",
        description="Dumps every database.",
        manual_resume=True,
        methods="POST",
        tz="Asia/Tokyo",  # kept for a later switch to cron
    )


def test_a_cron_check_takes_its_expression_and_zone() -> None:
    spec = read({"kind": "cron", "cron": "0  3 * * 1-5", "tz": "Europe/Berlin", "period": "x"})
    assert spec.schedule == Cron("0 3 * * 1-5", "Europe/Berlin")
    assert spec.tz == "Europe/Berlin"


def test_a_period_check_ignores_the_cron_fields_even_when_they_are_wrong() -> None:
    spec = read({"kind": "period", "period": "2h", "cron": "nonsense", "tz": "Nowhere"})
    assert spec.schedule == Period(timedelta(hours=2))
    assert spec.tz == "UTC"  # an unknown zone is not kept


@pytest.mark.parametrize("ticked", ["on", "true", "", "YES"])
def test_a_box_counts_as_ticked_only_when_it_sends_yes(ticked: str) -> None:
    spec = read({"post_only": ticked, "manual_resume": ticked})
    assert (spec.methods, spec.manual_resume) == ("", False)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {"kind": "weekly"},
            {"kind": "choose a period, a cron expression or OnCalendar expressions"},
        ),
        ({"period": "0s"}, {"period": "period must be between 1s and 52w1d, not 0s"}),
        (
            {"period": "daily"},
            {
                "period": "invalid duration 'daily': use a number with a unit, like 90s, 15m, "
                "1h30m or 1d"
            },
        ),
        ({"grace": "400d"}, {"grace": "grace must be between 0s and 52w1d, not 57w1d"}),
        (
            {"kind": "cron", "cron": "0 3 * *"},
            {
                "cron": "invalid cron expression '0 3 * *': it needs 5 fields (minute hour "
                "day-of-month month day-of-week)"
            },
        ),
        (
            {"kind": "cron", "tz": "Mars/Olympus"},
            {
                "tz": "unknown time zone 'Mars/Olympus': use an IANA name such as "
                "Europe/Berlin or UTC"
            },
        ),
        ({"name": "n" * 101}, {"name": "a name has at most 100 characters"}),
        (
            {"slug": "DB Backup"},
            {"slug": "a slug is at most 100 lower-case letters, digits, - and _"},
        ),
        (
            {"slug": "s" * 101},
            {"slug": "a slug is at most 100 lower-case letters, digits, - and _"},
        ),
        ({"tags": "t" * 501}, {"tags": "tags take at most 500 characters"}),
        (
            {"description": "d" * 10_001},
            {"description": "a description has at most 10000 characters"},
        ),
    ],
)
def test_each_error_is_noted_beside_its_field(
    values: dict[str, str], expected: dict[str, str]
) -> None:
    assert errors(values) == expected


def test_the_longest_values_allowed_are_accepted() -> None:
    spec = read(
        {"name": "n" * 100, "slug": "s" * 100, "tags": "t" * 500, "description": "d" * 10_000}
    )
    assert (len(spec.name), len(spec.slug), len(spec.tags), len(spec.description)) == (
        100,
        100,
        500,
        10_000,
    )


def test_tags_are_counted_after_their_spaces_are_squeezed() -> None:
    read({"tags": "a" + " " * 600 + "b"})


def test_every_error_is_noted_at_once_and_what_was_typed_is_kept() -> None:
    typed = {"slug": "Bad", "period": "soon", "grace": "-1m", "name": "n" * 101}
    spec, form = read_check_form(typed)
    assert spec is None
    assert set(form.errors) == {"slug", "period", "grace", "name"}
    assert form.values == {**DEFAULTS, **typed, "tags": ""}


def test_a_bare_number_is_refused_beside_its_field() -> None:
    assert errors({"period": "90", "grace": "60"}) == {
        "period": "invalid duration '90': a unit is required, like 90s, 90m, 90h or 90d",
        "grace": "invalid duration '60': a unit is required, like 60s, 60m, 60h or 60d",
    }


# Filling the form in to edit a check


def test_a_period_check_fills_in_the_form_it_reads_back_from() -> None:
    spec = NewCheck(
        Period(timedelta(minutes=90)),
        timedelta(minutes=5),
        name="Queue",
        slug="queue",
        tags="jobs",
        description="the worker",
        manual_resume=True,
        methods="POST",
        tz="Asia/Tokyo",
    )
    form = form_of(spec)
    assert form == CheckForm(
        {
            "kind": "period",
            "period": "1h30m",
            "grace": "5m",
            "cron": "0 2 * * *",
            "tz": "Asia/Tokyo",
            "oncalendar": "Mon..Fri *-*-* 02:00",
            "name": "Queue",
            "slug": "queue",
            "tags": "jobs",
            "description": "the worker",
            "post_only": "yes",
            "manual_resume": "yes",
            **RUN_DEFAULTS,  # no rules on runs
        }
    )
    assert read(form.values) == spec


def test_a_cron_check_fills_in_the_form_it_reads_back_from() -> None:
    spec = NewCheck(
        Cron("*/15 9-17 * * 1-5", "Europe/Berlin"), timedelta(0), name="job", tz="Europe/Berlin"
    )
    form = form_of(spec)
    assert (form.values["kind"], form.values["cron"], form.values["tz"]) == (
        "cron",
        "*/15 9-17 * * 1-5",
        "Europe/Berlin",
    )
    assert (form.values["post_only"], form.values["manual_resume"]) == ("", "")
    assert read(form.values) == spec
