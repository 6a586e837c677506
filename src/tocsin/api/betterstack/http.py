"""How the Better Stack dialect meets HTTP: its routes (under /api/v2 and /api/v3, which
both answer every resource, as Better Stack's do), the key from `Authorization: Bearer`,
the JSON body of a POST or PATCH, page and per_page, and refusals as `{"errors": …}`:
a dict of field → messages for invalid attributes (422), a sentence otherwise."""

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from tocsin.api.betterstack.pages import PageRequest, listing, page_request
from tocsin.api.common.auth import ApiAccess, authenticate
from tocsin.api.common.body import read_body
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import DialectRoute, RouteTable, plain_refusal
from tocsin.domain.numbers import whole_number
from tocsin.services.requests import services_of

VERSIONS = (2, 3)
MAX_ID = 2**31 - 1  # the database's integer ids


class InvalidAttributesError(Exception):
    """Attributes a request cannot have, as Better Stack reports them: 422 with
    `{"errors": {"field": ["message"]}}`."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors


def invalid(field: str, message: str) -> InvalidAttributesError:
    return InvalidAttributesError({field: [message]})


def refusal(error: Exception) -> Response | None:
    """Invalid attributes as Better Stack reports them, the rest in its plain shape."""
    if isinstance(error, InvalidAttributesError):
        return JSONResponse({"errors": error.errors}, status_code=422)
    return plain_refusal(error, error_response)


def error_response(status: int, message: str) -> JSONResponse:
    return JSONResponse({"errors": message}, status_code=status)


class BetterStackRoute(DialectRoute):
    def refuse(self, error: Exception) -> Response | None:
        return refusal(error)


def register(router: APIRouter, table: RouteTable) -> None:
    """Each endpoint under /api/v2 and /api/v3 (left out of Tocsin's own API schema:
    Better Stack documents these)."""
    for entry in table.entries:
        for version in VERSIONS:
            router.add_api_route(
                f"/api/v{version}{entry.path}",
                entry.endpoint,
                methods=[entry.method],
                status_code=entry.status_code,
                include_in_schema=False,
            )


async def json_body(request: Request) -> dict[str, Any]:
    """A POST's or PATCH's JSON object (attributes at the top level, as Better Stack
    takes them); other methods and empty bodies give an empty one."""
    raw = await read_body(request) if request.method in ("POST", "PATCH") else b""
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise ApiError(400, "the request body is not valid JSON") from None
    if not isinstance(value, dict):
        raise ApiError(400, "the request body must be a JSON object of attributes")
    return value


Body = Annotated[dict[str, Any], Depends(json_body)]


def bearer_key(request: Request) -> str:
    """The key of `Authorization: Bearer <key>`; anything else is no key."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    return key.strip() if scheme.lower() == "bearer" else ""


async def bearer_read_access(request: Request) -> ApiAccess:
    return await verify(request, write=False)


async def bearer_write_access(request: Request) -> ApiAccess:
    """Only a read-write key may change anything."""
    return await verify(request, write=True)


async def verify(request: Request, *, write: bool) -> ApiAccess:
    return await authenticate(services_of(request), bearer_key(request), write=write)


ReadAccess = Annotated[ApiAccess, Depends(bearer_read_access)]
WriteAccess = Annotated[ApiAccess, Depends(bearer_write_access)]


def object_id(text: str, kind: str) -> int:
    """The number in a URL naming an object; anything else names none."""
    number = whole_number(text, max_digits=10)
    if number is None or number > MAX_ID:
        raise ApiError(404, f"{kind} {text!r} not found")
    return number


def page_request_of(request: Request) -> PageRequest:
    return page_request(request.query_params)


def list_url(request: Request) -> str:
    """This list's absolute URL, for the pagination links."""
    return services_of(request).settings.base_url + request.url.path


def page_response(
    request: Request, page: PageRequest, shown: list[dict[str, Any]], total: int
) -> JSONResponse:
    query = dict(request.query_params)
    return JSONResponse(listing(shown, total, list_url(request), query, page))


Page = Annotated[PageRequest, Depends(page_request_of)]
