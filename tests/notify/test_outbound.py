"""How long a service that answered 429 asks to be left alone: its Retry-After header,
in seconds or as a date."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from tocsin.notify.outbound import retry_after


@pytest.mark.parametrize(("value", "seconds"), [("120", 120.0), (" 7 ", 7.0), ("0", 0.0)])
def test_a_number_of_seconds_is_taken_as_it_is(value: str, seconds: float) -> None:
    assert retry_after({"retry-after": value}) == seconds


def test_a_date_is_the_time_left_until_it() -> None:
    later = datetime.now(UTC) + timedelta(minutes=10)
    seconds = retry_after({"retry-after": format_datetime(later, usegmt=True)})
    assert seconds is not None
    assert 590 <= seconds <= 600


def test_a_date_in_the_past_means_at_once() -> None:
    assert retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0


@pytest.mark.parametrize("value", ["", "soon", "-5", "1.5", "12 s"])
def test_anything_else_is_no_advice(value: str) -> None:
    assert retry_after({"retry-after": value}) is None


def test_no_header_is_no_advice() -> None:
    assert retry_after({}) is None


@pytest.mark.parametrize("value", ["²", "\u0661\u0662"])
def test_a_header_that_only_looks_like_digits_is_no_advice(value: str) -> None:
    assert retry_after({"retry-after": value}) is None


def test_more_digits_than_a_float_holds_are_an_endless_wait_for_the_notifier_to_cap() -> None:
    assert retry_after({"retry-after": "9" * 5000}) == float("inf")
