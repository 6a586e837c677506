"""The channel interface. A kind validates its settings (a pydantic model) and delivers
a Message; HTTP kinds only build a request, which notify.outbound sends. Delivery
raises DeliveryError, which says whether trying again could help."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tocsin.notify.message import Message


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after


class ChannelConfig(BaseModel):
    """Base of every kind's settings: unknown keys are mistakes, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass(slots=True)
class Request:
    """An outbound HTTP request, built purely so tests can assert on it."""

    method: str
    url: str
    json: Any = None
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)


class Outbound:
    """What delivering needs from the outside: HTTP and SMTP (see notify.outbound)."""

    async def send(self, request: Request) -> None:
        raise NotImplementedError

    async def send_email(self, to: list[str], subject: str, text: str, html: str) -> None:
        raise NotImplementedError


Deliver = Callable[[Any, Message, Outbound], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    label: str
    config: type[ChannelConfig]
    deliver: Deliver


def http_kind(
    name: str, label: str, config: type[ChannelConfig], build: Callable[[Any, Message], Request]
) -> Kind:
    """A kind that delivers by one HTTP request."""

    async def deliver(settings: Any, message: Message, outbound: Outbound) -> None:
        await outbound.send(build(settings, message))

    return Kind(name, label, config, deliver)


class ChannelConfigError(ValueError):
    """Channel settings that do not validate, with one line per problem."""


def parse_config(kind: Kind, raw: dict[str, Any]) -> ChannelConfig:
    try:
        return kind.config.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or kind.name}: {e['msg']}" for e in error.errors()
        ]
        raise ChannelConfigError("; ".join(problems)) from None
