"""Many rows inserted straight through the driver.

When thousands of checks go down at once, the watcher writes a flip, an incident, its
timeline and its notifications for each, and SQLAlchemy's bookkeeping per row of an
`executemany` cost more than SQLite's own work. These functions bind each value
exactly as SQLAlchemy would (its own bind processors, per dialect) and hand the rows
to the DBAPI cursor in one call.
"""

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any] | None
_PLANS: dict[tuple[str, str, tuple[str, ...]], tuple[str, list[Processor]]] = {}
_DOLLAR_CACHE: dict[str, str] = {}


def insert_many(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Rows that all name the same columns."""
    if not rows:
        return
    sql, processors = plan(connection.dialect, table, tuple(rows[0]))
    cursor = connection.connection.cursor()
    cursor.executemany(sql, [bound(row, processors) for row in rows])


def insert_returning_ids(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Rows that all name the same columns; their new ids, in the order of `rows`."""
    if not rows:
        return []
    if connection.dialect.name != "sqlite":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.scalars(statement, rows))
    sql, processors = plan(connection.dialect, table, tuple(rows[0]))
    cursor = connection.connection.cursor()
    ids = []
    for row in rows:
        cursor.execute(sql, bound(row, processors))
        ids.append(int(cursor.lastrowid))
    return ids


def plan(
    dialect: Dialect, table: sa.Table, columns: tuple[str, ...]
) -> tuple[str, list[Processor]]:
    key = (dialect.name, table.name, columns)
    found = _PLANS.get(key)
    if found is not None:
        return found
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    if dialect.name != "sqlite":
        sql = dollar_params(sql)
    processors: list[Processor] = [
        table.c[column].type.bind_processor(dialect) for column in columns
    ]
    _PLANS[key] = (sql, processors)
    return sql, processors


def bound(row: Mapping[str, Any], processors: list[Processor]) -> tuple[Any, ...]:
    return tuple(
        value if process is None else process(value)
        for value, process in zip(row.values(), processors, strict=True)
    )


def dollar_params(sql: str) -> str:
    """`?` placeholders to asyncpg's `$1, $2, …` (our SQL has no literal `?`)."""
    converted = _DOLLAR_CACHE.get(sql)
    if converted is None:
        counter = iter(range(1, sql.count("?") + 1))
        converted = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
        _DOLLAR_CACHE[sql] = converted
    return converted
