"""Generic webhook: method, URL, headers and body templates for down and for up.

Placeholders are replaced in one pass (a value that contains `$NAME` stays as it is):
URL-encoded in the URL, JSON-escaped in a JSON body, as they are in other bodies and
in headers. An empty POST/PUT body sends the whole event as JSON.

Every request carries the notification's id, the same on each retry of it, in the
`Idempotency-Key` and `X-Tocsin-Notification-Id` headers (and as `notification_id` in
the event, `$NOTIFICATION_ID` in templates): delivery is at least once, and a receiver
drops a repeat by it.
"""

import json
import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field

from tocsin.domain.describe import stamp
from tocsin.notify.base import ChannelConfig, Request, http_kind
from tocsin.notify.message import Message

Method = Literal["GET", "POST", "PUT"]


class Direction(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    method: Method | None = None
    url: str | None = None
    body: str | None = None
    headers: dict[str, str] | None = None


class WebhookConfig(ChannelConfig):
    """`url`, `method`, `body`, `headers` serve both directions unless `down` or `up`
    override them."""

    url: str = Field(min_length=1)
    method: Method = "POST"
    body: str = ""
    headers: dict[str, str] = Field(default_factory=dict)
    down: Direction = Field(default_factory=Direction)
    up: Direction = Field(default_factory=Direction)


def variables(message: Message) -> dict[str, str]:
    tags = message.tags.split()
    values = {
        "NAME": message.check_name,
        "STATUS": message.status,
        "CHECK_ID": str(message.check_uuid),
        "CODE": str(message.check_uuid),
        "NOW": message.now.replace(microsecond=0).isoformat(),
        "TAGS": message.tags,
        "EXITSTATUS": "-1" if message.exit_status is None else str(message.exit_status),
        "BODY": message.body_excerpt,
        "CAUSE": message.cause_detail,
        "LAST_PING": stamp(message.last_ping),
        "DOWNTIME": "" if message.downtime is None else str(int(message.downtime.total_seconds())),
        "INCIDENT_URL": message.incident_url,
        "ACK_URL": message.ack_url,
        "TITLE": message.title,
        "NOTIFICATION_ID": message.notification_key,
    }
    values |= {f"TAG{i}": tag for i, tag in enumerate(tags, start=1)}
    return values


def substitute(template: str, values: dict[str, str], escape: Callable[[str], str]) -> str:
    if "$" not in template:
        return template
    # Longest names first, so $NAME does not eat the start of $NAME_JSON-like names.
    names = sorted(values, key=len, reverse=True)
    pattern = re.compile(r"\$(" + "|".join(re.escape(n) for n in names) + ")")
    return pattern.sub(lambda match: escape(values[match.group(1)]), template)


def json_escape(value: str) -> str:
    return json.dumps(value)[1:-1]


def url_escape(value: str) -> str:
    return quote(value, safe="")


def header_value(value: str) -> str:
    return " ".join(value.splitlines())


def looks_like_json(body: str, headers: dict[str, str]) -> bool:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    return "json" in content_type.lower() or body.lstrip().startswith(("{", "["))


def event(message: Message) -> dict[str, object]:
    return {
        "event": message.kind,
        "status": message.status,
        "check": {
            "name": message.check_name,
            "uuid": str(message.check_uuid),
            "tags": message.tags.split(),
        },
        "title": message.title,
        "cause": message.cause,
        "cause_detail": message.cause_detail,
        "exit_status": message.exit_status,
        "last_ping": None if message.last_ping is None else message.last_ping.isoformat(),
        "expected_at": None if message.expected_at is None else message.expected_at.isoformat(),
        "downtime_seconds": None if message.downtime is None else message.downtime.total_seconds(),
        "output": message.body_excerpt,
        "incident": {
            "id": message.incident_id,
            "url": message.incident_url,
            "ack_url": message.ack_url,
        },
        "now": message.now.isoformat(),
        "notification_id": message.notification_key,
    }


ID_HEADERS = ("Idempotency-Key", "X-Tocsin-Notification-Id")


def add_id_headers(headers: dict[str, str], key: str) -> None:
    """The notification's id, under the name idempotent APIs look for and a name of
    our own; a header the channel sets by one of these names wins."""
    given = {name.lower() for name in headers} if headers else set()
    for name in ID_HEADERS:
        if name.lower() not in given:
            headers[name] = key


def build(config: WebhookConfig, message: Message) -> Request:
    direction = config.up if message.kind == "up" else config.down
    method = direction.method or config.method
    url = direction.url or config.url
    body = config.body if direction.body is None else direction.body
    headers = config.headers if direction.headers is None else direction.headers
    templates = (url, body, *headers.values())
    # Most webhooks use no variables: their values are not worth working out.
    values = variables(message) if any("$" in template for template in templates) else {}
    request = Request(
        method=method,
        url=substitute(url, values, url_escape),
        headers={k: substitute(v, values, header_value) for k, v in headers.items()},
    )
    add_id_headers(request.headers, message.notification_key)
    if method == "GET":
        return request
    if not body:
        request.json = event(message)
        return request
    escape = json_escape if looks_like_json(body, headers) else str
    request.content = substitute(body, values, escape).encode()
    return request


KIND = http_kind("webhook", "Webhook", WebhookConfig, build)
