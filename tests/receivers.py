"""Real local receivers for notifications: an HTTP server that records every request
and answers as a test scripts it, and an SMTP server (aiosmtpd) that keeps mail."""

import asyncio
import json
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.time() when it arrived

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering: a slow or hanging service
    hold: asyncio.Event | None = None  # answer only once it is set (and after `delay`)


class HttpReceiver:
    """Records requests; answers with the queued replies in order, then with `default`."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.replies: list[Reply] = []
        self.default = Reply()
        self.server: asyncio.Server | None = None
        self.arrived = asyncio.Condition()

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    async def start(self) -> None:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def wait_for(self, count: int, path: str | None = None, limit: float = 10) -> None:
        """Until `count` requests (to `path`, if given) have arrived."""

        def enough() -> bool:
            found = self.requests if path is None else self.on(path)
            return len(found) >= count

        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(enough), limit)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while received := await read_request(reader):
                self.requests.append(received)
                async with self.arrived:
                    self.arrived.notify_all()
                reply = self.replies.pop(0) if self.replies else self.default
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                if reply.hold is not None:
                    await reply.hold.wait()
                writer.write(encode_reply(reply))
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def read_request(reader: asyncio.StreamReader) -> Received | None:
    line = await reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return Received(method, target, headers, body, time.time())


def encode_reply(reply: Reply) -> bytes:
    head = [f"HTTP/1.1 {reply.status} X", f"Content-Length: {len(reply.body)}"]
    head += [f"{name}: {value}" for name, value in reply.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + reply.body


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    at: float
    raw: bytes = b""  # as it came over the wire

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type:
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                return payload.decode()
        raise AssertionError(f"no {content_type} part")


class MailHandler:
    def __init__(self) -> None:
        self.mail: list[Mail] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        content = envelope.content
        assert isinstance(content, bytes)
        self.mail.append(
            Mail(
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                message_from_bytes(content),
                time.time(),
                content,
            )
        )
        return "250 OK"


@dataclass
class SmtpReceiver:
    controller: Controller
    handler: MailHandler

    @property
    def port(self) -> int:
        return int(self.controller.port)

    @property
    def mail(self) -> list[Mail]:
        return self.handler.mail

    async def wait_for(self, count: int, limit: float = 10) -> None:
        give_up = time.monotonic() + limit
        while len(self.mail) < count:
            if time.monotonic() > give_up:
                raise AssertionError(f"{len(self.mail)} mails arrived, not {count}")
            await asyncio.sleep(0.02)


async def http_receiver() -> AsyncIterator[HttpReceiver]:
    receiver = HttpReceiver()
    await receiver.start()
    try:
        yield receiver
    finally:
        await receiver.stop()


def smtp_receiver() -> Iterator[SmtpReceiver]:
    handler = MailHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpReceiver(controller, handler)
    finally:
        controller.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
