"""A check's rules on runs in Tocsin's API: the `rules` object a create or an update
sends (`models.RunRulesFields`: each field optional, a duration of 0 removes that
limit) applied to the check's rules, and the one every check shows, in seconds."""

from datetime import timedelta

from tocsin.api.tocsin.models import RunRulesFields, RunRulesOut
from tocsin.domain.run_rules import RunRules, run_rules


def rules_after(current: RunRules, sent: RunRulesFields | None) -> RunRules:
    """The rules once the fields sent are applied (the service checks they hold)."""
    if sent is None:
        return current
    starts = current.interval_from_starts
    if sent.interval_from is not None:
        starts = sent.interval_from == "starts"
    return run_rules(
        limit(current.min_duration, sent.min_duration),
        limit(current.max_duration, sent.max_duration),
        limit(current.min_interval, sent.min_interval),
        starts,
        current.failure_threshold if sent.failure_threshold is None else sent.failure_threshold,
        current.recovery_threshold if sent.recovery_threshold is None else sent.recovery_threshold,
    )


def limit(current: timedelta | None, sent: timedelta | None) -> timedelta | None:
    if sent is None:
        return current
    return None if sent == timedelta(0) else sent


def rules_out(rules: RunRules) -> RunRulesOut:
    return RunRulesOut(
        min_duration=whole(rules.min_duration),
        max_duration=whole(rules.max_duration),
        min_interval=whole(rules.min_interval),
        interval_from="starts" if rules.interval_from_starts else "successes",
        failure_threshold=rules.failure_threshold,
        recovery_threshold=rules.recovery_threshold,
    )


def whole(duration: timedelta | None) -> int | None:
    return None if duration is None else round(duration.total_seconds())
