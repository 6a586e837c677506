"""The channel interface. A kind validates its settings (a pydantic model) and delivers
a Message; HTTP kinds only build a request, which notify.outbound sends. Delivery
raises DeliveryError, which says whether trying again could help."""

import json
import types
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, Union, get_args, get_origin

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


class Outbound(Protocol):
    """What delivering needs from the outside: HTTP and SMTP (see notify.outbound)."""

    timeout: float  # seconds a delivery may take

    async def send(self, request: Request) -> None: ...

    async def exchange(self, request: Request) -> bytes:
        """Send, and return the body of the answer (a 2xx, else DeliveryError)."""

    async def send_email(
        self, to: list[str], subject: str, text: str, html: str, *, message_id: str = ""
    ) -> None:
        """`message_id`, when given, makes the Message-ID (a notification's id)."""

    async def check_destination(self, host: str, port: int) -> None:
        """Raise DeliveryError if the host resolves to an address sending to is
        refused (an internal one); a name that does not resolve passes."""


# A delivery may return what the service answered that a later notification of the
# same incident needs (a Pushover emergency alert's receipt); the outbox keeps it.
Deliver = Callable[[Any, Message, Outbound], Awaitable[str | None]]


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


# What a service's 2xx answer says when it refused after all (Slack's Web API answers
# 200 `{"ok": false}`): the DeliveryError it means, or None for a delivery.
Refusal = Callable[[bytes], "DeliveryError | None"]


def answered_kind(
    name: str,
    label: str,
    config: type[ChannelConfig],
    build: Callable[[Any, Message], Request],
    refusal: Refusal,
) -> Kind:
    """A kind that delivers by one HTTP request and reads the answer for a refusal."""

    async def deliver(settings: Any, message: Message, outbound: Outbound) -> None:
        error = refusal(await outbound.exchange(build(settings, message)))
        if error is not None:
            raise error

    return Kind(name, label, config, deliver)


def json_object(answer: bytes) -> dict[str, Any]:
    """The answer as a JSON object; empty for anything else (a body that is not JSON
    says nothing about a refusal)."""
    try:
        found = json.loads(answer)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


class ChannelConfigError(ValueError):
    """Channel settings that do not validate, with one line per problem."""


def parse_config(kind: Kind, raw: dict[str, Any]) -> ChannelConfig:
    try:
        return kind.config.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(p) for p in loc) or kind.name}: {message}"
            for loc, message in config_problems(error)
        ]
        raise ChannelConfigError("; ".join(problems)) from None


def setting_from_text(config: type[BaseModel], path: Sequence[str], text: str) -> Any:
    """A setting written as text (`--set key=value`; dotted keys reach into nested
    settings such as a webhook's `down.body`), typed by what the kind declares: JSON for
    a setting that holds a list or an object (`headers={"X-Token": "abc"}`), the text
    as it is for every other, so a webhook's `body={…}` stays the template it is. Text
    that is not JSON stays text too (`to=ops@example.com` for a list of addresses); the
    model then says what it wanted."""
    if not holds_structure(config, path):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def holds_structure(config: type[BaseModel], path: Sequence[str]) -> bool:
    """Whether the setting at `path` is a list, a mapping or a nested model; False for
    an unknown one, which the model refuses by its own name."""
    model: Any = config
    for depth, name in enumerate(path):
        info = model.model_fields.get(name) if is_model(model) else None
        if info is None:
            return False
        model = without_none(info.annotation)
        if depth == len(path) - 1:
            return get_origin(model) in (list, dict) or is_model(model)
    return False


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def without_none(annotation: Any) -> Any:
    """`X | None` is X: whether a setting is structured does not depend on its being
    optional."""
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in get_args(annotation) if a is not type(None)]
        return rest[0] if len(rest) == 1 else annotation
    return annotation


def config_problems(error: ValidationError) -> list[tuple[tuple[str | int, ...], str]]:
    """Where each problem is in the settings (keys and list indexes), and what it is."""
    return [(tuple(e["loc"]), e["msg"]) for e in error.errors()]


# Helpers the kinds share when rendering a Message.

ALERTING = ("down", "nag")


def ack_link(message: Message) -> str:
    """The acknowledge link, for messages that still ask someone to act; else ""."""
    return message.ack_url if message.kind in ALERTING else ""


def output_of(message: Message) -> str:
    """The captured output worth showing: an alert's, not a recovery's."""
    return message.body_excerpt if message.kind != "up" else ""


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, with an ellipsis to show it was: a service may
    refuse a field that is too long, or cut it without saying so."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def incident_key(message: Message) -> str:
    """One key for an incident's down, nag and up notifications, so services that
    deduplicate (PagerDuty, Opsgenie) close on recovery what they opened; a retry of
    one of them is folded in like a reminder. A test has no incident: it is keyed by
    its notification, so it never merges with a real alert or with another test."""
    if message.incident_id is None:
        return f"tocsin-test-{message.check_uuid}-{message.notification_key}"
    return f"tocsin-{message.check_uuid}-{message.incident_id}"
