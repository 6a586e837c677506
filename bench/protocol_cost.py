"""CPU time a ping costs in the HTTP protocol alone: parse, answer, bookkeeping.

No sockets and no database: a stand-in transport takes the answers and a stand-in
intake answers each ping at once, so what is left is the code of `server.fast_pings` (and
`server.protocol` under it) for one keep-alive ping, as wrk sends it, at a time. Run
it with another version of the code on PYTHONPATH to compare versions, alternating:

    .venv/bin/python bench/protocol_cost.py                            # this tree
    PYTHONPATH=/path/to/other/src .venv/bin/python bench/protocol_cost.py
"""

import asyncio
import inspect
import time
import uuid
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from tocsin.domain.clock import SystemClock
from tocsin.pings.endpoint import PingReader
from tocsin.pings.intake import PingRequest, Reply, ReplyTo
from tocsin.server import fast_pings as ping_protocol

REQUESTS = 100_000
REPEATS = 7


class InstantIntake:
    def enqueue(self, request: PingRequest, reply_to: ReplyTo) -> None:
        reply_to(Reply.OK)


class Transport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = 0

    def write(self, data: Any) -> None:
        self.written += 1

    def is_closing(self) -> bool:
        return False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 40000), "sockname": ("127.0.0.1", 8000)}.get(name)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0

    def close(self) -> None:
        pass


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("pings never reach the ASGI app here")


def protocol_class() -> Any:
    pings = ping_protocol.FastPings(InstantIntake(), PingReader(SystemClock(), 100_000))  # type: ignore[arg-type]
    make: Any = ping_protocol.fast_ping_protocol
    if len(inspect.signature(make).parameters) == 1:  # before server.protocol
        return make(pings)
    # Imported here: the older code compared against has no tocsin.server.
    from tocsin.server.connections import ConnectionGuard
    from tocsin.server.limits import ConnectionLimits

    return make(pings, ConnectionGuard(ConnectionLimits(5, 30, 1000, 0)))


def feeder(protocol: Any) -> Any:
    """How the event loop hands a read to the protocol: into its buffer, if it has one."""
    if isinstance(protocol, asyncio.BufferedProtocol):

        def feed(data: bytes) -> None:
            buffer: Any = protocol.get_buffer(-1)
            buffer[: len(data)] = data
            protocol.buffer_updated(len(data))

        return feed
    return protocol.data_received


def run_once(loop: asyncio.AbstractEventLoop, requests: list[bytes]) -> float:
    config = uvicorn.Config(asgi_app, http=protocol_class(), log_config=None)
    config.load()
    protocol = config.http_protocol_class(config, ServerState(), {}, _loop=loop)  # type: ignore[call-arg]
    transport = Transport()
    protocol.connection_made(transport)
    feed = feeder(protocol)
    started = time.process_time()
    for data in requests:
        feed(data)
    elapsed = time.process_time() - started
    assert transport.written == len(requests), transport.written
    protocol.connection_lost(None)
    return elapsed / len(requests) * 1e6


def main() -> None:
    loop = asyncio.new_event_loop()
    checks = [uuid.uuid4() for _ in range(1000)]
    requests = [
        f"GET /ping/{checks[n % len(checks)]} HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n\r\n".encode()
        for n in range(REQUESTS)
    ]
    costs = [run_once(loop, requests) for _ in range(REPEATS)]
    print(f"{ping_protocol.__file__}: {min(costs):.2f} µs a ping (best of {REPEATS})")
    loop.close()


if __name__ == "__main__":
    main()
