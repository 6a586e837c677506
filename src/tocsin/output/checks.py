"""`tocsin check list`'s table, hint and JSON.

`tocsin check list` draws its table here, whichever road read the checks: the Typer
command (tocsin.cli.checks) or, on SQLite, the launcher's lane that loads neither
Typer nor SQLAlchemy (tocsin.launcher). One place decides the columns, the values
and the words; a test runs both roads and compares what they print.
"""

import json
from datetime import datetime
from typing import Any

from rich.table import Table

from tocsin.domain.checks import due_at, shown_status, status, streak
from tocsin.domain.clock import SystemClock
from tocsin.domain.describe import (
    EXAMPLE_CRON,
    describe_schedule,
    next_expected,
    schedule_hint,
    when,
)
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import unless_never
from tocsin.output.consoles import console

NO_CHECKS = "No checks yet: create one with `tocsin check create`."


def print_check_list(records: list[CheckRecord], now: datetime, *, as_json: bool) -> None:
    """`tocsin check list`'s output: a table and a hint, or JSON."""
    if as_json:
        console.print_json(json.dumps([check_json(r, {}, now) for r in records]))
        return
    table = Table("Name", "Schedule", "Status", "Last ping", "Next expected", "UUID")
    for record in records:
        table.add_row(
            record.label,
            describe_schedule(record.state),
            shown_status(record.state, now),
            when(record.state.last_ping, now),
            next_expected(record.state, now),
            str(record.uuid),
        )
    console.print(table if records else NO_CHECKS)
    print_list_hint([r for r in records if schedule_hint(r.state.schedule)])


def print_list_hint(long_periods: list[CheckRecord]) -> None:
    """One line for every check a schedule would watch better, not a hint per row."""
    if not long_periods:
        return
    names = ", ".join(repr(record.label) for record in long_periods[:3])
    if len(long_periods) > 3:
        names += f" and {len(long_periods) - 3} more"
    console.print(
        f"Hint: {names} {'runs' if len(long_periods) == 1 else 'run'} on a period of a day or"
        f" more; a daily job is better watched with a schedule (--cron '{EXAMPLE_CRON}' --tz"
        " ZONE), which notices a missed run at its time plus grace.",
        highlight=False,
    )


def check_json(
    record: CheckRecord, urls: dict[str, str], now: datetime | None = None
) -> dict[str, Any]:
    state = record.state
    now = now or SystemClock().now()
    due = due_at(state)
    return {
        "uuid": str(record.uuid),
        "name": record.name,
        "slug": record.slug,
        "tags": record.tags,
        "schedule": state.schedule.describe(),
        "grace": state.grace.total_seconds(),
        "status": status(state, now).value,
        "streak": streak(state),  # `failing (2 of 3)` under a threshold, else ""
        "last_ping": iso(state.last_ping),
        "next_expected": iso(unless_never(due)),
        "n_pings": record.n_pings,
        **{label.replace(" ", "_").lower(): url for label, url in urls.items()},
    }


def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
