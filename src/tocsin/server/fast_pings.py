"""Pings answered inside uvicorn's HTTP protocol, below ASGI.

At thousands of pings a second, ASGI's per-request machinery (a scope dict, a task per
request, send and receive coroutines, header checks) costs as much as recording the
ping. `tocsin serve` therefore runs uvicorn with `FastPingProtocol`: uvicorn's own
httptools protocol as `server.protocol` guards it, which hands every ping URL to a
`PingCycle` instead of the ASGI app. The cycle collects the body, queues the ping at
the intake and writes the response when the ping's batch has committed; no task and
no coroutine per ping.
Everything else (OPTIONS preflights included) takes uvicorn's ordinary path to the
ASGI app, which can answer pings too (`pings.endpoint`), with the same reader and
the same response headers.
"""

import urllib.parse

from tocsin.pings.endpoint import (
    BodyBuffer,
    Headers,
    PingReader,
    PingRequestError,
    ping_response_headers,
)
from tocsin.pings.intake import PingIntake, Reply
from tocsin.pings.urls import PREFIXES
from tocsin.server.connections import ConnectionGuard
from tocsin.server.cycles import DirectCycle
from tocsin.server.protocol import BODY, HEAD, IDLE, GuardedProtocol
from tocsin.server.uvicorn_guard import STATUS_LINE, HttpToolsProtocol

PING_PREFIXES = tuple(prefix.encode("ascii") for prefix in PREFIXES)
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"


class FastPings:
    """What every connection's fast path shares: the intake, the reader, the responses."""

    def __init__(self, intake: PingIntake, reader: PingReader) -> None:
        self.intake = intake
        self.reader = reader
        self._responses: dict[tuple[int, str, bool, bool], bytes] = {}
        self._date_headers: Headers | None = None

    def response(
        self, default_headers: Headers, status: int, text: str, head: bool, keep_alive: bool
    ) -> bytes:
        # uvicorn replaces its default headers (they carry the date) once a second.
        if default_headers is not self._date_headers:
            self._date_headers = default_headers
            self._responses.clear()
        key = (status, text, head, keep_alive)
        response = self._responses.get(key)
        if response is None:
            response = self._responses[key] = render(default_headers, *key, self.reader)
        return response


def render(
    default_headers: Headers,
    status: int,
    text: str,
    head: bool,
    keep_alive: bool,
    reader: PingReader,
) -> bytes:
    body = text.encode()
    headers = [*default_headers, *ping_response_headers(reader.body_limit, len(body), status)]
    if not keep_alive:
        headers.append((b"connection", b"close"))
    lines = [STATUS_LINE[status], *(name + b": " + value + b"\r\n" for name, value in headers)]
    return b"".join([*lines, b"\r\n", b"" if head else body])


class NoEvent:
    """uvicorn sets its current cycle's message event when the connection drops."""

    def set(self) -> None:
        pass


class PingCycle(DirectCycle):
    """One ping request on one connection, from its headers to its response."""

    __slots__ = (
        "active",
        "body",
        "disconnected",
        "expect_100_continue",
        "headers",
        "keep_alive",
        "message_complete",
        "method",
        "protocol",
        "response_complete",
        "url",
    )
    message_event = NoEvent()

    def __init__(
        self,
        protocol: "FastPingProtocol",
        method: str,
        url: bytes,
        headers: Headers,
        keep_alive: bool,
        expect_100_continue: bool,
    ) -> None:
        self.protocol = protocol
        self.method = method
        self.url = url
        self.headers = headers
        self.body = BodyBuffer(protocol.pings.reader.body_limit)
        self.keep_alive = keep_alive
        self.expect_100_continue = expect_100_continue
        self.active = False  # False while a pipelined request ahead of it is answered
        self.message_complete = False
        self.response_complete = False
        self.disconnected = False

    def activate(self) -> None:
        self.active = True
        if self.message_complete:
            self.submit()
        elif self.expect_100_continue:
            self.protocol.transport.write(CONTINUE)

    def complete_message(self) -> None:
        self.message_complete = True
        if self.active:
            self.submit()

    def submit(self) -> None:
        pings = self.protocol.pings
        raw_path, _, raw_query = self.url.partition(b"?")
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = urllib.parse.unquote(path)
        try:
            request = pings.reader.read(
                self.method,
                path,
                raw_query,
                self.headers,
                self.protocol.client,
                self.protocol.scheme or "http",
                self.body.kept(),
                self.body.size,
            )
        except PingRequestError as refused:
            self.respond(refused.status_code, refused.text)
            return
        pings.intake.enqueue(request, self.reply)

    def reply(self, reply: Reply) -> None:
        self.respond(reply.status_code, reply.text)

    def respond(self, status: int, text: str) -> None:
        self.response_complete = True
        if self.disconnected:
            return
        protocol = self.protocol
        head = self.method == "HEAD"
        default_headers = protocol.server_state.default_headers
        response = protocol.pings.response(default_headers, status, text, head, self.keep_alive)
        protocol.transport.write(response)
        if protocol.access_log:
            protocol.access_logger.info(
                '%s - "%s %s HTTP/1.1" %d', protocol.client, self.method, self.url, status
            )
        if not self.keep_alive:
            protocol.transport.close()
        protocol.on_response_complete()


class FastPingProtocol(GuardedProtocol):
    """The guarded httptools protocol with ping URLs answered by a `PingCycle`."""

    pings: FastPings  # set on the subclass `fast_ping_protocol` makes

    def on_message_begin(self) -> None:
        # uvicorn builds the ASGI scope here; a ping never needs one, so it waits
        # until the URL says the request is not a ping.
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self.parsing = HEAD
        self.head_fed = self.body_seen = 0

    def on_headers_complete(self) -> None:
        version = self.check_head()
        self.parsing = BODY
        method = self.parser.get_method()
        if (
            not self.url.startswith(PING_PREFIXES)
            or method == b"OPTIONS"
            or self.parser.should_upgrade()
        ):
            self.build_scope()
            HttpToolsProtocol.on_headers_complete(self)
            return
        keep_alive = version == "1.1" and self.parser.should_keep_alive()
        existing = self.cycle
        self.cycle = PingCycle(
            self,
            method.decode("ascii"),
            self.url,
            self.headers,
            keep_alive,
            self.expect_100_continue,
        )
        if existing is None or existing.response_complete:
            self.cycle.activate()
        else:
            # A pipelined request: answered after the ones ahead of it, as uvicorn does;
            # GuardedProtocol bounds how many wait.
            self.pipeline.appendleft((self.cycle, self.app))

    def build_scope(self) -> None:
        url, headers, expect_100_continue = self.url, self.headers, self.expect_100_continue
        HttpToolsProtocol.on_message_begin(self)
        self.url, self.expect_100_continue = url, expect_100_continue
        self.headers = self.scope["headers"] = headers

    def on_body(self, body: bytes) -> None:
        self.body_seen += len(body)
        if isinstance(self.cycle, PingCycle):
            self.cycle.body.add(body)
        else:
            HttpToolsProtocol.on_body(self, body)

    def on_message_complete(self) -> None:
        self.parsing = IDLE
        self.owed += 1
        if isinstance(self.cycle, PingCycle):
            self.cycle.complete_message()
        else:
            HttpToolsProtocol.on_message_complete(self)


def fast_ping_protocol(pings: FastPings, guard: ConnectionGuard) -> type[FastPingProtocol]:
    """A protocol class for `uvicorn.Config(http=…)` bound to this process's intake and
    guard (`server.uvicorn_guard` says whether this uvicorn may run it)."""
    return type("BoundFastPingProtocol", (FastPingProtocol,), {"pings": pings, "guard": guard})
