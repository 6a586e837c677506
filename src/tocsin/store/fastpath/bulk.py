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

Processor = Callable[[Any], Any]
# Which values of a row need converting: (position, processor), for the few that do.
Conversions = list[tuple[int, Processor]]
_PLANS: dict[tuple[str, str, tuple[str, ...]], tuple[str, Conversions]] = {}
_DOLLAR_CACHE: dict[str, str] = {}


def insert_many(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Rows that all name the same columns."""
    if not rows:
        return
    sql, conversions = plan(connection.dialect, table, tuple(rows[0]))
    cursor = connection.connection.cursor()
    cursor.executemany(sql, [bound(row, conversions) for row in rows])


def insert_returning_ids(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> list[int]:
    """Rows that all name the same columns; their new ids, in the order of `rows`."""
    if not rows:
        return []
    if connection.dialect.name != "sqlite":
        statement = table.insert().returning(table.c.id, sort_by_parameter_order=True)
        return list(connection.scalars(statement, rows))
    sql, conversions = plan(connection.dialect, table, tuple(rows[0]))
    cursor = connection.connection.cursor()
    ids = []
    for row in rows:
        cursor.execute(sql, bound(row, conversions))
        ids.append(int(cursor.lastrowid))
    return ids


def plan(dialect: Dialect, table: sa.Table, columns: tuple[str, ...]) -> tuple[str, Conversions]:
    key = (dialect.name, table.name, columns)
    found = _PLANS.get(key)
    if found is not None:
        return found
    marks = ", ".join("?" * len(columns))
    sql = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({marks})"
    if dialect.name != "sqlite":
        sql = dollar_params(sql)
    conversions: Conversions = []
    for position, column in enumerate(columns):
        processor = table.c[column].type.bind_processor(dialect)
        if processor is not None:
            conversions.append((position, processor))
    _PLANS[key] = (sql, conversions)
    return sql, conversions


def bound(row: Mapping[str, Any], conversions: Conversions) -> list[Any]:
    values = list(row.values())
    for position, process in conversions:
        values[position] = process(values[position])
    return values


def dollar_params(sql: str) -> str:
    """`?` placeholders to asyncpg's `$1, $2, …` (our SQL has no literal `?`)."""
    converted = _DOLLAR_CACHE.get(sql)
    if converted is None:
        counter = iter(range(1, sql.count("?") + 1))
        converted = re.sub(r"\?", lambda _: f"${next(counter)}", sql)
        _DOLLAR_CACHE[sql] = converted
    return converted
