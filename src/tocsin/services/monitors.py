"""A monitors file applied to a project (`tocsin apply`), and a project read in its
terms (`tocsin export`). Applying is one action: the plan (`domain.monitors_plan`),
carried out all or nothing in one write transaction, checks through the same steps as
every front end (`services.checks`, in their `…_in` form), channels and policies
through the store's own. The file's format is the front end's (`tocsin.monitors`)."""

import contextlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa

from tocsin.domain.checks import Status
from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec, WindowSpec
from tocsin.domain.monitors_plan import Change, plan
from tocsin.domain.records import CheckDetails, PolicyRow
from tocsin.domain.windows import Scope, Window
from tocsin.services import checks as check_service
from tocsin.services.checks import CheckOptions, UsePolicy, these_channels
from tocsin.services.context import Context
from tocsin.services.dependencies import set_parents_in, these
from tocsin.services.errors import InvalidError
from tocsin.services.maintenance import release
from tocsin.services.projects import project_id_in
from tocsin.store import channels as channel_store
from tocsin.store import checks as check_store
from tocsin.store import dependencies as dependency_store
from tocsin.store import maintenance as maintenance_store

T = TypeVar("T")


async def apply_monitors(
    context: Context, project: str, desired: Monitors, *, prune: bool, dry_run: bool
) -> list[Change]:
    """Make the project (by name or number; "": the first, made on first use) match
    `desired`, all or nothing: the plan, carried out unless `dry_run`. With `prune`,
    what the project has and `desired` lacks is deleted. An error raised on the way
    (`UnknownProjectError`, a refused check) leaves nothing written."""

    def work(connection: sa.Connection, now: datetime) -> tuple[list[Change], list[datetime]]:
        project_id = project_id_in(connection, project, now)
        current = read_project(connection, project_id, for_update=not dry_run)
        changes = plan(desired, current.monitors, prune=prune)
        if dry_run:
            return changes, []
        return changes, apply_changes(connection, current, desired, changes, now)

    async with context.database.write() as connection:
        changes, deadlines = await connection.run_sync(work, context.clock.now())
    for deadline in deadlines:
        context.deadline_moved(deadline)
    return changes


async def export_monitors(context: Context, project: str) -> Monitors:
    """The project's checks, channels and policies (by name or number; "": the first,
    made on first use), as a monitors file describes them."""
    async with context.database.write() as connection:
        return await connection.run_sync(project_monitors, project, context.clock.now())


def project_monitors(connection: sa.Connection, project: str, now: datetime) -> Monitors:
    return read_project(connection, project_id_in(connection, project, now)).monitors


@dataclass(slots=True)
class Project:
    """A project's monitors, with the rows they were read from, by key."""

    id: int
    monitors: Monitors
    checks: dict[str, CheckDetails]
    channel_ids: dict[str, int]
    policy_ids: dict[str, int]
    windows: dict[str, Window]


def keyed(items: list[T], name: Callable[[T], str], fallback: Callable[[T], str]) -> dict[str, T]:
    """Objects by key: their name (or slug), or their fallback when that is empty or shared."""
    counts = Counter(name(item) for item in items)
    return {
        name(item) if name(item) and counts[name(item)] == 1 else fallback(item): item
        for item in items
    }


def read_project(
    connection: sa.Connection, project_id: int, *, for_update: bool = False
) -> Project:
    """`for_update` locks the checks (PostgreSQL), so no ping changes one in between."""
    rows = channel_store.project_channels(connection, project_id)
    channel_rows = keyed(rows, lambda r: r.name, lambda r: str(r.uuid))
    channel_keys = {row.uuid: key for key, row in channel_rows.items()}
    policy_rows = keyed(
        channel_store.project_policies(connection, project_id),
        lambda p: p.name,
        lambda p: f"{p.name}#{p.id}",
    )
    details = keyed(
        check_store.project_checks(connection, project_id, for_update=for_update),
        lambda d: d.spec.slug,
        lambda d: str(d.record.uuid),
    )
    links = check_links(connection, project_id, channel_keys, policy_rows)
    parents = parent_keys(connection, details)
    check_keys = {d.record.id: key for key, d in details.items()}
    windows = keyed(
        [w for w in maintenance_store.project_windows(connection, project_id) if not w.snooze],
        lambda w: w.name,
        lambda w: f"{w.name}#{w.id}",
    )
    monitors = Monitors(
        {
            key: replace(
                check_spec(d, *links.get(d.record.id, ((), None))),
                depends_on=parents.get(d.record.id, ()),
            )
            for key, d in details.items()
        },
        {key: ChannelSpec(row.kind, row.config) for key, row in channel_rows.items()},
        {key: policy_spec(p, channel_keys) for key, p in policy_rows.items()},
        {key: window_spec(w, check_keys) for key, w in windows.items()},
    )
    return Project(
        project_id,
        monitors,
        dict(details),
        {key: row.id for key, row in channel_rows.items()},
        {key: p.id for key, p in policy_rows.items()},
        windows,
    )


def window_spec(window: Window, check_keys: dict[int, str]) -> WindowSpec:
    check_id = window.scope.check_id
    check = None if check_id is None else check_keys[check_id]
    return WindowSpec(window.when, check, window.scope.tag)


def check_links(
    connection: sa.Connection,
    project_id: int,
    channel_keys: dict[uuid.UUID, str],
    policies: dict[str, PolicyRow[uuid.UUID]],
) -> dict[int, tuple[tuple[str, ...], str | None]]:
    """The channels and the policy of each check, by check id, as keys."""
    channels = channel_store.channel_uuids(connection, project_id=project_id)
    policy_ids = channel_store.check_policies(connection, project_id)
    policy_keys = {p.id: key for key, p in policies.items()}
    return {
        check_id: (
            # In the project's order of channels, so that exports do not shuffle.
            tuple(key for u, key in channel_keys.items() if u in channels.get(check_id, [])),
            policy_keys.get(policy_ids.get(check_id, 0)),
        )
        for check_id in channels.keys() | policy_ids.keys()
    }


def parent_keys(
    connection: sa.Connection, details: dict[str, CheckDetails]
) -> dict[int, tuple[str, ...]]:
    """Each check's parents, by key."""
    keys = {d.record.id: key for key, d in details.items()}
    found = dependency_store.parents_of(connection, list(keys))
    return {
        check_id: tuple(keys[p.id] for p in parents if p.id in keys)
        for check_id, parents in found.items()
    }


def check_spec(details: CheckDetails, channels: tuple[str, ...], policy: str | None) -> CheckSpec:
    # Tags as the file spells them: words and single spaces.
    settings = replace(details.spec, tags=" ".join(details.spec.tags.split()))
    paused = details.record.state.status == Status.PAUSED
    return CheckSpec(settings, paused, channels, policy)


def policy_spec(policy: PolicyRow[uuid.UUID], channel_keys: dict[uuid.UUID, str]) -> PolicySpec:
    steps = tuple((wait, tuple(channel_keys[u] for u in uuids)) for wait, uuids in policy.steps)
    return PolicySpec(steps, policy.repeat_count, policy.repeat_delay, policy.nag_interval)


def apply_changes(
    connection: sa.Connection,
    project: Project,
    desired: Monitors,
    changes: list[Change],
    now: datetime,
) -> list[datetime]:
    """Carry out a plan made against `project`; channels, policies, then checks, so each
    finds the ids of those it names. Returns the deadlines of the checks it changed,
    for the watcher to hear of once committed."""
    deadlines = []
    for change in changes:
        if change.verb == "unchanged":
            continue
        if change.what == "channel":
            apply_channel(connection, project, desired, change, now)
        elif change.what == "policy":
            apply_policy(connection, project, desired, change, now)
        elif change.what == "window":
            apply_window(connection, project, desired, change, now)
        elif (deadline := apply_check(connection, project, desired, change, now)) is not None:
            deadlines.append(deadline)
    apply_dependencies(connection, project, desired, changes)
    return deadlines


def apply_dependencies(
    connection: sa.Connection, project: Project, desired: Monitors, changes: list[Change]
) -> None:
    """Parents once every check exists: those changed are cleared first, so a file that
    turns a dependency around is not refused as a cycle with itself."""
    changed = [
        change.key
        for change in changes
        if change.what == "check"
        and (
            "depends_on" in change.fields
            or (change.verb == "create" and desired.checks[change.key].depends_on)
        )
    ]
    for key in changed:
        dependency_store.set_parents(connection, project.checks[key].record.id, [])
    for key in changed:
        parent_ids = [project.checks[p].record.id for p in desired.checks[key].depends_on]
        with naming_the_check(key):
            set_parents_in(connection, project.id, project.checks[key].record.id, these(parent_ids))


def apply_channel(
    connection: sa.Connection,
    project: Project,
    desired: Monitors,
    change: Change,
    now: datetime,
) -> None:
    if change.verb == "delete":
        channel_store.delete_channel(connection, project.channel_ids.pop(change.key))
        return
    channel = desired.channels[change.key]
    if change.verb == "update":
        channel_id = project.channel_ids[change.key]
        channel_store.update_channel(connection, channel_id, channel.kind, channel.config)
        return
    row = channel_store.insert_channel(
        connection,
        project.id,
        channel.kind,
        change.key,
        channel.config,
        now,
        assign_to_all_checks=False,
    )
    project.channel_ids[change.key] = row.id


def apply_policy(
    connection: sa.Connection,
    project: Project,
    desired: Monitors,
    change: Change,
    now: datetime,
) -> None:
    if change.verb == "delete":
        channel_store.delete_policy(connection, project.policy_ids.pop(change.key))
        return
    policy = desired.policies[change.key]
    steps = [(wait, channel_ids(project, names)) for wait, names in policy.steps]
    options = (policy.repeat_count, policy.repeat_delay, policy.nag_interval)
    if change.verb == "update":
        policy_id = project.policy_ids[change.key]
        values = channel_store.policy_values(change.key, *options)
        # A monitors file names no people: whom each step reaches besides its channels
        # (set in the web app or an API) is kept, step by step.
        [current] = channel_store.project_policies(connection, project.id, policy_id)
        kept = current.reaches[: len(steps)]
        channel_store.update_policy(connection, policy_id, values, steps, kept)
        return
    project.policy_ids[change.key] = channel_store.insert_policy(
        connection,
        project.id,
        change.key,
        steps,
        now,
        repeat_count=policy.repeat_count,
        repeat_delay=policy.repeat_delay,
        nag_interval=policy.nag_interval,
    )


def channel_ids(project: Project, names: tuple[str, ...]) -> list[int]:
    return [project.channel_ids[name] for name in names]


def apply_check(
    connection: sa.Connection, project: Project, desired: Monitors, change: Change, now: datetime
) -> datetime | None:
    """The check's deadline as changed (None: deleted, or none)."""
    if change.verb == "delete":
        check_service.delete_check_in(connection, project.checks.pop(change.key).record.id)
        return None
    check = desired.checks[change.key]
    if change.verb == "create":
        options = replace(links(project, desired, check), paused=check.paused or None)
        with naming_the_check(change.key):
            created = check_service.create_check_in(
                connection, project.id, check.settings, now, options
            )
        project.checks[change.key] = created  # for the parents set once all exist
        return created.record.alert_after
    current = project.checks[change.key]
    fields = set(change.fields)
    settings = None
    if fields - {"paused", "channels", "policy"}:
        # A check keyed by its uuid keeps its slug.
        settings = replace(check.settings, slug=current.spec.slug)
    options = links(project, desired, check) if {"channels", "policy"} & fields else CheckOptions()
    if "paused" in fields:
        options = replace(options, paused=check.paused)
    updated = check_service.update_check_in(connection, current, settings, now, options)
    return updated.record.alert_after


def apply_window(
    connection: sa.Connection,
    project: Project,
    desired: Monitors,
    change: Change,
    now: datetime,
) -> None:
    """A changed window is removed and made anew; what a removed one held comes back."""
    if change.verb in ("delete", "update"):
        window = project.windows.pop(change.key)
        maintenance_store.delete_window(connection, window.id)
        release(connection, window, now)
    if change.verb == "delete":
        return
    spec = desired.windows[change.key]
    check_id = None if spec.check is None else check_keyed(connection, project.id, spec.check)
    scope = Scope(check_id, spec.tag)
    window = Window(0, project.id, change.key, spec.when, scope, "monitors file")
    maintenance_store.insert_window(connection, window, now)


def check_keyed(connection: sa.Connection, project_id: int, key: str) -> int:
    """The id of the project's check a file's key names (its slug, or its uuid)."""
    current = keyed(
        check_store.project_checks(connection, project_id),
        lambda d: d.spec.slug,
        lambda d: str(d.record.uuid),
    )
    if key not in current:
        raise InvalidError("maintenance", f"no check {key!r} in this project")
    return current[key].record.id


@contextlib.contextmanager
def naming_the_check(key: str) -> Iterator[None]:
    """A refusal says which check of the file it is about (a new check needs a name; one
    already nameless, made through Healthchecks' API and exported, may stay so)."""
    try:
        yield
    except InvalidError as error:
        raise InvalidError(error.field, f"checks.{key}.{error.field}: {error.message}") from None


def links(project: Project, desired: Monitors, check: CheckSpec) -> CheckOptions:
    """The channels a check notifies and the policy its incidents follow."""
    ids = channel_ids(project, desired.channels_of(check))
    policy_id = None if check.policy is None else project.policy_ids[check.policy]
    return CheckOptions(channels=these_channels(ids), policy=UsePolicy(policy_id))
