"""How the Healthchecks dialect meets HTTP: its routes (under /api/v1, v2 and v3), CORS
and preflights, the JSON body and where the key comes from, and refusals as
`{"error": …}` with their status."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from tocsin.api.common.auth import ApiAccess, authenticate
from tocsin.api.common.body import read_body
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import DialectRoute, RouteTable, plain_refusal
from tocsin.services.requests import services_of

VERSIONS = (1, 2, 3)

# Every method each path answers, for CORS headers and preflights; filled as the
# dialect's routes are registered.
path_methods: dict[str, set[str]] = {}


def refusal(error: Exception) -> Response | None:
    return plain_refusal(error, error_response)


class HealthchecksRoute(DialectRoute):
    """Every route of the dialect: its refusals, and CORS headers on every answer."""

    def refuse(self, error: Exception) -> Response | None:
        return refusal(error)

    def finish(self, response: Response) -> Response:
        response.headers.update(cors_headers(self.path))
        return response


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def cors_headers(path: str) -> dict[str, str]:
    return {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Headers": "X-Api-Key, Content-Type",
        "Access-Control-Allow-Methods": ", ".join(sorted(path_methods[path] | {"OPTIONS"})),
        "Access-Control-Max-Age": "600",
    }


def register(router: APIRouter, *tables: RouteTable) -> None:
    """Each endpoint under every version (only v3 goes into the API schema), with a
    preflight answer for its path."""
    preflighted: set[str] = set()
    for entry in (entry for table in tables for entry in table.entries):
        for version in VERSIONS:
            full_path = f"/api/v{version}{entry.path}"
            if full_path not in preflighted:
                preflighted.add(full_path)
                router.add_api_route(full_path, preflight, methods=["OPTIONS"])
            path_methods.setdefault(full_path, set()).add(entry.method)
            router.add_api_route(
                full_path, entry.endpoint, methods=[entry.method], include_in_schema=version == 3
            )


async def preflight() -> Response:
    """Browsers ask before a cross-origin call, without credentials: no key needed."""
    return Response(status_code=204)


def api_version(request: Request) -> int:
    """The version in the path the request came in on: /api/v<n>/…"""
    return int(request.scope["path"].split("/")[2].removeprefix("v"))


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
