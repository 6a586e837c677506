"""The rules on runs of `tocsin check create`, `edit` and `show`: their options, read
into a `RunRules` (durations with units, as `--grace` takes them; `off` clears one on
`edit`), and the lines `show` prints."""

from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

import typer

from tocsin.cli.common import CommandError
from tocsin.cli.option_groups import option, option_group
from tocsin.domain.durations import parse_duration
from tocsin.domain.run_rules import NO_RULES, RunRules, RunRulesError, checked, describe, spell


@option_group
@dataclass(frozen=True, slots=True)
class RunRuleOptions:
    min_duration: str | None = option(
        typer.Option(
            None,
            metavar="DURATION",
            help="A run shorter than this is a failure (too fast), e.g. 5m.",
        )
    )
    max_duration: str | None = option(
        typer.Option(
            None,
            metavar="DURATION",
            help="A run longer than this after its /start is a failure (too long), e.g. 30m.",
        )
    )
    min_interval: str | None = option(
        typer.Option(
            None,
            metavar="DURATION",
            help="Runs closer than this are failures (too often), e.g. 1h.",
        )
    )
    interval_from: str | None = option(
        typer.Option(
            None,
            metavar="successes|starts",
            help="Measure --min-interval between successes or starts.",
        )
    )
    failure_threshold: int | None = option(
        typer.Option(None, metavar="N", help="Alert only after N failures in a row. [default: 1]")
    )
    recovery_threshold: int | None = option(
        typer.Option(
            None, metavar="M", help="Resolve only after M successes in a row. [default: 1]"
        )
    )


OFF = ("off", "none")


def read_rules(given: RunRuleOptions, current: RunRules = NO_RULES) -> RunRules:
    """The rules the options give, over `current` (an option left out keeps its rule)."""
    changes: dict[str, Any] = {}
    for field in ("min_duration", "max_duration", "min_interval"):
        text = getattr(given, field)
        if text is not None:
            changes[field] = read_limit(text)
    if given.interval_from is not None:
        if given.interval_from not in ("successes", "starts"):
            raise CommandError("--interval-from is 'successes' or 'starts'")
        changes["interval_from_starts"] = given.interval_from == "starts"
    if given.failure_threshold is not None:
        changes["failure_threshold"] = given.failure_threshold
    if given.recovery_threshold is not None:
        changes["recovery_threshold"] = given.recovery_threshold
    try:
        return checked(replace(current, **changes))
    except RunRulesError as error:
        raise CommandError(str(error)) from None


def read_limit(text: str) -> timedelta | None:
    return None if text.strip().lower() in OFF else parse_duration(text)


def rules_lines(rules: RunRules) -> list[tuple[str, str]]:
    """(label, value) for `check show`: each rule, then the rules in words."""
    between = "starts" if rules.interval_from_starts else "successes"
    return [
        ("Min duration", optional(rules.min_duration)),
        ("Max duration", optional(rules.max_duration)),
        ("Min interval", f"{optional(rules.min_interval)} (between {between})"),
        ("Failure threshold", str(rules.failure_threshold)),
        ("Recovery threshold", str(rules.recovery_threshold)),
        ("Rules", describe(rules)),
    ]


def optional(duration: timedelta | None) -> str:
    return "—" if duration is None else spell(duration)


def rules_json(rules: RunRules) -> dict[str, Any]:
    """The rules as `check show --json` prints them: durations in seconds."""
    return {
        "min_duration": seconds(rules.min_duration),
        "max_duration": seconds(rules.max_duration),
        "min_interval": seconds(rules.min_interval),
        "interval_from": "starts" if rules.interval_from_starts else "successes",
        "failure_threshold": rules.failure_threshold,
        "recovery_threshold": rules.recovery_threshold,
    }


def seconds(duration: timedelta | None) -> float | None:
    return None if duration is None else duration.total_seconds()
