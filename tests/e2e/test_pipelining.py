"""Clients that pipeline requests without reading the answers, over real sockets.

A client may send requests as fast as it likes; the server reads only a few ahead of
the answers it has written and pauses while the client leaves them unread, so its
memory stays flat, and keeps nothing of a client that has gone.

That is `server.protocol`'s doing, on both of its paths; uvicorn's own protocol, which
`tocsin serve` falls back to on an uvicorn it does not know, reads without bound, so
these tests are marked `guarded_protocol` and do not run on that fallback.
"""

import asyncio
import gc
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tests.conftest import (
    Server,
    assert_took_its_http_path,
    free_port,
    module_server_on_each_path,
)
from tests.helpers import eventually, make_check, reload
from tocsin.config import Settings
from tocsin.server.app import create_app
from tocsin.server.connections import ConnectionGuard, connection_limits
from tocsin.server.fast_pings import PingCycle
from tocsin.server.limits import READ_AHEAD
from tocsin.server.uvicorn_guard import RequestResponseCycle
from tocsin.store.database import Database

pytestmark = pytest.mark.guarded_protocol

PATHS = {"fast path": {}, "asgi path": {"TOCSIN_FAST_PINGS": "false"}}
RSS_LIMIT_MB = 500


def ping(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: tocsin.test\r\n\r\n".encode()


async def pipelining_connection(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection whose client reads next to nothing: a 4 KiB receive buffer, never read."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock)


# --- in this process, where the server's connections can be looked at


@dataclass
class InProcessServer:
    port: int
    guard: ConnectionGuard
    server: uvicorn.Server
    deepest: list[int]  # the most requests ever waiting on one connection


@pytest.fixture(params=list(PATHS))
async def in_process(
    request: pytest.FixtureRequest, settings: Settings
) -> AsyncIterator[InProcessServer]:
    app = create_app(settings)
    guard = ConnectionGuard(connection_limits(settings))
    bound = app.http_protocol(guard, fast_pings=request.param == "fast path")
    assert bound is not None
    deepest = [0]

    def on_headers_complete(self: Any) -> None:
        bound.on_headers_complete(self)  # type: ignore[attr-defined]
        deepest[0] = max(deepest[0], len(self.pipeline))

    watched = type("Watched", (bound,), {"on_headers_complete": on_headers_complete})
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, http=watched, lifespan="on", log_config=None, ws="none"
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    assert await eventually(started, 20)
    yield InProcessServer(port, guard, server, deepest)
    server.should_exit = True
    await serving


def requests_alive() -> int:
    gc.collect()
    return sum(isinstance(o, PingCycle | RequestResponseCycle) for o in gc.get_objects())


async def test_a_pipelining_client_gets_few_requests_read_ahead_and_nothing_kept_after_it_leaves(
    in_process: InProcessServer, database: Database
) -> None:
    record = await make_check(database)
    _, writer = await pipelining_connection(in_process.port)
    writer.write(ping(f"/ping/{record.uuid}") * 3000)
    state = in_process.server.server_state

    async def answered_some() -> bool:
        return state.total_requests >= 300

    assert await eventually(answered_some, 60)
    assert 1 <= in_process.deepest[0] <= READ_AHEAD + 1
    writer.transport.abort()

    async def all_released() -> bool:
        return in_process.guard.open == 0 and requests_alive() == 0

    assert await eventually(all_released, 30), (in_process.guard.open, requests_alive())
    # What was read was recorded and answered; nothing was read that was not.
    assert (await reload(database, record)).n_pings == state.total_requests


# --- a real `tocsin serve`, whose memory is measured from outside


def rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    raise AssertionError("no VmRSS")


module_server = module_server_on_each_path(PATHS)


def test_the_server_logs_the_http_path_it_took(server: Server) -> None:
    assert_took_its_http_path(server)


async def flood(port: int, path: str, connections: int, seconds: float, pid: int) -> int:
    """Pipelines pings on `connections` connections for `seconds`, reading no answer;
    stops early once the server's RSS passes the limit. Returns the peak RSS in MB."""
    block = ping(path) * 2000
    peak = rss_mb(pid)
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds

    async def one() -> None:
        _, writer = await pipelining_connection(port)
        try:
            while loop.time() < end and peak <= RSS_LIMIT_MB:
                writer.write(block)
                try:
                    await asyncio.wait_for(writer.drain(), max(0.05, end - loop.time()))
                except TimeoutError:
                    break
        finally:
            writer.transport.abort()

    flooding = asyncio.gather(*(one() for _ in range(connections)))
    while not flooding.done():
        peak = max(peak, rss_mb(pid))
        await asyncio.wait([flooding], timeout=0.1)
    await flooding
    return peak


async def test_pipelining_clients_that_read_nothing_leave_the_server_memory_flat(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    pid = server.process.pid
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(f"/ping/{record.uuid}")).status_code == 200
    baseline = rss_mb(pid)
    port = int(server.url.rsplit(":", 1)[1])
    started = time.monotonic()
    peak = await flood(port, f"/ping/{record.uuid}", connections=20, seconds=8, pid=pid)
    assert peak <= RSS_LIMIT_MB, f"RSS reached {peak} MB within {time.monotonic() - started:.1f} s"

    async def back_near_baseline() -> bool:
        return rss_mb(pid) <= baseline + 50

    assert await eventually(back_near_baseline, 30), (baseline, rss_mb(pid))
    async with httpx.AsyncClient(base_url=server.url) as client:
        assert (await client.get(f"/ping/{record.uuid}")).status_code == 200
