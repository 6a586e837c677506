"""How much of the process one request and one connection may take, and when a
connection has waited too long for its client. Pure: no sockets, no clock.

The sizes follow what other servers chose: a request head (request line and headers)
of 16 KiB is Node's and h11's limit, a URL of 8 KiB nginx's default line buffer.
"""

from dataclasses import dataclass

HEAD_LIMIT = 16 * 1024  # request line and headers, answered 431 beyond
URL_LIMIT = 8 * 1024  # answered 414 beyond
READ_SIZE = 16 * 1024  # bytes read from a socket at a time
# Requests read ahead on one connection while earlier ones wait for their answer. A
# pipelining client gets this many answered back to back; past it, reading pauses.
READ_AHEAD = 16
# No complete request head is shorter ("GET / HTTP/1.1\n\n"), so a read of
# room * MIN_REQUEST bytes cannot start more than room requests.
MIN_REQUEST = 16
# File descriptors kept back from clients for the database, the notifier's
# connections, log files and the listening socket.
DESCRIPTOR_RESERVE = 128
# Open connections beyond which memory, not descriptors, would become the limit.
CONNECTIONS_CEILING = 4096


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    keep_alive: float  # seconds an idle connection is kept open
    request_timeout: float  # seconds a client has to send a whole request
    max_connections: int  # open connections in all
    max_per_address: int  # open connections from one client address; 0: no cap

    def stalled(self, idle_for: float, receiving: bool) -> bool:
        """Whether a connection the server owes nothing has waited too long for its
        client: `idle_for` seconds since it opened or its last answer was sent, with a
        request begun (`receiving`) or not."""
        return idle_for >= (self.request_timeout if receiving else self.keep_alive)


def connections_allowed(open_files: int) -> int:
    """The default total cap: what the open-file limit leaves after the reserve."""
    return max(16, min(open_files - DESCRIPTOR_RESERVE, CONNECTIONS_CEILING))


def head_size(method: bytes, url: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    """A request head's size as sent, less optional whitespace: request line, headers,
    the blank line."""
    line = len(method) + len(url) + len(b"  HTTP/1.1\r\n")
    return line + sum(len(name) + len(value) + 4 for name, value in headers) + 2
