"""A lean HTTP/1.1 client for channel deliveries.

When thousands of checks go down at once, every one of them is an HTTP request to a
channel, and the client's own overhead decides how late the last alert is. aiohttp
spends about 190 µs of Python on each request; this client, which does only what a
delivery needs (one request, the status, the headers, the start of the body), about
30 µs (docs/PERFORMANCE.md). It keeps a few connections per host alive and reuses them.

It also closes a gap of resolving and connecting separately: the addresses that pass
the check for internal networks are the ones it connects to, so a DNS answer that
changes between the two cannot steer a webhook inside.
"""

import asyncio
import base64
import contextlib
import ipaddress
import socket
import ssl
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httptools

from tocsin.notify.base import DeliveryError
from tocsin.version import __version__

BODY_LIMIT = 64 * 1024  # of a response: enough for any error message worth recording
PER_HOST = 16  # connections open at once to one host
IDLE_SECONDS = 4.0  # servers commonly close idle connections after 5 s
METHODS = frozenset({"GET", "POST", "PUT"})
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(slots=True)
class Response:
    status: int
    headers: dict[str, str] = field(default_factory=dict)  # names in lower case
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # with the query
    authorization: str  # from user:password@ in the URL, or ""

    @classmethod
    def parse(cls, url: str) -> "Target":
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise DeliveryError(f"not a valid URL: {error}", permanent=True) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryError(f"not an http(s) URL: {url}", permanent=True)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        authorization = ""
        if parts.username is not None:
            pair = f"{parts.username}:{parts.password or ''}".encode()
            authorization = "Basic " + base64.b64encode(pair).decode()
        default_port = 443 if parts.scheme == "https" else 80
        ascii_host(parts.hostname)  # a name that cannot be sent is the URL's fault
        return cls(parts.scheme, parts.hostname, port or default_port, path, authorization)

    @property
    def host_header(self) -> str:
        host = ascii_host(self.host)
        if ":" in host:
            host = f"[{host}]"
        default = self.port == (443 if self.scheme == "https" else 80)
        return host if default else f"{host}:{self.port}"


def ascii_host(host: str) -> str:
    """The host name as it goes in a request: internationalised names in IDNA form."""
    if host.isascii():
        return host
    try:
        return host.encode("idna").decode()
    except UnicodeError as error:
        raise DeliveryError(f"not a valid host name {host!r}: {error}", permanent=True) from None


def encode_request(method: str, target: Target, headers: Mapping[str, str], body: bytes) -> bytes:
    if method not in METHODS:
        raise DeliveryError(f"unsupported method {method}", permanent=True)
    fields = {
        "Host": target.host_header,
        "User-Agent": f"Tocsin/{__version__}",
        "Accept-Encoding": "identity",
        "Content-Length": str(len(body)),
    }
    if target.authorization:
        fields["Authorization"] = target.authorization
    given = {name.lower() for name in headers}
    lines = [f"{method} {target.path} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in fields.items() if name.lower() not in given]
    for name, value in headers.items():
        if name.lower() in ("content-length", "host", "transfer-encoding"):
            continue
        if any(c in name + value for c in "\r\n\0") or not name.isascii() or ":" in name:
            raise DeliveryError(f"header {name!r} cannot be sent", permanent=True)
        lines.append(f"{name}: {value}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("utf-8") + body


class ConnectionClosedError(Exception):
    def __init__(self, message: str, *, answered: bool) -> None:
        super().__init__(message)
        self.answered = answered  # whether any of a response had arrived


class Connection(asyncio.Protocol):
    """One keep-alive connection; one request at a time."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[Response] | None = None
        self.response = Response(0)
        self.received = False
        self.ends_with_connection = False  # a body with neither a length nor chunks
        self.reusable = True
        self.last_used = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.received = True
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self.fail(ConnectionClosedError(f"bad HTTP response: {error}", answered=True))

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self.ends_with_connection:
            self.finish()
        reason = f"connection closed: {exc}" if exc else "connection closed by the server"
        self.fail(ConnectionClosedError(reason, answered=self.received))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers = self.response.headers
        headers[key] = f"{headers[key]}, {text}" if key in headers else text

    def on_headers_complete(self) -> None:
        self.response.status = self.parser.get_status_code()
        headers = self.response.headers
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        self.ends_with_connection = "content-length" not in headers and not chunked

    def on_body(self, body: bytes) -> None:
        room = BODY_LIMIT - len(self.response.body)
        if room > 0:
            self.response.body += body[:room]

    def on_message_complete(self) -> None:
        self.ends_with_connection = False
        if not self.parser.should_keep_alive():
            self.reusable = False
        self.finish()

    # use
    async def exchange(self, data: bytes) -> Response:
        assert self.transport is not None
        self.response = Response(0)
        self.received = self.ends_with_connection = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.waiter

    def finish(self) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(self.response)

    def fail(self, error: Exception) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(error)

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()


class HostPool:
    """Connections to one host: idle ones to reuse, and a cap on how many are open."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0
        self.idle: list[Connection] = []
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(
        self, connect: Callable[[], Awaitable[Connection]], progress: "Progress"
    ) -> Connection:
        loop = asyncio.get_running_loop()
        while True:
            while self.idle:
                connection = self.idle.pop()
                if connection.reusable and loop.time() - connection.last_used < IDLE_SECONDS:
                    return connection
                self.discard(connection)
            if self.open < self.limit:
                self.open += 1
                try:
                    return await connect()
                except BaseException:
                    self.open -= 1
                    self.wake_one()
                    raise
            progress.in_line = True
            await self.wait_for_turn(loop)

    async def wait_for_turn(self, loop: asyncio.AbstractEventLoop) -> None:
        turn = loop.create_future()
        self.waiters.append(turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled():
                self.wake_one()  # the turn we were given passes to the next in line
            # A cancelled turn stays in line: `wake_one` drops it when it comes up. It
            # may have dropped it already (a connection freed between our cancellation
            # and our waking), so removing it here would fail, and that ValueError,
            # raised instead of the cancellation, once turned a timeout into an alert
            # given up for good.
            raise

    def release(self, connection: Connection) -> None:
        if connection.reusable:
            connection.last_used = asyncio.get_running_loop().time()
            self.idle.append(connection)
            self.wake_one()
        else:
            self.discard(connection)

    def discard(self, connection: Connection) -> None:
        connection.close()
        self.open -= 1
        self.wake_one()

    def wake_one(self) -> None:
        while self.waiters:
            turn = self.waiters.popleft()
            if not turn.done():
                turn.set_result(None)
                return

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


@dataclass(slots=True)
class Progress:
    """Whether a request is waiting in line for one of its host's connections. Its
    time limit counts again from when it leaves the line: a request sent with half
    its time spent waiting would often time out once the receiver had it, and be
    sent again (100 of 200 alerts to a webhook answering in 1 s, with 2 s to wait)."""

    scope: asyncio.Timeout
    time_limit: float
    in_line: bool = False

    def leave_line(self) -> None:
        if self.in_line:
            self.in_line = False
            self.scope.reschedule(asyncio.get_running_loop().time() + self.time_limit)


def waited_in_line(target: Target, time_limit: float, limit: int) -> DeliveryError:
    """A request that never left the line: the receiver is slower than the alerts
    come, not failing. Tried again as soon as the notifier can (the line moves on),
    not after a backoff that grows with each wait."""
    return DeliveryError(
        f"waited {time_limit:g}s in line for one of the {limit} connections to "
        f"{target.host}, all busy",
        permanent=False,
        retry_after=0.0,
    )


class HttpClient:
    """Connection pools shared by every delivery of a process; see `http_client`."""

    def __init__(self, per_host: int = PER_HOST) -> None:
        self.per_host = per_host
        self.pools: dict[tuple[str, str, int], HostPool] = {}
        self._tls: ssl.SSLContext | None = None

    async def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        body: bytes = b"",
        *,
        time_limit: float,
        allow_private: bool,
    ) -> Response:
        """Raises DeliveryError for whatever keeps the request from being answered."""
        target = Target.parse(url)
        data = encode_request(method, target, headers, body)
        key = (target.scheme, target.host, target.port)
        pool = self.pools.get(key) or self.pools.setdefault(key, HostPool(self.per_host))
        try:
            async with asyncio.timeout(time_limit) as scope:
                progress = Progress(scope, time_limit)
                return await self.exchange(pool, target, data, allow_private, progress)
        except TimeoutError:
            if progress.in_line:
                raise waited_in_line(target, time_limit, pool.limit) from None
            raise DeliveryError(f"no answer within {time_limit:g}s", permanent=False) from None
        except (OSError, ConnectionClosedError) as error:
            raise DeliveryError(f"could not connect: {error}", permanent=False) from None

    async def exchange(
        self, pool: HostPool, target: Target, data: bytes, allow_private: bool, progress: Progress
    ) -> Response:
        fresh = False

        async def connect() -> Connection:
            nonlocal fresh
            fresh = True
            progress.leave_line()
            return await self.connect(target, allow_private)

        for _ in range(2):
            fresh = False
            connection = await pool.acquire(connect, progress)
            progress.leave_line()
            try:
                response = await connection.exchange(data)
            except ConnectionClosedError as error:
                pool.discard(connection)
                # A kept-alive connection the server closed just as we sent is retried
                # once on a new one; it had not read the request, or it would have answered.
                if fresh or error.answered:
                    raise
                continue
            except BaseException:
                pool.discard(connection)
                raise
            pool.release(connection)
            return response
        raise AssertionError("unreachable: the second attempt uses a fresh connection")

    async def connect(self, target: Target, allow_private: bool) -> Connection:
        addresses = await allowed_addresses(target.host, target.port, allow_private)
        loop = asyncio.get_running_loop()
        tls = self.tls() if target.scheme == "https" else None
        last_error: OSError | None = None
        for address in addresses:
            try:
                _, connection = await loop.create_connection(
                    Connection,
                    str(address),
                    target.port,
                    ssl=tls,
                    server_hostname=target.host if tls else None,
                )
                return connection
            except OSError as error:
                last_error = error
        assert last_error is not None
        raise last_error

    def tls(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context()
        return self._tls

    async def close(self) -> None:
        for pool in self.pools.values():
            pool.close()
        self.pools.clear()


@contextlib.asynccontextmanager
async def http_client() -> AsyncIterator[HttpClient]:
    client = HttpClient()
    try:
        yield client
    finally:
        await client.close()


async def allowed_addresses(host: str, port: int, allow_private: bool) -> list[Address]:
    """The host's addresses; DeliveryError if one is internal and that is not allowed."""
    addresses = await resolve(host, port)
    if not allow_private:
        refuse_internal(addresses)
    return addresses


# IPv6 prefixes whose last 32 bits are an IPv4 address that the packets reach: NAT64's
# well-known prefix (RFC 6052), IPv4-translated (RFC 2765) and IPv4-compatible addresses.
IPV4_IN_LAST_32_BITS = tuple(
    ipaddress.IPv6Network(prefix) for prefix in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96")
)
# NAT64's local-use prefix (RFC 8215) is never globally reachable, and where it sits
# in it the IPv4 address depends on the network's own choice of prefix length.
NAT64_LOCAL_USE = ipaddress.IPv6Network("64:ff9b:1::/48")


def is_internal(address: Address) -> bool:
    """Whether an address is private, loopback, link-local or otherwise not public,
    directly or through an IPv4 address it carries."""
    if not address.is_global or address in NAT64_LOCAL_USE:
        return True
    carried = carried_ipv4(address)
    return carried is not None and not carried.is_global


def carried_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: IPv4-mapped (::ffff:a.b.c.d), 6to4
    (2002::/16), Teredo's client (2001::/32), and the forms of IPV4_IN_LAST_32_BITS."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped or address.sixtofour:
        return address.ipv4_mapped or address.sixtofour
    if address.teredo:
        return address.teredo[1]
    if any(address in prefix for prefix in IPV4_IN_LAST_32_BITS):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def refuse_internal(addresses: list[Address]) -> None:
    for address in addresses:
        if is_internal(address):
            raise DeliveryError(
                f"refusing to send to the internal address {address} "
                "(TOCSIN_ALLOW_PRIVATE_WEBHOOKS=true allows it)",
                permanent=True,
            )


async def resolve(host: str, port: int) -> list[Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise DeliveryError(f"cannot resolve {host}: {error}", permanent=False) from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise DeliveryError(f"cannot resolve {host}: no addresses", permanent=False)
    return addresses
