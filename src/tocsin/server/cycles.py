"""Requests the protocol answers itself, below ASGI, and the refusals among them."""

from collections.abc import Callable

from tocsin.server.uvicorn_guard import STATUS_LINE


class RefusedRequestError(Exception):
    """A request the server will not read to its end: answered with `status`, then the
    connection closes."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class DirectCycle:
    """A request answered by the protocol itself rather than by an ASGI task."""

    __slots__ = ()

    def activate(self) -> None:
        raise NotImplementedError


class RefusalCycle(DirectCycle):
    """A refusal waiting in the pipeline for the answers to the requests before it."""

    __slots__ = ("disconnected", "keep_alive", "refusal", "response_complete", "send")

    def __init__(
        self, send: Callable[[RefusedRequestError], None], refusal: RefusedRequestError
    ) -> None:
        self.send = send
        self.refusal = refusal
        self.response_complete = False
        self.disconnected = False
        self.keep_alive = False

    def activate(self) -> None:
        self.response_complete = True
        self.send(self.refusal)


def refusal_response(
    refusal: RefusedRequestError, default_headers: list[tuple[bytes, bytes]]
) -> bytes:
    body = refusal.reason.encode("ascii")
    headers = [
        *default_headers,
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    lines = [
        STATUS_LINE[refusal.status],
        *(name + b": " + value + b"\r\n" for name, value in headers),
    ]
    return b"".join([*lines, b"\r\n", body])
