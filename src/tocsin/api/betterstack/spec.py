"""What a Better Stack client may send for heartbeats, heartbeat groups and escalation
policies, validated strictly (wrong types, unknown attributes and out-of-range values
are refused by name), and the pure steps from a valid request to Tocsin's settings.

Heartbeats. `name`, `period` (30 s to 365 days) and `grace` (0 to 365 days) are
required on creation. `paused` pauses and resumes through the same store step as
`tocsin check pause/resume`. `email`, `sms`, `call`, `push`, `critical_alert` and
`team_wait` are Better Stack's simple alerting, stored as sent: with no policy, a check
with any of those methods reaches whoever is on call in the project's default calendar
by them at once (a critical alert is a push), and the entire team `team_wait` seconds
later (null: never), beside the channels it notifies. `policy_id` names a Tocsin
escalation policy of the project, `heartbeat_group_id` a heartbeat group; both are
taken as numbers or numeric strings. `sort_index` is kept and shown.

What Tocsin lacks is accepted only with its neutral value, so a heartbeat read from
the API can be sent back as it is, and refused with a 422 that says so otherwise:
`server_timezone` and `team_name` (null).

Maintenance windows are Tocsin's own (`schedule.Maintenance`): `maintenance_days`
(weekday names `mon`…`sun`; null or [] for none), `maintenance_from` and
`maintenance_to` (`HH:MM:SS`, required with days), and `maintenance_timezone`, an IANA
zone (Better Stack's Rails names such as `Amsterdam` are refused with the IANA form to
use); a PATCH changes the parts it sends.

Policies. Only `escalation` steps: `wait_before` seconds, `urgency_id` null (Tocsin has
no severities: a step reaches people by e-mail and push), and `step_members`, whose
types are `members`'s (channels by uuid, the person on call, the entire team, a user,
another policy, every channel of a kind); `fallback_policy_id` and `policy_group_id`
must be null. Tocsin's `nag_interval` (seconds, or null) is accepted too.
"""

import uuid
from collections.abc import Callable
from datetime import time
from typing import Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from tocsin.api.betterstack.http import InvalidAttributesError
from tocsin.domain.numbers import whole_number
from tocsin.domain.schedule import (
    WEEKDAYS,
    Maintenance,
    ScheduleError,
    clock_time,
    validate_timezone,
    weekdays,
)

MIN_PERIOD = 30
MAX_SECONDS = 31_536_000
MAX_INT = 2**31 - 1  # the database's integer columns
MAX_STEPS = 50
MAX_MEMBERS = 100

MESSAGES = {
    "missing": "Can't be blank.",
    "extra_forbidden": "is not an attribute Tocsin knows.",
    "string_type": "must be a string.",
    "string_too_long": "is too long (at most {max_length} characters).",
    "string_too_short": "Can't be blank.",
    "int_type": "must be a whole number.",
    "bool_type": "must be true or false.",
    "greater_than_equal": "must be at least {ge}.",
    "less_than_equal": "must be at most {le}.",
    "list_type": "must be an array.",
    "too_long": "has too many items (at most {max_length}).",
    "literal_error": "must be {expected}.",
    "model_type": "must be an object.",
    "model_attributes_type": "must be an object.",
    "none_required": "must be null.",
}

# Why a neutral value is all Tocsin takes for these, said instead of the bare rule.
UNSUPPORTED = {
    "team_name": "Tocsin has no teams: only null.",
    "server_timezone": "Tocsin has no server time zones: only null.",
    "fallback_policy_id": "Tocsin has no fallback policies: only null.",
    "policy_group_id": "Tocsin has no policy groups: only null.",
    "incident_token": "Tocsin has no incident tokens: only null.",
    "urgency_id": "Tocsin has no severities (a step notifies channels): only null.",
}

Identifier = int | str
M = TypeVar("M", bound=BaseModel)


class Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def storable(cls, value: Any) -> Any:
        # PostgreSQL refuses NUL in text (pydantic itself refuses lone surrogates).
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("unstorable", "must not contain a NUL character.")
        return value


class HeartbeatSpec(Strict):
    """Every attribute optional: creation checks the required ones separately, so a
    PATCH changes what it sends and nothing else."""

    name: str | None = Field(None, min_length=1, max_length=100)
    period: int | None = Field(None, ge=MIN_PERIOD, le=MAX_SECONDS)
    grace: int | None = Field(None, ge=0, le=MAX_SECONDS)
    paused: bool | None = None
    email: bool | None = None
    policy_id: Identifier | None = None
    heartbeat_group_id: Identifier | None = None
    sort_index: int | None = Field(None, ge=-MAX_INT, le=MAX_INT)
    call: bool | None = None
    sms: bool | None = None
    push: bool | None = None
    critical_alert: bool | None = None
    team_wait: int | None = Field(None, ge=0, le=MAX_SECONDS)
    maintenance_days: list[str] | None = Field(None, max_length=7)
    maintenance_from: str | None = Field(None, max_length=20)
    maintenance_to: str | None = Field(None, max_length=20)
    maintenance_timezone: str | None = Field(None, max_length=64)
    server_timezone: None = None
    team_name: None = None


REQUIRED_ON_CREATE = ("name", "period", "grace")


class GroupSpec(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    sort_index: int | None = Field(None, ge=-MAX_INT, le=MAX_INT)
    paused: bool | None = None
    team_name: None = None


class MemberSpec(Strict):
    """A step member; which types there are and what each needs is `members`'s."""

    type: str = Field(max_length=60)
    id: Identifier | None = None
    email: str | None = Field(None, max_length=254)
    user_ids: list[Identifier] | None = Field(None, max_length=MAX_MEMBERS)

    @model_validator(mode="after")
    def channel_uuid(self) -> "MemberSpec":
        if self.type == "channel":
            try:
                uuid.UUID(str(self.id))
            except ValueError:
                raise PydanticCustomError("channel_uuid", "must be a channel's uuid.") from None
        return self


class StepSpec(Strict):
    type: Literal["escalation"] = "escalation"
    wait_before: int = Field(0, ge=0, le=MAX_SECONDS)
    urgency_id: None = None
    step_members: list[MemberSpec] = Field(default_factory=list, max_length=MAX_MEMBERS)


class PolicySpec(Strict):
    name: str | None = Field(None, min_length=1, max_length=100)
    repeat_count: int | None = Field(None, ge=0, le=100)
    repeat_delay: int | None = Field(None, ge=0, le=MAX_SECONDS)
    nag_interval: int | None = Field(None, ge=60, le=MAX_SECONDS)
    steps: list[StepSpec] | None = Field(None, max_length=MAX_STEPS)
    fallback_policy_id: None = None
    policy_group_id: None = None
    team_name: None = None
    incident_token: None = None


def parse(model: type[M], body: dict[str, Any]) -> M:
    try:
        return model.model_validate(body)
    except ValidationError as error:
        raise InvalidAttributesError(attribute_errors(error)) from None


def attribute_errors(error: ValidationError) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        field = ".".join(location) or "body"
        last = location[-1] if location else ""
        message = UNSUPPORTED.get(last) or message_of(problem)
        found.setdefault(field, []).append(message)
    return found


def message_of(problem: Any) -> str:
    template = MESSAGES.get(problem["type"])
    if template is None:
        return str(problem["msg"]).removeprefix("Value error, ")
    return template.format(**problem.get("ctx", {}))


def require(body: dict[str, Any], fields: tuple[str, ...]) -> None:
    """Creation needs these; a null counts as missing."""
    missing = {f: [MESSAGES["missing"]] for f in fields if body.get(f) is None}
    if missing:
        raise InvalidAttributesError(missing)


def identifier(value: Identifier | None, field: str) -> int | None:
    """A reference by number or numeric string (clients differ); null is none."""
    if value is None:
        return None
    number = None if isinstance(value, bool) else whole_number(str(value))
    if number is None or number > MAX_INT:
        raise InvalidAttributesError({field: ["must be the id of one of your objects."]})
    return number


class AcknowledgeSpec(Strict):
    acknowledged_by: str | None = Field(None, max_length=200)


class ResolveSpec(Strict):
    resolved_by: str | None = Field(None, max_length=200)


MAINTENANCE_FIELDS = frozenset(
    {"maintenance_days", "maintenance_from", "maintenance_to", "maintenance_timezone"}
)


def maintenance_after(current: Maintenance | None, spec: HeartbeatSpec) -> Maintenance | None:
    """The window once the attributes sent are laid over the current ones; no days,
    no window."""
    sent = spec.model_fields_set & MAINTENANCE_FIELDS
    if not sent:
        return current
    days = (
        spec.maintenance_days
        if "maintenance_days" in sent
        else [WEEKDAYS[day] for day in sorted(current.days)]
        if current
        else []
    )
    if not days:
        return None
    start = spec.maintenance_from or (current.start.isoformat() if current else None)
    end = spec.maintenance_to or (current.end.isoformat() if current else None)
    tz = spec.maintenance_timezone or (current.tz if current else "UTC")
    errors: dict[str, list[str]] = {}
    window = Maintenance(
        attribute(weekdays, days, "maintenance_days", errors, frozenset()),
        attribute(clock_time, start, "maintenance_from", errors, time(0)),
        attribute(clock_time, end, "maintenance_to", errors, time(0)),
        tz,
    )
    attribute(validate_timezone, tz, "maintenance_timezone", errors, None)
    if errors:
        raise InvalidAttributesError(errors)
    return window


T = TypeVar("T")
V = TypeVar("V")


def attribute(
    validate: Callable[[V], T], value: V | None, field: str, errors: dict[str, list[str]], empty: T
) -> T:
    """A schedule validator's verdict on one attribute; what is wrong is added to
    `errors` under the attribute's name, so all of them are reported at once."""
    if value is None:
        errors[field] = ["is required with maintenance_days."]
        return empty
    try:
        return validate(value)
    except ScheduleError as error:
        errors[field] = [f"{error}."]
        return empty
