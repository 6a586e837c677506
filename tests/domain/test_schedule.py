"""Due times from a period or a cron expression in a time zone, and schedule validation."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.schedule import (
    MAX_CRON_LENGTH,
    Cron,
    Period,
    ScheduleError,
    cron_schedule,
    next_due,
    period_schedule,
    typical_interval,
    upcoming,
    validate_grace,
    validate_timezone,
)

NOON = datetime(2024, 6, 15, 12, 0, tzinfo=UTC)
FIELDS_HINT = "it needs 5 fields (minute hour day-of-month month day-of-week)"
ZONE_HINT = "use an IANA name such as Europe/Berlin or UTC"

# Realistic expressions and the longest wall-clock gap between two of their firings.
NATURAL_MAX_GAP = {
    "*/5 * * * *": timedelta(minutes=5),
    "0 * * * *": timedelta(hours=1),
    "0 */6 * * *": timedelta(hours=6),
    "30 2 * * *": timedelta(days=1),
    "0 9 * * 1-5": timedelta(days=3),
    "15 4 * * 0": timedelta(days=7),
    "0 0 1 * *": timedelta(days=31),
    "0 12 1 1 *": timedelta(days=366),
}
# A DST change can stretch a gap by the size of the shift. Lord Howe, whose clocks
# move by 30 minutes, is left out: at the instant its summer time ends, cronsim (and so
# Healthchecks) skips a "0 */6" slot, a gap of 10.5 h. Tocsin keeps cronsim's answers.
DST_SHIFT = {
    "UTC": timedelta(0),
    "Asia/Tokyo": timedelta(0),
    "Asia/Kathmandu": timedelta(0),
    "Europe/Berlin": timedelta(hours=1),
    "America/New_York": timedelta(hours=1),
}
ZONES = sorted(DST_SHIFT)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_a_period_is_due_one_period_after_the_last_ping() -> None:
    assert next_due(Period(timedelta(minutes=90)), NOON) == utc(2024, 6, 15, 13, 30)


def test_an_hourly_cron_is_due_at_the_next_full_hour() -> None:
    assert next_due(Cron("0 * * * *"), utc(2024, 6, 15, 12, 0, 1)) == utc(2024, 6, 15, 13, 0)


def test_a_cron_due_time_is_strictly_after_a_ping_on_the_slot() -> None:
    assert next_due(Cron("0 * * * *"), NOON) == utc(2024, 6, 15, 13, 0)


def test_a_ping_just_before_a_slot_is_due_at_that_slot() -> None:
    after = datetime(2024, 6, 15, 11, 59, 59, 999_999, tzinfo=UTC)
    assert next_due(Cron("0 * * * *"), after) == NOON


def test_a_cron_in_a_zone_fires_at_local_time_and_answers_in_utc() -> None:
    berlin_nine = Cron("0 9 * * *", "Europe/Berlin")
    winter = next_due(berlin_nine, utc(2024, 1, 15, 0, 0))
    summer = next_due(berlin_nine, utc(2024, 7, 15, 0, 0))
    assert (winter, summer) == (utc(2024, 1, 15, 8, 0), utc(2024, 7, 15, 7, 0))
    assert winter.tzinfo is UTC
    assert summer.tzinfo is UTC


def test_a_cron_due_time_does_not_depend_on_the_zone_of_the_ping_time() -> None:
    in_tokyo = NOON.astimezone(ZoneInfo("Asia/Tokyo"))
    schedule = Cron("0 9 * * *", "Europe/Berlin")
    assert next_due(schedule, in_tokyo) == next_due(schedule, NOON) == utc(2024, 6, 16, 7, 0)


def test_a_cron_in_a_half_hour_zone_fires_at_local_time() -> None:
    assert next_due(Cron("0 9 * * *", "Asia/Kathmandu"), NOON) == utc(2024, 6, 16, 3, 15)


def test_a_period_due_time_is_in_utc_even_for_a_ping_time_in_another_zone() -> None:
    in_tokyo = NOON.astimezone(ZoneInfo("Asia/Tokyo"))
    assert next_due(Period(timedelta(hours=1)), in_tokyo).tzinfo is UTC


def test_upcoming_lists_the_next_due_times_in_order() -> None:
    times = upcoming(Cron("0 */6 * * *"), NOON, 3)
    assert times == [utc(2024, 6, 15, 18), utc(2024, 6, 16, 0), utc(2024, 6, 16, 6)]


def test_upcoming_steps_a_period_forward() -> None:
    times = upcoming(Period(timedelta(days=1)), NOON, 2)
    assert times == [utc(2024, 6, 16, 12), utc(2024, 6, 17, 12)]


def test_upcoming_nothing_is_an_empty_list() -> None:
    assert upcoming(Cron("* * * * *"), NOON, 0) == []


def test_schedules_describe_themselves() -> None:
    assert Period(timedelta(minutes=90)).describe() == "every 1h30m"
    assert Cron("0 9 * * 1-5", "Europe/Berlin").describe() == "cron 0 9 * * 1-5 (Europe/Berlin)"


# --- DST -------------------------------------------------------------------------------


def test_a_berlin_job_in_the_spring_forward_gap_fires_at_three_local() -> None:
    daily = Cron("30 2 * * *", "Europe/Berlin")
    times = upcoming(daily, utc(2024, 3, 29, 12, 0), 3)
    # 02:30 CET (01:30 UTC), then 03:00 CEST on the day 02:30 does not exist, then 02:30 CEST.
    assert times == [utc(2024, 3, 30, 1, 30), utc(2024, 3, 31, 1, 0), utc(2024, 4, 1, 0, 30)]
    assert times[1].astimezone(ZoneInfo("Europe/Berlin")).hour == 3


def test_a_berlin_job_in_the_autumn_repeat_fires_once_in_summer_time() -> None:
    daily = Cron("30 2 * * *", "Europe/Berlin")
    times = upcoming(daily, utc(2024, 10, 26, 12, 0), 2)
    # 02:30+02:00 on the 27th; the second 02:30 (+01:00, 01:30 UTC) is skipped.
    assert times == [utc(2024, 10, 27, 0, 30), utc(2024, 10, 28, 1, 30)]


def test_a_new_york_job_in_the_spring_forward_gap_fires_at_three_local() -> None:
    daily = Cron("30 2 * * *", "America/New_York")
    times = upcoming(daily, utc(2024, 3, 9, 12, 0), 2)
    assert times == [utc(2024, 3, 10, 7, 0), utc(2024, 3, 11, 6, 30)]


def test_a_new_york_job_in_the_autumn_repeat_fires_once_in_summer_time() -> None:
    daily = Cron("30 1 * * *", "America/New_York")
    times = upcoming(daily, utc(2024, 11, 2, 12, 0), 2)
    # 01:30 EDT (05:30 UTC); the second 01:30 (EST, 06:30 UTC) is skipped.
    assert times == [utc(2024, 11, 3, 5, 30), utc(2024, 11, 4, 6, 30)]


def test_a_half_hourly_job_keeps_its_rhythm_through_the_autumn_repeat() -> None:
    half_hourly = Cron("*/30 * * * *", "Europe/Berlin")
    times = upcoming(half_hourly, utc(2024, 10, 27, 0, 0), 4)
    start = utc(2024, 10, 27, 0, 30)
    assert times == [start + timedelta(minutes=30 * n) for n in range(4)]


# --- validation ------------------------------------------------------------------------


def test_cron_schedule_keeps_a_valid_expression_and_zone() -> None:
    assert cron_schedule("0 9 * * 1-5", "Europe/Berlin") == Cron("0 9 * * 1-5", "Europe/Berlin")


def test_cron_schedule_defaults_to_utc() -> None:
    assert cron_schedule("0 9 * * *") == Cron("0 9 * * *", "UTC")


def test_cron_schedule_collapses_whitespace() -> None:
    assert cron_schedule("  0\t9  * *\n* ").expression == "0 9 * * *"


def test_cron_schedule_accepts_february_the_29th() -> None:
    assert cron_schedule("0 0 29 2 *") == Cron("0 0 29 2 *")


@pytest.mark.parametrize("expression", ["", "* * *", "0 9 * *", "0 0 9 * * *", "@daily"])
def test_cron_schedule_wants_five_fields(expression: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        cron_schedule(expression)
    assert str(caught.value) == f"invalid cron expression {expression!r}: {FIELDS_HINT}"


@pytest.mark.parametrize(
    ("expression", "problem"),
    [
        ("61 * * * *", "Bad minute"),
        ("*/0 * * * *", "Bad minute"),
        ("a b c d e", "Bad minute"),
        ("* 24 * * *", "Bad hour"),
        ("* * 32 * *", "Bad day-of-month"),
        ("* * 0 * *", "Bad day-of-month"),
        ("* * * 13 *", "Bad month"),
        ("* * * * 8", "Bad day-of-week"),
        ("* * * * mon-xyz", "Bad day-of-week"),
    ],
)
def test_cron_schedule_names_the_bad_field(expression: str, problem: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        cron_schedule(expression)
    assert str(caught.value) == f"invalid cron expression {expression!r}: {problem}"


@pytest.mark.parametrize("expression", ["0 0 30 2 *", "0 0 31 4 *", "0 0 31 2,4,6 *"])
def test_cron_schedule_rejects_a_date_that_never_exists(expression: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        cron_schedule(expression, "Europe/Berlin")
    assert str(caught.value) == f"invalid cron expression {expression!r}: Bad day-of-month"


@pytest.mark.parametrize(
    "tz", ["Mars/Olympus", "", "utc", "UTC ", "Europe", "../etc/passwd", "/etc/localtime"]
)
def test_cron_schedule_rejects_an_unknown_time_zone(tz: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        cron_schedule("0 9 * * *", tz)
    assert str(caught.value) == f"unknown time zone {tz!r}: {ZONE_HINT}"


def test_validate_timezone_returns_the_zone() -> None:
    assert validate_timezone("Asia/Kathmandu") == ZoneInfo("Asia/Kathmandu")


def test_cron_schedule_accepts_an_expression_of_exactly_the_maximum_length() -> None:
    expression = "00" + ",0" * 45 + " * * * *"
    assert len(expression) == MAX_CRON_LENGTH
    assert cron_schedule(expression).expression == expression


def test_cron_schedule_rejects_a_longer_expression() -> None:
    expression = "00" + ",0" * 46 + " * * * *"
    with pytest.raises(ScheduleError) as caught:
        cron_schedule(expression)
    assert str(caught.value) == "cron expression is longer than 100 characters"


def test_cron_schedule_measures_length_after_collapsing_whitespace() -> None:
    padded = "0" + " " * 200 + "9 * * *"
    assert cron_schedule(padded).expression == "0 9 * * *"


def test_a_schedule_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        cron_schedule("0 9 * * *", "Nowhere/Special")


@pytest.mark.parametrize(
    "period", [timedelta(seconds=1), timedelta(minutes=5), timedelta(days=1), timedelta(days=365)]
)
def test_period_schedule_accepts_one_second_to_a_year(period: timedelta) -> None:
    assert period_schedule(period) == Period(period)


@pytest.mark.parametrize(
    ("period", "shown"),
    [
        (timedelta(0), "0s"),
        (timedelta(milliseconds=999), "999ms"),
        (timedelta(seconds=-1), "-1s"),
        (timedelta(days=365, seconds=1), "52w1d1s"),
    ],
)
def test_period_schedule_rejects_a_period_out_of_range(period: timedelta, shown: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        period_schedule(period)
    assert str(caught.value) == f"period must be between 1s and 52w1d, not {shown}"


@pytest.mark.parametrize("grace", [timedelta(0), timedelta(minutes=1), timedelta(days=365)])
def test_validate_grace_accepts_zero_to_a_year(grace: timedelta) -> None:
    assert validate_grace(grace) == grace


@pytest.mark.parametrize(
    ("grace", "shown"),
    [(timedelta(milliseconds=-1), "-1ms"), (timedelta(days=366), "52w2d")],
)
def test_validate_grace_rejects_a_grace_out_of_range(grace: timedelta, shown: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        validate_grace(grace)
    assert str(caught.value) == f"grace must be between 0s and 52w1d, not {shown}"


# --- properties ------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2040, 1, 1),
    timezones=st.sampled_from([ZoneInfo(zone) for zone in ZONES]),
)


@settings(max_examples=200, deadline=None)
@given(
    expression=st.sampled_from(sorted(NATURAL_MAX_GAP)),
    tz=st.sampled_from(ZONES),
    after=instants,
)
def test_a_cron_is_due_in_utc_after_the_ping_within_its_longest_gap(
    expression: str, tz: str, after: datetime
) -> None:
    due = next_due(cron_schedule(expression, tz), after)
    assert due.tzinfo is UTC
    assert due > after
    assert due - after <= NATURAL_MAX_GAP[expression] + DST_SHIFT[tz]


@settings(max_examples=100, deadline=None)
@given(
    expression=st.sampled_from(sorted(NATURAL_MAX_GAP)),
    tz=st.sampled_from(ZONES),
    after=instants,
)
def test_upcoming_times_strictly_increase(expression: str, tz: str, after: datetime) -> None:
    times = upcoming(Cron(expression, tz), after, 5)
    assert len(times) == 5
    assert all(earlier < later for earlier, later in zip([after, *times], times, strict=False))


def test_a_ping_in_the_repeated_hour_of_a_dst_change_is_due_after_it() -> None:
    """Berlin's clocks go back at 03:00 on 2000-10-29: 02:00-03:00 comes twice, and a
    daily 02:30 job runs at the first 02:30 (00:30 UTC). A ping at the second 02:00
    (01:00 UTC) is next due the day after, not at the 02:30 that has passed."""
    after = datetime(2000, 10, 29, 1, 0, tzinfo=UTC)
    assert next_due(cron_schedule("30 2 * * *", "Europe/Berlin"), after) == datetime(
        2000, 10, 30, 1, 30, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("schedule", "interval"),
    [
        (Period(timedelta(minutes=90)), timedelta(minutes=90)),
        (Cron("*/15 * * * *"), timedelta(minutes=15)),
        (Cron("0 2 * * *", "Europe/Berlin"), timedelta(days=1)),
        (Cron("0 9 * * 1-5", "Europe/Berlin"), timedelta(days=1)),  # the weekend is the odd gap
        (Cron("0 3 * * 0"), timedelta(weeks=1)),
    ],
)
def test_the_typical_interval_is_the_gap_between_runs_seen_most_often(
    schedule: Period | Cron, interval: timedelta
) -> None:
    assert typical_interval(schedule, NOON) == interval


def test_a_daily_job_is_a_day_apart_across_a_dst_change() -> None:
    # Berlin springs forward on 2024-03-31: one gap of its next runs is 23 hours.
    before = datetime(2024, 3, 28, 12, 0, tzinfo=UTC)
    assert typical_interval(Cron("0 2 * * *", "Europe/Berlin"), before) == timedelta(days=1)
