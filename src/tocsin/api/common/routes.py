"""The route class every dialect uses, with the dialect's own refusals plugged in, and
the table an endpoint module lists its routes in for its dialect to register."""

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from tocsin.api.common.auth import KeyRejectedError
from tocsin.api.common.errors import ApiError
from tocsin.store.errors import unavailable

Endpoint = Callable[..., Awaitable[Response]]


class DialectRoute(APIRoute):
    """A route that answers expected failures (a refused key, a bad body, a database
    that is down) in its dialect's shape instead of crashing. Subclasses set `refuse`,
    may answer before the endpoint runs in `admit`, and add headers in `finish`."""

    def refuse(self, error: Exception) -> Response | None:
        """The answer to an expected failure in the dialect's shape, or None for a bug."""
        return None

    def admit(self, request: Request) -> Response | None:
        """An answer given before the endpoint runs, or None to run it."""
        return None

    def finish(self, response: Response) -> Response:
        return response

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            refused_early = self.admit(request)
            if refused_early is not None:
                return self.finish(refused_early)
            try:
                response = await handler(request)
            except Exception as error:
                refused = self.refuse(error)
                if refused is None:
                    raise
                response = refused
            return self.finish(response)

        return answer


@dataclass(frozen=True, slots=True)
class RouteEntry:
    path: str
    method: str
    endpoint: Endpoint
    status_code: int


@dataclass
class RouteTable:
    """An endpoint module's routes, listed by decorating its endpoints; the dialect's
    `routes` module registers each table on its router, so nothing registers itself
    as a side effect of an import."""

    entries: list[RouteEntry] = field(default_factory=list)

    def __call__(
        self, path: str, method: str, status_code: int = 200
    ) -> Callable[[Endpoint], Endpoint]:
        def listed(endpoint: Endpoint) -> Endpoint:
            self.entries.append(RouteEntry(path, method, endpoint, status_code))
            return endpoint

        return listed


def plain_refusal(error: Exception, respond: Callable[[int, str], Response]) -> Response | None:
    """The refusals Healthchecks' and Better Stack's dialects word alike, each in its
    own shape (`respond`): a refused request, a refused key, a request FastAPI could not
    read, and a database that is down (a retryable 503). None for a real bug."""
    if isinstance(error, ApiError):
        return respond(error.status, error.message)
    if isinstance(error, KeyRejectedError):
        return respond(401, error.problem.value)
    if isinstance(error, RequestValidationError):
        return respond(400, "invalid request")
    if unavailable(error):
        return respond(503, "database unavailable, try again")
    return None
