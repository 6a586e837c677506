"""The checks table as people read it: a row per check with its status in words and an
icon, its recent pings as a strip, filtered and sorted on the server."""

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.domain.checks import CheckState, Status
from tocsin.domain.records import CheckDetails, CheckRecord, NewCheck, RecentPing
from tocsin.domain.schedule import Cron, Period
from tocsin.web.check_rows import CheckRow, Filters, all_tags, check_row, ping_words, table

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
HOURLY = Period(timedelta(hours=1))
GRACE = timedelta(minutes=10)


def minutes_ago(minutes: float) -> datetime:
    return NOW - timedelta(minutes=minutes)


def details(
    name: str,
    *,
    status: Status = Status.UP,
    last_ping: float | None = 30,  # minutes ago
    last_start: float | None = None,
    tags: str = "",
    check_id: int = 1,
    schedule: Period | Cron = HOURLY,
) -> CheckDetails:
    state = CheckState(
        schedule,
        GRACE,
        status=status,
        last_ping=None if last_ping is None else minutes_ago(last_ping),
        last_start=None if last_start is None else minutes_ago(last_start),
    )
    record = CheckRecord(
        id=check_id,
        project_id=1,
        uuid=uuid.UUID(int=check_id),
        token="t",
        name=name,
        slug="",
        tags=tags,
        description="",
        n_pings=0,
        created=minutes_ago(600),
        alert_after=None,
        state=state,
    )
    return CheckDetails(record, NewCheck(schedule, GRACE, name=name, tags=tags))


UP = details("backup", last_ping=30, tags="db nightly", check_id=1)
LATE = details("report", last_ping=65, tags="nightly", check_id=2)
DOWN = details("queue", status=Status.DOWN, last_ping=200, check_id=3)
NEW = details("fresh", status=Status.NEW, last_ping=None, check_id=4)
PAUSED = details("old job", status=Status.PAUSED, last_ping=5000, tags="db", check_id=5)
STARTED = details("Import", last_ping=50, last_start=2, check_id=6)
ALL = [UP, LATE, DOWN, NEW, PAUSED, STARTED]


def names(rows: list[CheckRow]) -> list[str]:
    return [row.name for row in rows]


@pytest.mark.parametrize(
    ("found", "status", "icon", "last", "expected"),
    [
        (UP, Status.UP, "✔", "30m ago", "in 30m"),
        (LATE, Status.LATE, "◔", "1h5m ago", "5m ago"),
        (DOWN, Status.DOWN, "✖", "3h20m ago", "-"),
        (NEW, Status.NEW, "○", "never", "after the first ping"),
        (PAUSED, Status.PAUSED, "‖", "3d11h ago", "paused"),
        (STARTED, Status.STARTED, "▶", "50m ago", "in 10m"),
    ],
)
def test_a_row_says_the_status_and_times_in_words(
    found: CheckDetails, status: Status, icon: str, last: str, expected: str
) -> None:
    row = check_row(found, NOW, [])
    assert (row.status, row.icon, row.last_ping_words, row.next_due_words) == (
        status,
        icon,
        last,
        expected,
    )


def test_a_row_carries_the_check_as_people_know_it() -> None:
    row = check_row(UP, NOW, [])
    assert row.uuid == str(uuid.UUID(int=1))
    assert row.name == "backup"
    assert row.tags == ["db", "nightly"]
    assert row.schedule == "every 1h"
    assert row.last_ping == minutes_ago(30)
    assert row.next_due == minutes_ago(-30)


def test_a_check_without_a_name_is_shown_by_its_uuid() -> None:
    row = check_row(details(""), NOW, [])
    assert row.name == str(uuid.UUID(int=1))


def test_a_cron_schedule_is_read_aloud_in_its_zone() -> None:
    row = check_row(details("a", schedule=Cron("0 2 * * *", "Asia/Tokyo")), NOW, [])
    assert row.schedule == "At 02:00 (Asia/Tokyo)"


def test_only_a_check_that_is_running_on_time_has_a_next_due_time() -> None:
    assert check_row(NEW, NOW, []).next_due is None
    assert check_row(PAUSED, NOW, []).next_due is None
    assert check_row(DOWN, NOW, []).next_due is None


# The strip of recent pings


def recent(n: int, kind: str, minutes: float, exit_status: int | None = None) -> RecentPing:
    return RecentPing(n, minutes_ago(minutes), kind, exit_status)


def test_the_strip_shows_pings_oldest_first_each_titled_and_spoken() -> None:
    history = [recent(3, "fail", 1, 2), recent(2, "start", 5), recent(1, "success", 65)]
    strip = check_row(UP, NOW, history).strip()
    assert str(strip) == (
        '<span class="strip">'
        '<i class="ping success" title="#1 success, 2026-03-01 10:55 UTC"></i>'
        '<i class="ping start" title="#2 start, 2026-03-01 11:55 UTC"></i>'
        '<i class="ping fail" title="#3 failure (exit status 2), 2026-03-01 11:59 UTC"></i>'
        "</span>"
        '<span class="visually-hidden">Recent pings, oldest first: success, start, failure'
        "</span>"
    )


def test_a_check_without_pings_shows_none() -> None:
    assert str(check_row(NEW, NOW, []).strip()) == '<span class="muted">none</span>'


def test_a_ping_kind_the_strip_does_not_know_is_shown_as_it_is_and_escaped() -> None:
    strip = str(check_row(UP, NOW, [recent(1, '"><script>', 1)]).strip())
    assert "<script>" not in strip
    assert 'class="ping &#34;&gt;&lt;script&gt;"' in strip


@pytest.mark.parametrize(
    ("ping", "words"),
    [
        (recent(7, "ign", 0), "#7 ignored, 2026-03-01 12:00 UTC"),
        (recent(8, "log", 90), "#8 log, 2026-03-01 10:30 UTC"),
        (recent(9, "success", 0, 0), "#9 success, 2026-03-01 12:00 UTC"),
        (recent(10, "fail", 0, 137), "#10 failure (exit status 137), 2026-03-01 12:00 UTC"),
    ],
)
def test_each_ping_is_titled_in_words(ping: RecentPing, words: str) -> None:
    assert ping_words(ping) == words


# Filtering and sorting


def test_the_table_is_sorted_by_name_by_default_ignoring_case() -> None:
    assert names(table(ALL, Filters(), NOW, {})) == [
        "backup",
        "fresh",
        "Import",
        "old job",
        "queue",
        "report",
    ]


def test_sorting_by_status_puts_trouble_first() -> None:
    assert names(table(ALL, Filters(sort="status"), NOW, {})) == [
        "queue",
        "report",
        "Import",
        "backup",
        "fresh",
        "old job",
    ]


def test_sorting_by_last_ping_puts_the_most_recent_first_and_never_last() -> None:
    assert names(table(ALL, Filters(sort="last_ping"), NOW, {})) == [
        "backup",
        "Import",
        "report",
        "queue",
        "old job",
        "fresh",
    ]


def test_sorting_by_next_expected_puts_the_soonest_first_and_none_last() -> None:
    assert names(table(ALL, Filters(sort="next"), NOW, {})) == [
        "report",  # due 5 minutes ago
        "Import",  # due in 10 minutes
        "backup",  # due in 30 minutes
        "fresh",
        "old job",
        "queue",
    ]


def test_an_unknown_sort_is_by_name() -> None:
    assert names(table(ALL, Filters(sort="evil"), NOW, {})) == names(table(ALL, Filters(), NOW, {}))


def test_a_tie_is_broken_by_name() -> None:
    twins = [details("b", check_id=1), details("a", check_id=2)]
    assert names(table(twins, Filters(sort="status"), NOW, {})) == ["a", "b"]
    assert names(table(twins, Filters(sort="last_ping"), NOW, {})) == ["a", "b"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(tag="db"), ["backup", "old job"]),
        (Filters(tag="nightly"), ["backup", "report"]),
        (Filters(tag="night"), []),  # a whole tag, not a part of one
        (Filters(status="late"), ["report"]),
        (Filters(status="started"), ["Import"]),
        (Filters(text="OB"), ["old job"]),
        (Filters(text=str(uuid.UUID(int=3))[-6:]), ["queue"]),
        (Filters(tag="db", status="paused"), ["old job"]),
        (Filters(tag="db", text="back", status="up"), ["backup"]),
        (Filters(tag="db", status="down"), []),
    ],
)
def test_filters_keep_the_rows_that_match_them_all(filters: Filters, expected: list[str]) -> None:
    assert names(table(ALL, filters, NOW, {})) == expected


def test_each_row_gets_its_own_history() -> None:
    histories = {1: [recent(1, "success", 30)], 3: [recent(4, "fail", 200)]}
    rows = {row.name: row for row in table(ALL, Filters(), NOW, histories)}
    assert rows["backup"].history == histories[1]
    assert rows["queue"].history == histories[3]
    assert rows["fresh"].history == []


def test_the_tag_list_has_every_tag_once_sorted() -> None:
    assert all_tags(ALL) == ["db", "nightly"]
    assert all_tags([replace(UP, spec=replace(UP.spec, tags="  z  a  "))]) == ["a", "z"]
