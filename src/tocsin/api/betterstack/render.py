"""Heartbeats, heartbeat groups, incidents, their timelines and escalation policies in
Better Stack's JSON:API-like shapes. Pure.

Statuses. A heartbeat is `pending` while the check is new, `up` while it is up or late
(inside its grace: Better Stack only turns a heartbeat down after period + grace),
`down`, and `paused`. A run in progress (Tocsin's `started`) shows the status the check
would have without it. An incident is `Started`, `Acknowledged` or `Resolved`.

The ping URL (`url`) is a secret: a read-only key sees null, as it sees no ping URL in
the Healthchecks dialect. A heartbeat's `email`, `call`, `sms`, `push`,
`critical_alert` and `team_wait` are its simple alerting as stored; `team_name` is
null (Tocsin has no teams).
Better Stack's heartbeats only have periods, and `period` is always a number there: a
check on a cron schedule shows the gap between its runs seen most often (86400 for
`0 2 * * *`), as a Better Stack user watching that job would have set it.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tocsin.api.betterstack.members import member_json
from tocsin.domain.checks import Status, settled_status
from tocsin.domain.people import Target
from tocsin.domain.records import (
    AlertFlags,
    CheckDetails,
    Event,
    Group,
    HeartbeatFacts,
    Incident,
    IncidentStatus,
    PolicyRow,
)
from tocsin.domain.schedule import WEEKDAYS, Maintenance, typical_interval

HEARTBEAT_STATUSES = {
    Status.NEW: "pending",
    Status.UP: "up",
    Status.LATE: "up",
    Status.DOWN: "down",
    Status.PAUSED: "paused",
}
# Better Stack's words for Tocsin's incident statuses, used at this edge only.
INCIDENT_STATUSES: dict[str, str] = {
    IncidentStatus.OPEN: "Started",
    IncidentStatus.ACKNOWLEDGED: "Acknowledged",
    IncidentStatus.RESOLVED: "Resolved",
}
COMMENT = "comment"

NOTHING_TO_CALL: dict[str, Any] = {
    "call": False,
    "sms": False,
    "push": False,
    "critical_alert": False,
    "team_wait": None,
    "team_name": None,
}


def maintenance_json(window: Maintenance | None) -> dict[str, Any]:
    if window is None:
        return {
            "maintenance_days": [],
            "maintenance_from": None,
            "maintenance_to": None,
            "maintenance_timezone": "UTC",
        }
    return {
        "maintenance_days": [WEEKDAYS[day] for day in sorted(window.days)],
        "maintenance_from": window.start.isoformat(),
        "maintenance_to": window.end.isoformat(),
        "maintenance_timezone": window.tz,
    }


def timestamp(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds and `Z`, as Better Stack writes times."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def resource(kind: str, object_id: int, attributes: dict[str, Any]) -> dict[str, Any]:
    return {"id": str(object_id), "type": kind, "attributes": attributes}


def heartbeat_status(details: CheckDetails, now: datetime) -> str:
    return HEARTBEAT_STATUSES[settled_status(details.record.state, now)]


@dataclass(frozen=True, slots=True)
class Presenter:
    """Renders for one request: where Tocsin is, the kind of key and the moment."""

    base_url: str
    read_only: bool
    now: datetime

    def ping_url(self, token: str) -> str | None:
        return None if self.read_only else f"{self.base_url}/api/v1/heartbeat/{token}"

    def heartbeat(self, details: CheckDetails, facts: HeartbeatFacts) -> dict[str, Any]:
        record, spec = details.record, details.spec
        period = typical_interval(spec.schedule, self.now)
        attributes = {
            "url": self.ping_url(record.token),
            "name": spec.name,
            "period": round(period.total_seconds()),
            "grace": round(spec.grace.total_seconds()),
            **flags_json(facts.alerts),
            "team_name": None,
            "policy_id": facts.policy_id,
            "heartbeat_group_id": facts.place.group_id,
            "sort_index": facts.place.sort_index,
            "paused": record.state.status == Status.PAUSED,
            "paused_at": timestamp(facts.paused_at),
            **maintenance_json(record.state.maintenance),
            "status": heartbeat_status(details, self.now),
            "created_at": timestamp(record.created),
            "updated_at": timestamp(facts.updated),
        }
        return resource("heartbeat", record.id, attributes)


def flags_json(flags: AlertFlags) -> dict[str, Any]:
    wait = flags.team_wait
    return {
        "email": flags.email,
        "call": flags.call,
        "sms": flags.sms,
        "push": flags.push,
        "critical_alert": flags.critical_alert,
        "team_wait": None if wait is None else round(wait.total_seconds()),
    }


def group_json(group: Group) -> dict[str, Any]:
    attributes = {
        "name": group.name,
        "sort_index": group.sort_index,
        "paused": group.paused,
        "team_name": None,
        "created_at": timestamp(group.created),
        "updated_at": timestamp(group.updated),
    }
    return resource("heartbeat_group", group.id, attributes)


def incident_json(incident: Incident, check_name: str) -> dict[str, Any]:
    attributes = {
        "name": check_name,
        "url": None,
        "cause": incident.cause_detail or incident.cause,
        "started_at": timestamp(incident.opened_at),
        "acknowledged_at": timestamp(incident.acknowledged_at),
        "acknowledged_by": incident.acknowledged_by or None,
        "resolved_at": timestamp(incident.resolved_at),
        "resolved_by": incident.resolved_by or None,
        "status": INCIDENT_STATUSES.get(incident.status, incident.status),
        "heartbeat_id": incident.check_id,
        "monitor_id": None,
        "escalation_policy_id": incident.policy_id,
        "response_content": incident.body_excerpt or None,
        "metadata": {},
        **NOTHING_TO_CALL,
        "email": False,
    }
    return resource("incident", incident.id, attributes)


def timeline_item(event: Event) -> dict[str, Any]:
    """A timeline event: a comment as Better Stack's `comment`, anything else as a
    `generic` item whose title is the event's kind (opened, escalated, sent …)."""
    attributes = {
        "item_type": COMMENT if event.kind == COMMENT else "generic",
        "at": timestamp(event.created),
        "data": {"title": event.kind, "content": event.message, "author": event.actor or None},
    }
    return resource("incident_timeline_item", event.id, attributes)


def targets_of(policy: PolicyRow[uuid.UUID], position: int) -> tuple[Target, ...]:
    return policy.reaches[position].targets if position < len(policy.reaches) else ()


def policy_json(policy: PolicyRow[uuid.UUID], emails: dict[int, str]) -> dict[str, Any]:
    """`emails` names the members the steps reach."""
    steps = [
        {
            "type": "escalation",
            "wait_before": round(wait.total_seconds()),
            "urgency_id": None,
            "step_members": [{"type": "channel", "id": str(c)} for c in channel_uuids]
            + [member_json(target, emails) for target in targets_of(policy, position)],
        }
        for position, (wait, channel_uuids) in enumerate(policy.steps)
    ]
    nag = policy.nag_interval
    attributes = {
        "name": policy.name,
        "repeat_count": policy.repeat_count,
        "repeat_delay": round(policy.repeat_delay.total_seconds()),
        "nag_interval": None if nag is None else round(nag.total_seconds()),
        "steps": steps,
        "incident_token": None,
        "policy_group_id": None,
        "fallback_policy_id": None,
        "team_name": None,
    }
    return resource("policy", policy.id, attributes)
