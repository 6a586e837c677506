"""Pages kept live: a server-sent event whenever what a page shows has changed.

The stream polls a cheap signature of the project's rows (a count and a newest
change) once a second and says `changed` when it moves, and every 30 s regardless,
for times shown relative to now ("2 min ago") and statuses that pass with time alone.
The page then fetches its changing part again as HTML (`static/tocsin.js`); it
works without the stream, only not live.
"""

import asyncio
from collections.abc import AsyncIterator, Callable

import sqlalchemy as sa
from fastapi import Request
from starlette.responses import Response, StreamingResponse

from tocsin.services.requests import services_of

Signature = Callable[[sa.Connection, int], object]

POLL_SECONDS = 1.0
# Streams end now and then (the browser reconnects at once), so none outlives a deploy.
STREAM_SECONDS = 300
REFRESH_TICKS = 30


def change_events(request: Request, project_id: int, signature: Signature) -> Response:
    stream = changes(request, project_id, signature)
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


async def changes(request: Request, project_id: int, signature: Signature) -> AsyncIterator[str]:
    database = services_of(request).database
    yield "retry: 1000\n\n"
    last: object = None
    for tick in range(int(STREAM_SECONDS / POLL_SECONDS)):
        current = await database.read_with(signature, project_id)
        if last is not None and (current != last or tick % REFRESH_TICKS == 0):
            yield "event: changed\ndata: changed\n\n"
        last = current
        await asyncio.sleep(POLL_SECONDS)
