"""Rules on runs in a monitors file: the `runs` mapping of a check, read with a problem
at each wrong value, and written with only what is set."""

from datetime import timedelta
from textwrap import dedent

import pytest

from tests.monitors.test_reading import problems, read
from tests.monitors.test_writing import check, round_trip
from tocsin.domain.monitors import Monitors
from tocsin.domain.run_rules import NO_RULES, RunRules
from tocsin.monitors.writing import write_monitors

FILE = """
checks:
  backup:
    period: 1d
    runs:
      min_duration: 5m
      max_duration: 2h
      min_interval: 20h
      interval_from: starts
      failure_threshold: 3
      recovery_threshold: 2
"""


def test_every_rule_is_read() -> None:
    rules = read(FILE).checks["backup"].settings.rules
    assert rules == RunRules(
        timedelta(minutes=5), timedelta(hours=2), timedelta(hours=20), True, 3, 2
    )


def test_a_check_without_runs_has_no_rules() -> None:
    assert read("checks:\n  backup:\n    period: 1d\n").checks["backup"].settings.rules is NO_RULES


@pytest.mark.parametrize(
    ("runs", "message"),
    [
        ("failure_threshold: 0", "checks.backup.runs.failure_threshold: must be a whole number"),
        ("recovery_threshold: many", "recovery_threshold: must be a whole number from 1 to 100"),
        ("min_duration: 5", "checks.backup.runs.min_duration: invalid duration '5'"),
        ("interval_from: never", "checks.backup.runs.interval_from: successes or starts"),
        ("too_fast: 5m", "checks.backup.runs.too_fast: unknown key"),
        ("{min_duration: 1h, max_duration: 5m}", "the minimum run duration must be shorter"),
    ],
)
def test_wrong_rules_are_problems_at_their_line(runs: str, message: str) -> None:
    text = (
        dedent(f"""
        checks:
          backup:
            period: 1d
            runs: {runs}
        """)
        if runs.startswith("{")
        else dedent(f"""
        checks:
          backup:
            period: 1d
            runs:
              {runs}
        """)
    )
    found = problems(text)
    assert any(message in line for line in found), found


def test_only_the_rules_set_are_written_and_read_back() -> None:
    rules = RunRules(min_duration=timedelta(minutes=5), failure_threshold=3)
    monitors = Monitors({"backup": check(slug="backup", rules=rules)}, {}, {})
    text = write_monitors(monitors)
    assert "    runs:\n      min_duration: 5m\n      failure_threshold: 3\n" in text
    assert round_trip(monitors) == monitors
    assert "runs" not in write_monitors(Monitors({"plain": check(slug="plain")}, {}, {}))
