"""How the Healthchecks dialect meets HTTP: its routes (under /api/v1, v2 and v3), CORS
and preflights, the JSON body and where the key comes from, and refusals as
`{"error": …}` with their status."""

import json
from collections.abc import Awaitable, Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from tocsin.api.auth import ApiAccess, KeyRejectedError, authenticate
from tocsin.api.errors import ApiError
from tocsin.services.requests import services_of
from tocsin.store.errors import unavailable

VERSIONS = (1, 2, 3)
BODY_LIMIT = 64 * 1024

Endpoint = Callable[..., Awaitable[Response]]

# Every method each path answers, for CORS headers and preflights.
path_methods: dict[str, set[str]] = {}


class HealthchecksRoute(APIRoute):
    """Every route of the dialect: refusals as `{"error": …}`, CORS headers on every
    answer, and a database that is down as a retryable 503 rather than a crash."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                response = await handler(request)
            except ApiError as error:
                response = error_response(error.status, error.message)
            except KeyRejectedError as error:
                response = error_response(401, error.problem.value)
            except RequestValidationError:
                response = error_response(400, "invalid request")
            except Exception as error:
                if not unavailable(error):
                    raise
                response = error_response(503, "database unavailable, try again")
            response.headers.update(cors_headers(self.path))
            return response

        return answer


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def cors_headers(path: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "X-Api-Key, Content-Type",
        "Access-Control-Allow-Methods": ", ".join(sorted(path_methods[path] | {"OPTIONS"})),
        "Access-Control-Max-Age": "600",
    }


router = APIRouter(route_class=HealthchecksRoute)


def route(path: str, method: str) -> Callable[[Endpoint], Endpoint]:
    """Register an endpoint under every version (only v3 goes into the API schema),
    with a preflight answer for its path."""

    def register(endpoint: Endpoint) -> Endpoint:
        for version in VERSIONS:
            full_path = f"/api/v{version}{path}"
            if full_path not in path_methods:
                path_methods[full_path] = set()
                router.add_api_route(full_path, preflight, methods=["OPTIONS"])
            path_methods[full_path].add(method)
            router.add_api_route(
                full_path, endpoint, methods=[method], include_in_schema=version == 3
            )
        return endpoint

    return register


async def preflight() -> Response:
    """Browsers ask before a cross-origin call, without credentials: no key needed."""
    return Response(status_code=204)


def api_version(request: Request) -> int:
    """The version in the path the request came in on: /api/v<n>/…"""
    return int(request.scope["path"].split("/")[2].removeprefix("v"))


async def read_body(request: Request) -> bytes:
    too_large = ApiError(413, f"request body too large (at most {BODY_LIMIT} bytes)")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > BODY_LIMIT:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_LIMIT:
            raise too_large
    return bytes(body)


async def json_body(request: Request) -> dict[str, Any]:
    """A POST's JSON object; other methods and empty bodies give an empty one."""
    raw = await read_body(request) if request.method == "POST" else b""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "could not parse request body") from None
    if not isinstance(value, dict):
        raise ApiError(400, "json validation error: value is not an object")
    return value


Body = Annotated[dict[str, Any], Depends(json_body)]


async def read_access(request: Request) -> ApiAccess:
    """For endpoints any key of the project may use; the key only in `X-Api-Key`."""
    return await verify(request, request.headers.get("x-api-key", ""), write=False)


async def write_access(request: Request, body: Body) -> ApiAccess:
    """For endpoints only a read-write key may use; the key may be in a POST's body."""
    presented = request.headers.get("x-api-key")
    if presented is None:
        presented = str(body.get("api_key", ""))
    return await verify(request, presented, write=True)


async def verify(request: Request, presented: str, *, write: bool) -> ApiAccess:
    return await authenticate(services_of(request), presented, write=write)


ReadAccess = Annotated[ApiAccess, Depends(read_access)]
WriteAccess = Annotated[ApiAccess, Depends(write_access)]
Version = Annotated[int, Depends(api_version)]
