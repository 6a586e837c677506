"""On-call calendars: rotations in a zone across DST, layers, overrides, gaps."""

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.oncall import (
    UNITS,
    Calendar,
    OnCallError,
    Override,
    Restriction,
    Rotation,
    Shift,
    gaps,
    handoff,
    on_call_now,
    parse_restriction,
    parse_weekdays,
    shift_index,
    shifts,
    validate_override,
    validate_rotation,
    who_is_on_call,
    without_member,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe"]
# Europe/Berlin springs forward on 2024-03-31 and falls back on 2024-10-27.
SPRING = datetime(2024, 3, 31, 1, 0, tzinfo=UTC)
AUTUMN = datetime(2024, 10, 27, 1, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone).astimezone(UTC)


def test_a_daily_rotation_hands_off_at_nine_before_and_after_spring_forward() -> None:
    rotation = Rotation((1, 2), local(BERLIN, 2024, 3, 29, 9), "Europe/Berlin", 1, "day")
    handoffs = [handoff(rotation, k) for k in range(4)]
    assert [h.astimezone(BERLIN).hour for h in handoffs] == [9, 9, 9, 9]
    # The shift over the change (Saturday 9:00 to Sunday 9:00) is 23 hours long.
    assert [b - a for a, b in itertools.pairwise(handoffs)] == [DAY, DAY - HOUR, DAY]


def test_a_weekly_rotation_keeps_its_wall_clock_time_in_new_york_in_november() -> None:
    rotation = Rotation((1, 2, 3), local(NEW_YORK, 2024, 10, 28, 0), "America/New_York")
    assert handoff(rotation, 1).astimezone(NEW_YORK).replace(tzinfo=None) == datetime(
        2024, 11, 4, 0, 0
    )
    assert who_is_on_call(Calendar((rotation,)), local(NEW_YORK, 2024, 11, 3, 23, 59)) == 1
    assert who_is_on_call(Calendar((rotation,)), local(NEW_YORK, 2024, 11, 4, 0, 0)) == 2


def test_a_midnight_handoff_on_a_day_without_midnight_happens_when_the_day_starts() -> None:
    # Santiago springs forward at midnight on 2024-09-08: 00:00 does not exist there,
    # the day starts at 01:00, and so does that day's shift.
    santiago = ZoneInfo("America/Santiago")
    rotation = Rotation((1, 2), local(santiago, 2024, 9, 6, 0), "America/Santiago", 1, "day")
    handoffs = [handoff(rotation, k).astimezone(santiago) for k in range(4)]
    assert [h.strftime("%d %H:%M") for h in handoffs] == [
        "06 00:00",
        "07 00:00",
        "08 01:00",
        "09 00:00",
    ]
    assert (
        who_is_on_call(Calendar((rotation,)), local(santiago, 2024, 9, 8, 1) - timedelta(seconds=1))
        == 2
    )
    assert who_is_on_call(Calendar((rotation,)), local(santiago, 2024, 9, 8, 1)) == 1


def test_hour_rotations_are_absolute_durations_across_dst() -> None:
    rotation = Rotation((1, 2), SPRING - 3 * HOUR, "Europe/Berlin", 12, "hour")
    assert handoff(rotation, 1) - handoff(rotation, 0) == 12 * HOUR


def test_a_night_layer_covers_the_day_layer_only_at_night() -> None:
    day = Rotation((1,), local(BERLIN, 2024, 6, 3, 9), "Europe/Berlin")
    night = Rotation(
        (2,), local(BERLIN, 2024, 6, 3, 9), "Europe/Berlin", layer=1,
        restriction=Restriction(time(20), time(8)),
    )  # fmt: skip
    calendar = Calendar((day, night))
    assert who_is_on_call(calendar, local(BERLIN, 2024, 6, 4, 12)) == 1
    assert who_is_on_call(calendar, local(BERLIN, 2024, 6, 4, 23)) == 2
    assert who_is_on_call(calendar, local(BERLIN, 2024, 6, 5, 7, 59)) == 2
    assert who_is_on_call(calendar, local(BERLIN, 2024, 6, 5, 8)) == 1


def test_an_override_wins_and_is_marked_in_the_shifts() -> None:
    rotation = Rotation((1, 2), local(BERLIN, 2024, 6, 3, 0), "Europe/Berlin", 1, "day")
    cover = Override(3, local(BERLIN, 2024, 6, 3, 22), local(BERLIN, 2024, 6, 4, 2))
    found = shifts(Calendar((rotation,), (cover,)), local(BERLIN, 2024, 6, 3, 0),
                   local(BERLIN, 2024, 6, 5, 0))  # fmt: skip
    assert [(s.user_id, s.override) for s in found] == [(1, False), (3, True), (2, False)]
    assert found[1].start == cover.start
    assert found[1].end == cover.end


def test_gaps_are_the_times_nobody_covers() -> None:
    weekdays = Restriction(time(9), time(17), parse_weekdays("mon-fri"))
    rotation = Rotation((1,), local(BERLIN, 2024, 6, 3, 0), "Europe/Berlin", restriction=weekdays)
    found = gaps(Calendar((rotation,)), local(BERLIN, 2024, 6, 7, 0), local(BERLIN, 2024, 6, 10, 0))
    assert found == [
        (local(BERLIN, 2024, 6, 7, 0), local(BERLIN, 2024, 6, 7, 9)),
        (local(BERLIN, 2024, 6, 7, 17), local(BERLIN, 2024, 6, 10, 0)),
    ]


def test_the_current_and_next_person_and_the_handoff() -> None:
    rotation = Rotation((1, 2), local(BERLIN, 2024, 6, 3, 9), "Europe/Berlin")
    now = on_call_now(Calendar((rotation,)), local(BERLIN, 2024, 6, 5, 12))
    assert (now.current, now.next, now.handoff) == (1, 2, local(BERLIN, 2024, 6, 10, 9))


def test_nothing_changes_for_a_single_member_without_an_end() -> None:
    rotation = Rotation((1,), local(BERLIN, 2024, 6, 3, 9), "Europe/Berlin")
    now = on_call_now(Calendar((rotation,)), local(BERLIN, 2024, 6, 5, 12))
    assert (now.current, now.next, now.handoff) == (1, None, None)


def test_a_rotation_covers_nobody_before_its_first_handoff_and_after_its_end() -> None:
    start = local(BERLIN, 2024, 6, 3, 9)
    rotation = Rotation((1,), start, "Europe/Berlin", ends=start + 3 * DAY)
    assert who_is_on_call(Calendar((rotation,)), start - HOUR) is None
    assert who_is_on_call(Calendar((rotation,)), start + 3 * DAY) is None


def test_a_rotation_whose_members_all_left_covers_nobody() -> None:
    rotation = Rotation((1,), local(BERLIN, 2024, 6, 3, 9), "Europe/Berlin")
    calendar = without_member(Calendar((rotation,), (Override(1, SPRING, AUTUMN),)), 1)
    assert calendar.overrides == ()
    assert who_is_on_call(calendar, AUTUMN - DAY) is None


@pytest.mark.parametrize(
    ("rotation", "message"),
    [
        (Rotation((1,), SPRING, "UTC", 0, "day"), "length"),
        (Rotation((1,), SPRING, "UTC", 1, "month"), "unit"),  # type: ignore[arg-type]
        (Rotation((1, 1), SPRING, "UTC"), "twice"),
        (Rotation((1,), SPRING, "UTC", ends=SPRING), "end after"),
    ],
)
def test_bad_rotations_are_refused_with_a_reason(rotation: Rotation, message: str) -> None:
    with pytest.raises(OnCallError, match=message):
        validate_rotation(rotation)


def test_an_override_must_end_after_it_starts() -> None:
    with pytest.raises(OnCallError, match="end after"):
        validate_override(Override(1, AUTUMN, SPRING))


def test_restrictions_and_days_are_read_from_text() -> None:
    assert parse_restriction("20:00-08:00", "sat-mon") == Restriction(
        time(20), time(8), frozenset({5, 6, 0})
    )
    with pytest.raises(OnCallError, match="HH:MM"):
        parse_restriction("nights")
    with pytest.raises(OnCallError, match="mon"):
        parse_weekdays("funday")


# Properties, over random calendars around the DST changes of the year.

instants = st.datetimes(
    min_value=datetime(2024, 3, 20), max_value=datetime(2024, 11, 10), timezones=st.just(UTC)
)
near_changes = st.sampled_from([SPRING, AUTUMN, datetime(2024, 3, 10, 7, tzinfo=UTC)]).flatmap(
    lambda change: st.integers(-72, 72).map(lambda hours: change + timedelta(hours=hours))
)
restrictions = st.none() | st.builds(
    Restriction,
    st.sampled_from([time(0), time(2, 30), time(8), time(20), time(23, 59)]),
    st.sampled_from([time(0), time(2, 30), time(8), time(20)]),
    st.frozensets(st.integers(0, 6), min_size=1),
)


@st.composite
def rotations(draw: st.DrawFn) -> Rotation:
    unit = draw(st.sampled_from(UNITS))
    first = draw(near_changes).replace(minute=0) if draw(st.booleans()) else draw(instants)
    zone = draw(st.sampled_from(ZONES))
    if draw(st.booleans()):  # a midnight handoff in the zone
        first = first.astimezone(ZoneInfo(zone)).replace(hour=0, minute=0).astimezone(UTC)
    return Rotation(
        tuple(draw(st.lists(st.integers(1, 5), max_size=4, unique=True))),
        first,
        zone,
        draw(st.integers(1, 3 if unit != "hour" else 30)),
        unit,
        draw(st.integers(0, 2)),
        draw(restrictions),
        draw(st.none() | st.just(first + timedelta(days=draw(st.integers(1, 30))))),
    )


@st.composite
def overrides(draw: st.DrawFn) -> Override:
    start = draw(near_changes)
    return Override(
        draw(st.integers(1, 6)), start, start + timedelta(hours=draw(st.integers(1, 60)))
    )


calendars = st.builds(
    Calendar,
    st.lists(rotations(), max_size=3).map(tuple),
    st.lists(overrides(), max_size=2).map(tuple),
)
windows = near_changes.flatmap(
    lambda start: st.integers(1, 24 * 10).map(lambda hours: (start, start + timedelta(hours=hours)))
)


@settings(max_examples=150, deadline=None)
@given(calendars, windows)
def test_shifts_cover_the_window_exactly_and_neighbours_differ(
    calendar: Calendar, window: tuple[datetime, datetime]
) -> None:
    start, end = window
    found = shifts(calendar, start, end)
    assert found[0].start == start
    assert found[-1].end == end
    for before, after in itertools.pairwise(found):
        assert before.end == after.start
        assert (before.user_id, before.override) != (after.user_id, after.override)
    assert all(shift.start < shift.end for shift in found)


@settings(max_examples=150, deadline=None)
@given(calendars, windows, st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_who_is_on_call_agrees_with_the_shifts(
    calendar: Calendar, window: tuple[datetime, datetime], fractions: list[float]
) -> None:
    start, end = window
    found = shifts(calendar, start, end)
    probes = [start + (end - start) * f for f in fractions] + [s.start for s in found]
    for at in (p for p in probes if p < end):
        [shift] = [s for s in found if s.start <= at < s.end]
        assert who_is_on_call(calendar, at) == shift.user_id


@settings(max_examples=150, deadline=None)
@given(calendars, windows)
def test_gaps_are_exactly_the_uncovered_shifts(
    calendar: Calendar, window: tuple[datetime, datetime]
) -> None:
    found = gaps(calendar, *window)
    for opens, closes in found:
        assert who_is_on_call(calendar, opens) is None
        assert who_is_on_call(calendar, closes - timedelta(microseconds=1)) is None
    covered = sum(
        (s.end - s.start for s in shifts(calendar, *window) if s.user_id is not None), timedelta()
    )
    assert covered + sum((b - a for a, b in found), timedelta()) == window[1] - window[0]


@settings(max_examples=150, deadline=None)
@given(rotations(), instants)
def test_the_shift_index_brackets_the_instant(rotation: Rotation, at: datetime) -> None:
    index = shift_index(rotation, at)
    assert handoff(rotation, index) <= at < handoff(rotation, index + 1)


@settings(max_examples=100, deadline=None)
@given(rotations().filter(lambda r: r.unit != "hour"), st.integers(-5, 60))
def test_day_and_week_handoffs_keep_the_wall_clock_time_in_the_zone(
    rotation: Rotation, index: int
) -> None:
    zone = ZoneInfo(rotation.zone)
    first = rotation.first_handoff.astimezone(zone)
    later = handoff(rotation, index).astimezone(zone)
    wall = first.replace(tzinfo=None) + (later.date() - first.date())
    # Equal wall-clock times, unless that time does not exist on that day (a DST gap).
    assert later.time() == first.time() or not exists(wall, zone)


def exists(wall: datetime, zone: ZoneInfo) -> bool:
    return wall.replace(tzinfo=zone).astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall


@settings(max_examples=100, deadline=None)
@given(calendars, overrides())
def test_an_override_wins_over_every_layer_for_its_whole_range(
    calendar: Calendar, cover: Override
) -> None:
    covered = Calendar(calendar.rotations, (*calendar.overrides, cover))
    assert shifts(covered, cover.start, cover.end) == [
        Shift(cover.user_id, cover.start, cover.end, override=True)
    ]


@settings(max_examples=100, deadline=None)
@given(calendars, st.integers(1, 5), windows)
def test_a_member_removed_is_never_on_call_and_others_keep_their_turns_elsewhere(
    calendar: Calendar, leaver: int, window: tuple[datetime, datetime]
) -> None:
    remaining = without_member(calendar, leaver)
    assert all(s.user_id != leaver for s in shifts(remaining, *window))
    for shift in shifts(calendar, *window):
        if shift.user_id is None:
            assert who_is_on_call(remaining, shift.start) is None


@settings(max_examples=100, deadline=None)
@given(calendars, near_changes)
def test_the_next_handoff_is_the_first_change_of_who_is_on_call(
    calendar: Calendar, now: datetime
) -> None:
    found = on_call_now(calendar, now, lookahead=timedelta(days=40))
    assert found.current == who_is_on_call(calendar, now)
    if found.handoff is None:
        assert all(s.user_id == found.current for s in shifts(calendar, now, now + 40 * DAY))
    else:
        assert who_is_on_call(calendar, found.handoff) == found.next != found.current
        before = shifts(calendar, now, found.handoff)
        assert all(s.user_id == found.current for s in before)
