"""Queries on the ping log."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from tocsin.checks import Action
from tocsin.store.tables import pings

# How far back a finish looks for the start of its run, as Healthchecks does.
RUN_LOOKBACK = timedelta(hours=72)


@dataclass(frozen=True, slots=True)
class PingRecord:
    id: int
    check_id: int
    n: int
    created: datetime
    kind: str
    exit_status: int | None
    rid: uuid.UUID | None
    duration: float | None
    method: str
    scheme: str
    remote_addr: str | None
    ua: str
    body_size: int
    body_truncated: bool


async def insert_pings(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await connection.execute(pings.insert(), list(rows))


async def run_start(
    connection: AsyncConnection, check_id: int, rid: uuid.UUID, before: datetime
) -> datetime | None:
    """When the run `rid` of this check started, if it did within the lookback."""
    query = (
        sa.select(pings.c.created)
        .where(
            pings.c.check_id == check_id,
            pings.c.rid == rid,
            pings.c.kind == Action.START.value,
            pings.c.created >= before - RUN_LOOKBACK,
        )
        .order_by(pings.c.created.desc())
        .limit(1)
    )
    started: datetime | None = await connection.scalar(query)
    return started


LISTED_COLUMNS = [c for c in pings.c if c.name != "body"]


async def list_pings(connection: AsyncConnection, check_id: int, limit: int) -> list[PingRecord]:
    query = (
        sa.select(*LISTED_COLUMNS)
        .where(pings.c.check_id == check_id)
        .order_by(pings.c.n.desc())
        .limit(limit)
    )
    return [PingRecord(**row._mapping) for row in await connection.execute(query)]


async def ping_body(connection: AsyncConnection, check_id: int, n: int) -> bytes | None:
    query = sa.select(pings.c.body).where(pings.c.check_id == check_id, pings.c.n == n)
    body: bytes | None = await connection.scalar(query)
    return body
