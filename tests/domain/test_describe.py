"""How a check reads to people: its schedule in words, times relative to now, when the
next ping is expected, and its ping URLs."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.checks import CheckState, Status
from tocsin.domain.describe import (
    describe_schedule,
    next_expected,
    ping_urls,
    relative,
    schedule_hint,
    schedule_words,
    stamp,
    upcoming_times,
    when,
)
from tocsin.domain.schedule import Cron, Period


def test_a_period_reads_as_an_interval() -> None:
    assert schedule_words(Period(timedelta(days=1))) == "every 1d"


def test_a_cron_expression_reads_aloud_in_its_zone() -> None:
    assert schedule_words(Cron("0 2 * * *", "Asia/Tokyo")) == "At 02:00 (Asia/Tokyo)"
    weekdays = Cron("*/15 9-17 * * 1-5", "Europe/Berlin")
    assert schedule_words(weekdays) == (
        "Every 15 minutes, between 09:00 and 17:59, Monday through Friday (Europe/Berlin)"
    )


def test_a_cron_form_the_describer_cannot_read_is_shown_as_it_is() -> None:
    assert schedule_words(Cron("@daily", "UTC")) == "cron @daily (UTC)"


# Times, relative to now


NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(0), "0s ago"),
        (timedelta(seconds=42), "42s ago"),
        (timedelta(minutes=4, seconds=10), "4m10s ago"),
        (timedelta(hours=5, minutes=10, seconds=29), "5h10m ago"),
        (timedelta(hours=5, minutes=10, seconds=31), "5h11m ago"),
        (timedelta(days=1, hours=6, minutes=37, seconds=9), "1d7h ago"),
        (timedelta(days=16, hours=13), "2w3d ago"),
        (timedelta(seconds=-90), "in 1m30s"),
        (timedelta(days=-4, hours=-6), "in 4d6h"),
    ],
)
def test_a_time_reads_as_its_two_largest_units_ago_or_in(delta: timedelta, words: str) -> None:
    assert relative(NOW - delta, NOW) == words


def test_a_moment_is_stamped_to_the_second_in_utc() -> None:
    moment = datetime(2026, 11, 26, 2, 0, 5, 999_999, tzinfo=UTC)
    assert stamp(moment) == "2026-11-26 02:00:05 UTC"
    assert stamp(None) == "never"
    assert when(moment - timedelta(hours=1), moment) == "2026-11-26 01:00:05 UTC (1h ago)"
    assert when(None, NOW) == "never"


def test_the_next_ping_is_expected_after_the_last_one_by_the_schedule() -> None:
    hourly = CheckState(Period(timedelta(hours=1)), timedelta(minutes=5))
    up = replace(hourly, status=Status.UP, last_ping=NOW - timedelta(minutes=20))
    assert next_expected(up, NOW) == "2026-03-01 12:40:00 UTC (in 40m)"
    assert next_expected(hourly, NOW) == "after the first ping"
    assert next_expected(replace(up, status=Status.PAUSED), NOW) == "paused"
    assert next_expected(replace(up, status=Status.DOWN), NOW) == "-"


def test_a_check_is_described_by_its_schedule_and_grace() -> None:
    state = CheckState(Cron("0 2 * * *", "Europe/Berlin"), timedelta(minutes=90))
    assert describe_schedule(state) == "cron 0 2 * * * (Europe/Berlin), grace 1h30m"


def test_the_next_cron_times_are_shown_in_the_zone_and_relative_to_now() -> None:
    times = upcoming_times(Cron("0 2 * * *", "Europe/Berlin"), NOW, count=2)
    assert times == [
        {
            "at": "2026-03-02T01:00:00+00:00",
            "local": "Mon 2026-03-02 02:00 CET",
            "relative": "in 13h",
        },
        {
            "at": "2026-03-03T01:00:00+00:00",
            "local": "Tue 2026-03-03 02:00 CET",
            "relative": "in 1d13h",
        },
    ]


def test_a_check_has_both_dialects_ping_urls_and_a_slug_url_when_it_has_a_slug() -> None:
    base, code = "https://tocsin.example", "0b6ab4e3-3b5a-4e0c-9a2a-2f6a1a1a1a1a"
    assert ping_urls(base, code, "tok", "", "key") == {
        "ping URL": f"{base}/ping/{code}",
        "Better Stack URL": f"{base}/api/v1/heartbeat/tok",
    }
    assert ping_urls(base, code, "tok", "nightly", "key")["slug URL"] == f"{base}/ping/key/nightly"


@pytest.mark.parametrize("period", [timedelta(days=1), timedelta(days=2), timedelta(weeks=1)])
def test_a_period_of_a_day_or_more_gets_a_hint_to_use_a_schedule(period: timedelta) -> None:
    hint = schedule_hint(Period(period))
    assert hint is not None
    assert "better watched with a schedule" in hint
    assert "'0 2 * * *'" in hint


@pytest.mark.parametrize(
    "schedule",
    [Period(timedelta(hours=23, minutes=59)), Period(timedelta(minutes=15)), Cron("0 2 * * *")],
)
def test_a_shorter_period_or_a_cron_schedule_gets_no_hint(schedule: Period | Cron) -> None:
    assert schedule_hint(schedule) is None
