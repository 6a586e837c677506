"""The week view's layout: days in the zone shown (23 and 25 hours over DST changes),
blocks cut at midnight and sized by real time, a colour per person, gaps and overrides
kept apart, and `week=` values that cannot be shown falling back to this week."""

from datetime import UTC, date, datetime, timedelta

from tocsin.domain.oncall import Shift
from tocsin.web.oncall_week import colours_of, parse_week, week_view, week_window

EMAILS = {1: "a@example.com", 2: "b@example.com"}


def test_a_week_is_cut_at_each_midnight_of_its_zone() -> None:
    monday = date(2026, 3, 2)
    start, end = week_window(monday, "Europe/Berlin")
    assert start == datetime(2026, 3, 1, 23, 0, tzinfo=UTC)
    assert end == start + timedelta(days=7)
    handoff = datetime(2026, 3, 4, 8, 0, tzinfo=UTC)  # Wednesday 09:00 in Berlin
    shifts = [
        Shift(1, start, handoff),
        Shift(2, handoff, handoff + timedelta(hours=3), override=True),
        Shift(None, handoff + timedelta(hours=3), end),
    ]
    week = week_view(shifts, monday, "Europe/Berlin", EMAILS, colours_of([1, 2]), monday)
    assert [day.name for day in week.days][:3] == ["Mon 2 Mar", "Tue 3 Mar", "Wed 4 Mar"]
    assert week.days[0].today
    assert not week.days[1].today
    monday_blocks = week.days[0].blocks
    assert [(b.who, b.starts, b.ends, b.top, b.height) for b in monday_blocks] == [
        ("a@example.com", "00:00", "24:00", 0.0, 100.0)
    ]
    wednesday = week.days[2].blocks
    assert [(b.who, b.starts, b.ends, b.override, b.colour) for b in wednesday] == [
        ("a@example.com", "00:00", "09:00", False, 0),
        ("b@example.com", "09:00", "12:00", True, 1),
        ("nobody", "12:00", "24:00", False, None),
    ]
    assert wednesday[1].top == 37.5
    assert wednesday[1].height == 12.5
    assert not any(block.short for block in wednesday)  # three hours take two lines
    assert week.people == [1, 2]
    assert week.title == "2 Mar - 8 Mar 2026"
    assert (week.previous, week.next) == (date(2026, 2, 23), date(2026, 3, 9))


def test_the_day_clocks_go_forward_has_23_hours() -> None:
    monday = date(2026, 3, 23)  # Berlin springs forward on Sunday 29 March
    start, end = week_window(monday, "Europe/Berlin")
    assert end - start == timedelta(days=7, hours=-1)
    change = datetime(2026, 3, 29, 10, 0, tzinfo=UTC)  # 12:00 CEST
    week = week_view(
        [Shift(1, start, change), Shift(2, change, end)],
        monday,
        "Europe/Berlin",
        EMAILS,
        {},
        monday,
    )
    sunday = week.days[6].blocks
    assert [(b.starts, b.ends) for b in sunday] == [("00:00", "12:00"), ("12:00", "24:00")]
    # Eleven of the day's 23 hours had passed by noon.
    assert sunday[1].top == round(100 * 11 / 23, 3)
    hour = Shift(1, change, change + timedelta(hours=1))
    assert week_view([hour], monday, "Europe/Berlin", EMAILS, {}, monday).days[6].blocks[0].short


def test_weeks_are_read_from_any_of_their_days_or_fall_back_to_this_one() -> None:
    today = date(2026, 12, 9)
    assert parse_week("2026-12-13", today) == date(2026, 12, 7)
    assert parse_week("", today) == date(2026, 12, 7)
    assert parse_week("2026-02-30", today) == date(2026, 12, 7)
    assert parse_week("9999-12-31", today) == date(2026, 12, 7)
    assert parse_week("0001-01-01", today) == date(2026, 12, 7)
