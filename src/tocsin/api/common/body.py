"""A request's body, read with a limit: an API request is a few hundred bytes of JSON,
so a larger one is refused before it fills memory."""

from fastapi import Request

from tocsin.api.common.errors import ApiError

BODY_LIMIT = 64 * 1024


def too_large() -> ApiError:
    return ApiError(413, f"request body too large (at most {BODY_LIMIT} bytes)")


def declared_too_large(request: Request) -> bool:
    declared = request.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > BODY_LIMIT


async def read_body(request: Request) -> bytes:
    if declared_too_large(request):
        raise too_large()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise too_large()
    return bytes(body)
