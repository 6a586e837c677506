"""Batches: every change of check state, in one transaction, run in one go.

A batch is a short synchronous function given a `BatchWriter`: the ping path writes
through its plain DBAPI cursor (fixed SQL, values already in the driver's form), and
rarer work (deadline passes, incidents) through its SQLAlchemy connection, both in
the same transaction. On SQLite the batch runs over a connection of its own on the
event loop's thread (see store.fastpath.runners for why); on PostgreSQL in a greenlet over the
pooled asyncpg connection (SQLAlchemy's `run_sync`). Awaiting each statement through
aiosqlite instead cost a loop turn per statement, and under load a loop turn is
long: batches then took 14 ms for 32 pings.

The raw values match what the SQLAlchemy types in `tables.py` write, so both read
each other's rows; tests/store/test_batch.py holds them to that. The column lists are
built from the Table objects of `tables.py`, the state update is store.checks'
`STATE_UPDATE` compiled to text, and rows become records through store.checks'
`record_from_values`: one definition of each for both roads.
"""

import sqlite3
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler

from tocsin.domain.checks import CheckState
from tocsin.domain.records import CheckRecord, NewCheck
from tocsin.store.checks import (
    RECORD_COLUMNS,
    STATE_UPDATE,
    new_check_values,
    state_values,
)
from tocsin.store.fastpath.bulk import dollar_params
from tocsin.store.rows import EPOCH, MICROSECOND, record_from_values
from tocsin.store.tables import pings


def positional_sql(statement: sa.ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A Core statement as SQL text with `?` placeholders (`dollar_params` turns them
    into asyncpg's), and the names of its parameters in their order."""
    compiled = statement.compile(dialect=sqlite.dialect())
    assert isinstance(compiled, SQLCompiler)
    return compiled.string, tuple(compiled.positiontup or ())


# The SQL and its column lists are derived from store.tables (through store.checks),
# so a renamed or dropped column fails at import, not on the first ping.
CHECK_COLUMNS = ", ".join(column.name for column in RECORD_COLUMNS)
# The ordinary road's statement (store.checks.save_states) as text. `save` builds each
# row in this order, encoding times and uuids by position: a statement that changed
# its parameters fails here, at import.
UPDATE_STATE, UPDATE_STATE_PARAMS = positional_sql(STATE_UPDATE)
SAVED_ROW = (
    "status",
    "last_ping",
    "last_start",
    "last_start_rid",
    "last_duration",
    "alert_after",
    "added",
    "updated",
    "failure_streak",
    "success_streak",
    "missed_due",
    "last_run",
    "check_id",
)
if UPDATE_STATE_PARAMS != SAVED_ROW:
    raise RuntimeError(f"UPDATE_STATE takes {UPDATE_STATE_PARAMS}; BatchWriter.save, {SAVED_ROW}")
# Every column of a ping but its id, in the order of `BatchWriter.ping_values`.
PING_COLUMNS: tuple[sa.Column[Any], ...] = (
    pings.c.check_id,
    pings.c.n,
    pings.c.created,
    pings.c.kind,
    pings.c.exit_status,
    pings.c.rid,
    pings.c.duration,
    pings.c.method,
    pings.c.scheme,
    pings.c.remote_addr,
    pings.c.ua,
    pings.c.body,
    pings.c.body_size,
    pings.c.body_truncated,
)
INSERT_PING = (
    f"INSERT INTO {pings.name} ({', '.join(column.name for column in PING_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(PING_COLUMNS))})"
)
# How far back a finish looks for the start of its run, as Healthchecks does.
RUN_LOOKBACK = timedelta(hours=72)
RUN_START = (
    "SELECT created FROM pings WHERE check_id = ? AND rid = ? AND kind = 'start' "
    "AND created >= ? ORDER BY created DESC LIMIT 1"
)


class Driver(Protocol):
    """The little a batch needs from a DBAPI cursor, in the driver's value forms."""

    for_update: str

    def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]: ...
    def execute_many(self, sql: str, rows: list[Sequence[Any]]) -> None: ...
    def encode_time(self, value: datetime | None) -> Any: ...
    def decode_time(self, value: Any) -> datetime | None: ...
    def encode_uuid(self, value: uuid.UUID | None) -> Any: ...
    def encode_flag(self, value: bool) -> Any: ...
    def encode_uuid_hex(self, value: str) -> Any: ...
    def decode_uuid(self, value: Any) -> uuid.UUID | None: ...


# sqlite3 binds int, float and str directly but looks every other value up as a
# candidate for adaptation, and for None (NULL) that lookup fails through two raised
# and caught AttributeErrors: 0.29 µs a None, seven or so a ping. With None's own
# adapter registered the lookup succeeds at once (0.12 µs). It returns None
# unchanged, so every connection of the process still binds NULL for None.
sqlite3.register_adapter(type(None), lambda value: value)


class SqliteDriver:
    """sqlite3; times as integer microseconds (see UTCDateTime), uuids as 32 hex digits."""

    for_update = ""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        self.cursor.execute(sql, params)
        rows: list[Sequence[Any]] = self.cursor.fetchall()
        return rows

    def execute_many(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self.cursor.executemany(sql, rows)

    def encode_time(self, value: datetime | None) -> Any:
        return None if value is None else (value - EPOCH) // MICROSECOND

    def decode_time(self, value: Any) -> datetime | None:
        return None if value is None else EPOCH + timedelta(microseconds=value)

    def encode_uuid(self, value: uuid.UUID | None) -> Any:
        return None if value is None else value.hex

    def encode_flag(self, value: bool) -> Any:
        return int(value)  # a bool would take sqlite3's slow path, as None does: see above

    def encode_uuid_hex(self, value: str) -> Any:
        return value

    def decode_uuid(self, value: Any) -> uuid.UUID | None:
        return None if value is None else uuid.UUID(hex=value)


class PostgresDriver:
    """asyncpg behind SQLAlchemy's DBAPI adapter; aware datetimes and uuids natively."""

    for_update = " FOR UPDATE"

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def fetch(self, sql: str, params: Sequence[Any]) -> list[Sequence[Any]]:
        self.cursor.execute(dollar_params(sql), params)
        rows: list[Sequence[Any]] = self.cursor.fetchall()
        return rows

    def execute_many(self, sql: str, rows: list[Sequence[Any]]) -> None:
        self.cursor.executemany(dollar_params(sql), rows)

    def encode_time(self, value: datetime | None) -> Any:
        return value

    def decode_time(self, value: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def encode_uuid(self, value: uuid.UUID | None) -> Any:
        return value

    def encode_flag(self, value: bool) -> Any:
        return value

    def encode_uuid_hex(self, value: str) -> Any:
        return uuid.UUID(hex=value)

    def decode_uuid(self, value: Any) -> uuid.UUID | None:
        return None if value is None else uuid.UUID(int=value.int)


def placeholders(count: int) -> str:
    return ", ".join("?" * count)


class CheckCache:
    """Checks as this process last wrote them, trusted while no other connection has
    written to the database since (SQLite's `PRAGMA data_version` tells). A hit saves
    the lookup and decoding of the pinged check: a third of a ping's cost."""

    def __init__(self, limit: int = 100_000) -> None:
        self.limit = limit
        self.version: int | None = None
        self.by_id: dict[int, CheckRecord] = {}
        self.by_uuid: dict[str, CheckRecord] = {}  # by uuid.hex
        self.by_token: dict[str, CheckRecord] = {}

    def validate(self, version: int) -> None:
        if version != self.version:
            self.clear()
            self.version = version

    def clear(self) -> None:
        self.by_id.clear()
        self.by_uuid.clear()
        self.by_token.clear()

    def add(self, record: CheckRecord) -> None:
        if len(self.by_id) >= self.limit:
            self.clear()
        self.by_id[record.id] = self.by_uuid[record.uuid.hex] = self.by_token[record.token] = record

    def written(self, check_id: int, state: CheckState, added: int, deadline: Any) -> None:
        record = self.by_id.get(check_id)
        if record is not None:
            # Only this cache holds the record, so it is brought up to date in place.
            record.state = state
            record.n_pings += added
            record.alert_after = deadline

    def deadline_moved(self, check_id: int, deadline: datetime) -> None:
        record = self.by_id.get(check_id)
        if record is not None:
            record.alert_after = deadline


class BatchWriter:
    """One batch's transaction: find and lock checks, then write states and pings."""

    def __init__(
        self, driver: Driver, connection: sa.Connection, cache: CheckCache | None = None
    ) -> None:
        self.driver = driver
        self.connection = connection
        self.cache = cache

    @property
    def is_sqlite(self) -> bool:
        return isinstance(self.driver, SqliteDriver)

    def projects_by_ping_key(self, keys: Sequence[str]) -> dict[str, int]:
        sql = f"SELECT ping_key, id FROM projects WHERE ping_key IN ({placeholders(len(keys))})"
        return {str(row[0]): int(row[1]) for row in self.driver.fetch(sql, keys)}

    def lock_checks(
        self,
        uuids: Sequence[str],
        tokens: Sequence[str],
        project_ids: Sequence[int],
        slugs: Sequence[str],
    ) -> list[CheckRecord]:
        """Every named check, locked in id order so concurrent batches cannot deadlock.
        Checks found in the cache are not read again (slug lookups always are)."""
        cached: list[CheckRecord] = []
        if self.cache is not None:
            cache = self.cache
            cached = [cache.by_uuid[u] for u in uuids if u in cache.by_uuid]
            cached += [cache.by_token[t] for t in tokens if t in cache.by_token]
            uuids = [u for u in uuids if u not in cache.by_uuid]
            tokens = [t for t in tokens if t not in cache.by_token]
        fetched = self.fetch_checks(uuids, tokens, project_ids, slugs)
        if self.cache is not None:
            for record in fetched:
                self.cache.add(record)
        return cached + fetched

    def fetch_checks(
        self,
        uuids: Sequence[str],
        tokens: Sequence[str],
        project_ids: Sequence[int],
        slugs: Sequence[str],
    ) -> list[CheckRecord]:
        conditions: list[str] = []
        params: list[Any] = []
        if uuids:
            conditions.append(f"uuid IN ({placeholders(len(uuids))})")
            params.extend(self.driver.encode_uuid_hex(u) for u in uuids)
        if tokens:
            conditions.append(f"token IN ({placeholders(len(tokens))})")
            params.extend(tokens)
        if project_ids and slugs:
            conditions.append(
                f"(project_id IN ({placeholders(len(project_ids))}) "
                f"AND slug IN ({placeholders(len(slugs))}))"
            )
            params.extend([*project_ids, *slugs])
        if not conditions:
            return []
        sql = (
            f"SELECT {CHECK_COLUMNS} FROM checks WHERE {' OR '.join(conditions)} "
            f"ORDER BY id{self.driver.for_update}"
        )
        return [self.record(row) for row in self.driver.fetch(sql, params)]

    def insert_check(self, project_id: int, spec: NewCheck, now: datetime) -> CheckRecord:
        values = new_check_values(project_id, spec, now)
        encoded = [self.encode(value) for value in values.values()]
        sql = (
            f"INSERT INTO checks ({', '.join(values)}) VALUES ({placeholders(len(values))}) "
            f"RETURNING {CHECK_COLUMNS}"
        )
        record = self.record((self.driver.fetch(sql, encoded))[0])
        if self.cache is not None:
            self.cache.add(record)
        return record

    def encode(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.driver.encode_time(value)
        if isinstance(value, uuid.UUID):
            return self.driver.encode_uuid(value)
        return value

    def run_start(self, check_id: int, rid: uuid.UUID, before: datetime) -> datetime | None:
        since = self.driver.encode_time(before - RUN_LOOKBACK)
        rows = self.driver.fetch(RUN_START, [check_id, self.driver.encode_uuid(rid), since])
        return self.driver.decode_time(rows[0][0]) if rows else None

    def save(
        self,
        changes: Sequence[tuple[int, CheckState, int]],
        ping_rows: list[Sequence[Any]],
        now: datetime,
    ) -> datetime | None:
        """Write the batch (pings as `ping_values` made them); returns the earliest
        deadline it set, for the watcher."""
        time, uid = self.driver.encode_time, self.driver.encode_uuid
        encoded_now = time(now)
        earliest: datetime | None = None
        rows: list[Sequence[Any]] = []
        for check_id, state, added in changes:
            (
                status,
                last_ping,
                last_start,
                rid,
                duration,
                deadline,
                failures,
                successes,
                missed_due,
                last_run,
            ) = state_values(state)
            rows.append(
                (
                    status,
                    time(last_ping),
                    time(last_start),
                    uid(rid),
                    duration,
                    time(deadline),
                    added,
                    encoded_now,
                    failures,
                    successes,
                    time(missed_due),
                    time(last_run),
                    check_id,
                )
            )
            if self.cache is not None:
                self.cache.written(check_id, state, added, deadline)
            if deadline is not None and (earliest is None or deadline < earliest):
                earliest = deadline
        self.driver.execute_many(UPDATE_STATE, rows)
        if ping_rows:
            self.driver.execute_many(INSERT_PING, ping_rows)
        return earliest

    def due_checks(self, now: datetime, limit: int) -> list[CheckRecord]:
        """Checks whose deadline has passed, oldest deadline first; served by the
        partial index on alert_after, so the cost follows the number of due checks.
        Several watchers on one PostgreSQL database split them between them."""
        lock = "" if self.is_sqlite else " FOR UPDATE SKIP LOCKED"
        sql = (
            f"SELECT {CHECK_COLUMNS} FROM checks WHERE alert_after IS NOT NULL "
            f"AND alert_after <= ? ORDER BY alert_after LIMIT ?{lock}"
        )
        rows = self.driver.fetch(sql, [self.driver.encode_time(now), limit])
        return [self.record(row) for row in rows]

    def deadlines_between(self, start: datetime, end: datetime) -> list[int]:
        """Checks whose deadline is in [start, end), locked in id order as batches of
        pings lock them; on PostgreSQL those locked by others are passed by: a ping or
        a watcher is at work on them."""
        lock = "" if self.is_sqlite else " FOR UPDATE SKIP LOCKED"
        sql = (
            "SELECT id FROM checks WHERE alert_after IS NOT NULL AND alert_after >= ? "
            f"AND alert_after < ? ORDER BY id{lock}"
        )
        encode = self.driver.encode_time
        return [int(row[0]) for row in self.driver.fetch(sql, [encode(start), encode(end)])]

    def hold_deadlines(self, held: Sequence[tuple[int, datetime]]) -> None:
        """Move the deadlines of (check id, new deadline): nothing else of the check
        changes, and its next ping sets its deadline anew."""
        encode = self.driver.encode_time
        rows: list[Sequence[Any]] = [(encode(deadline), check_id) for check_id, deadline in held]
        if rows:
            self.driver.execute_many("UPDATE checks SET alert_after = ? WHERE id = ?", rows)
        if self.cache is not None:
            for check_id, deadline in held:
                self.cache.deadline_moved(check_id, deadline)

    def ping_values(
        self,
        check_id: int,
        n: int,
        created: datetime,
        kind: str,
        exit_status: int | None,
        rid: uuid.UUID | None,
        duration: float | None,
        method: str,
        scheme: str,
        remote_addr: str | None,
        ua: str,
        body: bytes | None,
        body_size: int,
        body_truncated: bool,
    ) -> tuple[Any, ...]:
        """A ping's row for INSERT_PING, in the driver's form. Built straight from
        its parts: a `Ping` first, then its row, cost a ping 0.75 µs more."""
        return (
            check_id,
            n,
            self.driver.encode_time(created),
            kind,
            exit_status,
            self.driver.encode_uuid(rid),
            duration,
            method,
            scheme,
            remote_addr,
            ua,
            body,
            body_size,
            self.driver.encode_flag(body_truncated),
        )

    def record(self, row: Sequence[Any]) -> CheckRecord:
        """A check from a row of CHECK_COLUMNS, as the ordinary road reads it."""
        return record_from_values(row, self.driver.decode_time, self.driver.decode_uuid)
