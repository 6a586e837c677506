"""What a client can make the server hold and what it may send, over real sockets.

Every test here runs on both paths: pings answered in the HTTP protocol (the default)
and pings answered by the ASGI endpoint (`TOCSIN_FAST_PINGS=false`); both run on
`server.protocol`, which these tests are about. They run as well on the uvicorn
fallback (uvicorn's own protocol, when `server.uvicorn_guard` does not know the
installed uvicorn), where the tests of what only `server.protocol` enforces are marked
`guarded_protocol` and skipped.
"""

import asyncio
import re
import uuid

import pytest

from tests.conftest import (
    UVICORN_FALLBACK,
    Server,
    assert_took_its_http_path,
    module_server_on_each_path,
)
from tests.helpers import make_check, reload
from tocsin.pings.urls import QUERY_FIELDS_LIMIT
from tocsin.server.limits import HEAD_LIMIT, URL_LIMIT
from tocsin.store.database import Database

PATHS = {
    "fast path": {"TOCSIN_REQUEST_TIMEOUT": "3s"},
    "asgi path": {"TOCSIN_FAST_PINGS": "false", "TOCSIN_REQUEST_TIMEOUT": "3s"},
    "uvicorn fallback": UVICORN_FALLBACK,
}
STATUS_LINE = re.compile(rb"HTTP/1\.1 (\d{3}) ")


module_server = module_server_on_each_path(PATHS)


def test_the_server_logs_the_http_path_it_took(server: Server) -> None:
    assert_took_its_http_path(server)


async def connect(server: Server) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    host, port = server.url.removeprefix("http://").split(":")
    return await asyncio.open_connection(host, int(port))


async def exchange(server: Server, raw: bytes, wait: float = 10) -> bytes:
    """Writes `raw` on one connection and reads until the server closes it, or `wait`
    seconds pass."""
    reader, writer = await connect(server)
    try:
        writer.write(raw)
        return await read_until_closed(reader, wait)
    finally:
        writer.close()


async def read_until_closed(reader: asyncio.StreamReader, wait: float) -> bytes:
    received = b""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while (left := deadline - loop.time()) > 0:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), left)
        except TimeoutError:
            break
        if not chunk:
            break
        received += chunk
    return received


def request(method: str, path: str, *headers: str, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: tocsin.test", *headers, "", ""]
    return "\r\n".join(lines).encode() + body


def statuses(received: bytes) -> list[int]:
    return [int(code) for code in STATUS_LINE.findall(received)]


@pytest.mark.guarded_protocol
async def test_a_ping_with_a_transfer_coding_other_than_a_lone_chunked_is_refused(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    chunked_body = b"2\r\nok\r\n0\r\n\r\n"
    for coding in ("identity, chunked", "gzip, chunked", "Identity"):
        raw = request("POST", f"/ping/{record.uuid}", f"Transfer-Encoding: {coding}")
        received = await exchange(server, raw + chunked_body)
        assert statuses(received) == [501], coding
        assert b"connection: close" in received.lower()
    lone = request(
        "POST", f"/ping/{record.uuid}", "Transfer-Encoding: chunked", "Connection: close"
    )
    received = await exchange(server, lone + chunked_body)
    assert statuses(received) == [200]
    assert (await reload(server_database, record)).n_pings == 1


async def test_methods_other_than_get_head_post_and_put_are_answered_405_and_not_recorded(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    for method in ("DELETE", "PROPFIND", "PATCH", "TRACE"):
        raw = request(method, f"/ping/{record.uuid}", "Connection: close")
        received = await exchange(server, raw)
        assert statuses(received) == [405], method
        assert b"\r\nallow: get, head, post, put, options\r\n" in received.lower()
    for method in ("GET", "HEAD", "POST", "PUT"):
        received = await exchange(
            server, request(method, f"/ping/{record.uuid}", "Connection: close")
        )
        assert statuses(received) == [200], method
    assert (await reload(server_database, record)).n_pings == 4


@pytest.mark.guarded_protocol
async def test_a_request_line_without_an_http_version_is_refused_and_not_recorded(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    received = await exchange(server, f"GET /ping/{record.uuid}\r\n\r\n".encode())
    assert statuses(received) == [400]
    received = await exchange(server, f"GET /ping/{record.uuid} HTTP/2.0\r\n\r\n".encode())
    assert statuses(received) == [505]
    assert (await reload(server_database, record)).n_pings == 0


@pytest.mark.guarded_protocol
async def test_a_parse_error_in_a_pipeline_is_answered_after_the_requests_before_it(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    ping = request("GET", f"/ping/{record.uuid}")
    status = request("GET", "/api/v3/status/")
    for bad in (b"NOT A REQUEST\r\n\r\n", request("GET", "/ping/x", "Bad Header")):
        received = await exchange(server, ping + status + ping + bad + ping)
        assert statuses(received) == [200, 200, 200, 400]
        assert received.endswith(b"Invalid HTTP request received.")
    # The requests before each error were recorded and answered; the one after was not read.
    assert (await reload(server_database, record)).n_pings == 4


@pytest.mark.guarded_protocol
async def test_a_url_over_the_limit_is_answered_414(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    padding = "x" * (URL_LIMIT + 1 - len(f"/ping/{record.uuid}?a="))
    received = await exchange(server, request("GET", f"/ping/{record.uuid}?a={padding}"))
    assert statuses(received) == [414]
    within = f"/ping/{record.uuid}?a={padding[:-1]}"
    received = await exchange(server, request("GET", within, "Connection: close"))
    assert statuses(received) == [200]
    assert (await reload(server_database, record)).n_pings == 1


@pytest.mark.guarded_protocol
async def test_headers_over_the_limit_are_answered_431(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    path = f"/ping/{record.uuid}"
    big = request("GET", path, "X-Padding: " + "p" * HEAD_LIMIT)
    received = await exchange(server, big)
    assert statuses(received) == [431]
    # Just within the limit, arriving in pieces as a slow client sends it.
    head = request("GET", path, "Connection: close", "X-Padding: ")
    fitting = head.replace(b"\r\n\r\n", b"p" * (HEAD_LIMIT - len(head)) + b"\r\n\r\n")
    assert len(fitting) == HEAD_LIMIT
    reader, writer = await connect(server)
    try:
        for start in range(0, len(fitting), 1000):
            writer.write(fitting[start : start + 1000])
            await writer.drain()
        received = await read_until_closed(reader, 10)
    finally:
        writer.close()
    assert statuses(received) == [200]
    assert (await reload(server_database, record)).n_pings == 1


@pytest.mark.guarded_protocol
async def test_an_endless_header_is_refused_while_it_arrives(server: Server) -> None:
    """The server answers 431 and closes after a few tens of KiB, not after the client has
    sent a 200 MB header."""
    reader, writer = await connect(server)
    sent = 0
    try:
        writer.write(request("GET", f"/ping/{uuid.uuid4()}").removesuffix(b"\r\n") + b"X-A: ")
        chunk = b"a" * 65536
        answer = asyncio.ensure_future(read_until_closed(reader, 30))
        while not answer.done() and sent < 200_000_000:
            writer.write(chunk)
            try:
                await asyncio.wait_for(writer.drain(), 5)
            except (ConnectionError, TimeoutError):
                break
            sent += len(chunk)
        received = await answer
    finally:
        writer.close()
    assert statuses(received) == [431]
    assert sent < 10_000_000


async def test_a_ping_url_with_too_many_query_fields_is_answered_400(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    fields = "&".join(["a=1"] * (QUERY_FIELDS_LIMIT + 1))
    received = await exchange(server, request("GET", f"/ping/{record.uuid}?{fields}"))
    assert statuses(received) == [400]
    assert received.endswith(b"too many query fields")
    assert (await reload(server_database, record)).n_pings == 0


@pytest.mark.guarded_protocol
async def test_a_connection_that_never_finishes_its_request_gets_408_and_is_closed(
    server: Server,
) -> None:
    """TOCSIN_REQUEST_TIMEOUT is 3 s here."""
    half_sent = request("GET", f"/ping/{uuid.uuid4()}").removesuffix(b"\r\n")
    received = await exchange(server, half_sent, wait=30)
    assert statuses(received) == [408]


@pytest.mark.guarded_protocol
async def test_a_connection_that_sends_nothing_is_closed_after_the_keep_alive_time(
    server: Server,
) -> None:
    reader, writer = await connect(server)
    try:
        assert await asyncio.wait_for(reader.read(), 30) == b""
    finally:
        writer.close()


async def test_smuggling_forms_are_still_refused_and_record_nothing(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    path = f"/ping/{record.uuid}"
    smuggled = request("GET", path, "Host: x")
    forms = [
        request("POST", path, "Content-Length: 4", "Transfer-Encoding: chunked", body=b"0\r\n\r\n"),
        request("POST", path, "Content-Length: 4", "Content-Length: 5", body=b"abcde"),
        request("POST", path, "Transfer-Encoding: chunked", "Transfer-Encoding: chunked")
        + b"0\r\n\r\n",
        request("POST", path, "Transfer-Encoding : chunked", body=b"0\r\n\r\n"),
    ]
    for raw in forms:
        received = await exchange(server, raw + smuggled)
        assert statuses(received) == [400], raw
    assert (await reload(server_database, record)).n_pings == 0
