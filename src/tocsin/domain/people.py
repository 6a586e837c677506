"""People as alert targets: their contact methods, the targets an escalation step names
beside its channels, the methods it reaches people by, and hours of the day.

Which people a target means is decided when the step runs (`alerts.incidents`), so
the person on call is whoever is on call at that moment; this module only says what
a target is and which of a person's methods a step may use."""

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ContactKind(StrEnum):
    """How a person can be reached. `phone` serves both SMS and voice calls."""

    EMAIL = "email"
    PHONE = "phone"
    PUSHOVER = "pushover"
    NTFY = "ntfy"
    TELEGRAM = "telegram"
    SLACK = "slack"


CONTACT_LABELS = {
    ContactKind.EMAIL: "email",
    ContactKind.PHONE: "phone (SMS, voice)",
    ContactKind.PUSHOVER: "Pushover user key",
    ContactKind.NTFY: "ntfy topic",
    ContactKind.TELEGRAM: "Telegram chat id",
    ContactKind.SLACK: "Slack member id",
}


class Method(StrEnum):
    """How a step reaches people, as Better Stack's steps say it."""

    EMAIL = "email"
    SMS = "sms"
    CALL = "call"
    PUSH = "push"


# Which contact methods each way of reaching people uses.
METHOD_CONTACTS: dict[Method, tuple[ContactKind, ...]] = {
    Method.EMAIL: (ContactKind.EMAIL,),
    Method.SMS: (ContactKind.PHONE,),
    Method.CALL: (ContactKind.PHONE,),
    Method.PUSH: (ContactKind.PUSHOVER, ContactKind.NTFY, ContactKind.TELEGRAM, ContactKind.SLACK),
}
DEFAULT_METHODS = frozenset({Method.EMAIL, Method.PUSH})


def parse_methods(text: str) -> frozenset[Method]:
    """`email,push` → the methods; `ValueError` naming the ones Tocsin knows."""
    words = [w.strip().lower() for w in text.split(",") if w.strip()]
    known = {m.value for m in Method}
    unknown = [w for w in words if w not in known]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; use {', '.join(sorted(known))}")
    return frozenset(Method(w) for w in words)


def methods_text(methods: frozenset[Method]) -> str:
    return ",".join(m.value for m in Method if m in methods)


@dataclass(frozen=True, slots=True)
class ActiveHours:
    """A daily span of local time in a zone, e.g. 08:00-20:00 Europe/Berlin. A span
    whose end is not after its start crosses midnight (20:00-08:00 is the night);
    equal ends mean the whole day."""

    start: time
    end: time
    zone: str = "UTC"

    def contains(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.zone)).time().replace(tzinfo=None)
        if self.start == self.end:
            return True
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    @property
    def text(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone}"


def parse_hours(text: str, zone: str) -> ActiveHours:
    """`08:00-20:00` in `zone`; `ValueError` saying what is wrong."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError("hours must read like 08:00-20:00")
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r}") from None
    return ActiveHours(clock_time(start), clock_time(end), zone)


def clock_time(text: str) -> time:
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()!r} is not a time of day like 08:00") from None


def minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def from_minutes(value: int) -> time:
    return time(value // 60, value % 60)


class TargetKind(StrEnum):
    MEMBER = "member"
    ENTIRE_TEAM = "entire_team"
    ON_CALL = "on_call"
    ROUND_ROBIN = "round_robin"
    CHANNELS_OF_KIND = "channels_of_kind"
    POLICY = "policy"  # hand the incident over to another policy of the project


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a step reaches beside its channels. `user_id` for a member; `calendar_id`
    for whoever is on call (None: the project's default calendar); `user_ids` for a
    round robin over some members (empty: over every member); `channel_kind` for every
    channel of that kind in the project, read when the step runs; `policy_id` for the
    policy the incident is handed over to."""

    kind: TargetKind
    user_id: int | None = None
    calendar_id: int | None = None
    user_ids: tuple[int, ...] = ()
    channel_kind: str = ""
    policy_id: int | None = None


@dataclass(frozen=True, slots=True)
class Reach:
    """What a step reaches besides its channels: people targets, by which methods,
    and the hours it runs in (None: at any hour). `step_id` keeps a round robin's
    place."""

    targets: tuple[Target, ...] = ()
    methods: frozenset[Method] = DEFAULT_METHODS
    hours: ActiveHours | None = None
    step_id: int | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """One of a person's contact methods."""

    id: int
    user_id: int
    kind: ContactKind
    address: str
    verified: datetime | None = None
    hours: ActiveHours | None = None
    last_error: str = ""
    created: datetime | None = field(default=None, compare=False)
    uuid: UUID = field(default=UUID(int=0), compare=False)  # names its notifications

    @property
    def label(self) -> str:
        return CONTACT_LABELS[self.kind]


def contacts_for(contacts: list[Contact], methods: frozenset[Method]) -> list[Contact]:
    """The verified contacts that the methods use, in the order they were added."""
    wanted = {kind for m in methods for kind in METHOD_CONTACTS[m]}
    return [c for c in contacts if c.kind in wanted and c.verified is not None]


def phone_method(methods: frozenset[Method]) -> str:
    """How a step reaches a phone: `call` when it asks for calls (the stronger of the
    two, for a step that asks for both), else `sms`."""
    return Method.CALL.value if Method.CALL in methods else Method.SMS.value


def in_turn(members: list[int], turn: int) -> int | None:
    """Round robin: whose turn number `turn` (counted from 0, one per run of its step)
    is, going round `members` in order; None when there is nobody."""
    return members[turn % len(members)] if members else None
