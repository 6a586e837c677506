"""uvicorn's httptools protocol with bounds on what one client can make it hold.

uvicorn's protocol parses whatever arrives: a client pipelining requests without
reading the answers queues them without end, a header or URL of any size is
buffered whole, and a connection that never finishes its request stays open. Here:

- Reading is bounded by the answers: the parser is fed at most `READ_AHEAD` requests
  beyond those being answered (a read is fed in steps of `room * MIN_REQUEST` bytes,
  so no step can start more requests than there is room for) and reading pauses,
  the rest of the read kept, until answers make room again or while the client is not
  reading what was written to it.
- A request head is refused while it arrives: 414 past `URL_LIMIT`, 431 past
  `HEAD_LIMIT`; only a lone `Transfer-Encoding: chunked` is accepted, and only
  HTTP/1.0 and 1.1.
- A refused request is answered after every request before it, then the connection
  closes.
- `ConnectionGuard` caps connections and closes those left waiting on their client.
"""

import asyncio
from collections import deque
from typing import Any

import httptools

from tocsin.server.connections import ConnectionGuard
from tocsin.server.cycles import DirectCycle, RefusalCycle, RefusedRequestError, refusal_response
from tocsin.server.limits import (
    HEAD_LIMIT,
    MIN_REQUEST,
    READ_AHEAD,
    READ_SIZE,
    URL_LIMIT,
    head_size,
)
from tocsin.server.uvicorn_guard import FlowControl, HttpToolsProtocol

# What the parser is in the middle of.
IDLE, HEAD, BODY = 0, 1, 2
# A read no longer than this cannot start more requests than an idle connection has
# room for.
WHOLE_READ = READ_AHEAD * MIN_REQUEST
PARSER_STOPS = (httptools.HttpParserError, httptools.HttpParserUpgrade)


class GuardedFlow(FlowControl):
    """uvicorn's flow control, but reading resumes only while the connection has room."""

    def __init__(self, transport: asyncio.Transport, protocol: "GuardedProtocol") -> None:
        super().__init__(transport)
        self.protocol = protocol

    def resume_reading(self) -> None:
        if self.read_paused and self.protocol.may_read():
            super().resume_reading()


class GuardedProtocol(HttpToolsProtocol, asyncio.BufferedProtocol):
    """uvicorn's httptools protocol with read-ahead, size and time limits."""

    guard: ConnectionGuard  # set on the subclass `guarded_protocol` makes
    cycle: Any  # uvicorn's RequestResponseCycle or a DirectCycle
    pipeline: deque[tuple[Any, Any]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.address = ""
        self.unparsed = b""  # read, but beyond the room to parse it
        self.parsing = IDLE
        self.head_fed = 0  # bytes fed in earlier steps to the head being parsed
        self.body_seen = 0  # bytes of the current body parsed
        self.owed = 0
        self.settled = 0.0
        self.refusal: RefusedRequestError | None = None
        self.refused = False  # nothing more is parsed on this connection

    # --- the connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.flow = GuardedFlow(transport, self)
        self.address = self.client[0] if self.client else ""
        self.settled = self.loop.time()
        if not self.guard.admit(self, self.loop):
            transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self.guard.forget(self)
        # Nothing queued for a client that is gone is kept.
        for cycle, _ in self.pipeline:
            cycle.disconnected = True
        self.pipeline.clear()
        self.unparsed = b""

    def receiving(self) -> bool:
        return self.parsing != IDLE

    def shed(self, timed_out: bool) -> None:
        """Close to make room for another connection, or because the client kept this
        one waiting; never lingering on answers a client does not read."""
        transport = self.transport
        if timed_out and self.parsing != IDLE and not transport.get_write_buffer_size():
            transport.write(refusal_response(RefusedRequestError(408, "Request Timeout"), []))
        if transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def _unset_keepalive_if_required(self) -> None:
        # No keep-alive timer: the guard's sweep closes idle connections.
        pass

    # --- reading

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.guard.read_buffer

    def buffer_updated(self, nbytes: int) -> None:
        data = self.guard.read_buffer[:nbytes]
        # The common case, fed whole without `parse`'s steps: a read that cannot hold
        # more requests than there is room for, on a connection with nothing waiting.
        if (
            nbytes <= WHOLE_READ
            and not self.pipeline
            and not self.unparsed
            and not self.refused
            and not self.flow.write_paused
        ):
            try:
                self.parser.feed_data(data)
            except PARSER_STOPS as error:
                self.parse_failed(error)
                return
            if self.parsing == HEAD:
                self.head_continues(nbytes)
        else:
            self.data_received(data)

    def data_received(self, data: bytes | memoryview) -> None:
        if self.refused:  # nothing more is parsed; see `send_refusal`
            return
        if self.unparsed:  # read before the pause took effect: it waits behind the rest
            self.unparsed += data
            self.flow.pause_reading()
            return
        self.parse(data)

    def room(self) -> int:
        """Requests that may still be read ahead of the answers."""
        if self.refused or self.flow.write_paused:
            return 0
        return READ_AHEAD - len(self.pipeline)

    def may_read(self) -> bool:
        return not self.unparsed and self.room() > 0

    def parse(self, data: bytes | memoryview) -> None:
        offset, end = 0, len(data)
        while offset < end:
            step = self.room() * MIN_REQUEST
            if step <= 0:
                self.unparsed = bytes(data[offset:])
                self.flow.pause_reading()
                return
            if self.parsing == BODY:
                step += self.body_left()
            piece = data if offset == 0 and step >= end else data[offset : offset + step]
            if not self.feed(piece):
                return
            offset += step

    def body_left(self) -> int:
        """Bytes of the current body still to come, when its length was declared: no
        request can start within them."""
        for name, value in self.headers:
            if name == b"content-length":
                return max(0, int(value) - self.body_seen)
        return 0

    def feed(self, data: bytes | memoryview) -> bool:
        try:
            self.parser.feed_data(data)
        except PARSER_STOPS as error:
            self.parse_failed(error)
            return False
        if self.parsing == HEAD:
            return self.head_continues(len(data))
        return True

    def parse_failed(self, error: Exception) -> None:
        if isinstance(error, httptools.HttpParserUpgrade):
            # Tocsin has no upgrades: the request is answered as any other, then the
            # connection closes.
            self._unsupported_upgrade_warning()
            self.cycle.keep_alive = False
            self.refused = True
        else:
            self.refuse(self.refusal or RefusedRequestError(400, "Invalid HTTP request received."))

    def head_continues(self, size: int) -> bool:
        """A head is still arriving after a step: refuse it once it is surely too long.
        `head_fed` may count bytes of the step before the head began, at most one read."""
        self.head_fed += size
        if self.head_fed <= HEAD_LIMIT + READ_SIZE:
            return True
        self.refuse(self.head_too_large())
        return False

    def continue_reading(self) -> None:
        if self.unparsed and self.room() > 0:
            data, self.unparsed = self.unparsed, b""
            self.parse(data)
        self.flow.resume_reading()

    def resume_writing(self) -> None:
        self.flow.resume_writing()
        if self.unparsed or self.flow.read_paused:
            self.continue_reading()

    # --- parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.parsing = HEAD
        self.head_fed = self.body_seen = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's, with the transfer coding checked.
        name = name.lower()
        value = value.rstrip(b" \t")
        if name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        elif name == b"transfer-encoding":
            self.check_transfer_encoding(value)
        self.headers.append((name, value))

    def check_transfer_encoding(self, value: bytes) -> None:
        # llhttp takes any list ending in chunked ("identity, chunked") as chunked; a
        # server and a proxy in front of it could disagree on where the body ends.
        if value.lower() != b"chunked" or any(n == b"transfer-encoding" for n, _ in self.headers):
            raise self.stop(
                RefusedRequestError(501, "Only Transfer-Encoding: chunked is supported.")
            )

    def on_headers_complete(self) -> None:
        self.check_head()
        self.parsing = BODY
        HttpToolsProtocol.on_headers_complete(self)

    def check_head(self) -> str:
        """The request's HTTP version, once its head is known to be within limits."""
        version: str = self.parser.get_http_version()
        if version != "1.1" and version != "1.0":
            if version == "0.9":  # a request line without a version
                raise self.stop(RefusedRequestError(400, "Invalid HTTP request received."))
            raise self.stop(RefusedRequestError(505, "HTTP Version Not Supported"))
        if len(self.url) > URL_LIMIT or (
            self.head_fed
            and head_size(self.parser.get_method(), self.url, self.headers) > HEAD_LIMIT
        ):
            raise self.stop(self.head_too_large())
        return version

    def head_too_large(self) -> RefusedRequestError:
        if len(self.url) > URL_LIMIT:
            return RefusedRequestError(414, "URI Too Long")
        return RefusedRequestError(431, "Request Header Fields Too Large")

    def stop(self, refusal: RefusedRequestError) -> RefusedRequestError:
        """Note why parsing stops, for `feed` to answer once the parser has given up."""
        self.refusal = refusal
        return refusal

    def on_body(self, body: bytes) -> None:
        self.body_seen += len(body)
        super().on_body(body)

    def on_message_complete(self) -> None:
        self.parsing = IDLE
        self.owed += 1
        super().on_message_complete()

    # --- answering

    def _start_asgi_task(self, cycle: Any, app: Any) -> None:
        if isinstance(cycle, DirectCycle):
            cycle.activate()
        else:
            super()._start_asgi_task(cycle, app)

    def on_response_complete(self) -> None:
        # uvicorn's, without its keep-alive timer and with reading resumed only when
        # there is room.
        self.server_state.total_requests += 1
        self.owed -= 1
        if self.transport.is_closing():
            return
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        if self.owed <= 0:
            self.settled = self.loop.time()
        if self.unparsed or self.flow.read_paused:
            self.continue_reading()

    def refuse(self, refusal: RefusedRequestError) -> None:
        """Parse nothing more: answer the requests before this one, then the refusal,
        then close."""
        self.refused = True
        self.unparsed = b""
        self.flow.pause_reading()
        if self.answers_pending():
            self.pipeline.appendleft((RefusalCycle(self.send_refusal, refusal), self.app))
        else:
            self.send_refusal(refusal)

    def answers_pending(self) -> bool:
        """Whether requests before the refused one still wait for their answer. The
        refused request itself, if it got as far as a cycle, is dropped."""
        cycle = self.cycle
        if self.parsing != BODY:
            return cycle is not None and not cycle.response_complete
        if self.pipeline and self.pipeline[0][0] is cycle:
            self.pipeline.popleft()
            return True
        if getattr(cycle, "response_started", False):
            self.transport.close()  # its answer has begun: no room for the refusal
        cycle.disconnected = True  # it was being answered: stop that
        cycle.message_event.set()
        return False

    def send_refusal(self, refusal: RefusedRequestError) -> None:
        transport = self.transport
        if transport.is_closing():
            return
        transport.write(refusal_response(refusal, self.server_state.default_headers))
        if not transport.can_write_eof():
            transport.close()
            return
        # Closing with the client's bytes unread would reset the connection, and a reset
        # can destroy the answer before the client reads it: the write side is shut and
        # what still arrives is read and dropped until the sweep closes the connection,
        # a keep-alive time later.
        transport.write_eof()
        self.parsing = IDLE
        self.settled = self.loop.time()
        FlowControl.resume_reading(self.flow)


def guarded_protocol(guard: ConnectionGuard) -> type[GuardedProtocol]:
    """A protocol class for `uvicorn.Config(http=…)` bound to this process's guard."""
    return type("BoundGuardedProtocol", (GuardedProtocol,), {"guard": guard})
