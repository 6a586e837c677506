"""OnCalendar checks in the store: kind "oncalendar" with the expressions in the cron
column, read back the same by every road (SQLAlchemy, the ping path's raw rows through
the same mapping, and the sqlite3 lane of `tocsin check list`)."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import BACKEND
from tests.helpers import make_check, reload
from tocsin.config import Settings
from tocsin.domain.schedule import OnCalendar
from tocsin.store.checks import list_checks, schedule_columns
from tocsin.store.database import Database
from tocsin.store.quickread import read_checks
from tocsin.store.tables import checks

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TWO_LINES = "Mon..Fri *-*-* 02:00\nSat,Sun 10:00"


def test_an_oncalendar_schedule_takes_the_cron_column_under_its_own_kind() -> None:
    assert schedule_columns(OnCalendar(TWO_LINES, "Europe/Berlin")) == {
        "kind": "oncalendar",
        "period": None,
        "cron": TWO_LINES,
        "tz": "Europe/Berlin",
    }


def test_the_columns_are_wide_enough() -> None:
    assert checks.c.kind.type.length >= len("oncalendar")  # type: ignore[attr-defined]
    assert checks.c.cron.type.length >= 100  # type: ignore[attr-defined]


async def test_an_oncalendar_check_reads_back_as_it_was_made(database: Database) -> None:
    schedule = OnCalendar(TWO_LINES, "Europe/Berlin")
    made = await make_check(database, schedule=schedule, now=T0, tz="Europe/Berlin")
    assert (await reload(database, made)).state.schedule == schedule
    stored = await database.read_with(
        lambda c: c.execute(sa.select(checks.c.kind, checks.c.cron)).one()
    )
    assert tuple(stored) == ("oncalendar", TWO_LINES)


@pytest.mark.skipif(BACKEND != "sqlite", reason="the sqlite3 lane is SQLite's")
async def test_the_check_list_lane_reads_an_oncalendar_check(
    database: Database, settings: Settings
) -> None:
    schedule = OnCalendar("*:*:0/4")
    await make_check(database, schedule=schedule, now=T0, grace=timedelta(seconds=2))
    records = read_checks(settings)
    assert records == await database.read_with(list_checks)
    assert records is not None
    assert records[0].state.schedule == schedule
