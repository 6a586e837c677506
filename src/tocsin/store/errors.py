"""Which errors say the database itself cannot take work now (stopped, starting up,
shutting down, unreachable, locked, a connection broken), as against an error of the
work. The first are answered 503 at once, for the client to retry, and held as an
outage (`store.availability`); retrying the work piece by piece would only wait longer.
"""

from collections.abc import Iterator

from sqlalchemy.exc import DBAPIError

# PostgreSQL's SQLSTATEs for a server that takes no work now: class 08, connection
# exceptions; 57P01 to 57P03, shut down by an administrator, after a crash, or
# "cannot connect now" (starting up, shutting down, in recovery); too many connections.
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")
# PEP 249's classes for a failure of the database or of the connection to it, by name:
# SQLAlchemy's, the drivers' own and SQLAlchemy's adaptations of asyncpg's (raised by
# the batch path's raw cursors) are different classes of the same names. asyncpg says
# InternalClientError of a connection left mid-operation by a server that went away.
UNAVAILABLE_CLASSES = frozenset({"OperationalError", "InterfaceError", "InternalClientError"})


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database cannot take any work now."""
    return any(says_unavailable(cause) for cause in causes(error))


def says_unavailable(error: BaseException) -> bool:
    if isinstance(error, OSError):
        return True  # refused connections, timeouts (TimeoutError), …
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if UNAVAILABLE_CLASSES.intersection(kind.__name__ for kind in type(error).__mro__):
        return True
    return sqlstate_of(error).startswith(UNAVAILABLE_SQLSTATES)


def connection_is_sound(error: BaseException) -> bool:
    """Whether the connection that raised `error` can be used again: the server
    refused the work itself (it sent a SQLSTATE), and is not going away."""
    state = next((sqlstate_of(cause) for cause in causes(error) if sqlstate_of(cause)), "")
    return bool(state) and not unavailable(error)


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error, the driver's error SQLAlchemy wrapped, and what they were raised from."""
    seen: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is old for old in seen):
            continue
        seen.append(current)
        yield current
        pending += [getattr(current, "orig", None), current.__cause__]


def sqlstate_of(error: BaseException) -> str:
    state = getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)
    return state if isinstance(state, str) else ""
