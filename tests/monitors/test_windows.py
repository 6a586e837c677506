"""Maintenance windows in monitors files: read (every problem at its line), written,
read back the same, and planned like the other objects."""

from datetime import UTC, datetime, time
from textwrap import dedent

import pytest

from tocsin.domain.monitors import Monitors, WindowSpec
from tocsin.domain.monitors_plan import Change, plan
from tocsin.domain.schedule import Maintenance
from tocsin.domain.windows import OneOff
from tocsin.monitors.reading import MonitorsError, read_monitors
from tocsin.monitors.writing import write_monitors

FILE = "monitors.yaml"
CHECK = """
checks:
  db-backup:
    period: 1d
"""
NIGHTLY = WindowSpec(
    Maintenance(frozenset({0, 1}), time(23), time(1), "Europe/Berlin"), check="db-backup"
)
MOVE = WindowSpec(
    OneOff(datetime(2030, 1, 31, 2, tzinfo=UTC), datetime(2030, 1, 31, 4, tzinfo=UTC)), tag="nas"
)
FREEZE = WindowSpec(Maintenance(frozenset({5, 6}), time(0), time(0)))


def read(text: str) -> Monitors:
    return read_monitors(dedent(text), FILE, {})


def problems(text: str) -> list[str]:
    with pytest.raises(MonitorsError) as caught:
        read(text)
    return caught.value.problems


def test_windows_of_a_check_a_tag_and_the_project_are_read() -> None:
    monitors = read(
        CHECK
        + """
maintenance:
  nightly:
    check: db-backup
    days: [mon, tue]
    from: "23:00"
    to: "01:00"
    tz: Europe/Berlin
  NAS move:
    tag: nas
    start: 2030-01-31T02:00:00Z
    end: 2030-01-31T04:00:00Z
  weekend freeze:
    days: [sat, sun]
    from: "00:00"
    to: "00:00"
"""
    )
    assert monitors.windows == {"nightly": NIGHTLY, "NAS move": MOVE, "weekend freeze": FREEZE}


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("check: nope\n    days: [mon]\n    from: '01:00'\n    to: '02:00'",
         "monitors.yaml:7: maintenance.w.check: no check named 'nope' in this file"),
        ("tag: nas\n    check: db-backup\n    days: [mon]\n    from: '01:00'\n    to: '02:00'",
         "monitors.yaml:7: maintenance.w: a window covers a check, a tag or the project: not both"),
        ("start: 2030-01-31T02:00:00Z",
         "monitors.yaml:7: maintenance.w.end: needs an instant, e.g. 2030-01-31T02:00:00Z"),
        ("start: 2030-01-31T02:00:00Z\n    end: 2030-01-31T01:00:00Z",
         "monitors.yaml:7: maintenance.w: a window must end after it starts"),
        ("start: 2030-01-31T02:00:00\n    end: 2030-01-31T03:00:00",
         "monitors.yaml:7: maintenance.w: give instants with a zone, such as 2026-01-31T02:00:00Z"),
        ("start: soon\n    end: 2030-01-31T03:00:00Z",
         "monitors.yaml:7: maintenance.w.start: not an instant: 'soon'"),
        ("days: [mon]\n    from: '01:00'\n    to: '02:00'\n    start: 2030-01-31T02:00:00Z",
         "monitors.yaml:7: maintenance.w: give start and end, or days, from and to: not both"),
        ("days: [mon]\n    from: '01:00'\n    to: '02:00'\n    when: never",
         "monitors.yaml:10: maintenance.w.when: unknown key 'when'; expected one of: check, tag,"),
    ],
)  # fmt: skip
def test_a_bad_window_is_reported_at_its_line(window: str, expected: str) -> None:
    found = problems(CHECK + f"maintenance:\n  w:\n    {window}\n")
    assert [problem for problem in found if problem.startswith(expected)] == found


def test_windows_are_written_and_read_back_the_same() -> None:
    monitors = read(CHECK)
    with_windows = Monitors(
        monitors.checks, windows={"nightly": NIGHTLY, "NAS move": MOVE, "freeze": FREEZE}
    )
    text = write_monitors(with_windows)
    assert "start: '2030-01-31T02:00:00Z'" in text
    assert read(text) == with_windows
    assert "maintenance" not in write_monitors(monitors)


def test_windows_are_planned_after_checks_and_pruned_like_the_rest() -> None:
    current = Monitors(windows={"nightly": NIGHTLY, "freeze": FREEZE})
    desired = Monitors(windows={"nightly": NIGHTLY, "freeze": MOVE, "NAS move": MOVE})
    assert [str(c) for c in plan(desired, current, prune=False)] == [
        "unchanged window 'nightly'",
        "update window 'freeze' (when, tag)",
        "create window 'NAS move'",
    ]
    assert plan(Monitors(), current, prune=True) == [
        Change("delete", "window", "nightly"),
        Change("delete", "window", "freeze"),
    ]
