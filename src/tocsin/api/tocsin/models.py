"""What Tocsin's own API accepts and answers, as pydantic models: strict about unknown
fields, bounded everywhere, and turned into the domain's types (durations, schedules)
by the domain's own validators, so a bad request is a 422 that names the field.

Create and update requests share their field types; an update changes only the fields
it sends, and `null` is refused for every field (there is nothing to clear)."""

from datetime import datetime, timedelta
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from tocsin.domain.checks import Status
from tocsin.domain.dependencies import MAX_PARENTS
from tocsin.domain.durations import DurationError, parse_duration
from tocsin.domain.keywords import MAX_KEYWORDS_LENGTH
from tocsin.domain.people import parse_hours
from tocsin.domain.run_rules import MAX_THRESHOLD
from tocsin.domain.schedule import (
    MAX_CRON_LENGTH,
    MAX_ONCALENDAR_LENGTH,
    check_range,
    cron_schedule,
    oncalendar_schedule,
    period_schedule,
    validate_grace,
    validate_timezone,
)
from tocsin.notify.base import parse_config
from tocsin.notify.kinds import KINDS, kind_named

MAX_DURATION_SECONDS = 10 * 365 * 86_400  # beyond any range below, within timedelta's
MAX_TAGS = 10
MAX_STEPS = 20
MAX_STEP_CHANNELS = 50
MAX_TEXT = 10_000


class Model(BaseModel):
    """Every request and answer: an unknown field is a mistake, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


def no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; pydantic already refuses lone surrogates.
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    return value


def to_duration(value: Any) -> timedelta:
    """Whole seconds as a number, or a human duration such as `90s`, `15m`, `1h30m`."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a number of seconds or a duration such as 90s, 15m or 1h30m")
    if isinstance(value, int):
        if not 0 <= value <= MAX_DURATION_SECONDS:
            raise ValueError(f"must be between 0 and {MAX_DURATION_SECONDS} seconds")
        return timedelta(seconds=value)
    try:
        return parse_duration(value[:40])
    except DurationError as error:
        raise ValueError(str(error)) from None


def known_zone(tz: str) -> str:
    validate_timezone(tz)  # ScheduleError is a ValueError, with the message to show
    return tz


def valid_period(period: timedelta) -> timedelta:
    return period_schedule(period).period


DURATION_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": MAX_DURATION_SECONDS},
        {"type": "string", "maxLength": 40, "examples": ["90s", "15m", "1h30m", "1d"]},
    ],
    "description": "Seconds, or a duration such as 90s, 15m, 1h30m, 1d or 2w.",
}

Text = Annotated[str, AfterValidator(no_nul)]
Duration = Annotated[timedelta, BeforeValidator(to_duration), WithJsonSchema(DURATION_SCHEMA)]
Name = Annotated[Text, Field(max_length=100)]
Slug = Annotated[str, Field(max_length=100, pattern=r"^[a-z0-9_-]*$")]
Tag = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[^\s\x00]+$")]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Description = Annotated[Text, Field(max_length=MAX_TEXT)]
Cron = Annotated[str, Field(min_length=1, max_length=MAX_CRON_LENGTH)]
OnCalendarText = Annotated[str, Field(min_length=1, max_length=MAX_ONCALENDAR_LENGTH)]
Zone = Annotated[str, Field(max_length=64), AfterValidator(known_zone)]
Period = Annotated[Duration, AfterValidator(valid_period)]
Grace = Annotated[Duration, AfterValidator(validate_grace)]
ChannelIds = Annotated[list[UUID], Field(max_length=MAX_STEP_CHANNELS)]
CheckKeys = Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=MAX_PARENTS)]
PolicyChoice = Annotated[int, Field(ge=1, le=2**31 - 1)] | Literal["default"]
Actor = Annotated[Text, Field(max_length=100)]


Keywords = Annotated[Text, Field(max_length=MAX_KEYWORDS_LENGTH)]


def refuse_nulls(data: Any, instead: str = "leave it out") -> Any:
    if isinstance(data, dict):
        nulls = sorted(str(k) for k, v in data.items() if v is None)
        if nulls:
            raise ValueError(f"null is not a value for {', '.join(nulls)}: {instead}")
    return data


# Rules on runs (domain.run_rules), as one object of a check's.


class RunRulesFields(Model):
    """Rules on runs; only the fields sent change, and a duration of 0 removes it."""

    min_duration: Duration | None = Field(
        None, description="A run shorter than this is a failure (too fast)."
    )
    max_duration: Duration | None = Field(
        None, description="A run longer than this after its start is a failure (too long)."
    )
    min_interval: Duration | None = Field(
        None, description="Runs closer together than this are failures (too often)."
    )
    interval_from: Literal["successes", "starts"] | None = Field(
        None, description="Measure `min_interval` between successes or between starts."
    )
    failure_threshold: int | None = Field(
        None, ge=1, le=MAX_THRESHOLD, description="Alert only after this many failures in a row."
    )
    recovery_threshold: int | None = Field(
        None, ge=1, le=MAX_THRESHOLD, description="Resolve only after this many successes in a row."
    )

    @model_validator(mode="before")
    @classmethod
    def no_nulls(cls, data: Any) -> Any:
        return refuse_nulls(data, "send 0 or leave it out")


class RunRulesOut(Model):
    min_duration: int | None = Field(description="Seconds; null: no minimum.")
    max_duration: int | None = Field(description="Seconds; null: no maximum (the grace).")
    min_interval: int | None = Field(description="Seconds; null: no minimum.")
    interval_from: Literal["successes", "starts"]
    failure_threshold: int
    recovery_threshold: int


class KeywordRulesFields(Model):
    """Keyword rules, as Healthchecks has them: what a ping's body (or an email ping's
    subject and body) says decides whether it is a failure, a success or a start,
    tried in that order. Only the fields sent change."""

    start: Keywords | None = Field(None, description="Keywords that make a ping a start.")
    success: Keywords | None = Field(None, description="Keywords that make it a success.")
    failure: Keywords | None = Field(
        None, description="Comma-separated, case-sensitive keywords that make it a failure."
    )
    regex: bool | None = Field(
        None, description="Each of start, success and failure is one RE2 regular expression."
    )
    http_body: bool | None = Field(
        None, description="The rules read HTTP ping bodies, overriding the URL's action."
    )
    email_subject: bool | None = Field(None, description="They read email pings' subjects.")
    email_body: bool | None = Field(None, description="They read email pings' bodies.")
    default_fail: bool | None = Field(
        None, description="A body matching nothing is a failure rather than ignored."
    )

    @model_validator(mode="before")
    @classmethod
    def no_nulls(cls, data: Any) -> Any:
        return refuse_nulls(data)


class KeywordRulesOut(Model):
    start: str
    success: str
    failure: str
    regex: bool
    http_body: bool
    email_subject: bool
    email_body: bool
    default_fail: bool


class CheckFields(Model):
    """A check's settings, each optional: what a create or an update sends."""

    name: Name | None = Field(None, description="A label for people.")
    slug: Slug | None = Field(None, description="For slug ping URLs; made from the name.")
    tags: Tags | None = None
    description: Description | None = None
    period: Period | None = Field(None, description="Pings are due this long apart.")
    cron: Cron | None = Field(None, description="Or pings are due on this 5-field cron.")
    oncalendar: OnCalendarText | None = Field(
        None,
        description="Or pings are due at these systemd OnCalendar expressions (one a line, "
        "any match counts), e.g. `Mon..Fri *-*-* 02:00`.",
    )
    tz: Zone | None = Field(None, description="The IANA time zone of `cron` or `oncalendar`.")
    grace: Grace | None = Field(None, description="How late a ping may be before alerting.")
    manual_resume: bool | None = Field(None, description="Stay down until resumed by hand.")
    post_only: bool | None = Field(None, description="Count only POST requests as pings.")
    channels: ChannelIds | None = Field(None, description="The channels to notify, by id.")
    policy: PolicyChoice | None = Field(
        None,
        description=(
            'The escalation policy, by id; "default" for the project\'s default (every '
            "channel of the check at once, no escalation)."
        ),
    )
    parents: CheckKeys | None = Field(
        None,
        description=(
            "The checks it depends on, by id (or uuid): while one is down, its incidents "
            "are held and wake nobody; [] for none."
        ),
    )
    rules: RunRulesFields | None = Field(None, description="Rules on runs and thresholds.")
    keywords: KeywordRulesFields | None = None

    @model_validator(mode="before")
    @classmethod
    def refuse_nulls(cls, data: Any) -> Any:
        return refuse_nulls(data)

    @model_validator(mode="after")
    def one_schedule(self) -> "CheckFields":
        sent = [k for k in ("period", "cron", "oncalendar") if getattr(self, k) is not None]
        if len(sent) > 1:
            raise ValueError(f"send either {sent[0]} or {sent[1]}, not both")
        # The zone is checked by its own field.
        if self.cron is not None:
            cron_schedule(self.cron, self.tz or "UTC")
        if self.oncalendar is not None:
            oncalendar_schedule(self.oncalendar, self.tz or "UTC")
        return self


class CheckCreate(CheckFields):
    """A new check: every field but `name` may be left out (a daily period with an
    hour's grace, every channel of the project)."""


class CheckUpdate(CheckFields):
    """Changes to a check: only the fields sent change."""


StatusWord = Literal["new", "up", "late", "down", "paused", "started"]
assert set(StatusWord.__args__) == {s.value for s in Status}  # type: ignore[attr-defined]


class CheckOut(Model):
    id: str = Field(description="The check's stable id; it does not reveal the ping URL.")
    uuid: UUID | None = Field(description="The ping URL's secret; read-write keys only.")
    ping_url: str | None = Field(description="Read-write keys only.")
    name: str
    slug: str
    tags: list[str]
    description: str
    period: int | None = Field(description="Seconds between pings, for period schedules.")
    cron: str | None
    oncalendar: str | None = Field(description="OnCalendar expressions, one a line.")
    tz: str
    grace: int = Field(description="Seconds.")
    manual_resume: bool
    post_only: bool
    channels: list[UUID]
    policy: int | None = Field(description="The escalation policy's id; null: the default.")
    parents: list[str] = Field(default_factory=list, description="The checks it depends on, by id.")
    keywords: KeywordRulesOut
    status: StatusWord
    started: bool = Field(description="A run has started and not finished.")
    n_pings: int
    last_ping: datetime | None
    next_due: datetime | None = Field(description="When the next ping is due.")
    last_duration: float | None = Field(description="Seconds the last run took.")
    created: datetime
    rules: RunRulesOut
    streak: str = Field(
        description='While a threshold is counted, "failing (2 of 3)" or "recovering (1 of 2)".'
    )


ItemT = TypeVar("ItemT")


class Page(Model, Generic[ItemT]):
    """One page of a list; pass `next_cursor` as `cursor` for the next (null: no more)."""

    items: list[ItemT]
    next_cursor: str | None


class PingOut(Model):
    n: int = Field(description="The ping's number within its check, from 1.")
    kind: Literal["success", "start", "fail", "log", "ign"]
    created: datetime
    exit_status: int | None
    rid: UUID | None
    duration: float | None = Field(description="Seconds since the matching start.")
    method: str
    scheme: str
    remote_addr: str | None
    ua: str
    body_size: int
    body_truncated: bool


class FlipOut(Model):
    at: datetime
    old_status: StatusWord
    new_status: StatusWord
    reason: str


IncidentStatus = Literal["open", "acknowledged", "resolved"]


class IncidentOut(Model):
    id: int
    check: str = Field(description="The check's id.")
    check_name: str
    status: IncidentStatus
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
    held_by: str | None = Field(
        None, description="The parent check whose being down holds it: it notifies nobody."
    )
    holding: list[str] = Field(
        default_factory=list, description="The checks whose incidents its check's being down holds."
    )


class EventOut(Model):
    at: datetime
    kind: str
    actor: str
    message: str
    channel: UUID | None
    attempt: int | None


class Acknowledge(Model):
    by: Actor = Field("", description="Who acts, for the timeline.")


class Resolve(Acknowledge):
    pass


class Comment(Model):
    text: Annotated[Text, Field(min_length=1, max_length=2000)]
    by: Actor = ""


class ChannelOut(Model):
    """Settings are not shown: they hold the service's secrets."""

    id: UUID
    name: str
    label: str = Field(
        description="How timelines and pages name it, never empty: its name, else its kind "
        "and target (`email to ops@example.com`) or the start of its id."
    )
    kind: str
    disabled: bool
    created: datetime
    last_notified: datetime | None
    last_error: str
    last_error_at: datetime | None


class ChannelTestOut(Model):
    """How a test message went."""

    sent: bool
    error: str | None = Field(description="Why it was not delivered.")
    permanent: bool | None = Field(
        description="Whether the failure will last (true) or trying again may help (false)."
    )


KIND_SCHEMA = {"type": "string", "enum": sorted(KINDS)}


class ChannelCreate(Model):
    kind: Annotated[str, WithJsonSchema(KIND_SCHEMA)]
    name: Name = ""
    config: dict[str, Any] = Field(description="The kind's settings (see the README).")
    assign_to_checks: bool = Field(True, description="Notify it for every existing check.")

    @model_validator(mode="after")
    def valid_config(self) -> "ChannelCreate":
        parse_config(kind_named(self.kind), self.config)  # both raise ValueErrors
        return self


Wait = Annotated[Duration, Field(description="After the step before, or the opening.")]


TargetType = Literal[
    "member", "entire_team", "on_call", "round_robin", "channels_of_kind", "policy"
]
MethodName = Literal["email", "sms", "call", "push"]
MemberRef = Annotated[str, Field(min_length=1, max_length=254)]
MAX_TARGETS = 20


class TargetIn(Model):
    """Whom a step reaches beside its channels: a `member` (by id or email), the
    `entire_team`, whoever is `on_call` in a calendar (none: the project's default),
    the next person each time (`round_robin` over `members`, or every member),
    every channel of a kind in the project (`channels_of_kind`), or another `policy`
    of the project that the incident is handed over to."""

    type: TargetType
    member: MemberRef | None = None
    calendar: int | None = Field(None, ge=1, le=2**31 - 1)
    members: Annotated[list[MemberRef], Field(max_length=100)] = []
    channel_kind: Annotated[str, WithJsonSchema(KIND_SCHEMA)] | None = None
    policy: int | None = Field(None, ge=1, le=2**31 - 1)

    @model_validator(mode="after")
    def has_what_its_type_needs(self) -> "TargetIn":
        if self.type == "member" and self.member is None:
            raise ValueError("a member target names its `member`, by id or email")
        if self.type == "policy" and self.policy is None:
            raise ValueError("a policy target names its `policy`, by id")
        if self.type == "channels_of_kind" and self.channel_kind not in KINDS:
            raise ValueError(f"`channel_kind` must be one of {', '.join(sorted(KINDS))}")
        return self


class HoursIn(Model):
    """The hours of the day a step runs in, in a zone; an end before the start
    crosses midnight."""

    start: Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$", examples=["08:00"])]
    end: Annotated[str, Field(pattern=r"^[0-2][0-9]:[0-5][0-9]$", examples=["20:00"])]
    zone: Annotated[str, Field(max_length=64)] = "UTC"

    @model_validator(mode="after")
    def valid_hours(self) -> "HoursIn":
        parse_hours(f"{self.start}-{self.end}", self.zone)  # raises ValueErrors
        return self


class StepIn(Model):
    wait: Wait
    channels: ChannelIds
    targets: Annotated[list[TargetIn], Field(max_length=MAX_TARGETS)] = []
    methods: Annotated[list[MethodName], Field(max_length=4)] = Field(
        ["email", "push"], description="How people targets are reached."
    )
    hours: HoursIn | None = Field(None, description="Outside them the step is skipped.")


class TargetOut(Model):
    type: TargetType
    member: str | None = Field(description="The member's email.")
    calendar: int | None
    members: list[str] = Field(description="A round robin's members, by email.")
    channel_kind: str | None
    policy: int | None = Field(None, description="The policy the incident is handed over to.")


class HoursOut(Model):
    start: str
    end: str
    zone: str


class StepOut(Model):
    wait: int = Field(description="Seconds after the step before, or the opening.")
    channels: list[UUID]
    targets: list[TargetOut]
    methods: list[MethodName]
    hours: HoursOut | None


MAX_POLICY_DELAY = timedelta(days=7)


def within_a_week(delay: timedelta) -> timedelta:
    check_range("delay", delay, timedelta(0), MAX_POLICY_DELAY)
    return delay


def positive(interval: timedelta) -> timedelta:
    check_range("nag_interval", interval, timedelta(minutes=1), MAX_POLICY_DELAY)
    return interval


class PolicyIn(Model):
    """An escalation policy, whole: a create, or an update that replaces it."""

    name: Annotated[Text, Field(min_length=1, max_length=100)]
    steps: Annotated[list[StepIn], Field(max_length=MAX_STEPS)] = []
    repeat_count: int = Field(0, ge=0, le=100, description="Run the steps again N times.")
    repeat_delay: Annotated[Duration, AfterValidator(within_a_week)] = timedelta(0)
    nag_interval: Annotated[Duration, AfterValidator(positive)] | None = Field(
        None, description="Remind this often while unacknowledged."
    )

    @model_validator(mode="after")
    def waits_in_range(self) -> "PolicyIn":
        for step in self.steps:
            within_a_week(step.wait)
        return self


class PolicyOut(Model):
    id: int
    name: str
    steps: list[StepOut]
    repeat_count: int
    repeat_delay: int = Field(description="Seconds.")
    nag_interval: int | None = Field(description="Seconds.")


class ErrorDetail(Model):
    code: str = Field(description="Stable, for programs: not_found, invalid, …")
    message: str = Field(description="For people: what went wrong and what to do.")
    fields: dict[str, str] = Field(description="Each invalid field, with its problem.")


class ErrorOut(Model):
    error: ErrorDetail
