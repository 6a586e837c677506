"""A request's body, read with a limit: an API request is a few hundred bytes of JSON,
so a larger one is refused before it fills memory."""

from fastapi import Request

from tocsin.api.common.errors import ApiError
from tocsin.domain.numbers import whole_number

BODY_LIMIT = 64 * 1024


def too_large() -> ApiError:
    return ApiError(413, f"request body too large (at most {BODY_LIMIT} bytes)")


def declared_too_large(request: Request) -> bool:
    # More digits than MAX_DIGITS no HTTP parser lets through; the body read stops at
    # the limit all the same.
    declared = whole_number(request.headers.get("content-length", ""))
    return declared is not None and declared > BODY_LIMIT


async def read_body(request: Request) -> bytes:
    if declared_too_large(request):
        raise too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise too_large()
    return bytes(body)
