"""One check as `tocsin check show` (and `edit`, after a change) prints it: its settings,
status, rules on runs, keyword rules in words, whom it alerts, the checks it depends on
and that need it, the maintenance windows that apply to it and its snooze; or all of
that as JSON. Read in one transaction through the store and `services.maintenance`, as
the web app's check page reads it."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from tocsin.cli import check_rules, dependencies
from tocsin.cli.common import console
from tocsin.domain.checks import shown_status
from tocsin.domain.dependencies import Links
from tocsin.domain.describe import describe_schedule, stamp
from tocsin.domain.durations import format_duration
from tocsin.domain.keywords import as_plain_names, describe_rules
from tocsin.domain.records import CheckDetails
from tocsin.domain.windows import Window, as_document
from tocsin.output.checks import check_json, iso
from tocsin.store import channels as channel_store
from tocsin.store import checks as check_store

ALL_CHANNELS = "default (all channels at once)"


@dataclass(frozen=True, slots=True)
class CheckView:
    details: CheckDetails
    links: Links
    policy: str | None  # the escalation policy's name; None: the default
    windows: list[Window]  # those that apply and have not ended, its snooze among them

    @property
    def snooze(self) -> Window | None:
        return next((w for w in self.windows if w.snooze), None)

    @property
    def maintenance(self) -> list[Window]:
        return [w for w in self.windows if not w.snooze]


def read_view(connection: sa.Connection, check_id: int, now: datetime) -> CheckView:
    # Here, not at the top: `tocsin check list` loads this module and needs no service.
    from tocsin.services.maintenance import windows_in_effect

    details = check_store.written_details(connection, check_id)
    record = details.record
    policy_id = channel_store.check_policies(connection, record.project_id).get(check_id)
    names = channel_store.policy_names(connection, record.project_id) if policy_id else {}
    return CheckView(
        details,
        dependencies.links_of(connection, check_id),
        names.get(policy_id) if policy_id else None,
        windows_in_effect(connection, record, now),
    )


def print_view(view: CheckView, now: datetime) -> None:
    for label, value in view_lines(view, now):
        console.print(f"{label + ':':<20} {value}", highlight=False, markup=False)


def view_lines(view: CheckView, now: datetime) -> list[tuple[str, str]]:
    record, spec = view.details.record, view.details.spec
    return [
        ("Name", record.label),
        ("UUID", str(record.uuid)),
        ("Slug", spec.slug or "-"),
        ("Tags", spec.tags or "-"),
        ("Description", spec.description or "-"),
        ("Status", shown_status(record.state, now)),
        ("Schedule", describe_schedule(record.state)),
        ("Grace", format_duration(record.state.grace)),
        ("Manual resume", yes_no(spec.manual_resume)),
        ("Post only", yes_no(spec.methods == "POST")),
        ("Policy", view.policy or ALL_CHANNELS),
        *check_rules.rules_lines(spec.rules),
        ("Keyword rules", describe_rules(spec.keywords)),
        ("Depends on", dependencies.listed(view.links.parents)),
        ("Needed by", dependencies.listed(view.links.children)),
        *window_lines(view),
        ("Snoozed", snooze_words(view.snooze)),
    ]


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def window_lines(view: CheckView) -> list[tuple[str, str]]:
    """`Maintenance` with a line a window, as the check's web page lists them."""
    label = view.details.record.label
    described = [
        f"{w.name}: {w.when.describe()} ({w.scope.describe(label)})" for w in view.maintenance
    ]
    if not described:
        return [("Maintenance", "-")]
    return [("Maintenance" if n == 0 else "", line) for n, line in enumerate(described)]


def snooze_words(snooze: Window | None) -> str:
    return "-" if snooze is None else f"by {snooze.created_by} until {stamp(snooze.until)}"


def view_json(view: CheckView, now: datetime) -> dict[str, Any]:
    record, spec = view.details.record, view.details.spec
    snooze = view.snooze
    return {
        **check_json(record, {}, now),
        "description": spec.description,
        "tz": spec.tz,
        "manual_resume": spec.manual_resume,
        "post_only": spec.methods == "POST",
        "policy": view.policy,
        "rules": check_rules.rules_json(spec.rules),
        "keywords": as_plain_names(spec.keywords),
        "keywords_in_words": describe_rules(spec.keywords),
        **dependencies.links_json(view.links),
        "maintenance": [as_document(w) for w in view.maintenance],
        "snooze": None if snooze is None else {"by": snooze.created_by, "until": iso(snooze.until)},
    }
