"""Maintenance windows (Better Stack's daily windows): no check goes down inside one."""

from datetime import UTC, datetime, time, timedelta

import pytest

from tocsin.domain.checks import CheckState, Status, alert_after, status
from tocsin.domain.schedule import (
    Maintenance,
    Period,
    ScheduleError,
    outside_maintenance,
    validate_maintenance,
)

MON, TUE, WED = 0, 1, 2
# 2026-11-23 is a Monday.
MONDAY = datetime(2026, 11, 23, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return MONDAY + timedelta(days=day, hours=hour, minutes=minute)


def window(days: set[int], start: str, end: str, tz: str = "UTC") -> Maintenance:
    return Maintenance(frozenset(days), time.fromisoformat(start), time.fromisoformat(end), tz)


def test_a_moment_inside_a_daily_window_moves_to_its_end() -> None:
    nightly = window({MON, TUE}, "01:00", "03:00")
    assert outside_maintenance(nightly, at(MON, 2)) == at(MON, 3)
    assert outside_maintenance(nightly, at(MON, 1)) == at(MON, 3)


def test_moments_outside_the_window_or_on_unlisted_days_stay() -> None:
    nightly = window({MON}, "01:00", "03:00")
    assert outside_maintenance(nightly, at(MON, 3)) == at(MON, 3)  # the end is outside
    assert outside_maintenance(nightly, at(MON, 0, 59)) == at(MON, 0, 59)
    assert outside_maintenance(nightly, at(TUE, 2)) == at(TUE, 2)
    assert outside_maintenance(None, at(TUE, 2)) == at(TUE, 2)


def test_an_overnight_window_listing_both_days_runs_through_midnight() -> None:
    overnight = window({MON, TUE}, "23:00", "02:00")
    assert outside_maintenance(overnight, at(MON, 23, 30)) == at(TUE, 2)
    assert outside_maintenance(overnight, at(TUE, 1)) == at(TUE, 2)


def test_an_overnight_window_covers_only_the_days_it_lists() -> None:
    overnight = window({MON}, "23:00", "02:00")
    assert outside_maintenance(overnight, at(MON, 23, 30)) == at(TUE, 0)
    assert outside_maintenance(overnight, at(MON, 1)) == at(MON, 2)
    assert outside_maintenance(overnight, at(TUE, 1)) == at(TUE, 1)


def test_whole_day_windows_on_consecutive_days_chain() -> None:
    weekend = window({MON, TUE}, "00:00", "00:00")
    assert outside_maintenance(weekend, at(MON, 9)) == at(WED, 0)


def test_a_window_is_kept_in_local_time() -> None:
    tokyo = window({MON}, "01:00", "03:00", "Asia/Tokyo")  # UTC+9
    assert outside_maintenance(tokyo, at(0, -7)) == at(0, -6)  # Mon 02:00 in Tokyo


def test_a_window_across_a_dst_change_ends_at_its_local_end() -> None:
    # 2026-03-29, a Sunday: Berlin skips from 02:00 to 03:00 (UTC+1 to UTC+2).
    spring = window({6}, "01:00", "04:00", "Europe/Berlin")
    inside = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)  # 01:30 in Berlin
    assert outside_maintenance(spring, inside) == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


def test_a_check_due_inside_a_window_turns_down_at_its_end() -> None:
    state = CheckState(
        Period(timedelta(hours=1)),
        timedelta(minutes=10),
        status=Status.UP,
        last_ping=at(MON, 0, 50),
        maintenance=window({MON}, "01:30", "02:30"),
    )
    assert alert_after(state) == at(MON, 2, 30)
    assert status(state, at(MON, 2)) == Status.LATE
    assert status(state, at(MON, 2, 30)) == Status.DOWN


def test_better_stack_fields_make_a_window_or_a_clear_error() -> None:
    made = validate_maintenance(["mon", "tue"], "23:00:00", "02:00:00", "Europe/Amsterdam")
    assert made == window({MON, TUE}, "23:00", "02:00", "Europe/Amsterdam")
    with pytest.raises(ScheduleError, match="unknown weekday funday"):
        validate_maintenance(["funday"], "01:00:00", "02:00:00", "UTC")
    with pytest.raises(ScheduleError, match="invalid time of day '25:00'"):
        validate_maintenance(["mon"], "25:00", "02:00:00", "UTC")
    with pytest.raises(ScheduleError, match="invalid time of day '01:00:00\\+02:00'"):
        validate_maintenance(["mon"], "01:00:00+02:00", "02:00:00", "UTC")
    with pytest.raises(ScheduleError, match="unknown time zone"):
        validate_maintenance(["mon"], "01:00", "02:00", "Amsterdam")
