"""Maintenance windows and snoozes: which apply to a check, whether a moment is inside
one, and the first moment after it that none covers."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.schedule import Maintenance
from tocsin.domain.windows import (
    COVERED_FOR_GOOD,
    OneOff,
    Scope,
    Window,
    WindowError,
    applies_to,
    check_scope,
    first_uncovered,
    held_until,
    inside,
    one_off,
    own_window,
    recurring,
    snooze_length,
    when_words,
    window_name,
    window_words,
    windows_of,
)

MONDAY = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)


def window(when: Maintenance | OneOff, scope: Scope = Scope(), project_id: int = 1) -> Window:
    return Window(1, project_id, "backup", when, scope)


def nightly(days: frozenset[int] = frozenset(range(7))) -> Maintenance:
    return Maintenance(days, time(2), time(4), "UTC")


def test_a_one_off_window_covers_its_start_but_not_its_end() -> None:
    windows = [window(OneOff(MONDAY, MONDAY + HOUR))]
    assert inside(windows, MONDAY)
    assert not inside(windows, MONDAY + HOUR)
    assert first_uncovered(windows, MONDAY + HOUR / 2) == MONDAY + HOUR


def test_a_recurring_window_moves_a_moment_inside_it_to_its_end() -> None:
    windows = [window(nightly())]
    assert first_uncovered(windows, MONDAY + 3 * HOUR) == MONDAY + 4 * HOUR
    assert first_uncovered(windows, MONDAY + 5 * HOUR) == MONDAY + 5 * HOUR


def test_an_overnight_window_in_a_zone_runs_past_midnight() -> None:
    when = recurring(["mon", "tue"], "23:00", "01:00", "Europe/Berlin")
    # 23:30 Berlin on Monday is 22:30 UTC; the window ends at 01:00 Berlin, 00:00 UTC.
    assert first_uncovered([window(when)], MONDAY + timedelta(hours=22, minutes=30)) == (
        MONDAY + 24 * HOUR
    )


def test_windows_that_touch_chain_into_one() -> None:
    windows = [window(nightly()), window(OneOff(MONDAY + 4 * HOUR, MONDAY + 6 * HOUR))]
    assert first_uncovered(windows, MONDAY + 2 * HOUR) == MONDAY + 6 * HOUR
    found = held_until(windows, MONDAY + 3 * HOUR)
    assert found is not None
    assert found[1] == MONDAY + 6 * HOUR


def test_a_check_gets_its_own_windows_its_tags_and_its_projects() -> None:
    own = window(nightly(), Scope(check_id=7))
    tagged = window(nightly(), Scope(tag="nas"))
    project = window(nightly())
    elsewhere = window(nightly(), project_id=2)
    other_check = window(nightly(), Scope(check_id=8))
    everything = [own, tagged, project, elsewhere, other_check]
    assert windows_of(everything, 1, 7, "db nas") == [own, tagged, project]
    assert windows_of(everything, 1, 7, "db nasty") == [own, project]
    assert not applies_to(other_check, 1, 7, "")


def test_a_checks_own_daily_window_is_a_window_like_the_others() -> None:
    assert own_window(1, 7, None) == []
    (mine,) = own_window(1, 7, nightly())
    assert applies_to(mine, 1, 7, "")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: one_off(MONDAY, MONDAY), "end after it starts"),
        (lambda: one_off(MONDAY.replace(tzinfo=None), MONDAY + HOUR), "with a zone"),
        (lambda: one_off(MONDAY, MONDAY + timedelta(days=400)), "at most"),
        (lambda: recurring([], "02:00", "04:00", "UTC"), "at least one day"),
        (lambda: recurring(["mon", "funday"], "02:00", "04:00", "UTC"), "funday"),
        (lambda: recurring(["mon"], "25:00", "04:00", "UTC"), "time of day"),
        (lambda: recurring(["mon"], "02:00", "04:00", "Mars/Olympus"), "Mars/Olympus"),
        (lambda: snooze_length(timedelta(0)), "between"),
        (lambda: snooze_length(timedelta(days=31)), "between"),
        (lambda: window_name("  "), "needs a name"),
        (lambda: window_name("x" * 101), "at most"),
        (lambda: check_scope(1, "nas"), "not both"),
        (lambda: check_scope(None, "two words"), "one word"),
    ],
)
def test_bad_windows_are_refused_with_a_reason(make: object, message: str) -> None:
    with pytest.raises(WindowError, match=message):
        make()  # type: ignore[operator]


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
lengths = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=3))
zones = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"])
clock_times = st.times().map(lambda t: t.replace(microsecond=0, second=0))


@st.composite
def any_window(draw: st.DrawFn) -> Window:
    if draw(st.booleans()):
        starts = draw(instants)
        return window(OneOff(starts, starts + draw(lengths)))
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    when = Maintenance(days, draw(clock_times), draw(clock_times), draw(zones))
    return window(when)


@settings(max_examples=300, deadline=None)
@given(st.lists(any_window(), max_size=4), instants)
def test_the_first_uncovered_moment_is_never_earlier_and_is_outside_every_window(
    windows: list[Window], moment: datetime
) -> None:
    free = first_uncovered(windows, moment)
    assert free >= moment
    if free - moment < COVERED_FOR_GOOD:  # else a chain of whole days covers for good
        assert not inside(windows, free)
        assert first_uncovered(windows, free) == free


@settings(max_examples=300, deadline=None)
@given(st.lists(any_window(), max_size=4), instants)
def test_a_moment_no_window_covers_stays_where_it_is(
    windows: list[Window], moment: datetime
) -> None:
    if not inside(windows, moment):
        assert first_uncovered(windows, moment) == moment
        assert held_until(windows, moment) is None


@settings(max_examples=200, deadline=None)
@given(st.lists(any_window(), max_size=4), st.lists(any_window(), max_size=2), instants)
def test_more_windows_never_bring_the_end_earlier(
    windows: list[Window], more: list[Window], moment: datetime
) -> None:
    assert first_uncovered(windows + more, moment) >= first_uncovered(windows, moment)


def test_windows_are_said_in_plain_words() -> None:
    overnight = recurring(["tue", "mon"], "23:00", "01:00", "Europe/Berlin")
    assert when_words(overnight) == "every Mon, Tue, 23:00 to 01:00 Europe/Berlin"
    assert when_words(Maintenance(frozenset(range(7)), time(0), time(0), "UTC")) == (
        "every day, all day UTC"
    )
    assert when_words(OneOff(MONDAY, MONDAY + HOUR)) == (
        "once, 2026-01-05 00:00 to 2026-01-05 01:00 UTC"
    )
    assert window_words(window(overnight, Scope(tag="nas"))) == (
        "backup: every Mon, Tue, 23:00 to 01:00 Europe/Berlin, for every check tagged nas"
    )
    assert window_words(window(nightly(), Scope(check_id=7))).endswith(", for this check")
    assert window_words(window(nightly())).endswith(", for the whole project")
    snooze = Window(2, 1, "snooze", OneOff(MONDAY, MONDAY + HOUR), Scope(7), "ann@x.io", True)
    assert window_words(snooze) == "Snoozed by ann@x.io until 2026-01-05 01:00 UTC"
