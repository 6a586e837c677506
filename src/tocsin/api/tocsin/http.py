"""How Tocsin's own API meets HTTP: its router under /api/tocsin/v1, the key from
`Authorization: Bearer`, one error shape for every refusal
(`{"error": {"code", "message", "fields"}}`), ETags and `If-Match`."""

import hashlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from tocsin.api.common.auth import ApiAccess, KeyProblem, KeyRejectedError, authenticate
from tocsin.api.common.body import BODY_LIMIT, declared_too_large
from tocsin.api.common.errors import ApiError
from tocsin.api.common.routes import DialectRoute
from tocsin.api.tocsin.models import ErrorOut
from tocsin.services.requests import ServicesDep
from tocsin.store.errors import unavailable

PREFIX = "/api/tocsin/v1"

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
    412: "precondition_failed",
    413: "too_large",
    422: "invalid",
    503: "unavailable",
}

KEY_MESSAGES = {
    KeyProblem.MISSING: "missing API key: send it as `Authorization: Bearer <key>`",
    KeyProblem.WRONG: "wrong API key: it is unknown or revoked",
}


class FieldsError(ApiError):
    """A 422 that names the fields at fault."""

    def __init__(self, fields: dict[str, str]) -> None:
        message = "; ".join(f"{name}: {problem}" for name, problem in fields.items())
        super().__init__(422, message)
        self.fields = fields


def error_response(status: int, message: str, fields: dict[str, str] | None = None) -> Response:
    body = {
        "error": {"code": CODES.get(status, "error"), "message": message, "fields": fields or {}}
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def field_problems(error: RequestValidationError) -> dict[str, str]:
    """`{"name": "String should have at most 100 characters", "query.limit": …}`."""
    problems: dict[str, str] = {}
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        if location and location[0] == "body":
            location = location[1:]
        name = ".".join(location) or "body"
        problems.setdefault(name, str(item["msg"]).removeprefix("Value error, "))
    return problems


def refusal(error: Exception) -> Response | None:
    """The answer to an expected failure, or None for a real bug."""
    if isinstance(error, FieldsError):
        return error_response(422, error.message, error.fields)
    if isinstance(error, ApiError):
        return error_response(error.status, error.message)
    if isinstance(error, KeyRejectedError):
        return error_response(401, KEY_MESSAGES[error.problem])
    if isinstance(error, RequestValidationError):
        fields = field_problems(error)
        return error_response(422, "; ".join(f"{k}: {v}" for k, v in fields.items()), fields)
    if unavailable(error):
        return error_response(503, "database unavailable, try again")
    return None


class TocsinRoute(DialectRoute):
    """Every route of the API: refusals in the one error shape, and bodies above the
    limit refused before they are read."""

    def refuse(self, error: Exception) -> Response | None:
        return refusal(error)

    def admit(self, request: Request) -> Response | None:
        if declared_too_large(request):
            return error_response(413, f"request body too large (at most {BODY_LIMIT} bytes)")
        return None


ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": CODES[status].replace("_", " ")}
    for status in (401, 403, 404, 413, 422, 503)
}

PRECONDITION: dict[int | str, dict[str, Any]] = {
    412: {"model": ErrorOut, "description": "precondition failed"}
}
IfMatch = Annotated[
    str | None, Header(max_length=1000, description="The ETag you read: change only that.")
]


def endpoint_router() -> APIRouter:
    """The router an endpoint module lists its routes on, under the API's prefix;
    `api.tocsin.routes` includes each."""
    return APIRouter(prefix=PREFIX, route_class=TocsinRoute, responses=ERRORS)


bearer = HTTPBearer(auto_error=False, description="A Tocsin API key (`tocsin key create`).")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


async def read_key(services: ServicesDep, credentials: Credentials) -> ApiAccess:
    """Any key of the project: to read."""
    presented = "" if credentials is None else credentials.credentials
    return await authenticate(services.database, presented, services.clock.now(), write=False)


async def write_key(services: ServicesDep, credentials: Credentials) -> ApiAccess:
    """A read-write key: to change anything."""
    access = await read_key(services, credentials)
    if access.read_only:
        raise ApiError(403, "this API key is read-only; changes need a read-write key")
    return access


ReadKey = Annotated[ApiAccess, Depends(read_key)]
WriteKey = Annotated[ApiAccess, Depends(write_key)]


def etag_of(values: object) -> str:
    """A strong ETag from a JSON-able value: equal settings, equal tags."""
    canonical = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:20] + '"'


def require_match(if_match: str | None, current: str) -> None:
    """`If-Match` (a list of tags, or `*`) must name the current version, else 412."""
    if if_match is None:
        return
    sent = {tag.strip().removeprefix("W/") for tag in if_match.split(",")}
    if "*" not in sent and current not in sent:
        raise ApiError(
            412, f"it changed since you read it (now {current}): read it again and redo the change"
        )
