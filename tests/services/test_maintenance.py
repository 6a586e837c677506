"""Maintenance windows and snoozes through `services.maintenance` (and a monitors file
through `services.monitors`) on a real database: what each refuses, and windows kept
by `tocsin export` and `tocsin apply`."""

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

import pytest

from tests.helpers import make_check
from tests.services.conftest import Projects, Recorder
from tocsin.domain.monitors import CheckSpec, Monitors, WindowSpec
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Maintenance, Period
from tocsin.domain.windows import OneOff, Scope
from tocsin.services import maintenance
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.monitors import apply_monitors, export_monitors

HOUR = timedelta(hours=1)
SOON = OneOff(datetime(2030, 1, 1, tzinfo=UTC), datetime(2030, 1, 2, tzinfo=UTC))


async def test_a_window_of_another_projects_check_is_not_found(
    context: Recorder, projects: Projects
) -> None:
    record = await make_check(context.database, now=context.clock.now())
    new = maintenance.NewWindow("x", SOON, Scope(record.id))
    with pytest.raises(NotFoundError):
        await maintenance.add_window(context, projects.theirs, new, "ana")
    with pytest.raises(NotFoundError):
        await maintenance.remove_window(context, projects.ours, 99)
    with pytest.raises(NotFoundError):
        await maintenance.snooze_check(context, projects.theirs, record.id, HOUR, "ana")


async def test_a_blank_name_and_a_snooze_out_of_bounds_are_refused(
    context: Recorder, projects: Projects
) -> None:
    record = await make_check(context.database, now=context.clock.now())
    with pytest.raises(InvalidError, match="needs a name"):
        await maintenance.add_window(
            context, projects.ours, maintenance.NewWindow(" ", SOON, Scope()), "ana"
        )
    with pytest.raises(InvalidError, match="between"):
        await maintenance.snooze_check(context, projects.ours, record.id, timedelta(days=99), "a")
    with pytest.raises(ConflictError, match="not snoozed"):
        await maintenance.unsnooze_check(context, projects.ours, record.id, "ana")


async def test_removing_a_window_tells_the_watcher(context: Recorder, projects: Projects) -> None:
    window = await maintenance.add_window(
        context, projects.ours, maintenance.NewWindow("x", SOON, Scope(tag="nas")), "ana"
    )
    assert (window.name, window.scope, window.created_by) == ("x", Scope(tag="nas"), "ana")
    assert context.deadlines == []
    await maintenance.remove_window(context, projects.ours, window.id)
    assert context.deadlines == [context.clock.now()]
    assert await maintenance.list_windows(context, projects.ours) == []


async def test_windows_are_applied_from_a_file_and_exported_the_same(
    context: Recorder, projects: Projects
) -> None:
    hourly = NewCheck(schedule=Period(HOUR), grace=timedelta(minutes=5))
    nightly = Maintenance(frozenset({0, 1}), time(23), time(1), "Europe/Berlin")
    desired = Monitors(
        checks={"backup": CheckSpec(replace(hourly, name="Backup", slug="backup"))},
        windows={
            "nightly": WindowSpec(nightly, check="backup"),
            "move": WindowSpec(SOON, tag="nas"),
            "freeze": WindowSpec(nightly),
        },
    )
    await apply_monitors(context, "", desired, prune=False, dry_run=False)
    exported = await export_monitors(context, "")
    assert exported.windows == desired.windows
    changed = replace(desired, windows={"nightly": WindowSpec(nightly, tag="db")})
    changes = await apply_monitors(context, "", changed, prune=True, dry_run=False)
    assert [str(c) for c in changes if c.what == "window"] == [
        "update window 'nightly' (check, tag)",
        "delete window 'move'",
        "delete window 'freeze'",
    ]
    assert (await export_monitors(context, "")).windows == changed.windows
    assert [w.name for w in await maintenance.list_windows(context, projects.ours)] == ["nightly"]


async def test_a_snooze_is_no_window_of_the_file(context: Recorder, projects: Projects) -> None:
    record = await make_check(context.database, now=context.clock.now(), slug="db")
    await maintenance.snooze_check(context, projects.ours, record.id, HOUR, "ana")
    assert (await export_monitors(context, "")).windows == {}
    assert len(await maintenance.list_windows(context, projects.ours)) == 1


async def test_windows_that_ended_a_week_ago_go_when_the_next_is_added(
    context: Recorder, projects: Projects
) -> None:
    now = context.clock.now()
    ended = OneOff(now - timedelta(days=9), now - timedelta(days=8))
    recent = OneOff(now - timedelta(days=2), now - timedelta(days=1))
    for name, when in (("old", ended), ("recent", recent), ("next", SOON)):
        new = maintenance.NewWindow(name, when, Scope())
        await maintenance.add_window(context, projects.ours, new, "ana")
    names = [w.name for w in await maintenance.list_windows(context, projects.ours)]
    assert names == ["recent", "next"]
