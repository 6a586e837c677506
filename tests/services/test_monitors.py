"""A monitors file applied to a project, and a project exported, through
`services.monitors` on a real database: all or nothing, in one transaction."""

from dataclasses import replace
from datetime import timedelta

import pytest

from tests.services.conftest import Projects, Recorder
from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec
from tocsin.domain.monitors_plan import Change
from tocsin.domain.people import Method, Reach, Target, TargetKind
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Period
from tocsin.services.errors import InvalidError
from tocsin.services.monitors import apply_monitors, export_monitors, read_project
from tocsin.services.projects import UnknownProjectError
from tocsin.store.channels import project_policies, update_policy

HOURLY = NewCheck(schedule=Period(timedelta(hours=1)), grace=timedelta(minutes=5))
DESIRED = Monitors(
    checks={
        "backup": CheckSpec(replace(HOURLY, name="Backup", slug="backup"), policy="escalate"),
        "queue": CheckSpec(
            replace(HOURLY, name="Queue", slug="queue"), paused=True, channels=("ops",)
        ),
    },
    channels={
        "ops": ChannelSpec("slack", {"url": "https://hooks.slack.com/services/T0/B0/x"}),
        "mail": ChannelSpec("email", {"to": ["ops@example.com"]}),
    },
    policies={
        "escalate": PolicySpec(
            steps=((timedelta(0), ("mail",)), (timedelta(minutes=10), ("ops",))),
            repeat_count=2,
            repeat_delay=timedelta(minutes=30),
        )
    },
)


async def stored(context: Recorder, project_id: int) -> Monitors:
    async with context.database.read() as connection:
        return (await connection.run_sync(read_project, project_id)).monitors


def verbs(changes: list[Change]) -> list[str]:
    return [f"{change.verb} {change.what} {change.key}" for change in changes]


async def test_applying_creates_then_updates_and_deletes_what_the_file_says(
    context: Recorder, projects: Projects
) -> None:
    created = await apply_monitors(context, "Other", DESIRED, prune=False, dry_run=False)
    assert verbs(created) == [
        "create channel ops",
        "create channel mail",
        "create policy escalate",
        "create check backup",
        "create check queue",
    ]
    assert await stored(context, projects.theirs) == replace(
        DESIRED,
        checks={
            **DESIRED.checks,
            "backup": replace(DESIRED.checks["backup"], channels=("ops", "mail")),
        },
    )
    assert await stored(context, projects.ours) == Monitors()

    fewer = Monitors(
        checks={"queue": replace(DESIRED.checks["queue"], paused=False)},
        channels={"ops": DESIRED.channels["ops"]},
    )
    changed = await apply_monitors(context, "Other", fewer, prune=True, dry_run=False)
    assert verbs(changed) == [
        "unchanged channel ops",
        "delete channel mail",
        "delete policy escalate",
        "update check queue",
        "delete check backup",
    ]
    assert await stored(context, projects.theirs) == fewer
    assert await export_monitors(context, "Other") == fewer


async def test_a_dry_run_plans_and_writes_nothing(context: Recorder, projects: Projects) -> None:
    planned = await apply_monitors(context, "Other", DESIRED, prune=True, dry_run=True)
    assert len(planned) == 5
    assert {change.verb for change in planned} == {"create"}
    assert await stored(context, projects.theirs) == Monitors()


async def test_a_plan_refused_halfway_leaves_nothing_written(
    context: Recorder, projects: Projects
) -> None:
    # The checks come last: by then the channels and the policy are written.
    broken = replace(
        DESIRED, checks={"orphan": CheckSpec(replace(HOURLY, slug="orphan"), policy="nowhere")}
    )
    with pytest.raises(KeyError):
        await apply_monitors(context, "Other", broken, prune=False, dry_run=False)
    assert await stored(context, projects.theirs) == Monitors()


async def test_an_unknown_project_is_refused_with_the_known_ones(
    context: Recorder, projects: Projects
) -> None:
    with pytest.raises(UnknownProjectError) as refused:
        await apply_monitors(context, "Nowhere", DESIRED, prune=False, dry_run=False)
    assert refused.value.known == ["Default", "Other"]
    assert await stored(context, projects.ours) == Monitors()


async def test_with_no_project_named_the_first_one_is_made_and_used(context: Recorder) -> None:
    await apply_monitors(context, "", DESIRED, prune=False, dry_run=False)
    exported = await export_monitors(context, "")
    assert list(exported.checks) == ["backup", "queue"]
    assert list(exported.channels) == ["ops", "mail"]


async def test_a_new_check_without_a_name_is_refused_naming_it(
    context: Recorder, projects: Projects
) -> None:
    nameless = Monitors(checks={"queue": CheckSpec(replace(HOURLY, name=" ", slug="queue"))})
    with pytest.raises(InvalidError, match=r"checks\.queue\.name: a check needs a name"):
        await apply_monitors(context, "Other", nameless, prune=False, dry_run=False)
    assert await stored(context, projects.theirs) == Monitors()


async def test_a_file_that_changes_a_policy_keeps_the_people_its_steps_reach(
    context: Recorder, projects: Projects
) -> None:
    await apply_monitors(context, "Other", DESIRED, prune=False, dry_run=False)
    async with context.database.write() as connection:
        [policy] = await connection.run_sync(project_policies, projects.theirs)
        on_call = Reach((Target(TargetKind.ON_CALL),), frozenset({Method.EMAIL}))
        await connection.run_sync(
            update_policy, policy.id, {}, [(w, []) for w, _ in policy.steps], [on_call, Reach()]
        )
    longer = PolicySpec(steps=((timedelta(0), ("ops",)),), repeat_count=1)
    changed = replace(DESIRED, policies={"escalate": longer})
    assert "update policy escalate" in verbs(
        await apply_monitors(context, "Other", changed, prune=False, dry_run=False)
    )
    async with context.database.read() as connection:
        [kept] = await connection.run_sync(project_policies, projects.theirs)
    assert kept.reaches == [on_call]
