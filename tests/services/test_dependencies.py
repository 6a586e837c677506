"""A check's parents through the services: set with the check, kept by monitors files
(applied and exported), and refused when they would close a cycle."""

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.services.conftest import Projects, Recorder
from tocsin.domain.monitors import CheckSpec, Monitors
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Period
from tocsin.services import checks as check_service
from tocsin.services.checks import CheckOptions
from tocsin.services.dependencies import by_name, by_uuid
from tocsin.services.errors import InvalidError
from tocsin.services.monitors import apply_monitors, export_monitors
from tocsin.store import dependencies as dependency_store

HOURLY = NewCheck(schedule=Period(timedelta(hours=1)), grace=timedelta(minutes=5))


def spec(name: str, *parents: str) -> CheckSpec:
    return CheckSpec(replace(HOURLY, name=name, slug=name), depends_on=parents)


async def test_parents_are_set_with_the_check_and_a_cycle_is_refused(
    context: Recorder, projects: Projects
) -> None:
    nas = await check_service.create_check(context, None, replace(HOURLY, name="nas"))
    project_id = nas.record.project_id
    backup = await check_service.create_check(
        context, project_id, replace(HOURLY, name="backup"), CheckOptions(parents=by_name(["nas"]))
    )
    async with context.database.read() as connection:
        links = await connection.run_sync(dependency_store.links_of, nas.record.id)
    assert [c.name for c in links.children] == ["backup"]

    await check_service.update_check(
        context, project_id, backup.record.id, options=CheckOptions(parents=by_name(["nas"]))
    )
    with pytest.raises(InvalidError, match="nas -> backup -> nas") as raised:
        await check_service.update_check(
            context,
            project_id,
            nas.record.id,
            options=CheckOptions(parents=by_uuid([backup.record.uuid])),
        )
    assert raised.value.field == "parents"


async def test_a_monitors_file_sets_parents_in_any_order_and_exports_them(
    context: Recorder, projects: Projects
) -> None:
    # The child comes first in the file: its parent is made before parents are set.
    desired = Monitors(checks={"backup": spec("backup", "nas"), "nas": spec("nas")})
    await apply_monitors(context, "", desired, prune=False, dry_run=False)
    exported = await export_monitors(context, "")
    assert exported.checks["backup"].depends_on == ("nas",)

    # Turned around in one apply: no cycle with the dependency it replaces.
    turned = Monitors(checks={"backup": spec("backup"), "nas": spec("nas", "backup")})
    changes = await apply_monitors(context, "", turned, prune=False, dry_run=False)
    assert [str(c) for c in changes if c.verb == "update"] == [
        "update check 'backup' (depends_on)",
        "update check 'nas' (depends_on)",
    ]
    exported = await export_monitors(context, "")
    assert (exported.checks["nas"].depends_on, exported.checks["backup"].depends_on) == (
        ("backup",),
        (),
    )


async def test_a_cycle_in_a_monitors_file_is_refused_and_nothing_is_written(
    context: Recorder, projects: Projects
) -> None:
    desired = Monitors(checks={"a": spec("a", "b"), "b": spec("b", "a")})
    with pytest.raises(
        InvalidError, match=r"checks\.b\.parents: that would make a cycle: b -> a -> b"
    ):
        await apply_monitors(context, "", desired, prune=False, dry_run=False)
    assert (await export_monitors(context, "")).checks == {}
