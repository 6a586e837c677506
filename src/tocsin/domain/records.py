"""The records every layer passes around: what the store reads and writes, and what
services and front ends show. Plain data, with only the derived values that belong
to the record itself."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, TypeVar
from uuid import UUID

from tocsin.domain.checks import CheckState, Flip
from tocsin.domain.escalation import Progress
from tocsin.domain.identifiers import name_based_uuid
from tocsin.domain.keywords import NO_RULES as NO_KEYWORDS
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.people import Method, Reach
from tocsin.domain.run_rules import NO_RULES, RunRules
from tocsin.domain.schedule import Maintenance, Period, Schedule

Label = TypeVar("Label")

# Checks, their flips and their settings


@dataclass(frozen=True, slots=True)
class NewCheck:
    """What people set on a check, on creation and later."""

    schedule: Schedule
    grace: timedelta
    name: str = ""
    slug: str = ""
    tags: str = ""
    description: str = ""
    manual_resume: bool = False
    methods: str = ""
    # A cron schedule's zone is its own; this one is kept for period schedules too, as
    # Healthchecks keeps it, so that a later switch to cron uses the zone given before.
    tz: str = "UTC"
    maintenance: Maintenance | None = None
    rules: RunRules = NO_RULES  # rules on runs: durations, interval, thresholds
    keywords: KeywordRules = NO_KEYWORDS


def new_check_defaults(name: str = "", slug: str = "") -> NewCheck:
    """A new check's settings before anything sent is applied, wherever it is made (the
    APIs, auto-provisioning by ping): Healthchecks' daily period and hour of grace."""
    return NewCheck(
        schedule=Period(timedelta(days=1)), grace=timedelta(hours=1), name=name, slug=slug
    )


@dataclass(slots=True)  # not frozen, as in domain.checks: built per ping
class CheckRecord:
    id: int
    project_id: int
    uuid: uuid.UUID
    token: str
    name: str
    slug: str
    tags: str
    description: str
    n_pings: int
    created: datetime
    alert_after: datetime | None
    state: CheckState = field(repr=False)
    # None unless the rules can change a ping (domain.keywords.rules_or_none).
    keywords: KeywordRules | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return self.name or str(self.uuid)


@dataclass(frozen=True, slots=True)
class FlipRecord:
    id: int
    check_id: int
    flip: Flip
    processed: datetime | None


@dataclass(frozen=True, slots=True)
class CheckDetails:
    """A check with what people set on it, for those who show or edit its settings."""

    record: CheckRecord
    spec: NewCheck


# Pings


@dataclass(slots=True)  # not frozen: one is built per ping on the ping path
class Ping:
    """A ping as stored. Listings leave the body out; a ping not yet written has no id."""

    check_id: int
    n: int
    created: datetime
    kind: str
    exit_status: int | None
    rid: uuid.UUID | None
    duration: float | None
    method: str
    scheme: str
    remote_addr: str | None
    ua: str
    body_size: int
    body_truncated: bool
    body: bytes | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class RecentPing:
    """A ping as the checks table's history strip shows it."""

    n: int
    created: datetime
    kind: str
    exit_status: int | None


# Channels and escalation policies


def channel_label(name: str, kind: str, uuid: UUID, config: Any = None) -> str:
    """A channel as every timeline, list and page names it, never empty: its name,
    else an e-mail channel's first address (`email to ops@example.com`), else its kind
    and the start of its uuid (`webhook 3f2a9c1e`). `config` is its settings, as a
    mapping or as their JSON text; only an e-mail channel's are read, never a URL,
    which may hold a secret."""
    if name.strip():
        return name.strip()
    if kind == "email":
        addresses = email_addresses(config)
        if addresses:
            more = f" and {len(addresses) - 1} more" if len(addresses) > 1 else ""
            return f"email to {addresses[0]}{more}"
    return f"{kind} {str(uuid)[:8]}"


def email_addresses(config: Any) -> list[str]:
    if isinstance(config, str):
        try:
            config = json.loads(config)
        except ValueError:
            return []
    to = config.get("to") if isinstance(config, dict) else None
    if isinstance(to, str):
        to = to.split(",")
    if not isinstance(to, list):
        return []
    return [str(address).strip() for address in to if str(address).strip()]


@dataclass(slots=True)
class ChannelRow:
    id: int
    project_id: int
    uuid: uuid.UUID
    name: str
    kind: str
    config: dict[str, Any]
    created: datetime
    disabled: bool
    last_notified: datetime | None
    last_error: str
    last_error_at: datetime | None

    @property
    def label(self) -> str:
        return channel_label(self.name, self.kind, self.uuid, self.config)

    @property
    def failing_since(self) -> datetime | None:
        """The first failed delivery since the channel last delivered one, if it has
        failed since (the notifier keeps `last_error_at` at that first failure)."""
        return self.last_error_at if self.last_error else None


@dataclass(slots=True)
class PolicyRow(Generic[Label]):
    id: int
    name: str
    repeat_count: int
    repeat_delay: timedelta
    nag_interval: timedelta | None
    steps: list[tuple[timedelta, list[Label]]]  # (wait before, channels by their label)
    # Each step's people targets, methods and hours, by position.
    reaches: list[Reach] = field(default_factory=list)


# Incidents and their timelines


class IncidentStatus(StrEnum):
    """An incident's status, in the one set of words Tocsin's own interfaces use (the
    command line, Tocsin's API, the web pages, and the database). `open` rather than
    `started`, which is a check's status (a run has begun). The API dialects put them
    in their own words at their edge: Better Stack's `Started`, `Acknowledged`,
    `Resolved`."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


UNRESOLVED = (IncidentStatus.OPEN, IncidentStatus.ACKNOWLEDGED)


@dataclass(slots=True)
class Incident:
    id: int
    project_id: int
    check_id: int
    status: str
    cause: str
    cause_detail: str
    expected_at: datetime | None
    last_ping: datetime | None
    exit_status: int | None
    body_excerpt: str
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str
    resolved_at: datetime | None
    resolved_by: str
    policy_id: int | None
    next_step: int
    round: int
    next_escalation_at: datetime | None
    next_nag_at: datetime | None
    held_by: int | None = None  # the parent check holding it (domain.dependencies)
    release_at: datetime | None = None  # when the watcher looks at a held one next

    @property
    def progress(self) -> Progress:
        return Progress(self.next_step, self.round, self.next_escalation_at)


@dataclass(slots=True)
class Event:
    id: int
    incident_id: int
    created: datetime
    kind: str
    channel_id: int | None
    attempt: int | None
    message: str
    actor: str


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """Which of a project's incidents a list shows; None leaves a criterion out."""

    opened_from: datetime | None = None  # inclusive
    opened_before: datetime | None = None  # exclusive
    resolved: bool | None = None
    acknowledged: bool | None = None
    check_ids: list[int] | None = field(default=None)
    check_uuid: UUID | None = None
    statuses: tuple[str, ...] | None = None  # any of them
    below_id: int | None = None  # a cursor: only incidents with a smaller id


@dataclass(frozen=True, slots=True)
class IncidentCheck:
    """The check an incident is about, as lists name it."""

    uuid: UUID
    name: str


# Notifications being delivered


@dataclass(slots=True)
class AlertedIncident:
    """What a notification tells of its incident."""

    id: int
    status: str
    cause: str
    cause_detail: str
    exit_status: int | None
    last_ping: datetime | None
    expected_at: datetime | None
    opened_at: datetime
    resolved_at: datetime | None
    body_excerpt: str
    acknowledged_at: datetime | None = None
    acknowledged_by: str = ""


# Channel kinds told when an incident is acknowledged (they render an "ack"
# notification). A channel of another kind hears of it only if it holds a receipt to
# cancel: a Pushover emergency alert, which repeats until then.
ACKNOWLEDGING_KINDS = frozenset({"opsgenie", "pagerduty"})


PERSON_METHOD_WORDS = {
    "pushover": "Pushover",
    "ntfy": "ntfy",
    "telegram": "Telegram",
    "slack": "Slack",
    "phone": "phone",
}


@dataclass(frozen=True, slots=True)
class PersonAddress:
    """A notification's person: one of their contact methods (kind and address), the
    person's account email to name them by, and why they were reached (`on call in
    Primary`)."""

    contact_id: int
    kind: str
    address: str
    email: str
    note: str
    method: str = ""  # a phone's: `sms` or `call`

    @property
    def reached(self) -> str:
        """`emailed alice@example.com (on call in Primary)`, as the timeline says it."""
        if self.kind == "email":
            words = f"emailed {self.address}"
        elif self.kind == "phone":
            verb = "called" if self.method == "call" else "sent an SMS to"
            words = f"{verb} {self.email} at {self.address}"
        else:
            words = f"sent by {PERSON_METHOD_WORDS.get(self.kind, self.kind)} to {self.email}"
        return f"{words} ({self.note})" if self.note else words

    @property
    def label(self) -> str:
        return f"{self.email} by {PERSON_METHOD_WORDS.get(self.kind, self.kind)}"


@dataclass(slots=True)
class Delivery:
    """A claimed notification with all it takes to send it: to a channel, or to a
    person's contact method (`person`; `channel_id` is then None and `channel_uuid`
    the contact method's)."""

    notification_id: int
    attempt: int
    lease_until: datetime
    created: datetime  # when it was due first: its age limit counts from here
    kind: str
    channel_id: int | None
    channel_uuid: UUID
    channel_kind: str
    channel_name: str
    channel_config: str
    check_name: str
    check_uuid: UUID
    check_tags: str
    incident: AlertedIncident | None
    person: PersonAddress | None = None
    # What earlier alerts of the incident to this channel left to cancel (Pushover's
    # emergency receipts), for an acknowledgement or a recovery.
    receipts: tuple[str, ...] = ()
    # The checks whose incidents the incident's check holds (a down parent's alert).
    holding: tuple[str, ...] = ()

    @property
    def channel_label(self) -> str:
        if self.person is not None:
            return self.person.label
        return channel_label(
            self.channel_name, self.channel_kind, self.channel_uuid, self.channel_config
        )

    @property
    def key(self) -> str:
        """The notification's id for receivers, the same on every attempt: they drop
        a retry of what they already have by it. Derived, not stored: the channel's
        random uuid makes the row's id unique beyond this database."""
        return name_based_uuid(self.channel_uuid, str(self.notification_id))


# Better Stack heartbeat groups


@dataclass(frozen=True, slots=True)
class Group:
    id: int
    project_id: int
    name: str
    sort_index: int | None
    paused: bool
    created: datetime
    updated: datetime


@dataclass(frozen=True, slots=True)
class Place:
    """A check's group and its place; neither, for a check outside any group."""

    group_id: int | None = None
    sort_index: int | None = None


@dataclass(frozen=True, slots=True)
class AlertFlags:
    """Better Stack's simple alerting of a heartbeat without a policy: the person on
    call is reached by the methods set (`critical_alert` is a push that must get
    through), then the entire team after `team_wait` (None: never). No method set:
    the check only notifies its channels."""

    email: bool = False
    sms: bool = False
    call: bool = False
    push: bool = False
    critical_alert: bool = False
    team_wait: timedelta | None = None

    @property
    def methods(self) -> frozenset[Method]:
        """How the people are reached; a critical alert is a push."""
        chosen = {
            Method.EMAIL: self.email,
            Method.SMS: self.sms,
            Method.CALL: self.call,
            Method.PUSH: self.push or self.critical_alert,
        }
        return frozenset(method for method, on in chosen.items() if on)


@dataclass(frozen=True, slots=True)
class HeartbeatFacts:
    """What a heartbeat shows that `CheckDetails` does not carry."""

    updated: datetime
    policy_id: int | None
    place: Place
    paused_at: datetime | None
    alerts: AlertFlags = field(default_factory=AlertFlags)


# API keys


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    project_id: int
    project_name: str
    name: str
    read_only: bool
    prefix: str
    created: datetime
    last_used: datetime | None
    revoked: datetime | None

    @property
    def label(self) -> str:
        return self.name or f"{self.prefix}…"


# People, their projects and sessions


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    is_admin: bool
    created: datetime


@dataclass(frozen=True, slots=True)
class Membership:
    project_id: int
    project_name: str
    role: str


@dataclass(frozen=True, slots=True)
class WebSession:
    id: int
    user: User
    csrf_token: str


@dataclass(frozen=True, slots=True)
class PendingInvitation:
    id: int
    project_id: int
    email: str
    role: str
    invited_by: str
    created: datetime
    expires: datetime
