"""The ping endpoint as a bare ASGI callable.

Pings are the hot path, so they skip the framework: no routing table, no middleware,
no request objects. Everything else goes to the web application.
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import parse_qsl

from tocsin.clock import Clock
from tocsin.pings.intake import PingIntake, PingRequest
from tocsin.pings.urls import PingUrlError, parse_ping_path, parse_rid

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, HEAD, POST, PUT"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-max-age", b"600"),
    (b"content-length", b"0"),
]


class PingEndpoint:
    def __init__(
        self, intake: PingIntake, clock: Clock, body_limit: int, proxy_header: str = ""
    ) -> None:
        self.intake = intake
        self.clock = clock
        self.body_limit = body_limit
        self.proxy_header = proxy_header.lower().encode("latin-1")
        self.common_headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"access-control-allow-origin", b"*"),
            (b"cache-control", b"no-store"),
            (b"ping-body-limit", str(body_limit).encode()),
        ]
        self.headers_by_length: dict[int, list[tuple[bytes, bytes]]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        if method == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": PREFLIGHT_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return
        try:
            request = await self.read_request(scope, receive, method)
        except PingUrlError as error:
            await self.respond(send, 400, str(error), method)
            return
        reply = await self.intake.submit(request)
        await self.respond(send, reply.status_code, reply.text, method)

    async def read_request(self, scope: Scope, receive: Receive, method: str) -> PingRequest:
        received_at = self.clock.now()
        url = parse_ping_path(scope["path"])
        raw_query: bytes = scope["query_string"]
        query = dict(parse_qsl(raw_query.decode("latin-1"))) if raw_query else {}
        rid = parse_rid(query.get("rid"))
        body, body_size = await read_body(receive, self.body_limit)
        user_agent, forwarded = self.read_headers(scope["headers"])
        return PingRequest(
            url=url,
            received_at=received_at,
            method=method,
            rid=rid,
            create=query.get("create") == "1",
            remote_addr=remote_address(forwarded, scope.get("client")),
            user_agent=user_agent,
            scheme=scope.get("scheme", "http"),
            body=body,
            body_size=body_size,
        )

    def read_headers(self, headers: list[tuple[bytes, bytes]]) -> tuple[str, str]:
        user_agent = forwarded = ""
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value.decode("latin-1")
            elif self.proxy_header and name == self.proxy_header:
                forwarded = value.decode("latin-1")
        return user_agent, forwarded

    async def respond(self, send: Send, status: int, text: str, method: str) -> None:
        body = text.encode()
        headers = self.headers_by_length.get(len(body))
        if headers is None:
            headers = [*self.common_headers, (b"content-length", str(len(body)).encode())]
            self.headers_by_length[len(body)] = headers
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


async def read_body(receive: Receive, limit: int) -> tuple[bytes, int]:
    """Keep the first `limit` bytes; count the rest so a truncated body is marked."""
    kept: list[bytes] = []
    kept_size = total = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        total += len(chunk)
        if kept_size < limit and chunk:
            piece = chunk[: limit - kept_size]
            kept.append(piece)
            kept_size += len(piece)
        if not message.get("more_body", False):
            break
    return b"".join(kept), total


def remote_address(forwarded: str, client: tuple[str, int] | None) -> str | None:
    if forwarded:
        first = forwarded.split(",")[0].strip()
        # "1.2.3.4:5678" carries a port; an IPv6 address has several colons.
        if first.count(":") == 1:
            first = first.split(":")[0]
        return first[:64] or None
    return client[0] if client else None
