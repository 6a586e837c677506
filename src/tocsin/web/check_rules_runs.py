"""The check form's rules on runs (`check_rules_runs.html`, under "More rules"): the
fields, the values a check's rules fill them with, and what was typed read into a
`RunRules` with an error beside each field that is wrong. Pure."""

from datetime import timedelta

from tocsin.domain.durations import DurationError, format_duration, parse_duration
from tocsin.domain.run_rules import (
    MAX_THRESHOLD,
    RunRules,
    RunRulesError,
    checked,
    describe,
)

DURATIONS = ("min_duration", "max_duration", "min_interval")
THRESHOLDS = ("failure_threshold", "recovery_threshold")
RUN_FIELDS = (*DURATIONS, "interval_from", *THRESHOLDS)
RUN_DEFAULTS = {
    "min_duration": "",
    "max_duration": "",
    "min_interval": "",
    "interval_from": "successes",
    "failure_threshold": "1",
    "recovery_threshold": "1",
}


def run_values(rules: RunRules) -> dict[str, str]:
    """The fields filled in with a check's rules; an empty duration is no limit."""
    return {
        "min_duration": spelled(rules.min_duration),
        "max_duration": spelled(rules.max_duration),
        "min_interval": spelled(rules.min_interval),
        "interval_from": "starts" if rules.interval_from_starts else "successes",
        "failure_threshold": str(rules.failure_threshold),
        "recovery_threshold": str(rules.recovery_threshold),
    }


def spelled(duration: timedelta | None) -> str:
    return "" if duration is None else format_duration(duration)


def read_run_rules(values: dict[str, str], errors: dict[str, str]) -> RunRules | None:
    """The rules typed, or None with their errors added to `errors` by field."""
    limits: dict[str, timedelta | None] = {}
    for name in DURATIONS:
        text = values.get(name, "").strip()
        try:
            limits[name] = parse_duration(text) if text else None
        except DurationError as error:
            errors[name] = str(error)
    counts: dict[str, int] = {}
    for name in THRESHOLDS:
        text = values.get(name, "").strip() or "1"
        if not text.isascii() or not text.isdigit() or not 1 <= int(text[:4]) <= MAX_THRESHOLD:
            errors[name] = f"a whole number from 1 to {MAX_THRESHOLD}"
        else:
            counts[name] = int(text)
    if values.get("interval_from", "") not in ("", "successes", "starts"):
        errors["interval_from"] = "choose successes or starts"
    if any(name in errors for name in RUN_FIELDS):
        return None
    try:
        return checked(
            RunRules(
                limits["min_duration"],
                limits["max_duration"],
                limits["min_interval"],
                values.get("interval_from") == "starts",
                counts["failure_threshold"],
                counts["recovery_threshold"],
            )
        )
    except RunRulesError as error:
        errors["min_duration"] = str(error)
        return None


def runs_open(values: dict[str, str], errors: dict[str, str]) -> bool:
    """Whether the rules are shown open: one is set, or has an error."""
    return any(name in errors for name in RUN_FIELDS) or any(
        values.get(name, default).strip() != default for name, default in RUN_DEFAULTS.items()
    )


def runs_preview(values: dict[str, str]) -> str:
    """The rules in plain words, as typed; empty while they cannot be read."""
    rules = read_run_rules(values, {})
    return "" if rules is None else describe(rules)
