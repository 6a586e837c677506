"""Connections a client opens and never uses: the server keeps descriptors for others.

A real `tocsin serve` under `ulimit -n 1024`, against 5,000 slowloris connections from
twenty addresses (Linux routes all of 127.0.0.0/8 to loopback, so a client can bind
any of them): a ping from another address, and from one of the attacking addresses,
is still answered.
"""

import asyncio
import resource
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import (
    Server,
    SqliteBackend,
    settings_for,
    start_server_with_open_files,
    stop_server,
)
from tests.helpers import make_check, read_response_status, reload
from tocsin.store.database import Database

ATTACKERS = [f"127.0.0.{n}" for n in range(10, 30)]
ATTACK_CONNECTIONS = 5000
SERVER_OPEN_FILES = 1024


@pytest.fixture
def many_open_files() -> Iterator[None]:
    """This process needs a descriptor for each of the attack's connections."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = ATTACK_CONNECTIONS + 1000
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"needs an open-file limit of {wanted}, the hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def limited_server(
    many_open_files: None, backend: SqliteBackend, tmp_path: Path
) -> Iterator[Server]:
    server = start_server_with_open_files(
        backend.fresh(tmp_path), tmp_path / "server.log", SERVER_OPEN_FILES
    )
    yield server
    stop_server(server)


async def slowloris(port: int, source: str, head: bytes) -> socket.socket | None:
    """A connection that sends the start of a request and then nothing; None if the
    connection could not be made."""
    sock = socket.socket()
    sock.setblocking(False)
    try:
        sock.bind((source, 0))
        await asyncio.wait_for(
            asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port)), 10
        )
        sock.send(head)
    except (OSError, TimeoutError):
        sock.close()
        return None
    return sock


async def ping_from(port: int, source: str, path: str) -> int:
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)), 15
    )
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: tocsin.test\r\n\r\n".encode())
        return await asyncio.wait_for(read_response_status(reader), 15)
    except (IndexError, ConnectionError):
        return 0  # closed without an answer
    finally:
        writer.close()


async def test_a_ping_is_answered_during_a_5000_connection_slowloris_under_ulimit_1024(
    limited_server: Server,
) -> None:
    database = Database(settings_for(limited_server.database_url))
    try:
        record = await make_check(database)
        port = int(limited_server.url.rsplit(":", 1)[1])
        head = f"GET /ping/{uuid.uuid4()} HTTP/1.1\r\nHost: tocsin.test\r\n".encode()
        attack: list[socket.socket | None] = []
        try:
            for start in range(0, ATTACK_CONNECTIONS, 500):
                sources = [ATTACKERS[n % len(ATTACKERS)] for n in range(start, start + 500)]
                attack += await asyncio.gather(*(slowloris(port, s, head) for s in sources))
            assert sum(sock is not None for sock in attack) > SERVER_OPEN_FILES
            path = f"/ping/{record.uuid}"
            assert await ping_from(port, "127.0.0.3", path) == 200
            assert await ping_from(port, ATTACKERS[0], path) == 200
        finally:
            for sock in attack:
                if sock is not None:
                    sock.close()
        assert (await reload(database, record)).n_pings == 2
    finally:
        await database.close()
