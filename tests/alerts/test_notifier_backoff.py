"""When the notifier tries a failed delivery again: the pure backoff (deliveries
themselves are in tests/alerts/test_notifier.py)."""

from datetime import timedelta

import pytest

from tocsin.alerts.notifier import FIRST_RETRY, LONGEST_RETRY, LONGEST_RETRY_AFTER, backoff
from tocsin.notify.base import DeliveryError
from tocsin.notify.outbound import retry_after

FAILED = DeliveryError("HTTP 503", permanent=False)


@pytest.mark.parametrize("attempt", [1, 2, 3, 5])
def test_the_wait_doubles_with_each_attempt_give_or_take_a_quarter(attempt: int) -> None:
    expected = FIRST_RETRY * 2 ** (attempt - 1)
    for _ in range(50):
        assert expected * 0.75 <= backoff(attempt, FAILED) <= expected * 1.25


def test_the_wait_stops_growing_at_the_longest_retry() -> None:
    for _ in range(50):
        assert LONGEST_RETRY * 0.75 <= backoff(40, FAILED) <= LONGEST_RETRY * 1.25


def test_a_service_that_says_when_to_come_back_is_believed_up_to_an_hour() -> None:
    asked = DeliveryError("HTTP 429", permanent=False, retry_after=120)
    assert backoff(1, asked) == timedelta(seconds=120)
    too_long = DeliveryError("HTTP 429", permanent=False, retry_after=86_400)
    assert backoff(1, too_long) == LONGEST_RETRY_AFTER


@pytest.mark.parametrize("header", ["9" * 20, "9" * 400])
def test_an_absurd_retry_after_is_capped_like_any_long_one(header: str) -> None:
    asked = DeliveryError(
        "HTTP 429", permanent=False, retry_after=retry_after({"retry-after": header})
    )
    assert backoff(1, asked) == LONGEST_RETRY_AFTER


@pytest.mark.parametrize(
    "seconds", [1e20, 1e300, float("inf"), pytest.param(10**400, id="400 digits")]
)
def test_no_wait_asked_for_is_too_long_to_cap(seconds: float) -> None:
    asked = DeliveryError("HTTP 429", permanent=False, retry_after=seconds)
    assert backoff(1, asked) == LONGEST_RETRY_AFTER


@pytest.mark.parametrize(
    "seconds", [-5.0, float("-inf"), pytest.param(-(10**400), id="-400 digits")]
)
def test_a_wait_into_the_past_is_no_wait(seconds: float) -> None:
    asked = DeliveryError("HTTP 429", permanent=False, retry_after=seconds)
    assert backoff(1, asked) == timedelta(0)


def test_a_wait_that_is_no_number_is_no_advice() -> None:
    asked = DeliveryError("HTTP 429", permanent=False, retry_after=float("nan"))
    for _ in range(50):
        assert FIRST_RETRY * 0.75 <= backoff(1, asked) <= FIRST_RETRY * 1.25
