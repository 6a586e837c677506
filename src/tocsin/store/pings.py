"""Queries on the ping log.

Synchronous, over a SQLAlchemy `Connection`; async code reaches them through
`store.database.Database`, as every store query function."""

from datetime import datetime

import sqlalchemy as sa

from tocsin.domain.records import Ping, RecentPing
from tocsin.store.tables import checks, pings

LISTED_COLUMNS = [c for c in pings.c if c.name != "body"]


def list_pings(
    connection: sa.Connection, check_id: int, limit: int, *, before: int | None = None
) -> list[Ping]:
    """The newest `limit` pings, newest first; `before` a ping number, for the next page."""
    query = (
        sa.select(*LISTED_COLUMNS)
        .where(pings.c.check_id == check_id)
        .order_by(pings.c.n.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(pings.c.n < before)
    return [Ping(**row._mapping) for row in connection.execute(query)]


def ping_body(connection: sa.Connection, check_id: int, n: int) -> bytes | None:
    query = sa.select(pings.c.body).where(pings.c.check_id == check_id, pings.c.n == n)
    body: bytes | None = connection.scalar(query)
    return body


def recent_runs(
    connection: sa.Connection, check_id: int, limit: int
) -> list[tuple[datetime, float, str]]:
    """(finished, duration in seconds, kind) of the newest `limit` pings that ended a
    timed run, newest first; walks the `(check_id, n)` index backwards."""
    query = (
        sa.select(pings.c.created, pings.c.duration, pings.c.kind)
        .where(pings.c.check_id == check_id, pings.c.duration.is_not(None))
        .order_by(pings.c.n.desc())
        .limit(limit)
    )
    return [(row.created, row.duration, row.kind) for row in connection.execute(query)]


def project_histories(
    connection: sa.Connection, project_id: int, per_check: int
) -> dict[int, list[RecentPing]]:
    """The newest `per_check` pings of each check of a project, newest first, by check id,
    in one query. A check's pings are numbered 1 to `n_pings`, so its newest are those
    above `n_pings - per_check`: a short range of the `(check_id, n)` index for each
    check, on SQLite and PostgreSQL alike, where a window function would first number
    every ping the project has kept."""
    query = (
        sa.select(pings.c.check_id, pings.c.n, pings.c.created, pings.c.kind, pings.c.exit_status)
        .join(checks, checks.c.id == pings.c.check_id)
        .where(checks.c.project_id == project_id, pings.c.n > checks.c.n_pings - per_check)
        .order_by(pings.c.check_id, pings.c.n.desc())
    )
    found: dict[int, list[RecentPing]] = {}
    for row in connection.execute(query):
        found.setdefault(row.check_id, []).append(
            RecentPing(row.n, row.created, row.kind, row.exit_status)
        )
    return found
