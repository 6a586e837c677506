"""What a Healthchecks client may send to create or update a check, validated as
Healthchecks validates it (strict types, its ranges, its error strings), and the pure
steps from a valid request to a check's new settings.

Keyword rules (`start_kw`, `success_kw`, `failure_kw`, `filter_*`) are taken as
Healthchecks takes them, and so are its deprecated `subject` and `subject_fail`, which
set the success and failure keywords and turn `filter_subject` on while either is set.
"""

from dataclasses import replace
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from tocsin.domain.keywords import KeywordRules
from tocsin.domain.naming import MAX_SLUG, slugify
from tocsin.domain.records import ChannelRow, CheckDetails, NewCheck
from tocsin.domain.schedule import (
    Period,
    Schedule,
    ScheduleError,
    expression_schedule,
    is_cron_form,
    rescheduled,
    validate_timezone,
)

MIN_SECONDS = 60
MAX_SECONDS = 31_536_000

UniqueField = Literal["name", "slug", "tags", "timeout", "grace"]

# Healthchecks' wording for each kind of mistake; only the first mistake is reported.
MESSAGES = {
    "string_too_long": "%s is too long",
    "string_type": "%s is not a string",
    "string_pattern_mismatch": "%s does not match pattern",
    "less_than_equal": "%s is too large",
    "greater_than_equal": "%s is too small",
    "int_type": "%s is not a number",
    "bool_type": "%s is not a boolean",
    "literal_error": "%s has unexpected value",
    "list_type": "%s is not an array",
    "cron_syntax": "%s is not a valid cron or OnCalendar expression",
    "tz_syntax": "%s is not a valid timezone",
    # Tocsin's own, for what Healthchecks stores and Tocsin cannot:
    "unstorable": "%s contains a NUL character or an unpaired surrogate",
    "string_unicode": "%s contains a NUL character or an unpaired surrogate",
}

# Null is refused for every field, as Healthchecks refuses it: standing in a float, which
# no field accepts under strict validation, turns it into that field's own type error.
NULL_STAND_IN = 0.0


class SpecError(ValueError):
    """A request that validates but cannot be applied (an unknown channel …)."""


class CheckSpec(BaseModel):
    """The fields, in Healthchecks' order, so the first error reported is the same."""

    model_config = ConfigDict(strict=True, extra="ignore")

    channels: str | None = None
    desc: str | None = None
    failure_kw: str | None = Field(None, max_length=200)
    filter_body: bool | None = None
    filter_default_fail: bool | None = None
    filter_http_body: bool | None = None
    filter_subject: bool | None = None
    grace: int | None = Field(None, ge=MIN_SECONDS, le=MAX_SECONDS)
    manual_resume: bool | None = None
    methods: Literal["", "POST"] | None = None
    name: str | None = Field(None, max_length=100)
    schedule: str | None = Field(None, max_length=100)
    slug: str | None = Field(None, max_length=MAX_SLUG, pattern="^[a-z0-9-_]*$")
    start_kw: str | None = Field(None, max_length=200)
    subject: str | None = Field(None, max_length=200)
    subject_fail: str | None = Field(None, max_length=200)
    success_kw: str | None = Field(None, max_length=200)
    tags: str | None = Field(None, max_length=500)  # the column's size
    timeout: int | None = Field(None, ge=MIN_SECONDS, le=MAX_SECONDS)
    tz: str | None = None
    unique: list[UniqueField] | None = None

    @model_validator(mode="before")
    @classmethod
    def refuse_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: NULL_STAND_IN if v is None else v for k, v in data.items()}
        return data

    @field_validator(
        "channels",
        "desc",
        "failure_kw",
        "name",
        "schedule",
        "start_kw",
        "subject",
        "subject_fail",
        "success_kw",
        "tags",
        "tz",
    )
    @classmethod
    def storable(cls, value: str) -> str:
        # PostgreSQL refuses NUL in text (pydantic itself refuses lone surrogates).
        if "\x00" in value:
            raise PydanticCustomError("unstorable", "cannot be stored")
        return value

    @field_validator("schedule")
    @classmethod
    def cron_or_oncalendar(cls, value: str) -> str:
        try:
            expression_schedule(value)
        except ScheduleError:
            raise PydanticCustomError("cron_syntax", "not a valid expression") from None
        return value

    @field_validator("tz")
    @classmethod
    def known_zone(cls, value: str) -> str:
        try:
            validate_timezone(value)
        except ScheduleError:
            raise PydanticCustomError("tz_syntax", "not a valid timezone") from None
        return value


def parse_spec(body: dict[str, Any]) -> CheckSpec:
    try:
        return CheckSpec.model_validate(body)
    except ValidationError as error:
        raise SpecError(first_error(error)) from None


def first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = first["loc"]
    subject = str(location[0]) if location else "value"
    if len(location) == 2:
        subject = f"an item in '{subject}'"
    template = MESSAGES.get(first["type"], "%s is not valid")
    return "json validation error: " + template % subject


def applied(current: NewCheck, spec: CheckSpec, version: int) -> NewCheck:
    """The check's settings after a create or update request: only the fields sent
    change. In v1 and v2 a new name also sets the slug (a slug sent with it wins)."""
    renamed = spec.name is not None and spec.name != current.name
    name = current.name if spec.name is None else spec.name
    slug = slugify(name) if renamed and version < 3 else current.slug
    tz = current.tz if spec.tz is None else spec.tz
    return NewCheck(
        schedule=new_schedule(current.schedule, spec, tz),
        grace=current.grace if spec.grace is None else timedelta(seconds=spec.grace),
        name=name,
        slug=slug if spec.slug is None else spec.slug,
        tags=current.tags if spec.tags is None else spec.tags,
        description=current.description if spec.desc is None else spec.desc,
        manual_resume=pick(current.manual_resume, spec.manual_resume),
        methods=current.methods if spec.methods is None else spec.methods,
        tz=tz,
        rules=current.rules,  # no such fields in this dialect: kept as they are
        maintenance=current.maintenance,
        keywords=keywords_applied(current.keywords, spec),
    )


def keywords_applied(current: KeywordRules, spec: CheckSpec) -> KeywordRules:
    """Healthchecks' order: `subject` and `subject_fail` first (each also setting
    `filter_subject` to whether a success or failure keyword is left), then the
    fields under their own names, which win."""
    rules = current
    if spec.subject is not None:
        rules = replace(rules, success_kw=spec.subject)
        rules = replace(rules, filter_subject=bool(rules.success_kw or rules.failure_kw))
    if spec.subject_fail is not None:
        rules = replace(rules, failure_kw=spec.subject_fail)
        rules = replace(rules, filter_subject=bool(rules.success_kw or rules.failure_kw))
    sent = {name: getattr(spec, name) for name in KEYWORD_FIELDS}
    return replace(rules, **{name: value for name, value in sent.items() if value is not None})


KEYWORD_FIELDS = (
    "start_kw",
    "success_kw",
    "failure_kw",
    "filter_subject",
    "filter_body",
    "filter_http_body",
    "filter_default_fail",
)


def pick(current: bool, sent: bool | None) -> bool:
    return current if sent is None else sent


def new_schedule(current: Schedule, spec: CheckSpec, tz: str) -> Schedule:
    """A schedule sent (cron or OnCalendar, by its form) wins over a timeout sent with
    it; a zone alone moves a cron or OnCalendar schedule."""
    period = None if spec.timeout is None else timedelta(seconds=spec.timeout)
    sent = spec.schedule
    cron, oncalendar = (sent, None) if sent is None or is_cron_form(sent) else (None, sent)
    return rescheduled(current, cron=cron, oncalendar=oncalendar, period=period, tz=tz)


def matches_unique(details: CheckDetails, spec: CheckSpec) -> bool:
    """Whether an existing check is the one an upsert (`unique`) names. A listed field
    the request does not send means no check matches, and a new one is made."""
    assert spec.unique
    current = details.spec
    values: dict[str, tuple[object, object]] = {
        "name": (spec.name, current.name),
        "slug": (spec.slug, current.slug),
        "tags": (spec.tags, current.tags),
        "timeout": (spec.timeout, period_seconds(current.schedule)),
        "grace": (spec.grace, round(current.grace.total_seconds())),
    }
    return all(values[f][0] is not None and values[f][0] == values[f][1] for f in spec.unique)


def period_seconds(schedule: Schedule) -> int | None:
    return round(schedule.period.total_seconds()) if isinstance(schedule, Period) else None


def chosen_channels(value: str, available: list[ChannelRow]) -> list[int]:
    """`*` is every channel of the project, "" none, else channel uuids or unique names,
    comma-separated."""
    if value == "*":
        return [channel.id for channel in available]
    if value == "":
        return []
    chosen: dict[int, None] = {}
    for identifier in value.split(","):
        chosen[one_channel(identifier, available)] = None
    return list(chosen)


def one_channel(identifier: str, available: list[ChannelRow]) -> int:
    if identifier == "":
        raise SpecError("empty channel identifier")
    matches = [c for c in available if identifier in (str(c.uuid), c.name)]
    if not matches:
        raise SpecError(f"invalid channel identifier: {identifier}")
    if len(matches) > 1:
        raise SpecError(f"non-unique channel identifier: {identifier}")
    return matches[0].id
