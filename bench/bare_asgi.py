"""The ceiling for bench/ping_throughput.py: an ASGI app that answers 200 "OK" to
every request and does nothing else, so uvicorn's own cost is all that is measured.

Run it exactly as the benchmark does:
    uvicorn bare_asgi:app --app-dir bench --no-access-log --no-proxy-headers \
        --log-level warning --lifespan on
"""

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BODY = b"OK"
# Built once: the ceiling should not pay for building headers per request.
START = {
    "type": "http.response.start",
    "status": 200,
    "headers": [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(BODY)).encode()),
    ],
}
RESPONSE_BODY = {"type": "http.response.body", "body": BODY}


async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await lifespan(receive, send)
        return
    await send(START)
    await send(RESPONSE_BODY)


async def lifespan(receive: Receive, send: Send) -> None:
    # Answered (not refused) so uvicorn can run with `--lifespan on`, as tocsin serve does.
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
