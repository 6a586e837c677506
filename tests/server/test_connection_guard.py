"""The connection caps and the sweep's rule, with stand-in connections (no sockets)."""

import asyncio
from collections.abc import AsyncIterator

import pytest

from tocsin.server.connections import ConnectionGuard
from tocsin.server.limits import ConnectionLimits, connections_allowed, head_size

LIMITS = ConnectionLimits(keep_alive=5, request_timeout=30, max_connections=4, max_per_address=2)


class StandIn:
    def __init__(self, address: str, owed: int = 0, settled: float = 0.0) -> None:
        self.address = address
        self.owed = owed
        self.settled = settled
        self.begun = False
        self.shed_as: bool | None = None

    def receiving(self) -> bool:
        return self.begun

    def shed(self, timed_out: bool) -> None:
        self.shed_as = timed_out


@pytest.fixture
async def guard() -> AsyncIterator[ConnectionGuard]:
    guard = ConnectionGuard(LIMITS)
    yield guard
    if guard.sweeping is not None:
        guard.sweeping.cancel()


def admit(guard: ConnectionGuard, *connections: StandIn) -> list[bool]:
    loop = asyncio.get_running_loop()
    return [guard.admit(connection, loop) for connection in connections]


async def test_an_address_at_its_cap_gives_up_its_oldest_waiting_connection(
    guard: ConnectionGuard,
) -> None:
    first, second, other = StandIn("10.0.0.1"), StandIn("10.0.0.1"), StandIn("10.0.0.2")
    third = StandIn("10.0.0.1")
    assert admit(guard, first, second, other, third) == [True] * 4
    assert (first.shed_as, second.shed_as, other.shed_as) == (False, None, None)
    assert list(guard.by_address["10.0.0.1"]) == [second, third]


async def test_a_connection_being_answered_is_never_shed(guard: ConnectionGuard) -> None:
    busy = [StandIn("10.0.0.1", owed=1), StandIn("10.0.0.1", owed=3)]
    assert admit(guard, *busy, StandIn("10.0.0.1")) == [True, True, False]
    assert [c.shed_as for c in busy] == [None, None]
    assert guard.open == 2
    assert list(guard.by_address) == ["10.0.0.1"]


async def test_past_the_total_cap_the_busiest_address_gives_up_a_connection(
    guard: ConnectionGuard,
) -> None:
    crowd = [StandIn("10.0.0.1", owed=1), StandIn("10.0.0.1"), StandIn("10.0.0.2")]
    lone = StandIn("10.0.0.3")
    newcomer = StandIn("10.0.0.4")
    assert admit(guard, *crowd, lone, newcomer) == [True] * 5
    assert [c.shed_as for c in [*crowd, lone]] == [None, False, None, None]
    assert guard.open == LIMITS.max_connections


async def test_the_sweep_closes_idle_and_unfinished_connections_past_their_time(
    guard: ConnectionGuard,
) -> None:
    idle, fresh, begun, slow, answering = (
        StandIn("a", settled=0),
        StandIn("b", settled=96),
        StandIn("c", settled=80),
        StandIn("d", settled=60),
        StandIn("e", owed=1, settled=0),
    )
    begun.begun = slow.begun = True
    guard.limits = ConnectionLimits(5, 30, 100, 0)
    admit(guard, idle, fresh, begun, slow, answering)
    assert guard.stalled(now=100) == [idle, slow]


def test_the_default_total_cap_keeps_descriptors_back_and_has_a_ceiling() -> None:
    assert connections_allowed(1024) == 896
    assert connections_allowed(1_048_576) == 4096
    assert connections_allowed(100) == 16


def test_a_head_is_measured_as_sent_less_optional_whitespace() -> None:
    raw = b"GET /ping/x HTTP/1.1\r\nHost: t\r\nX-A: bc\r\n\r\n"
    assert head_size(b"GET", b"/ping/x", [(b"host", b"t"), (b"x-a", b"bc")]) == len(raw)
