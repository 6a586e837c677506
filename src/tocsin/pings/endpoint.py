"""The ping endpoint as a bare ASGI callable, and what it shares with the HTTP fast path.

Pings are the hot path, so they skip the framework: no routing table, no middleware,
no request objects. Everything else goes to the web application. `tocsin serve` answers
pings one level lower still (`server.fast_pings`); both read requests with `PingReader`
and answer with `ping_response_headers`, so the two paths cannot drift apart.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from tocsin.domain.clock import Clock
from tocsin.pings.intake import PingIntake, PingRequest
from tocsin.pings.urls import QUERY_FIELDS_LIMIT, PingUrlError, parse_ping_path, parse_rid

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

# Healthchecks documents HEAD, GET and POST; PUT is for `curl -T`. OPTIONS is the
# preflight, answered without a ping; any other method is answered 405, not recorded.
PING_METHODS = frozenset({"GET", "HEAD", "POST", "PUT"})
ALLOW = b"GET, HEAD, POST, PUT, OPTIONS"

PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, POST, PUT"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]


def ping_response_headers(body_limit: int, content_length: int, status: int) -> Headers:
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"access-control-allow-origin", b"*"),
        (b"cache-control", b"no-store"),
        (b"ping-body-limit", str(body_limit).encode()),
        (b"content-length", str(content_length).encode()),
    ]
    if status == 405:
        headers.append((b"allow", ALLOW))
    return headers


class PingRequestError(Exception):
    """A ping request answered with an error, and not recorded."""

    def __init__(self, status_code: int, text: str) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.text = text


class PingReader:
    """Turns the parts of an HTTP request into a `PingRequest`."""

    def __init__(self, clock: Clock, body_limit: int, proxy_header: str = "") -> None:
        self.clock = clock
        self.body_limit = body_limit
        self.proxy_header = proxy_header.lower().encode("latin-1")

    def read(
        self,
        method: str,
        path: str,
        raw_query: bytes,
        headers: Headers,
        client: tuple[str, int] | None,
        scheme: str,
        body: bytes,
        body_size: int,
    ) -> PingRequest:
        """Raises `PingRequestError` with the status and one-line reason of a request that
        is no ping: another method, a malformed URL, too many query fields."""
        if method not in PING_METHODS:
            raise PingRequestError(405, "method not allowed")
        received_at = self.clock.now()
        try:
            url = parse_ping_path(path)
            query = read_query(raw_query)
            rid = parse_rid(query.get("rid"))
        except PingUrlError as error:
            raise PingRequestError(400, str(error)) from None
        user_agent, forwarded = self.read_headers(headers)
        return PingRequest(
            url=url,
            received_at=received_at,
            method=method,
            rid=rid,
            create=query.get("create") == "1",
            remote_addr=remote_address(forwarded, client),
            user_agent=user_agent,
            scheme=scheme,
            body=body,
            body_size=body_size,
        )

    def read_headers(self, headers: Headers) -> tuple[str, str]:
        user_agent = forwarded = ""
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif self.proxy_header and name == self.proxy_header:
                forwarded = value.decode("latin-1")
        return user_agent, forwarded


def read_query(raw_query: bytes) -> dict[str, str]:
    if not raw_query:
        return {}
    try:
        fields = parse_qsl(raw_query.decode("latin-1"), max_num_fields=QUERY_FIELDS_LIMIT)
    except ValueError:  # more fields than the limit
        raise PingUrlError("too many query fields") from None
    return dict(fields)


class PingEndpoint:
    def __init__(self, intake: PingIntake, reader: PingReader) -> None:
        self.intake = intake
        self.reader = reader
        self.headers_by_length: dict[tuple[int, int], Headers] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        if method == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": PREFLIGHT_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return
        body, body_size = await read_body(receive, self.reader.body_limit)
        try:
            request = self.reader.read(
                method,
                scope["path"],
                scope["query_string"],
                scope["headers"],
                scope.get("client"),
                scope.get("scheme", "http"),
                body,
                body_size,
            )
        except PingRequestError as refused:
            await self.respond(send, refused.status_code, refused.text, method)
            return
        reply = await self.intake.submit(request)
        await self.respond(send, reply.status_code, reply.text, method)

    async def respond(self, send: Send, status: int, text: str, method: str) -> None:
        body = text.encode()
        key = (len(body), status)
        headers = self.headers_by_length.get(key)
        if headers is None:
            headers = ping_response_headers(self.reader.body_limit, len(body), status)
            self.headers_by_length[key] = headers
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


async def read_body(receive: Receive, limit: int) -> tuple[bytes, int]:
    """Keep the first `limit` bytes; count the rest so a truncated body is marked."""
    body = BodyBuffer(limit)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body.add(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return body.kept(), body.size


class BodyBuffer:
    """Keeps the first `limit` bytes of a body and counts all of them."""

    __slots__ = ("chunks", "kept_size", "limit", "size")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.chunks: list[bytes] = []
        self.kept_size = 0
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.kept_size < self.limit and chunk:
            piece = chunk[: self.limit - self.kept_size]
            self.chunks.append(piece)
            self.kept_size += len(piece)

    def kept(self) -> bytes:
        return b"".join(self.chunks)


def remote_address(forwarded: str, client: tuple[str, int] | None) -> str | None:
    if forwarded:
        first = forwarded.split(",")[0].strip()
        # "1.2.3.4:5678" carries a port; an IPv6 address has several colons.
        if first.count(":") == 1:
            first = first.split(":")[0]
        return first[:64] or None
    return client[0] if client else None
