"""The running services as request handlers receive them: `ServicesDep` in a handler's
parameters, `services_of(request)` in a helper that has only the request. The app keeps
them on its state, which FastAPI types as `Any`; this module is the one place that
writes and reads it, and hands them on as a typed `Context`."""

from typing import Annotated

from fastapi import Depends, FastAPI, Request

from tocsin.services.context import Context


def install_services(web: FastAPI, services: Context) -> None:
    web.state.services = services


def services_of(request: Request) -> Context:
    found: Context = request.app.state.services
    return found


async def request_services(request: Request) -> Context:
    # async so that FastAPI calls it in the event loop: a plain `def` dependency would
    # be sent to a worker thread on every request.
    return services_of(request)


ServicesDep = Annotated[Context, Depends(request_services)]
