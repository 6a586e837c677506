"""The create-check form: what was typed, read into a `NewCheck` with the same
validation as the command line, or an error beside each field that is wrong. Pure."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from tocsin.durations import DurationError, parse_duration
from tocsin.schedule import (
    Schedule,
    ScheduleError,
    cron_schedule,
    period_schedule,
    validate_grace,
    validate_timezone,
)
from tocsin.store.checks import NewCheck

T = TypeVar("T")
FIELDS = ("name", "tags", "kind", "period", "grace", "cron", "tz")
DEFAULTS = {"kind": "period", "period": "1d", "grace": "1h", "cron": "0 2 * * *", "tz": "UTC"}
MAX_NAME = 100
MAX_TAGS = 500


@dataclass
class CheckForm:
    values: dict[str, str] = field(default_factory=lambda: dict(DEFAULTS))
    errors: dict[str, str] = field(default_factory=dict)

    def attempt(self, name: str, read: Callable[[], T]) -> T | None:
        """`read()`, or None with its message noted beside the field."""
        try:
            return read()
        except (DurationError, ScheduleError) as error:
            self.errors[name] = str(error)
            return None


def read_check_form(values: dict[str, str]) -> tuple[NewCheck | None, CheckForm]:
    form = CheckForm({**DEFAULTS, **values})
    name, tags = form.values.get("name", ""), " ".join(form.values.get("tags", "").split())
    if len(name) > MAX_NAME:
        form.errors["name"] = f"a name has at most {MAX_NAME} characters"
    if len(tags) > MAX_TAGS:
        form.errors["tags"] = f"tags take at most {MAX_TAGS} characters"
    schedule = read_schedule(form)
    grace = form.attempt("grace", lambda: validate_grace(parse_duration(form.values["grace"])))
    if form.errors or schedule is None or grace is None:
        return None, form
    tz = form.values["tz"] if form.values["kind"] == "cron" else "UTC"
    return NewCheck(schedule=schedule, grace=grace, name=name, tags=tags, tz=tz), form


def read_schedule(form: CheckForm) -> Schedule | None:
    values = form.values
    if values["kind"] == "cron":
        if form.attempt("tz", lambda: validate_timezone(values["tz"])) is None:
            return None
        return form.attempt("cron", lambda: cron_schedule(values["cron"], values["tz"]))
    if values["kind"] != "period":
        form.errors["kind"] = "choose a period or a cron expression"
        return None
    return form.attempt("period", lambda: period_schedule(parse_duration(values["period"])))
