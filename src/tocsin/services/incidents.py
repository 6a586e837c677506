"""What people do to an incident: acknowledge it, resolve it by hand, comment on it,
delete it. Each names the incident by number within the acting project (None: any
project, for the command line and the alert's signed link), runs `alerts.incidents`'
own steps in one transaction, and wakes the notifier for what it queued."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from tocsin.alerts import incidents as machinery
from tocsin.domain.records import Incident
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, NotFoundError
from tocsin.store import incidents as incident_store

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Resolution:
    """A resolved incident, and how many recovery notices went out for it."""

    incident: Incident
    notices: int


def locked_incident(
    connection: sa.Connection, project_id: int | None, incident_id: int
) -> Incident:
    """The incident, locked for the change; `NotFoundError` if it is not the project's."""
    found = incident_store.get_incident(connection, incident_id, for_update=True)
    if found is None or (project_id is not None and found.project_id != project_id):
        raise NotFoundError(f"no incident {incident_id}")
    return found


def reread(connection: sa.Connection, incident_id: int) -> Incident:
    found = incident_store.get_incident(connection, incident_id)
    assert found is not None  # it was locked in this transaction
    return found


async def change(
    context: Context,
    project_id: int | None,
    incident_id: int,
    step: Callable[[sa.Connection, Incident], T],
) -> tuple[Incident, T]:
    """Run `step` on the locked incident; an action that does not apply to it
    (resolving a resolved incident) is a `ConflictError`."""

    def work(connection: sa.Connection) -> tuple[Incident, T]:
        incident = locked_incident(connection, project_id, incident_id)
        try:
            result = step(connection, incident)
        except machinery.IncidentError as error:
            raise ConflictError(str(error)) from None
        return reread(connection, incident_id), result

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def acknowledge(
    context: Context, project_id: int | None, incident_id: int, by: str, how: str
) -> Incident:
    """Stop escalation and reminders; the incident stays open. Acknowledging twice
    changes nothing; a resolved incident is a `ConflictError`. `how`: "via …" on the timeline."""
    now = context.clock.now()

    def step(connection: sa.Connection, incident: Incident) -> int:
        return machinery.acknowledge(connection, incident, now, by, how)

    incident, told = await change(context, project_id, incident_id, step)
    if told:
        context.wake_notifier()
    return incident


async def resolve(
    context: Context, project_id: int | None, incident_id: int, by: str
) -> Resolution:
    """Close the incident by hand; the channels that were alerted hear of the recovery."""
    now = context.clock.now()

    def step(connection: sa.Connection, incident: Incident) -> int:
        return machinery.resolve(connection, incident, now, by)

    incident, notices = await change(context, project_id, incident_id, step)
    if notices:
        context.wake_notifier()
    return Resolution(incident, notices)


async def comment(
    context: Context, project_id: int | None, incident_id: int, by: str, text: str
) -> Incident:
    """Add `text` to the incident's timeline."""
    now = context.clock.now()

    def step(connection: sa.Connection, incident: Incident) -> None:
        machinery.comment(connection, incident, now, by, text)

    incident, _ = await change(context, project_id, incident_id, step)
    return incident


async def delete_incident(context: Context, project_id: int, incident_id: int) -> None:
    """Delete the incident and its timeline. An open one leaves its check down without
    an incident until it recovers and fails again."""

    def work(connection: sa.Connection) -> None:
        incident = locked_incident(connection, project_id, incident_id)
        incident_store.delete_incident(connection, incident.id)

    async with context.database.write() as connection:
        await connection.run_sync(work)
