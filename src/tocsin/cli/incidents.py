"""`tocsin incident …`: list incidents, read their timeline, acknowledge, resolve, comment."""

import json
from typing import Any

import sqlalchemy as sa
import typer
from rich.table import Table

from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings, reading
from tocsin.cli.helpscreens import Group
from tocsin.domain.clock import SystemClock
from tocsin.domain.describe import incident_span, stamp
from tocsin.domain.records import Event, Incident
from tocsin.store import dependencies as dependency_store
from tocsin.store import incidents as store
from tocsin.store.dependencies import Holds
from tocsin.store.incidents import incident_of
from tocsin.store.tables import checks, incidents

app = typer.Typer(
    cls=Group,
    help="Incidents: what went down, who knows, and what happened since.",
    no_args_is_help=True,
)

ID_ARGUMENT = typer.Argument(..., help="The incident's number.")
BY_OPTION = typer.Option("", "--by", help="Who you are, for the timeline.")


def listed(connection: sa.Connection, everything: bool) -> list[tuple[Incident, str]]:
    query = (
        sa.select(incidents, checks.c.name.label("check_name"))
        .join(checks, checks.c.id == incidents.c.check_id)
        .order_by(incidents.c.opened_at.desc(), incidents.c.id.desc())
    )
    if not everything:
        query = query.where(incidents.c.status.in_(store.OPEN))
    rows = connection.execute(query).all()
    return [(incident_of(row), row.check_name) for row in rows]


@app.command("list")
def list_command(
    everything: bool = typer.Option(False, "--all", help="Include resolved incidents."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List open incidents (with --all, past ones too), newest first."""
    with fail_on_errors():
        found = reading(load_settings(), lambda c: listed(c, everything))
        if as_json:
            console.print_json(json.dumps([incident_json(i, name) for i, name in found]))
            return
        now = SystemClock().now()
        table = Table("#", "Check", "Status", "Cause", "Opened", "How long")
        for incident, name in found:
            table.add_row(
                str(incident.id),
                name,
                incident.status,
                incident.cause_detail,
                stamp(incident.opened_at),
                incident_span(incident, now),
            )
        console.print(table if found else "No open incidents.")


def incident_json(incident: Incident, check_name: str) -> dict[str, Any]:
    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    return {
        "id": incident.id,
        "check": check_name,
        "status": incident.status,
        "cause": incident.cause,
        "cause_detail": incident.cause_detail,
        "opened_at": iso(incident.opened_at),
        "acknowledged_at": iso(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by,
        "resolved_at": iso(incident.resolved_at),
        "resolved_by": incident.resolved_by,
    }


def find(connection: sa.Connection, incident_id: int) -> Incident:
    incident = store.get_incident(connection, incident_id)
    if incident is None:
        raise CommandError(f"no incident {incident_id}")
    return incident


@app.command("show")
def show(
    incident_id: int = ID_ARGUMENT,
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Show an incident and its timeline."""
    with fail_on_errors():

        def work(connection: sa.Connection) -> tuple[Incident, list[Event], Holds]:
            incident = find(connection, incident_id)
            holds = dependency_store.incident_holds(connection, incident)
            return incident, store.events_of(connection, incident_id), holds

        incident, events, (held_by, holding) = reading(load_settings(), work)
        if as_json:
            document = incident_json(incident, "")
            document.update(held_by=held_by, holding=holding)
            document["timeline"] = [event_json(e) for e in events]
            console.print_json(json.dumps(document))
            return
        console.print(f"Incident {incident.id}: {incident.status} — {incident.cause_detail}")
        console.print(span_line(incident), markup=False)
        if held_by:
            console.print(f"Held: parent {held_by} is down; it notifies nobody.", markup=False)
        if holding:
            console.print(f"Holding: {', '.join(holding)} (they depend on it).", markup=False)
        if incident.body_excerpt:
            console.print(incident.body_excerpt, markup=False)
        for event in events:
            actor = f" by {event.actor}" if event.actor else ""
            console.print(
                f"  {stamp(event.created)}  {event.kind}{actor}: {event.message}", markup=False
            )


def span_line(incident: Incident) -> str:
    """`Open for 3m.`, or when and by whom it was resolved, after how long."""
    span = incident_span(incident, SystemClock().now())
    line = span[0].upper() + span[1:]
    if incident.resolved_at is not None:
        by = f" by {incident.resolved_by}" if incident.resolved_by else ""
        line = f"Resolved {stamp(incident.resolved_at)}{by}, {span.removeprefix('resolved ')}"
    return line + "."


def event_json(event: Event) -> dict[str, Any]:
    return {
        "at": event.created.isoformat(),
        "kind": event.kind,
        "actor": event.actor,
        "message": event.message,
        "channel_id": event.channel_id,
        "attempt": event.attempt,
    }


BY_CLI = "cli"

# The commands that change an incident import `tocsin.services.incidents` (and the
# alerting behind it) when they run: `incident list` and `show` only read.


@app.command("ack")
def ack(incident_id: int = ID_ARGUMENT, by: str = BY_OPTION) -> None:
    """Acknowledge an incident: escalation and reminders stop."""
    from tocsin.services import incidents as incident_service

    with fail_on_errors():
        act(
            load_settings(),
            lambda context: incident_service.acknowledge(
                context, None, incident_id, by or BY_CLI, "the CLI"
            ),
        )
        console.print(f"Acknowledged incident {incident_id}.")


@app.command("resolve")
def resolve(incident_id: int = ID_ARGUMENT, by: str = BY_OPTION) -> None:
    """Resolve an incident by hand; notified channels hear of the recovery."""
    from tocsin.services import incidents as incident_service

    with fail_on_errors():
        resolution = act(
            load_settings(),
            lambda context: incident_service.resolve(context, None, incident_id, by or BY_CLI),
        )
        queued = resolution.notices
        console.print(f"Resolved incident {incident_id}; {queued} recovery notice(s) queued.")


@app.command("comment")
def comment(
    incident_id: int = ID_ARGUMENT,
    text: str = typer.Argument(..., help="What to add to the timeline."),
    by: str = BY_OPTION,
) -> None:
    """Add a comment to an incident's timeline."""
    from tocsin.services import incidents as incident_service

    with fail_on_errors():
        act(
            load_settings(),
            lambda context: incident_service.comment(
                context, None, incident_id, by or BY_CLI, text
            ),
        )
        console.print(f"Commented on incident {incident_id}.")


@app.command("snooze")
def snooze(
    incident_id: int = ID_ARGUMENT,
    length: str = typer.Argument(..., help="How long, such as 2h or 30m."),
    by: str = BY_OPTION,
) -> None:
    """Snooze an incident: no escalation steps or reminders until it wakes."""
    from tocsin.domain.durations import parse_duration
    from tocsin.services import maintenance

    with fail_on_errors():
        duration = parse_duration(length)
        act(
            load_settings(),
            lambda context: maintenance.snooze_incident(
                context, None, incident_id, duration, by or BY_CLI
            ),
        )
        console.print(f"Snoozed incident {incident_id} for {length}.")


@app.command("unsnooze")
def unsnooze(incident_id: int = ID_ARGUMENT, by: str = BY_OPTION) -> None:
    """Wake a snoozed incident: what it held back runs now."""
    from tocsin.services import maintenance

    with fail_on_errors():
        act(
            load_settings(),
            lambda context: maintenance.unsnooze_incident(context, None, incident_id, by or BY_CLI),
        )
        console.print(f"Incident {incident_id} is awake.")
