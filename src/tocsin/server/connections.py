"""Every open connection of the server, the caps over them and the sweep that closes
those whose client has kept them waiting too long.

One `ConnectionGuard` serves all connections of a process. It keeps a share of the
process's file descriptors out of clients' reach: past the total cap, a new connection
takes the place of the oldest connection waiting on its client (idle, or with its
request unfinished) at the address holding the most connections; past the cap of its
own address, of the oldest such connection at that address. A connection whose
request the server is still answering is never shed. Only when none can be shed is the
new connection closed at once.
"""

import asyncio
import resource
from typing import Protocol

from tocsin.config import Settings
from tocsin.server.limits import READ_SIZE, ConnectionLimits, connections_allowed

# uvicorn's default, which `tocsin serve` keeps.
KEEP_ALIVE_SECONDS = 5.0


class Connection(Protocol):
    """What the guard reads of a connection (`server.protocol.GuardedProtocol`)."""

    address: str
    owed: int  # requests received and not yet answered
    settled: float  # loop time since which the server has owed it nothing

    def receiving(self) -> bool: ...

    def shed(self, timed_out: bool) -> None: ...


def connection_limits(settings: Settings) -> ConnectionLimits:
    open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    total = settings.max_connections or connections_allowed(open_files)
    return ConnectionLimits(
        keep_alive=KEEP_ALIVE_SECONDS,
        request_timeout=settings.request_timeout.total_seconds(),
        max_connections=total,
        max_per_address=settings.max_connections_per_address,
    )


class ConnectionGuard:
    SWEEP_PERIOD = 1.0

    def __init__(self, limits: ConnectionLimits) -> None:
        self.limits = limits
        # Insertion order is age order: the oldest connections of an address come first.
        self.by_address: dict[str, dict[Connection, None]] = {}
        self.open = 0
        # Reads go into this one buffer and are parsed before the next read (uvicorn's
        # protocol would otherwise get up to 256 KiB a read, each a new bytes object).
        self.read_buffer = memoryview(bytearray(READ_SIZE))
        self.sweeping: asyncio.TimerHandle | None = None

    def admit(self, connection: Connection, loop: asyncio.AbstractEventLoop) -> bool:
        """Count a new connection in, shedding another if a cap says so; False if it
        must be closed instead."""
        peers = self.by_address.setdefault(connection.address, {})
        cap = self.limits.max_per_address
        admitted = (not cap or len(peers) < cap or self.shed_oldest(peers)) and (
            self.open < self.limits.max_connections or self.shed_oldest(self.busiest())
        )
        if not admitted:
            if not peers:
                del self.by_address[connection.address]
            return False
        peers[connection] = None
        self.open += 1
        if self.sweeping is None:
            self.sweeping = loop.call_later(self.SWEEP_PERIOD, self.sweep, loop)
        return True

    def forget(self, connection: Connection) -> None:
        peers = self.by_address.get(connection.address)
        if peers is None or connection not in peers:
            return
        del peers[connection]
        self.open -= 1
        if not peers:
            del self.by_address[connection.address]

    def busiest(self) -> dict[Connection, None]:
        return max(self.by_address.values(), key=len)

    def shed_oldest(self, peers: dict[Connection, None]) -> bool:
        for connection in peers:
            if connection.owed <= 0:
                self.drop(connection, timed_out=False)
                return True
        return False

    def drop(self, connection: Connection, timed_out: bool) -> None:
        self.forget(connection)
        connection.shed(timed_out)

    def sweep(self, loop: asyncio.AbstractEventLoop) -> None:
        now = loop.time()
        for connection in self.stalled(now):
            self.drop(connection, timed_out=True)
        self.sweeping = loop.call_later(self.SWEEP_PERIOD, self.sweep, loop) if self.open else None

    def stalled(self, now: float) -> list[Connection]:
        limits = self.limits
        return [
            connection
            for peers in self.by_address.values()
            for connection in peers
            if connection.owed <= 0
            and limits.stalled(now - connection.settled, connection.receiving())
        ]
