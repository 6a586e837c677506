"""Rules on runs: how long a run may take, how often a job may run, and how many
failures in a row open an incident (and successes in a row close it).

Pure words and numbers; `domain.checks` applies them to a check's state. Every reason
a rule gives names the rule and the numbers behind it, since it becomes the flip's
reason, the incident's cause and the alert's text: `too fast: ran 2s, expected at
least 5m`, and with a threshold `3rd failure in a row (threshold 3): …`.

The defaults (no limits, thresholds of 1) are one shared record, `NO_RULES`, so the
ping path tells a check without rules by identity, at the cost of a pointer compare.
"""

from dataclasses import dataclass
from datetime import timedelta

from tocsin.domain.durations import format_duration

MAX_THRESHOLD = 100
MAX_RULE_DURATION = timedelta(days=366)
TOO_FAST = "too fast"
TOO_LONG = "too long"
TOO_OFTEN = "too often"
RULE_NAMES = (TOO_FAST, TOO_LONG, TOO_OFTEN)


class RunRulesError(ValueError):
    """Rules on runs that cannot hold together (a limit of zero, a threshold of 0)."""


@dataclass(frozen=True, slots=True)
class RunRules:
    """What a check's runs must respect. `min_interval` is measured between successes,
    or, with `interval_from_starts`, between the starts of successful runs."""

    min_duration: timedelta | None = None
    max_duration: timedelta | None = None
    min_interval: timedelta | None = None
    interval_from_starts: bool = False
    failure_threshold: int = 1
    recovery_threshold: int = 1


NO_RULES = RunRules()


def run_rules(
    min_duration: timedelta | None = None,
    max_duration: timedelta | None = None,
    min_interval: timedelta | None = None,
    interval_from_starts: bool = False,
    failure_threshold: int = 1,
    recovery_threshold: int = 1,
) -> RunRules:
    """The rules, as `NO_RULES` itself when they are the defaults."""
    if (
        min_duration is None
        and max_duration is None
        and min_interval is None
        and not interval_from_starts
        and failure_threshold == 1
        and recovery_threshold == 1
    ):
        return NO_RULES
    return RunRules(
        min_duration,
        max_duration,
        min_interval,
        interval_from_starts,
        failure_threshold,
        recovery_threshold,
    )


def checked(rules: RunRules) -> RunRules:
    """The rules if they hold together, else RunRulesError saying what is wrong."""
    for label, limit in (
        ("minimum run duration", rules.min_duration),
        ("maximum run duration", rules.max_duration),
        ("minimum interval", rules.min_interval),
    ):
        if limit is not None and not timedelta(seconds=1) <= limit <= MAX_RULE_DURATION:
            raise RunRulesError(f"the {label} must be between 1s and 366d")
    for label, count in (
        ("failure threshold", rules.failure_threshold),
        ("recovery threshold", rules.recovery_threshold),
    ):
        if not 1 <= count <= MAX_THRESHOLD:
            raise RunRulesError(f"the {label} must be a whole number from 1 to {MAX_THRESHOLD}")
    if (
        rules.min_duration is not None
        and rules.max_duration is not None
        and rules.min_duration >= rules.max_duration
    ):
        raise RunRulesError("the minimum run duration must be shorter than the maximum")
    return run_rules(
        rules.min_duration,
        rules.max_duration,
        rules.min_interval,
        rules.interval_from_starts,
        rules.failure_threshold,
        rules.recovery_threshold,
    )


def spell(duration: timedelta) -> str:
    """A measured duration as people read it: whole seconds, or milliseconds under one."""
    if duration < timedelta(seconds=1):
        return format_duration(timedelta(milliseconds=round(duration.total_seconds() * 1000)))
    return format_duration(timedelta(seconds=round(duration.total_seconds())))


def broken_rule(
    rules: RunRules, duration: timedelta | None, since_previous: timedelta | None
) -> str | None:
    """Why a successful run counts as a failure, or None: too long, too fast, too often
    (in that order; the first broken is named). `duration` is None for a run with no
    start, `since_previous` for a first run."""
    if duration is not None:
        if rules.max_duration is not None and duration > rules.max_duration:
            return (
                f"{TOO_LONG}: ran {spell(duration)}, expected at most {spell(rules.max_duration)}"
            )
        if rules.min_duration is not None and duration < rules.min_duration:
            return (
                f"{TOO_FAST}: ran {spell(duration)}, expected at least {spell(rules.min_duration)}"
            )
    if (
        since_previous is not None
        and rules.min_interval is not None
        and since_previous < rules.min_interval
    ):
        return (
            f"{TOO_OFTEN}: ran {spell(since_previous)} after the previous run, "
            f"expected at most once every {spell(rules.min_interval)}"
        )
    return None


def still_running(elapsed: timedelta, limit: timedelta) -> str:
    return f"{TOO_LONG}: still running after {spell(elapsed)}, expected at most {spell(limit)}"


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


THRESHOLD_MARK = " in a row (threshold "


def counted_failure(count: int, threshold: int, cause: str) -> str:
    """The reason of a failure counted towards a threshold; the cause alone without one."""
    if threshold <= 1:
        return cause
    return f"{ordinal(count)} failure{THRESHOLD_MARK}{threshold}): {cause}"


def counted_success(count: int, threshold: int, plain: str) -> str:
    """The reason of a recovery after `count` successes; `plain` without a threshold."""
    if threshold <= 1:
        return plain
    return f"{ordinal(count)} success{THRESHOLD_MARK}{threshold})"


def split_reason(reason: str) -> tuple[str, str]:
    """(`3rd failure in a row (threshold 3): `, `missed`) from a counted reason; ("",
    reason) from any other."""
    if THRESHOLD_MARK in reason and "): " in reason:
        head, _, cause = reason.partition("): ")
        if head.endswith(tuple("0123456789")):
            return f"{head}): ", cause
    return "", reason


def rule_of(cause: str) -> str | None:
    """The rule a cause names (`too fast`), if a rule on runs gave it."""
    name, _, _ = cause.partition(": ")
    return name if name in RULE_NAMES else None


def progress(failures: int, successes: int, rules: RunRules) -> str:
    """`failing (2 of 3)` or `recovering (1 of 2)` while a threshold is being counted."""
    if failures and rules.failure_threshold > 1:
        return f"failing ({failures} of {rules.failure_threshold})"
    if successes and rules.recovery_threshold > 1:
        return f"recovering ({successes} of {rules.recovery_threshold})"
    return ""


def describe(rules: RunRules) -> str:
    """The rules in plain words, as the form's preview and the check's page say them:
    `Alert after 3 failures in a row; a run shorter than 5m counts as a failure`."""
    parts: list[str] = []
    if rules.failure_threshold > 1:
        parts.append(f"Alert after {rules.failure_threshold} failures in a row")
    if rules.recovery_threshold > 1:
        parts.append(f"recover after {rules.recovery_threshold} successes in a row")
    if rules.min_duration is not None:
        parts.append(f"a run shorter than {spell(rules.min_duration)} counts as a failure")
    if rules.max_duration is not None:
        parts.append(f"a run longer than {spell(rules.max_duration)} counts as a failure")
    if rules.min_interval is not None:
        between = "starts" if rules.interval_from_starts else "successes"
        parts.append(
            f"runs less than {spell(rules.min_interval)} apart ({between}) count as failures"
        )
    if not parts:
        return "Alert on the first failure; recover on the first success."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."
