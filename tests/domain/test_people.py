"""People as targets, pure: hours of the day in a zone (across midnight and DST), the
methods a step reaches people by, and whose turn it is."""

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.people import (
    ActiveHours,
    Contact,
    ContactKind,
    Method,
    contacts_for,
    in_turn,
    parse_hours,
    parse_methods,
    phone_method,
)

BERLIN_DAY = ActiveHours(time(8), time(20), "Europe/Berlin")
BERLIN_NIGHT = ActiveHours(time(20), time(8), "Europe/Berlin")


@pytest.mark.parametrize(
    ("at", "day"),
    [
        (datetime(2026, 1, 15, 6, 59, tzinfo=UTC), False),  # 07:59 in Berlin (CET)
        (datetime(2026, 1, 15, 7, 0, tzinfo=UTC), True),  # 08:00
        (datetime(2026, 1, 15, 18, 59, tzinfo=UTC), True),  # 19:59
        (datetime(2026, 1, 15, 19, 0, tzinfo=UTC), False),  # 20:00
        (datetime(2026, 7, 15, 6, 0, tzinfo=UTC), True),  # 08:00 in summer (CEST)
        (datetime(2026, 3, 29, 6, 30, tzinfo=UTC), True),  # 08:30 on the day clocks go forward
    ],
)
def test_hours_are_read_in_their_zone(at: datetime, day: bool) -> None:
    assert BERLIN_DAY.contains(at) is day


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_a_span_and_its_complement_cover_every_instant_once(moment: datetime) -> None:
    at = moment.replace(tzinfo=UTC)
    assert BERLIN_DAY.contains(at) != BERLIN_NIGHT.contains(at)


def test_equal_ends_mean_the_whole_day() -> None:
    always = ActiveHours(time(9), time(9), "UTC")
    assert all(
        always.contains(datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=h)) for h in range(24)
    )


@pytest.mark.parametrize(
    ("text", "zone", "message"),
    [
        ("08:00", "UTC", "08:00-20:00"),
        ("8-20", "UTC", "not a time of day"),
        ("08:00-20:00", "Mars/Base", "unknown time zone"),
    ],
)
def test_bad_hours_say_what_is_wrong(text: str, zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(text, zone)


def test_methods_are_words_and_unknown_ones_are_refused() -> None:
    assert parse_methods(" email, PUSH ,") == {Method.EMAIL, Method.PUSH}
    with pytest.raises(ValueError, match="unknown method 'pager'"):
        parse_methods("email,pager")


def test_a_step_uses_the_verified_methods_its_methods_name() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    mail = Contact(1, 1, ContactKind.EMAIL, "a@example.com", verified=now)
    unconfirmed = Contact(2, 1, ContactKind.EMAIL, "b@example.com")
    topic = Contact(3, 1, ContactKind.NTFY, "a", verified=now)
    phone = Contact(4, 1, ContactKind.PHONE, "+4930123456", verified=now)
    everything = [mail, unconfirmed, topic, phone]
    assert contacts_for(everything, frozenset({Method.EMAIL})) == [mail]
    assert contacts_for(everything, frozenset({Method.PUSH, Method.EMAIL})) == [mail, topic]
    assert contacts_for(everything, frozenset({Method.SMS, Method.CALL})) == [phone]


def test_a_phone_is_called_when_the_step_asks_for_calls_else_texted() -> None:
    assert phone_method(frozenset({Method.CALL})) == "call"
    assert phone_method(frozenset({Method.SMS, Method.CALL})) == "call"
    assert phone_method(frozenset({Method.SMS, Method.EMAIL})) == "sms"


@given(st.lists(st.integers(), min_size=1, max_size=8, unique=True), st.integers(0, 1000))
def test_a_round_robin_gives_everyone_a_turn_in_order(members: list[int], first: int) -> None:
    seen = [in_turn(members, turn) for turn in range(first, first + len(members))]
    assert sorted(m for m in seen if m is not None) == sorted(members)
    assert in_turn(members, first + len(members)) == seen[0]


def test_a_round_robin_of_nobody_chooses_nobody() -> None:
    assert in_turn([], 3) is None
