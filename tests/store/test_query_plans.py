"""The queries that run all the time must use their partial indexes on SQLite, or they
read every row the table ever held (sent notifications, resolved incidents).

SQLite uses a partial index only when the query repeats the index's condition with
the same literal values, so a query written with bound parameters silently scans."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND
from tests.helpers import T0
from tocsin.store import incidents as incident_store
from tocsin.store import notifications as outbox
from tocsin.store import oncall, retention
from tocsin.store.database import Database

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite's query planner")


@contextmanager
def plans_of_statements(connection: sa.Connection) -> Iterator[list[str]]:
    """The query plan of every statement run meanwhile, with its parameters bound
    exactly as the application bound them."""
    plans: list[str] = []
    statements: list[tuple[str, Any]] = []

    def remember(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        statements.append((statement, parameters))

    sa.event.listen(connection, "before_cursor_execute", remember)
    try:
        yield plans
    finally:
        sa.event.remove(connection, "before_cursor_execute", remember)
    cursor = connection.connection.cursor()
    for statement, parameters in statements:
        cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
        plans.append(" | ".join(str(row[-1]) for row in cursor.fetchall()))


async def plans_when(database: Database, work: Callable[[sa.Connection], object]) -> list[str]:
    def inside(sync: sa.Connection) -> list[str]:
        with plans_of_statements(sync) as plans:
            work(sync)
        return plans

    async with database.write() as connection:
        return await connection.run_sync(inside)


async def test_the_notifier_reads_only_outstanding_notifications(database: Database) -> None:
    plans = await plans_when(database, outbox.earliest_due)
    plans += await plans_when(
        database,
        lambda c: outbox.claim_due(c, T0, T0 + timedelta(seconds=30), 500, skip_locked=False),
    )
    # earliest_due: two minimums; claim_due: due pending rows, then lapsed leases.
    assert len(plans) == 4
    for plan, index in zip(plans, ["pending", "leased"] * 2, strict=True):
        assert f"INDEX ix_notifications_{index}" in plan, plan


async def test_open_incidents_are_found_through_their_partial_index(database: Database) -> None:
    plans = await plans_when(database, lambda c: incident_store.open_incident(c, 1))
    plans += await plans_when(
        database, lambda c: incident_store.checks_with_open_incident(c, [1, 2, 3])
    )
    assert len(plans) == 2
    for plan in plans:
        assert "ix_incidents_open_check" in plan, plan


async def test_retention_finds_what_aged_out_through_indexes(database: Database) -> None:
    work: list[Callable[[sa.Connection], object]] = [
        lambda c: retention.checks_with_old_pings(c, 100),
        lambda c: retention.prune_ping_ranges(c, [(1, 500), (2, 40)]),
        lambda c: retention.prune_flips(c, T0, 500),
        lambda c: retention.prune_notifications(c, T0, 500),
        lambda c: retention.prune_incidents(c, T0, 500),
        lambda c: retention.prune_sessions(c, T0, 500),
        lambda c: retention.prune_login_failures(c, T0, 500),
    ]
    plans = [" || ".join(await plans_when(database, step)) for step in work]
    expected = [
        "ix_pings_check_n (check_id=?)",
        "ix_pings_check_n (check_id=? AND n<?)",
        "ix_flips_created (created<?)",
        "ix_notifications_created (created<?)",
        "ix_incidents_resolved_at (resolved_at<?)",
        "ix_web_sessions_expires (expires<?)",
        "ix_login_failures_at (at<?)",
    ]
    for plan, index in zip(plans, expected, strict=True):
        assert index in plan, plan
    # A flip is kept while no newer one of its check exists: found in its check's index.
    assert "ix_flips_check_created (check_id=? AND created>?)" in plans[2], plans[2]


async def test_escalation_finds_who_is_on_call_without_scanning_a_table(
    database: Database,
) -> None:
    plans = await plans_when(database, lambda c: oncall.on_call_user(c, 1, None, T0))
    plans += await plans_when(database, lambda c: oncall.on_call_user(c, 1, 7, T0))
    assert len(plans) == 2  # no calendar found: no more questions
    for plan in plans:
        assert "USING INDEX" in plan or "PRIMARY KEY" in plan, plan
    plans = await plans_when(database, lambda c: oncall.calendar_for(c, 1, T0, T0))
    expected = [
        "ix_oncall_rotations_calendar",
        "ix_oncall_rotations_calendar",
        "overrides_calendar",
    ]
    for plan, index in zip(plans, expected, strict=True):
        assert index in plan, plan
