"""Writing a monitors file: a project as `tocsin export` shows it, in the form that
`monitors.reading` reads back to the same `Monitors`. Pure.

Channel settings are written as stored, secrets included; text that looks like a
`${NAME}` reference is escaped (`$${NAME}`) so that reading it back keeps it as text."""

import re
from datetime import datetime, time
from typing import Any

import yaml

from tocsin.domain.durations import format_duration
from tocsin.domain.keywords import NO_RULES as NO_KEYWORDS
from tocsin.domain.keywords import KeywordRules, as_plain_names
from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec, WindowSpec
from tocsin.domain.run_rules import NO_RULES, RunRules
from tocsin.domain.schedule import WEEKDAYS, Cron, Maintenance, OnCalendar
from tocsin.domain.windows import OneOff

REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
NEXT_LINE = "\x85"


class Dumper(yaml.SafeDumper):
    """PyYAML writes U+0085 (NEL) as it is in single-quoted text, where reading takes
    it for a line break and folds it to a space: text holding one is double-quoted,
    which escapes it (\\N)."""


def represent_text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = '"' if NEXT_LINE in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


Dumper.add_representer(str, represent_text)


def write_monitors(monitors: Monitors) -> str:
    document: dict[str, Any] = {
        "channels": {key: channel_fields(c) for key, c in monitors.channels.items()},
        "policies": {key: policy_fields(p) for key, p in monitors.policies.items()},
        "checks": {key: check_fields(key, c, monitors) for key, c in monitors.checks.items()},
    }
    if monitors.windows:
        document["maintenance"] = {k: window_fields(w) for k, w in monitors.windows.items()}
    return yaml.dump(
        document,
        Dumper=Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100,
    )


def check_fields(key: str, check: CheckSpec, monitors: Monitors) -> dict[str, Any]:
    """Every field that differs from what reading assumes when it is left out."""
    settings = check.settings
    fields: dict[str, Any] = {}
    if settings.name != key:
        fields["name"] = settings.name
    if settings.tags:
        fields["tags"] = settings.tags.split()
    if settings.description:
        fields["description"] = settings.description
    if isinstance(settings.schedule, Cron):
        fields["cron"] = settings.schedule.expression
    elif isinstance(settings.schedule, OnCalendar):
        lines = settings.schedule.expression.split("\n")
        fields["oncalendar"] = lines[0] if len(lines) == 1 else lines
    else:
        fields["period"] = format_duration(settings.schedule.period)
    if settings.tz != "UTC":
        fields["tz"] = settings.tz
    fields["grace"] = format_duration(settings.grace)
    if settings.maintenance is not None and settings.maintenance.days:
        fields["maintenance"] = maintenance_fields(settings.maintenance, settings.tz)
    if settings.rules != NO_RULES:
        fields["runs"] = runs_fields(settings.rules)
    if settings.methods:
        fields["methods"] = settings.methods
    if settings.manual_resume:
        fields["manual_resume"] = True
    if settings.keywords != NO_KEYWORDS:
        fields["keywords"] = keyword_fields(settings.keywords)
    if check.paused:
        fields["paused"] = True
    if set(monitors.channels_of(check)) != set(monitors.channels):
        fields["channels"] = list(monitors.channels_of(check))
    if check.policy is not None:
        fields["policy"] = check.policy
    if check.depends_on:
        fields["depends_on"] = list(check.depends_on)
    return fields


def keyword_fields(rules: KeywordRules) -> dict[str, Any]:
    """The rules under Tocsin's names, those set only."""
    return {name: value for name, value in as_plain_names(rules).items() if value}


def maintenance_fields(window: Maintenance, check_tz: str) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "days": [WEEKDAYS[day] for day in sorted(window.days)],
        "from": clock(window.start),
        "to": clock(window.end),
    }
    if window.tz != check_tz:
        fields["tz"] = window.tz
    return fields


def window_fields(window: WindowSpec) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if window.check is not None:
        fields["check"] = window.check
    if window.tag is not None:
        fields["tag"] = window.tag
    if isinstance(window.when, OneOff):
        starts, ends = window.when.starts, window.when.ends
        return fields | {"start": instant(starts), "end": instant(ends)}
    return fields | maintenance_fields(window.when, "UTC")


def instant(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def runs_fields(rules: RunRules) -> dict[str, Any]:
    """The rules on runs that are set (reading takes the rest as left out)."""
    limits = {
        "min_duration": rules.min_duration,
        "max_duration": rules.max_duration,
        "min_interval": rules.min_interval,
    }
    fields: dict[str, Any] = {k: format_duration(v) for k, v in limits.items() if v is not None}
    if rules.interval_from_starts:
        fields["interval_from"] = "starts"
    if rules.failure_threshold != 1:
        fields["failure_threshold"] = rules.failure_threshold
    if rules.recovery_threshold != 1:
        fields["recovery_threshold"] = rules.recovery_threshold
    return fields


def clock(moment: time) -> str:
    return moment.isoformat(timespec="minutes" if not moment.second else "seconds")


def channel_fields(channel: ChannelSpec) -> dict[str, Any]:
    return {"kind": channel.kind, **{k: escaped(v) for k, v in channel.config.items()}}


def escaped(value: Any) -> Any:
    if isinstance(value, str):
        return REFERENCE.sub(lambda match: "$" + match.group(), value)
    if isinstance(value, dict):
        return {k: escaped(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escaped(v) for v in value]
    return value


def policy_fields(policy: PolicySpec) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "steps": [
            {"wait": format_duration(wait), "channels": list(channels)}
            for wait, channels in policy.steps
        ]
    }
    if policy.repeat_count:
        fields["repeat_count"] = policy.repeat_count
    if policy.repeat_delay:
        fields["repeat_delay"] = format_duration(policy.repeat_delay)
    if policy.nag_interval is not None:
        fields["nag_interval"] = format_duration(policy.nag_interval)
    return fields
