"""The real server on a free port, driven over HTTP as cron jobs and scripts do.

Every test here runs three times: against pings answered in the HTTP protocol (the
default fast path, with the WAL fsync of `synchronous=FULL`), against pings answered by
the ASGI endpoint (`TOCSIN_FAST_PINGS=false`), and on the fallback `tocsin serve` takes
when it does not know the installed uvicorn (`server.uvicorn_guard`): uvicorn's own
protocol, pings through the ASGI endpoint.
"""

import asyncio
import re
import uuid
from pathlib import Path

import httpx

from tests.conftest import (
    UVICORN_FALLBACK,
    Server,
    assert_took_its_http_path,
    module_server_on_each_path,
    start_server,
    stop_server,
)
from tests.helpers import hammer, make_check, pings_of, reload, stored_body
from tocsin.store.database import Database

PATHS = {
    "fast path": {"TOCSIN_SQLITE_SYNCHRONOUS": "FULL"},
    "asgi path": {"TOCSIN_FAST_PINGS": "false"},
    "uvicorn fallback": UVICORN_FALLBACK,
}


module_server = module_server_on_each_path(PATHS)


def test_the_server_logs_the_http_path_it_took(server: Server) -> None:
    assert_took_its_http_path(server)


async def test_every_ping_response_allows_any_origin_and_states_the_body_limit(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get(f"/ping/{record.uuid}")
        head = await client.head(f"/ping/{record.uuid}")
        preflight = await client.options(f"/ping/{record.uuid}")
        missing = await client.get(f"/ping/{uuid.uuid4()}")
    assert (response.status_code, response.text) == (200, "OK")
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["ping-body-limit"] == "100000"
    assert response.headers["content-type"].startswith("text/plain")
    assert (head.status_code, head.content) == (200, b"")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert (missing.status_code, missing.text) == (404, "not found")
    assert missing.headers["access-control-allow-origin"] == "*"
    assert (await reload(server_database, record)).n_pings == 2  # the preflight is no ping


async def test_malformed_urls_get_a_one_line_reason(server: Server) -> None:
    some_uuid = uuid.uuid4()
    cases = {
        "/ping/not-a-uuid": "invalid url format",
        f"/ping/{some_uuid}/256": "invalid url format",
        f"/ping/{some_uuid}/1/2": "invalid url format",
        "/ping/": "invalid url format",
        "/ping/key/UPPER": "invalid url format",
        f"/ping/{some_uuid}?rid=nope": "invalid uuid format",
        "/api/v1/heartbeat/": "invalid url format",
        "/api/v1/heartbeat/a/b/c": "invalid url format",
    }
    async with httpx.AsyncClient(base_url=server.url) as client:
        for path, reason in cases.items():
            response = await client.get(path)
            assert (path, response.status_code, response.text) == (path, 400, reason)


async def test_bodies_over_the_limit_are_kept_truncated_and_marked(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    body = b"x" * 150_000
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.post(f"/ping/{record.uuid}/fail", content=body)
        small = await client.post(f"/ping/{record.uuid}", content=b"all good")
    assert response.status_code == 200
    assert small.status_code == 200
    first, second = await pings_of(server_database, record)
    assert (first.body_size, first.body_truncated) == (150_000, True)
    assert (second.body_size, second.body_truncated) == (8, False)
    assert await stored_body(server_database, record, 1) == b"x" * 100_000
    assert await stored_body(server_database, record, 2) == b"all good"


async def test_many_concurrent_pings_to_one_check_are_all_recorded(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    codes = await hammer(server.url, f"/ping/{record.uuid}", connections=64, per_connection=20)
    assert codes == [200] * 1280
    check = await reload(server_database, record)
    assert check.n_pings == 1280
    pings = await pings_of(server_database, record)
    assert sorted(p.n for p in pings) == list(range(1, 1281))


async def test_no_request_a_client_can_send_gets_a_server_error(server: Server) -> None:
    paths = [
        "/ping/" + "a" * 5000,
        "/ping/%00",
        "/ping/%ff%fe/x",
        "/ping/\u00e9t\u00e9/slug",
        "/ping/key/slug/%F0%9F%92%A5",
        f"/ping/{uuid.uuid4()}/\u0663",
        f"/ping/{uuid.uuid4()}?rid=" + "9" * 10_000,
        f"/ping/{uuid.uuid4()}?create=1&create=2&rid=",
        "/api/v1/heartbeat/" + "t" * 200,
        "/api/v1/heartbeat/tok/99999999999999999999999",
        "/ping/key/slug?create=1",
    ]
    async with httpx.AsyncClient(base_url=server.url) as client:
        for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
            for path in paths:
                response = await client.request(method, path, content=b"\xff" * 10)
                assert response.status_code < 500, (method, path, response.text)


async def test_a_proxy_header_is_believed_only_when_configured(
    server: Server, server_database: Database, tmp_path: Path
) -> None:
    record = await make_check(server_database)
    forwarded = {"X-Forwarded-For": "203.0.113.9, 10.0.0.1"}
    async with httpx.AsyncClient() as client:
        await client.get(f"{server.url}/ping/{record.uuid}", headers=forwarded)
    proxied = start_server(
        server.database_url,
        tmp_path / "proxied.log",
        TOCSIN_TRUSTED_PROXY_HEADER="X-Forwarded-For",
        TOCSIN_WATCHER="false",
    )
    try:
        async with httpx.AsyncClient() as client:
            await client.get(f"{proxied.url}/ping/{record.uuid}", headers=forwarded)
    finally:
        stop_server(proxied)
    addresses = [p.remote_addr for p in await pings_of(server_database, record)]
    assert addresses == ["127.0.0.1", "203.0.113.9"]


async def exchange(server: Server, raw: bytes, *, until_closed: bool = False) -> bytes:
    """Writes `raw` on one connection and reads what comes back within a second."""
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        writer.write(raw)
        await writer.drain()
        received = b""
        while True:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), 1 if not until_closed else 5)
            except TimeoutError:
                break
            if not chunk:
                break
            received += chunk
        return received
    finally:
        writer.close()


def get(path: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"GET {path} HTTP/{version}", "Host: tocsin.test", *headers, "", ""]
    return "\r\n".join(lines).encode()


async def test_keep_alive_and_pipelined_requests_are_answered_in_order(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    missing = uuid.uuid4()
    pipelined = get(f"/ping/{record.uuid}") + get(f"/ping/{missing}") + get("/api/v3/status/")
    received = await exchange(server, pipelined + get(f"/ping/{record.uuid}/log"))
    statuses = re.findall(rb"HTTP/1\.1 \d{3} [A-Za-z ]+", received)
    assert statuses == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 200 OK",
    ]
    assert received.index(b"not found") < received.index(b"\r\n\r\nOK", received.index(b"404"))
    assert (await reload(server_database, record)).n_pings == 2


async def test_http_1_0_and_connection_close_end_the_connection_after_the_answer(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    for request in (
        get(f"/ping/{record.uuid}", version="1.0"),
        get(f"/ping/{record.uuid}", "Connection: close"),
    ):
        received = await exchange(server, request, until_closed=True)
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")
        assert received.endswith(b"\r\n\r\nOK")
    assert (await reload(server_database, record)).n_pings == 2


async def test_a_client_expecting_100_continue_is_told_to_send_its_body(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    try:
        head = (
            f"POST /ping/{record.uuid}/fail HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
            "Expect: 100-continue\r\n\r\n"
        )
        writer.write(head.encode())
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"oops!")
        final = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert final.startswith(b"HTTP/1.1 200 OK")
    finally:
        writer.close()
    assert await stored_body(server_database, record, 1) == b"oops!"


async def test_a_client_gone_before_its_answer_leaves_the_ping_recorded_and_the_server_serving(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    host, port = server.url.removeprefix("http://").split(":")
    for _ in range(20):
        _, writer = await asyncio.open_connection(host, int(port))
        writer.write(get(f"/ping/{record.uuid}"))
        writer.close()
    async with httpx.AsyncClient(base_url=server.url) as client:
        response = await client.get(f"/ping/{record.uuid}")
    assert response.status_code == 200
    # Each ping that reached the server is recorded; none was half-written.
    pings = await pings_of(server_database, record)
    assert sorted(p.n for p in pings) == list(range(1, len(pings) + 1))


# uvicorn's default, which `tocsin serve` keeps.
KEEP_ALIVE_SECONDS = 5


async def test_a_connection_idle_past_the_keep_alive_timeout_is_closed_and_not_before(
    server: Server, server_database: Database
) -> None:
    """Idle connections are closed by a sweep on the fast path, by a timer on the other;
    a connection that keeps sending is never closed under it."""
    record = await make_check(server_database)
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    loop = asyncio.get_running_loop()
    try:
        for _ in range(2):  # in use for longer than the timeout, never idle for as long
            writer.write(get(f"/ping/{record.uuid}"))
            answer = await asyncio.wait_for(reader.readuntil(b"\r\n\r\nOK"), 5)
            assert answer.startswith(b"HTTP/1.1 200 OK")
            await asyncio.sleep(KEEP_ALIVE_SECONDS * 0.6)
        idle_from = loop.time()
        assert await asyncio.wait_for(reader.read(), KEEP_ALIVE_SECONDS * 3) == b""
        idle_for = loop.time() - idle_from
    finally:
        writer.close()
    # 0.6 of the timeout had already passed since the last answer.
    assert idle_for >= KEEP_ALIVE_SECONDS * 0.4 - 0.5
    assert (await reload(server_database, record)).n_pings == 2
