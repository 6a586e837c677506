"""Retention: the queries that delete what has aged out, a bounded batch at a time.

Each function deletes at most `budget` rows (twice that for incidents, see
`prune_incidents`) and returns how many it deleted, so a caller repeats it, one short
transaction each, until it returns less than `budget`. Every delete names its rows by
a condition, never by ids read in an earlier transaction, so when processes prune one
database at once (they take turns, `wait_for_pruning_lock`), what one deleted the
next finds gone.

What the running service needs is never deleted: a check's newest pings, its newest
flip (Better Stack's `paused_at` reads it), open incidents and their timelines, and
notifications not yet delivered or given up.

Synchronous, over a SQLAlchemy `Connection`, as every store query function.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from tocsin.store.tables import (
    checks,
    flips,
    incident_events,
    incidents,
    invitations,
    login_failures,
    maintenance_windows,
    notifications,
    pings,
    web_sessions,
)

# Any fixed number: the key of the advisory lock one pruner at a time holds on PostgreSQL.
ADVISORY_LOCK_KEY = 0x70C5_1E16


@dataclass(frozen=True, slots=True)
class PingExcess:
    """A check with pings older than its newest `keep`: numbers `oldest` to `last_old`."""

    check_id: int
    oldest: int
    last_old: int


def checks_with_old_pings(connection: sa.Connection, keep: int) -> list[PingExcess]:
    """The checks holding more than their newest `keep` pings. A check's pings are
    numbered 1 to `n_pings`, so what it may keep is `n > n_pings - keep`; the oldest
    number it still holds is the first entry of the `(check_id, n)` index: one short
    index read a check, on SQLite and PostgreSQL alike, however many pings there are."""
    oldest = (
        sa.select(sa.func.min(pings.c.n))
        .where(pings.c.check_id == checks.c.id)
        .scalar_subquery()
        .label("oldest")
    )
    query = sa.select(checks.c.id, oldest, checks.c.n_pings).where(checks.c.n_pings > keep)
    return [
        PingExcess(row.id, row.oldest, row.n_pings - keep)
        for row in connection.execute(query)
        if row.oldest is not None and row.oldest <= row.n_pings - keep
    ]


def prune_ping_ranges(connection: sa.Connection, ranges: list[tuple[int, int]]) -> int:
    """Deletes each check's pings numbered below its bound: (check id, first number
    kept). One statement, one range of the `(check_id, n)` index a check (on
    PostgreSQL a round trip a check cost more than its deletes); the caller picks
    bounds that make the ranges together at most a batch."""
    if not ranges:
        return 0
    below = [
        sa.and_(pings.c.check_id == check_id, pings.c.n < first_kept)
        for check_id, first_kept in ranges
    ]
    return connection.execute(sa.delete(pings).where(sa.or_(*below))).rowcount


def prune_flips(connection: sa.Connection, before: datetime, budget: int) -> int:
    """Flips older than `before`, oldest first, except each check's newest."""
    newer = sa.alias(flips, "newer")
    has_newer = (
        sa.select(newer.c.id)
        .where(newer.c.check_id == flips.c.check_id, newer.c.created > flips.c.created)
        .exists()
    )
    doomed = (
        sa.select(flips.c.id)
        .where(flips.c.created < before, has_newer)
        .order_by(flips.c.created)
        .limit(budget)
    )
    return delete_ids(connection, flips, doomed)


def prune_notifications(connection: sa.Connection, before: datetime, budget: int) -> int:
    """Notifications made before `before` that were delivered or given up; pending
    and leased ones stay, however old."""
    doomed = (
        sa.select(notifications.c.id)
        .where(notifications.c.created < before, notifications.c.status.in_(("sent", "failed")))
        .order_by(notifications.c.created)
        .limit(budget)
    )
    return delete_ids(connection, notifications, doomed)


def prune_incidents(connection: sa.Connection, before: datetime, budget: int) -> int:
    """Incidents resolved before `before`, with their timelines and notifications.
    Up to `budget` of them at a time: first at most `budget` of their events and
    notifications together, and only once those are gone the incidents themselves,
    so a transaction deletes at most twice `budget` rows however long an incident's
    timeline grew. Returns all the rows deleted: `budget` or more means there may be
    more to delete."""
    old = (
        sa.select(incidents.c.id)
        .where(
            incidents.c.status == sa.literal_column("'resolved'"),
            incidents.c.resolved_at < before,
        )
        .order_by(incidents.c.resolved_at)
        .limit(budget)
    )
    ids = list(connection.scalars(old))
    if not ids:
        return 0
    deleted = 0
    for table in (incident_events, notifications):
        doomed = sa.select(table.c.id).where(table.c.incident_id.in_(ids)).limit(budget - deleted)
        deleted += delete_ids(connection, table, doomed)
        if deleted >= budget:
            return deleted
    result = connection.execute(
        sa.delete(incidents).where(
            incidents.c.id.in_(ids), incidents.c.status == sa.literal_column("'resolved'")
        )
    )
    return deleted + result.rowcount


def prune_sessions(connection: sa.Connection, before: datetime, budget: int) -> int:
    """Web sessions that expired by `before` (now): they no longer sign anybody in."""
    doomed = sa.select(web_sessions.c.id).where(web_sessions.c.expires <= before).limit(budget)
    return delete_ids(connection, web_sessions, doomed)


def prune_invitations(connection: sa.Connection, before: datetime, budget: int) -> int:
    """Invitations accepted, revoked or expired before `before`: their links no
    longer work either way."""
    closed = sa.or_(
        invitations.c.expires < before,
        invitations.c.accepted < before,
        invitations.c.revoked < before,
    )
    doomed = sa.select(invitations.c.id).where(closed).limit(budget)
    return delete_ids(connection, invitations, doomed)


def prune_login_failures(connection: sa.Connection, before: datetime, budget: int) -> int:
    """Failed sign-ins too old to count towards throttling."""
    doomed = (
        sa.select(login_failures.c.id)
        .where(login_failures.c.at <= before)
        .order_by(login_failures.c.at)
        .limit(budget)
    )
    return delete_ids(connection, login_failures, doomed)


def prune_ended_windows(connection: sa.Connection, before: datetime, budget: int) -> int:
    """One-off maintenance windows and snoozes that ended before `before`; recurring
    windows have no end and stay. No index on `ends_at`: a project holds a handful of
    windows, read once a pruning pass."""
    doomed = (
        sa.select(maintenance_windows.c.id)
        .where(maintenance_windows.c.ends_at < before)
        .order_by(maintenance_windows.c.ends_at)
        .limit(budget)
    )
    return delete_ids(connection, maintenance_windows, doomed)


def delete_ids(connection: sa.Connection, table: sa.Table, doomed: sa.Select[tuple[int]]) -> int:
    """DELETE … WHERE id IN (a bounded SELECT): neither database takes a LIMIT on
    DELETE (SQLite only when built with it)."""
    statement = sa.delete(table).where(table.c.id.in_(doomed.scalar_subquery()))
    return connection.execute(statement).rowcount


def wait_for_pruning_lock(connection: sa.Connection) -> None:
    """On PostgreSQL, waits for the advisory lock that lets one process's transaction
    prune at a time, held until commit: pruners in several processes take turns
    instead of waiting on each other's rows, and can never deadlock over them. SQLite
    has one writer at a time anyway."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(ADVISORY_LOCK_KEY)))
