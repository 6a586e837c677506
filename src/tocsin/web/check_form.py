"""The check form, for creating a check and for editing one: what was typed, read into a
`NewCheck` with the same validation as the command line, or an error beside each field
that is wrong. Pure."""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tocsin.domain.describe import EXAMPLE_CRON
from tocsin.domain.durations import DurationError, format_duration, parse_duration
from tocsin.domain.naming import BLANK_NAME, blank_name
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import (
    Calendar,
    Cron,
    OnCalendar,
    Schedule,
    ScheduleError,
    cron_schedule,
    oncalendar_schedule,
    period_schedule,
    validate_grace,
    validate_timezone,
)
from tocsin.web import keyword_form
from tocsin.web.check_rules_runs import (
    RUN_DEFAULTS,
    RUN_FIELDS,
    read_run_rules,
    run_values,
    runs_open,
    runs_preview,
)

T = TypeVar("T")
FIELDS: tuple[str, ...] = ("name", "slug", "tags", "description", "kind", "period", "grace")
FIELDS += ("cron", "tz", "oncalendar")
FIELDS += RUN_FIELDS  # the rules under "More rules"
FIELDS += keyword_form.TEXTS
# Checkboxes: sent only when ticked.
BOXES: tuple[str, ...] = ("post_only", "manual_resume")
BOXES += keyword_form.BOXES
DEFAULTS = {"kind": "period", "period": "1d", "grace": "1h", "cron": EXAMPLE_CRON, "tz": "UTC"}
DEFAULTS["oncalendar"] = "Mon..Fri *-*-* 02:00"
DEFAULTS |= RUN_DEFAULTS
# The kinds of schedule read from an expression in a zone, by the field that holds it.
EXPRESSION_KINDS: dict[str, Callable[[str, str], Schedule]] = {
    "cron": cron_schedule,
    "oncalendar": oncalendar_schedule,
}
# A new check starts on a schedule, daily at 02:00: the job this tool is most often for is
# a nightly one, and a 1d period would notice its missed run only a day and grace later.
NEW_CHECK = DEFAULTS | {"kind": "cron"}
MAX_NAME = 100
MAX_TAGS = 500
MAX_DESCRIPTION = 10_000
SLUG = re.compile(r"[a-z0-9_-]{0,100}")


@dataclass
class CheckForm:
    values: dict[str, str] = field(default_factory=lambda: dict(NEW_CHECK))
    errors: dict[str, str] = field(default_factory=dict)
    channels: set[str] = field(default_factory=set)  # the uuids of the channels ticked
    parents: set[str] = field(default_factory=set)  # the uuids of the checks it depends on

    def attempt(self, name: str, read: Callable[[], T]) -> T | None:
        """`read()`, or None with its message noted beside the field."""
        try:
            return read()
        except (DurationError, ScheduleError) as error:
            self.errors[name] = str(error)
            return None

    def ticked(self, name: str) -> bool:
        return self.values.get(name) == "yes"

    @property
    def rules_open(self) -> bool:
        """ "More rules" opens when a rule under it is set, or refused."""
        parents_open = bool(self.parents) or "parents" in self.errors
        keywords_open = keyword_form.keywords_on(self.values) or any(
            name.startswith("kw_") for name in self.errors
        )
        return parents_open or keywords_open or runs_open(self.values, self.errors)

    @property
    def runs_preview(self) -> str:
        return runs_preview(self.values)

    def keywords_preview(self) -> str:
        return keyword_form.preview(self.values)


def form_of(spec: NewCheck) -> CheckForm:
    """The form filled in with a check's settings, for editing them."""
    schedule = spec.schedule
    values = {
        **DEFAULTS,
        "name": spec.name,
        "slug": spec.slug,
        "tags": spec.tags,
        "description": spec.description,
        "grace": format_duration(spec.grace),
        "tz": spec.tz,
        "post_only": "yes" if spec.methods == "POST" else "",
        "manual_resume": "yes" if spec.manual_resume else "",
        **run_values(spec.rules),
        **keyword_form.keyword_values(spec.keywords),
    }
    if isinstance(schedule, Cron):
        values |= {"kind": "cron", "cron": schedule.expression, "tz": schedule.tz}
    elif isinstance(schedule, OnCalendar):
        values |= {"kind": "oncalendar", "oncalendar": schedule.expression, "tz": schedule.tz}
    else:
        values |= {"kind": "period", "period": format_duration(schedule.period)}
    return CheckForm(values)


def read_check_form(values: dict[str, str]) -> tuple[NewCheck | None, CheckForm]:
    form = CheckForm({**DEFAULTS, **values})
    read_texts(form)
    schedule = read_schedule(form)
    grace = form.attempt("grace", lambda: validate_grace(parse_duration(form.values["grace"])))
    rules = read_run_rules(form.values, form.errors)
    keywords = keyword_form.read_keywords(form.values, form.errors)
    if form.errors or schedule is None or grace is None or rules is None:
        return None, form
    return NewCheck(
        schedule=schedule,
        grace=grace,
        name=form.values.get("name", ""),
        slug=form.values.get("slug", ""),
        tags=form.values["tags"],
        description=form.values.get("description", ""),
        manual_resume=form.ticked("manual_resume"),
        methods="POST" if form.ticked("post_only") else "",
        tz=kept_zone(form, schedule),
        rules=rules,
        keywords=keywords,
    ), form


def read_texts(form: CheckForm) -> None:
    values = form.values
    values["tags"] = " ".join(values.get("tags", "").split())
    if blank_name(values.get("name", "")):
        form.errors["name"] = BLANK_NAME
    elif len(values.get("name", "")) > MAX_NAME:
        form.errors["name"] = f"a name has at most {MAX_NAME} characters"
    if not SLUG.fullmatch(values.get("slug", "")):
        form.errors["slug"] = "a slug is at most 100 lower-case letters, digits, - and _"
    if len(values["tags"]) > MAX_TAGS:
        form.errors["tags"] = f"tags take at most {MAX_TAGS} characters"
    if len(values.get("description", "")) > MAX_DESCRIPTION:
        form.errors["description"] = f"a description has at most {MAX_DESCRIPTION} characters"


def kept_zone(form: CheckForm, schedule: Schedule) -> str:
    """A cron or OnCalendar schedule's own zone; for a period, the zone typed if it is
    one (kept for a later switch to cron, as Healthchecks keeps it), else UTC."""
    if isinstance(schedule, Calendar):
        return schedule.tz
    try:
        validate_timezone(form.values["tz"])
    except ScheduleError:
        return "UTC"
    return form.values["tz"]


def read_schedule(form: CheckForm) -> Schedule | None:
    values = form.values
    kind = values["kind"]
    if kind in EXPRESSION_KINDS:
        zone = form.attempt("tz", lambda: validate_timezone(values["tz"]))
        # With an unknown zone the expression is still read, so both errors show at once.
        tz = values["tz"] if zone is not None else "UTC"
        schedule = form.attempt(kind, lambda: EXPRESSION_KINDS[kind](values[kind], tz))
        return schedule if zone is not None else None
    if kind != "period":
        form.errors["kind"] = "choose a period, a cron expression or OnCalendar expressions"
        return None
    return form.attempt("period", lambda: period_schedule(parse_duration(values["period"])))
