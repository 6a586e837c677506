"""The lean HTTP client deliveries go through, against raw servers on 127.0.0.1 that
answer exactly as each test needs (kept alive, closed, chunked, slow, silent…)."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.helpers import eventually
from tocsin.notify.base import DeliveryError
from tocsin.notify.http import BODY_LIMIT, Connection, HostPool, HttpClient, Progress, Response

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


class RawServer:
    """Counts connections and requests; each connection is served by `handler`."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.open_now = 0
        self.most_open = 0
        self.requests: list[bytes] = []
        self.port = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self.open_now -= 1
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        request = head + await reader.readexactly(length)
        self.requests.append(request)
        return request

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[RawServer]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> RawServer:
        raw = RawServer(handler)
        server = await asyncio.start_server(raw.serve, "127.0.0.1", 0)
        raw.port = server.sockets[0].getsockname()[1]
        servers.append(server)
        return raw

    yield start
    for server in servers:
        server.close()


@pytest.fixture
async def client() -> AsyncIterator[HttpClient]:
    http = HttpClient(per_host=2)
    yield http
    await http.close()


async def post(
    client: HttpClient,
    url: str,
    body: bytes = b"{}",
    *,
    time_limit: float = 2,
    headers: dict[str, str] | None = None,
) -> Response:
    return await client.request(
        "POST", url, headers or {}, body, time_limit=time_limit, allow_private=True
    )


@pytest.fixture
async def silent_server(serve: Callable[[Handler], Awaitable[RawServer]]) -> RawServer:
    """A receiver that reads each request and never answers it; a connection ends when
    the client gives up on it and closes it."""

    async def silent(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        await reader.read()

    server = await serve(silent)
    return server


async def test_a_kept_alive_connection_carries_the_next_request(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            writer.write(OK)

    server = await serve(keep_alive)
    first = await post(client, server.url, b'{"n": 1}', headers={"X-Trace": "a"})
    second = await post(client, server.url, b'{"n": 2}')
    assert (first.status, first.body, second.status) == (200, b"ok", 200)
    assert server.connections == 1
    request = server.requests[0]
    assert request.startswith(b"POST /hook HTTP/1.1\r\n")
    assert f"Host: 127.0.0.1:{server.port}\r\n".encode() in request
    assert b"X-Trace: a\r\n" in request
    assert request.endswith(b'\r\n\r\n{"n": 1}')


async def test_a_connection_the_server_closed_while_idle_is_replaced_without_an_error(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def one_request_per_connection_but_claims_keep_alive(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.read_request(reader)
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(0.05)  # then closes, as an idle timeout would

    server = await serve(one_request_per_connection_but_claims_keep_alive)
    assert (await post(client, server.url)).status == 200
    await asyncio.sleep(0.2)
    assert (await post(client, server.url)).status == 200
    assert server.connections == 2


async def test_chunked_bodies_and_bodies_ending_with_the_connection_are_read(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def chunked_then_until_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        await server.read_request(reader)
        writer.write(
            b"HTTP/1.1 500 Oops\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        )
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 503 Busy\r\nConnection: close\r\n\r\ntry later")
        await writer.drain()

    server = await serve(chunked_then_until_close)
    chunked = await post(client, server.url)
    until_close = await post(client, server.url)
    assert (chunked.status, chunked.body) == (500, b"hello world")
    assert (until_close.status, until_close.body) == (503, b"try later")
    assert server.connections == 1


async def test_a_huge_response_keeps_only_its_start(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    size = BODY_LIMIT * 4

    async def huge(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 400 No\r\nContent-Length: %d\r\n\r\n" % size + b"x" * size)
        await writer.drain()

    server = await serve(huge)
    response = await post(client, server.url)
    assert (response.status, len(response.body)) == (400, BODY_LIMIT)


async def test_a_silent_server_times_out_and_frees_its_connection_slot(
    silent_server: RawServer, client: HttpClient
) -> None:
    for _ in range(3):  # more than the two connections allowed per host
        with pytest.raises(DeliveryError) as caught:
            await post(client, silent_server.url, time_limit=0.2)
        assert (str(caught.value), caught.value.permanent) == ("no answer within 0.2s", False)
    assert silent_server.connections == 3


async def test_a_request_that_never_got_a_connection_says_so_and_asks_to_be_retried_now(
    silent_server: RawServer, client: HttpClient
) -> None:
    # Both connections busy for far longer than the third request may wait in line, so
    # its time runs out there whatever the machine's load.
    busy = [asyncio.create_task(post(client, silent_server.url, time_limit=5)) for _ in range(2)]

    async def both_connected() -> bool:
        return silent_server.connections == 2

    assert await eventually(both_connected, 30)
    with pytest.raises(DeliveryError) as caught:
        await post(client, silent_server.url, time_limit=0.3)
    assert (str(caught.value), caught.value.retry_after) == (
        "waited 0.3s in line for one of the 2 connections to 127.0.0.1, all busy",
        0.0,
    )
    outcomes = await asyncio.gather(*busy, return_exceptions=True)
    assert [(str(e), getattr(e, "retry_after", "?")) for e in outcomes] == [
        ("no answer within 5s", None)
    ] * 2


async def test_no_more_than_the_per_host_limit_is_open_at_once(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            await asyncio.sleep(0.05)
            writer.write(OK)

    server = await serve(slow)
    responses = await asyncio.gather(*(post(client, server.url) for _ in range(8)))
    assert [r.status for r in responses] == [200] * 8
    assert server.most_open == 2


async def test_a_wait_for_a_connection_cancelled_as_one_frees_up_ends_as_cancelled() -> None:
    # A delivery timing out while waiting for one of a host's connections, at the moment
    # another delivery hands its connection back: the freed connection goes to the next
    # in line, and the timed-out wait ends as a timeout (once, a ValueError, taken for a
    # permanent failure).
    pool = HostPool(limit=1)

    async def connect() -> Connection:
        return Connection()

    def progress() -> Progress:
        return Progress(asyncio.timeout(None), time_limit=1)

    held = await pool.acquire(connect, progress())
    timing_out = asyncio.create_task(pool.acquire(connect, progress()))
    next_in_line = asyncio.create_task(pool.acquire(connect, progress()))
    await asyncio.sleep(0)  # both wait their turn
    timing_out.cancel()
    pool.release(held)

    with pytest.raises(asyncio.CancelledError):
        await timing_out
    assert await next_in_line is held


async def test_a_response_cut_short_is_an_error_and_is_not_sent_again(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()

    server = await serve(cut)
    with pytest.raises(DeliveryError) as caught:
        await post(client, server.url)
    assert caught.value.permanent is False
    assert len(server.requests) == 1


async def test_requests_that_cannot_be_sent_as_given_are_refused_for_good(
    client: HttpClient,
) -> None:
    cases = [
        ("POST", "http://127.0.0.1:9/hook", {"X-Evil": "a\r\nInjected: yes"}),
        ("POST", "ftp://example.com/hook", {}),
        ("POST", "http://example.com:99999/hook", {}),
        ("DELETE", "http://127.0.0.1:9/hook", {}),
    ]
    for method, url, headers in cases:
        with pytest.raises(DeliveryError) as caught:
            await client.request(method, url, headers, time_limit=1, allow_private=True)
        assert caught.value.permanent, (method, url, str(caught.value))


async def test_internal_addresses_are_refused_unless_allowed(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(OK)

    server = await serve(answer)
    with pytest.raises(DeliveryError) as caught:
        await client.request("POST", server.url, {}, time_limit=1, allow_private=False)
    assert caught.value.permanent
    assert "internal address 127.0.0.1" in str(caught.value)
    assert server.connections == 0


async def test_credentials_in_the_url_become_basic_authorization(
    serve: Callable[[Handler], Awaitable[RawServer]], client: HttpClient
) -> None:
    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(OK)

    server = await serve(answer)
    url = server.url.replace("http://", "http://alert:s3cret@")
    await post(client, url + "?a=1&b=2")
    request = server.requests[0]
    assert request.startswith(b"POST /hook?a=1&b=2 HTTP/1.1\r\n")
    assert b"Authorization: Basic YWxlcnQ6czNjcmV0\r\n" in request
