"""OnCalendar schedules in monitors files: `oncalendar` beside `period` and `cron`, as
one expression, a list of them or text with one a line; written back the same way."""

from datetime import timedelta
from textwrap import dedent

import pytest

from tocsin.domain.monitors import CheckSpec, Monitors
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import OnCalendar
from tocsin.monitors.reading import MonitorsError, read_monitors
from tocsin.monitors.writing import write_monitors


def read(text: str) -> Monitors:
    return read_monitors(dedent(text), "monitors.yaml", {})


def problems(text: str) -> list[str]:
    with pytest.raises(MonitorsError) as caught:
        read(text)
    return caught.value.problems


def test_one_expression_is_text() -> None:
    check = read("checks:\n  a:\n    oncalendar: 'Mon..Fri  *-*-* 02:00'\n").checks["a"]
    assert check.settings.schedule == OnCalendar("Mon..Fri *-*-* 02:00")


def test_several_are_a_list_or_lines_and_take_the_checks_zone() -> None:
    as_list = read(
        """\
        checks:
          a:
            oncalendar: [Mon..Fri 02:00, Sat 04:00]
            tz: Europe/Berlin
        """
    )
    as_lines = read(
        """\
        checks:
          a:
            oncalendar: |
              Mon..Fri 02:00
              Sat 04:00
            tz: Europe/Berlin
        """
    )
    expected = OnCalendar("Mon..Fri 02:00\nSat 04:00", "Europe/Berlin")
    assert as_list.checks["a"].settings.schedule == expected
    assert as_lines.checks["a"].settings.schedule == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "checks:\n  a:\n    oncalendar: 'Mon 25:00'\n",
            "monitors.yaml:3: checks.a.oncalendar: invalid OnCalendar expression 'Mon 25:00': "
            "Bad hour",
        ),
        (
            "checks:\n  a:\n    oncalendar: [daily, 'Sat 99:00']\n",
            "monitors.yaml:3: checks.a.oncalendar: invalid OnCalendar expression 'Sat 99:00': "
            "Bad hour",
        ),
        (
            "checks:\n  a:\n    cron: '0 2 * * *'\n    oncalendar: daily\n",
            "monitors.yaml:4: checks.a.oncalendar: give either cron or oncalendar, not both",
        ),
        (
            "checks:\n  a:\n    oncalendar: {at: daily}\n",
            "monitors.yaml:3: checks.a.oncalendar: expected text",
        ),
        (
            "checks:\n  a:\n    oncalendar: ''\n",
            "monitors.yaml:3: checks.a.oncalendar: OnCalendar expression is empty: give one "
            "such as 'Mon *-*-* 02:00'",
        ),
    ],
)
def test_a_bad_oncalendar_field_is_reported_at_its_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_a_check_without_a_schedule_is_told_of_oncalendar_too() -> None:
    assert problems("checks:\n  a:\n    grace: 1h\n") == [
        "monitors.yaml:2: checks.a: needs a schedule: a period, a cron expression "
        "or OnCalendar expressions"
    ]


def spec(schedule: OnCalendar) -> Monitors:
    settings = NewCheck(schedule, timedelta(hours=1), name="a", slug="a", tz=schedule.tz)
    return Monitors(checks={"a": CheckSpec(settings, False, None, None)})


def test_one_expression_is_written_as_text_and_several_as_a_list() -> None:
    one = write_monitors(spec(OnCalendar("Mon..Fri 02:00")))
    several = write_monitors(spec(OnCalendar("Mon..Fri 02:00\nSat 04:00", "Europe/Berlin")))
    assert "    oncalendar: Mon..Fri 02:00\n" in one
    assert "    oncalendar:\n    - Mon..Fri 02:00\n    - Sat 04:00\n" in several


@pytest.mark.parametrize(
    "schedule",
    [OnCalendar("*:*:0/4"), OnCalendar("Mon..Fri 02:00\nSat,Sun 10:00", "Asia/Tokyo")],
)
def test_what_is_written_reads_back_the_same(schedule: OnCalendar) -> None:
    written = spec(schedule)
    assert read_monitors(write_monitors(written), "exported.yaml", {}) == written
