"""OnCalendar schedules: due times from systemd calendar expressions in a time zone,
across DST changes, and their validation."""

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.checks import CheckState, Status, grace_start, status
from tocsin.domain.describe import next_expected, schedule_hint, schedule_words, upcoming_times
from tocsin.domain.schedule import (
    MAX_ONCALENDAR_LENGTH,
    NEVER,
    Cron,
    OnCalendar,
    Period,
    ScheduleError,
    expression_schedule,
    is_cron_form,
    next_due,
    oncalendar_schedule,
    rescheduled,
    typical_interval,
    unless_never,
    upcoming,
)

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_a_weekday_schedule_is_due_on_the_next_weekday_at_its_time() -> None:
    weekdays = OnCalendar("Mon..Fri *-*-* 02:00")
    friday_noon = utc(2024, 6, 14, 12)
    assert next_due(weekdays, friday_noon) == utc(2024, 6, 17, 2)


def test_a_schedule_in_a_zone_fires_at_local_time_and_answers_in_utc() -> None:
    berlin_nine = OnCalendar("*-*-* 09:00", BERLIN)
    winter = next_due(berlin_nine, utc(2024, 1, 15))
    summer = next_due(berlin_nine, utc(2024, 7, 15))
    assert (winter, summer) == (utc(2024, 1, 15, 8), utc(2024, 7, 15, 7))
    assert winter.tzinfo is UTC


def test_a_due_time_is_strictly_after_a_ping_on_the_slot() -> None:
    assert next_due(OnCalendar("hourly"), utc(2024, 6, 15, 12)) == utc(2024, 6, 15, 13)


def test_seconds_count_so_a_schedule_can_fire_every_four_seconds() -> None:
    every_four = OnCalendar("*:*:0/4")
    assert upcoming(every_four, utc(2024, 6, 15, 12, 0, 1), 3) == [
        utc(2024, 6, 15, 12, 0, 4),
        utc(2024, 6, 15, 12, 0, 8),
        utc(2024, 6, 15, 12, 0, 12),
    ]


def test_any_of_several_expressions_counts() -> None:
    week_and_weekend = OnCalendar("Mon..Fri 02:00\nSat,Sun 10:00", BERLIN)
    friday = utc(2024, 6, 14, 12)
    assert upcoming(week_and_weekend, friday, 4) == [
        utc(2024, 6, 15, 8),  # Saturday 10:00 summer time
        utc(2024, 6, 16, 8),
        utc(2024, 6, 17, 0),  # Monday 02:00
        utc(2024, 6, 18, 0),
    ]


def test_an_expression_may_name_its_own_zone() -> None:
    new_york_monday = OnCalendar(f"Mon *-*-* 09:00 {NEW_YORK}", BERLIN)
    assert next_due(new_york_monday, utc(2024, 6, 15)) == utc(2024, 6, 17, 13)


def test_a_slot_in_the_spring_forward_gap_is_skipped_that_day() -> None:
    # Berlin's clocks jump from 02:00 to 03:00 on 2024-03-31: there is no 02:30 that day.
    nightly = OnCalendar("*-*-* 02:30", BERLIN)
    assert next_due(nightly, utc(2024, 3, 30, 12)) == utc(2024, 4, 1, 0, 30)


def test_a_slot_in_the_autumn_repeat_fires_once_in_summer_time() -> None:
    # Berlin's 02:00-03:00 happens twice on 2024-10-27; the first pass is 00:00-01:00 UTC.
    nightly = OnCalendar("*-*-* 02:30", BERLIN)
    assert next_due(nightly, utc(2024, 10, 26, 12)) == utc(2024, 10, 27, 0, 30)
    assert next_due(nightly, utc(2024, 10, 27, 0, 30)) == utc(2024, 10, 28, 1, 30)


def test_a_ping_in_the_second_pass_of_the_repeat_is_due_after_it() -> None:
    # 01:10 UTC is 02:10 winter time, the second 02:10 of the night.
    second_pass = utc(2024, 10, 27, 1, 10)
    assert next_due(OnCalendar("*-*-* 02:30", BERLIN), second_pass) == utc(2024, 10, 28, 1, 30)
    assert next_due(OnCalendar("*:0/15", BERLIN), second_pass) > second_pass


def test_a_new_york_slot_in_the_spring_gap_is_skipped() -> None:
    assert next_due(OnCalendar("*-*-* 02:30", NEW_YORK), utc(2024, 3, 9, 12)) == utc(
        2024, 3, 11, 6, 30
    )


def test_a_daily_schedule_is_typically_a_day_apart_across_a_dst_change() -> None:
    assert typical_interval(OnCalendar("*-*-* 02:30", BERLIN), utc(2024, 10, 24)) == timedelta(
        days=1
    )


def test_a_weekday_schedule_is_typically_a_day_apart() -> None:
    assert typical_interval(OnCalendar("Mon..Fri 09:00"), utc(2024, 6, 14)) == timedelta(days=1)


def test_a_schedule_past_its_last_occurrence_is_never_due() -> None:
    new_year_2001 = oncalendar_schedule("2001-01-01 00:00")
    assert next_due(new_year_2001, utc(2024, 1, 1)) == NEVER
    assert upcoming(new_year_2001, utc(2024, 1, 1), 5) == []
    assert typical_interval(new_year_2001, utc(2024, 1, 1)) == timedelta(days=365)


def test_past_its_last_occurrence_no_grace_start_is_shown() -> None:
    pinged = CheckState(
        oncalendar_schedule("2001-01-01 00:00"),
        timedelta(hours=1),
        Status.UP,
        last_ping=utc(2024, 1, 1),
    )
    assert grace_start(pinged) is None
    assert (unless_never(NEVER), unless_never(utc(2024, 1, 1))) == (None, utc(2024, 1, 1))


def test_upcoming_stops_at_the_last_occurrence() -> None:
    two_mornings = OnCalendar("2030-01-01,02 06:00")
    assert upcoming(two_mornings, utc(2029, 12, 31), 5) == [
        utc(2030, 1, 1, 6),
        utc(2030, 1, 2, 6),
    ]


def test_an_oncalendar_schedule_describes_itself_one_expression_after_another() -> None:
    schedule = OnCalendar("Mon..Fri 02:00\nSat 04:00", BERLIN)
    assert schedule.describe() == "OnCalendar Mon..Fri 02:00; Sat 04:00 (Europe/Berlin)"
    assert schedule_words(schedule) == schedule.describe()


def test_an_oncalendar_schedule_gets_no_long_period_hint() -> None:
    assert schedule_hint(OnCalendar("weekly")) is None


def test_upcoming_times_are_shown_in_the_schedules_zone() -> None:
    times = upcoming_times(OnCalendar("Mon 02:00", BERLIN), utc(2024, 6, 14), 1)
    assert times == [
        {
            "at": "2024-06-17T00:00:00+00:00",
            "local": "Mon 2024-06-17 02:00 CEST",
            "relative": "in 3d",
        }
    ]


# Validation


def test_oncalendar_schedule_keeps_valid_expressions_and_zone() -> None:
    assert oncalendar_schedule("Mon..Fri *-*-* 02:00", BERLIN) == OnCalendar(
        "Mon..Fri *-*-* 02:00", BERLIN
    )


def test_oncalendar_schedule_trims_lines_and_drops_blank_and_repeated_ones() -> None:
    typed = "  Mon..Fri   02:00 \r\n\n Sat 04:00\nMon..Fri 02:00\n"
    assert oncalendar_schedule(typed).expression == "Mon..Fri 02:00\nSat 04:00"


@pytest.mark.parametrize(
    "expression",
    ["daily", "weekly", "*-*-* 00:00:00", "Mon,Wed *-*-01..07 12:00", "*-*~1", "2026-12-24 18:00"],
)
def test_oncalendar_schedule_accepts_systemd_forms(expression: str) -> None:
    assert oncalendar_schedule(expression).expression == expression


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("Mon *-*-* 25:00", "Bad hour"),
        ("Funday 02:00", "Bad day-of-week"),
        ("*-13-01", "Bad month"),
        ("Mon Tue 02:00", "Wrong number of fields"),
        ("Mon 02:00 Mars/Olympus", "Wrong number of fields"),
    ],
)
def test_oncalendar_schedule_names_what_is_wrong(expression: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as error:
        oncalendar_schedule(expression)
    assert str(error.value) == f"invalid OnCalendar expression {expression!r}: {problem}"


def test_oncalendar_schedule_names_the_wrong_line_of_several() -> None:
    with pytest.raises(ScheduleError, match="'Sat 25:00': Bad hour"):
        oncalendar_schedule("Mon..Fri 02:00\nSat 25:00")


def test_oncalendar_schedule_refuses_a_date_that_never_comes() -> None:
    with pytest.raises(ScheduleError, match="names no moment before 2200"):
        oncalendar_schedule("*-02-30 00:00")


def test_a_line_that_never_fires_is_refused_even_beside_one_that_does() -> None:
    with pytest.raises(ScheduleError, match="'\\*-02-30': it names no moment before 2200"):
        oncalendar_schedule("daily\n*-02-30")


@pytest.mark.parametrize("expression", ["", "  \n \n"])
def test_oncalendar_schedule_refuses_nothing(expression: str) -> None:
    with pytest.raises(ScheduleError, match="OnCalendar expression is empty"):
        oncalendar_schedule(expression)


def test_oncalendar_schedule_refuses_an_unknown_zone() -> None:
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Olympus'"):
        oncalendar_schedule("daily", "Mars/Olympus")


def test_oncalendar_schedule_bounds_the_length_after_trimming() -> None:
    minutes = ",".join(str(minute) for minute in range(33))
    longest = f"*-*-* 00:{minutes}:00"
    assert len(longest) == MAX_ONCALENDAR_LENGTH
    assert oncalendar_schedule(f"  {longest}  ").expression == longest
    too_long = f"{longest}\nhourly"
    with pytest.raises(ScheduleError, match="longer than 100 characters"):
        oncalendar_schedule(too_long)


@pytest.mark.parametrize(
    ("expression", "cron"),
    [
        ("0 2 * * *", True),
        ("  0 2 * *   * ", True),
        ("Mon..Fri 02:00", False),
        ("0 2 * * *\n0 3 * * *", False),
        ("0 2 * * * *", False),
    ],
)
def test_the_form_of_an_expression_tells_cron_from_oncalendar(expression: str, cron: bool) -> None:
    assert is_cron_form(expression) is cron


def test_expression_schedule_reads_either_form() -> None:
    assert expression_schedule("0 2 * * *", BERLIN) == Cron("0 2 * * *", BERLIN)
    assert expression_schedule("Mon 02:00", BERLIN) == OnCalendar("Mon 02:00", BERLIN)


def test_a_zone_alone_moves_an_oncalendar_schedule() -> None:
    current = OnCalendar("daily")
    moved = rescheduled(current, cron=None, period=None, tz=BERLIN)
    assert moved == OnCalendar("daily", BERLIN)


def test_oncalendar_expressions_sent_win_over_a_period_sent_with_them() -> None:
    sent = rescheduled(
        Period(timedelta(days=1)),
        cron=None,
        oncalendar="weekly",
        period=timedelta(hours=1),
        tz="UTC",
    )
    assert sent == OnCalendar("weekly")


# Properties

ZONES = ["UTC", "Asia/Tokyo", "Asia/Kathmandu", BERLIN, NEW_YORK]
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@st.composite
def simple_expressions(draw: st.DrawFn) -> tuple[str, frozenset[int], int, int]:
    """`Mon,Thu *-*-* 05:30`: some weekdays at a time, with what it should match."""
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    names = ",".join(DAYS[day] for day in sorted(days))
    return f"{names} *-*-* {hour:02}:{minute:02}", days, hour, minute


@settings(max_examples=200, deadline=None)
@given(simple_expressions(), st.sampled_from(ZONES), moments)
def test_a_due_time_is_later_in_utc_and_matches_the_expression_in_its_zone(
    drawn: tuple[str, frozenset[int], int, int], tz: str, after: datetime
) -> None:
    expression, days, hour, minute = drawn
    due = next_due(OnCalendar(expression, tz), after)
    assert due > after
    assert due.tzinfo is UTC
    assert due - after <= timedelta(days=8)  # a week and a DST gap at most
    local = due.astimezone(ZoneInfo(tz))
    assert (local.weekday() in days, local.hour, local.minute, local.second) == (
        True,
        hour,
        minute,
        0,
    )


@settings(max_examples=100, deadline=None)
@given(simple_expressions(), st.sampled_from(["UTC", "Asia/Tokyo"]), moments)
def test_no_matching_minute_is_skipped_in_a_zone_without_dst(
    drawn: tuple[str, frozenset[int], int, int], tz: str, after: datetime
) -> None:
    expression, days, hour, minute = drawn
    due = next_due(OnCalendar(expression, tz), after)
    zone = ZoneInfo(tz)
    minute_start = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    # Every whole hour:minute between the ping and the due time, by days, is no match.
    moment = minute_start
    while moment < due:
        local = moment.astimezone(zone)
        assert not (local.weekday() in days and (local.hour, local.minute) == (hour, minute))
        moment += timedelta(minutes=1) if due - moment < timedelta(hours=2) else timedelta(hours=1)


@settings(max_examples=100, deadline=None)
@given(st.lists(simple_expressions(), min_size=2, max_size=3), st.sampled_from(ZONES), moments)
def test_several_expressions_are_due_at_the_earliest_of_their_own_due_times(
    drawn: list[tuple[str, frozenset[int], int, int]], tz: str, after: datetime
) -> None:
    lines = [expression for expression, *_ in drawn]
    together = next_due(OnCalendar("\n".join(lines), tz), after)
    assert together == min(next_due(OnCalendar(line, tz), after) for line in lines)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["*:0/15", "hourly", "*-*-* 02:30", "Mon..Fri 09:00"]),
    st.sampled_from(ZONES),
    moments,
)
def test_upcoming_times_strictly_increase(expression: str, tz: str, after: datetime) -> None:
    times = upcoming(OnCalendar(expression, tz), after, 6)
    assert len(times) == 6
    assert all(earlier < later for earlier, later in itertools.pairwise(times))


def test_a_check_past_its_last_occurrence_is_expected_never() -> None:
    state = CheckState(
        schedule=oncalendar_schedule("2001-01-01"),
        grace=timedelta(hours=1),
        status=Status.UP,
        last_ping=utc(2024, 1, 1),
    )
    assert next_expected(state, utc(2024, 6, 1)) == "never"
    assert status(state, utc(2999, 1, 1)) == Status.UP
