"""The real server on a free port, driven over HTTP as cron jobs and scripts do."""

import uuid
from pathlib import Path

import httpx

from tests.conftest import Server, start_server, stop_server
from tests.helpers import hammer, make_check, pings_of, reload, stored_body
from tocsin.store.database import Database


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
