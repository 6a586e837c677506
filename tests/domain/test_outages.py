"""Database outages: the deadlines they hold back (pure), what a process learns of them
from its own database work (with a clock moved by hand), and which errors say the
database is unavailable."""

from datetime import timedelta

import asyncpg
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_dbapi
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.helpers import T0, FakeClock
from tocsin.domain.outages import MARGIN, Outage, held_deadline, merged
from tocsin.store.availability import STALL, Availability
from tocsin.store.errors import connection_is_sound, unavailable

SECOND = timedelta(seconds=1)
OUTAGE = Outage(T0, T0 + 20 * SECOND)


def test_a_deadline_inside_an_outage_is_held_until_retried_pings_have_landed() -> None:
    # A client that first tried at the start retries about an outage's length after it.
    assert held_deadline(T0 + 5 * SECOND, [OUTAGE]) == T0 + 40 * SECOND + MARGIN


def test_deadlines_around_the_outage_are_held_within_the_margin_and_not_beyond() -> None:
    assert held_deadline(T0 - MARGIN, [OUTAGE]) == OUTAGE.held_until
    assert held_deadline(T0 - MARGIN - SECOND, [OUTAGE]) is None
    assert held_deadline(OUTAGE.held_until - SECOND, [OUTAGE]) == OUTAGE.held_until
    assert held_deadline(OUTAGE.held_until, [OUTAGE]) is None


def test_the_latest_of_several_outages_holding_a_deadline_wins() -> None:
    later = Outage(T0 + 30 * SECOND, T0 + 90 * SECOND)
    assert held_deadline(T0 + 35 * SECOND, [OUTAGE, later]) == later.held_until


@given(
    offset=st.integers(min_value=-120, max_value=300),
    starts=st.lists(st.integers(min_value=0, max_value=120), min_size=1, max_size=4),
    lengths=st.lists(st.integers(min_value=0, max_value=60), min_size=4, max_size=4),
)
def test_holding_moves_a_deadline_only_later_and_once(
    offset: int, starts: list[int], lengths: list[int]
) -> None:
    outages = merged(
        Outage(T0 + start * SECOND, T0 + (start + length) * SECOND)
        for start, length in zip(starts, lengths, strict=False)
    )
    deadline = T0 + offset * SECOND
    held = held_deadline(deadline, outages)
    if held is None:
        return
    assert held > deadline
    # Several watchers, or one pass after another, applying it again change nothing.
    assert held_deadline(held, outages) is None


def test_overlapping_outages_merge_and_separate_ones_do_not() -> None:
    overlapping = Outage(T0 + 10 * SECOND, T0 + 30 * SECOND)
    apart = Outage(T0 + 60 * SECOND, T0 + 61 * SECOND)
    assert merged([apart, overlapping, OUTAGE]) == [Outage(T0, T0 + 30 * SECOND), apart]


def test_an_outage_runs_from_the_first_refused_work_to_the_first_answer_to_work_begun_after() -> (
    None
):
    clock = FakeClock(T0)
    availability = Availability(clock)
    before = availability.began()  # work already under way when the database went
    clock.advance(SECOND)
    refused = availability.began()
    clock.advance(SECOND)
    assert availability.failed(refused, ConnectionRefusedError(), pings=3)
    clock.advance(10 * SECOND)
    # Answered late, but begun before the failure: it says nothing of the database now.
    assert availability.answered(before) is None
    assert availability.outages() == [Outage(T0 + SECOND, T0 + 12 * SECOND)]
    clock.advance(10 * SECOND)
    retried = availability.began()
    clock.advance(SECOND)
    assert availability.answered(retried) == Outage(T0 + SECOND, T0 + 23 * SECOND)
    assert availability.outages() == [Outage(T0 + SECOND, T0 + 23 * SECOND)]


def test_work_answered_later_than_the_stall_threshold_is_an_outage() -> None:
    clock = FakeClock(T0)
    availability = Availability(clock)
    quick = availability.began()
    clock.advance(STALL / 2)
    assert availability.answered(quick) is None
    stuck = availability.began()
    clock.advance(STALL * 5)
    # Known while still stuck (a frozen server returns nothing), and once answered.
    assert availability.outages() == [Outage(stuck, clock.now())]
    assert availability.answered(stuck) == Outage(stuck, clock.now())


def test_an_outage_is_forgotten_once_the_deadlines_it_held_have_passed() -> None:
    clock = FakeClock(T0)
    availability = Availability(clock)
    availability.failed(availability.began(), TimeoutError())
    clock.advance(5 * SECOND)
    outage = availability.answered(availability.began())
    assert outage is not None
    clock.current = outage.held_until - SECOND
    assert availability.outages() == [outage]
    clock.current = outage.held_until
    assert availability.outages() == []


def test_an_error_of_one_piece_of_work_is_no_outage() -> None:
    availability = Availability(FakeClock(T0))
    error = IntegrityError("INSERT …", {}, Exception("duplicate key"))
    assert not availability.failed(availability.began(), error)
    assert availability.outages() == []


def wrapped(error: Exception) -> DBAPIError:
    """As SQLAlchemy's asyncpg dialect raises a server's error."""
    return DBAPIError("SELECT 1", {}, error)


@pytest.mark.parametrize(
    "error",
    [
        asyncpg.CannotConnectNowError("the database system is starting up"),
        asyncpg.CannotConnectNowError("the database system is shutting down"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CrashShutdownError("terminating connection because of crash"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        # A pooled connection the server dropped in the middle of an operation.
        asyncpg.exceptions.InternalClientError("cannot switch to state 15; another operation"),
        ConnectionRefusedError(111, "Connect call failed"),
        TimeoutError(),
    ],
    ids=lambda error: type(error).__name__,
)
def test_a_server_starting_up_shutting_down_or_unreachable_is_unavailable(
    error: Exception,
) -> None:
    assert unavailable(error)
    assert unavailable(wrapped(error))
    # SQLAlchemy raises the translation "from" the driver's error.
    with pytest.raises(DBAPIError) as raised:
        raise DBAPIError("SELECT 1", {}, Exception(str(error))) from error
    assert unavailable(raised.value)


def test_an_error_in_the_work_itself_is_not_unavailable() -> None:
    assert not unavailable(wrapped(asyncpg.UniqueViolationError("duplicate key")))
    assert not unavailable(ValueError("bad cron"))


def test_the_batch_paths_raw_cursor_errors_are_read_like_sqlalchemys() -> None:
    """Batches use the driver's cursor, whose errors are SQLAlchemy's adaptations of
    asyncpg's, raised from them: not the classes of sqlalchemy.exc."""
    # Untyped classes, named as types so that calling them is typed.
    client_error: type[Exception] = AsyncAdapt_asyncpg_dbapi.InternalClientError
    integrity_error: type[Exception] = AsyncAdapt_asyncpg_dbapi.IntegrityError
    dropped = asyncpg.exceptions.InternalClientError("another operation is in progress")
    with pytest.raises(client_error) as raised:
        raise client_error(str(dropped)) from dropped
    assert unavailable(raised.value)
    assert not connection_is_sound(raised.value)
    refused = asyncpg.UniqueViolationError("duplicate key")
    with pytest.raises(integrity_error) as raised_by_server:
        raise integrity_error(str(refused)) from refused
    assert not unavailable(raised_by_server.value)
    assert connection_is_sound(raised_by_server.value)
