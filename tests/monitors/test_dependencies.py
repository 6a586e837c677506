"""`depends_on` in a monitors file: read as the keys of other checks of the file (an
unknown one reported at its line), written back the same."""

from datetime import timedelta

import pytest

from tocsin.domain.monitors import CheckSpec, Monitors
from tocsin.domain.monitors_plan import plan
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Period
from tocsin.monitors.reading import MonitorsError, read_monitors
from tocsin.monitors.writing import write_monitors

FILE = """\
checks:
  nas:
    period: 5m
  backup:
    period: 1d
    depends_on: [nas]
"""


def test_depends_on_names_checks_of_the_file() -> None:
    monitors = read_monitors(FILE, "m.yaml", {})
    assert monitors.checks["backup"].depends_on == ("nas",)
    assert monitors.checks["nas"].depends_on == ()


def test_an_unknown_parent_is_reported_at_its_line() -> None:
    with pytest.raises(MonitorsError) as raised:
        read_monitors(FILE.replace("[nas]", "[nas, tape]"), "m.yaml", {})
    assert raised.value.problems == [
        "m.yaml:6: checks.backup.depends_on[1]: no check named 'tape' in this file"
    ]


def test_depends_on_survives_the_round_trip_and_a_change_is_planned() -> None:
    monitors = read_monitors(FILE, "m.yaml", {})
    again = read_monitors(write_monitors(monitors), "exported.yaml", {})
    assert again == monitors
    spec = NewCheck(schedule=Period(timedelta(days=1)), grace=timedelta(hours=1))
    alone = Monitors(checks={"backup": CheckSpec(spec)})
    changed = Monitors(checks={"backup": CheckSpec(spec, depends_on=("nas",))})
    assert [str(c) for c in plan(changed, alone, prune=False)] == [
        "update check 'backup' (depends_on)"
    ]
