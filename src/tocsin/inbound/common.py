"""What the callbacks share: bodies read with a limit, refusals as JSON, the
acknowledgement itself with each way it can fail put in words, and the replies sent
after the answer."""

import logging
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import JSONResponse

from tocsin.domain.numbers import whole_number
from tocsin.domain.records import IncidentStatus
from tocsin.notify.base import DeliveryError
from tocsin.notify.base import Request as Outgoing
from tocsin.notify.outbound import send_once
from tocsin.services import incidents as incident_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, NotFoundError

log = logging.getLogger("tocsin.inbound")

# A button press is a few KB (Slack's carries the message back): far below this.
BODY_LIMIT = 256 * 1024


class RefusalError(Exception):
    """A request refused, with its status and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> JSONResponse:
        return JSONResponse({"ok": False, "error": self.reason}, status_code=self.status)


async def read_body(request: Request) -> bytes:
    too_large = RefusalError(413, f"request body too large (at most {BODY_LIMIT} bytes)")
    declared = whole_number(request.headers.get("content-length", ""))
    if declared is not None and declared > BODY_LIMIT:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise too_large
    return bytes(body)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How an acknowledgement went: done, or why not, in words for the person."""

    acknowledged: bool
    text: str
    by: str = ""  # who acknowledged it (maybe someone else, earlier)


async def acknowledge(context: Context, incident_id: int, who: str, how: str) -> Outcome:
    """Acknowledge for `who`, by a signed button or key (so any project's incident);
    an incident already acknowledged says by whom."""
    try:
        incident = await incident_service.acknowledge(context, None, incident_id, who, how)
    except NotFoundError:
        return Outcome(False, f"Incident {incident_id} no longer exists.")
    except ConflictError:
        return Outcome(False, f"Incident {incident_id} is already resolved.")
    by = incident.acknowledged_by or who
    if incident.status == IncidentStatus.ACKNOWLEDGED and by != who:
        return Outcome(True, f"Already acknowledged by {by}.", by)
    return Outcome(True, f"Acknowledged by {who}.", who)


def who_from(*names: object) -> str:
    """The first of `names` that is a non-empty string, on one line and not too long."""
    for name in names:
        if isinstance(name, str) and (tidy := " ".join(name.split())[:100]):
            return tidy
    return "someone"


async def send_replies(context: Context, requests: list[Outgoing]) -> None:
    """After the answer: a failure is logged, nobody is waiting for it."""
    settings = context.settings
    try:
        await send_once(
            requests,
            time_limit=settings.notify_timeout.total_seconds(),
            allow_private=settings.allow_private_webhooks,
        )
    except DeliveryError as error:
        log.warning("reply to a button press not sent: %s", error)
