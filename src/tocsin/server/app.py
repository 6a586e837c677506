"""Assembles the ASGI application: the ping endpoint in front, the web app behind it,
and the background tasks (ping writer, deadline watcher) tied to its lifespan."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from tocsin.api.betterstack.routes import betterstack_router
from tocsin.api.healthchecks.routes import healthchecks_router
from tocsin.api.tocsin import docs as api_docs
from tocsin.api.tocsin.routes import tocsin_router
from tocsin.config import Settings
from tocsin.domain.clock import Clock, SystemClock
from tocsin.inbound.routes import inbound_router
from tocsin.pings.endpoint import PingEndpoint, PingReader, Receive, Scope, Send
from tocsin.pings.urls import is_ping_path
from tocsin.server.builder import build_services
from tocsin.server.connections import ConnectionGuard
from tocsin.server.uvicorn_guard import fallback_reason
from tocsin.services.requests import install_services
from tocsin.version import __version__
from tocsin.web import (
    account_links,
    channel_pages,
    check_edit,
    check_pages,
    key_pages,
    maintenance_pages,
    member_pages,
    oncall_feed,
    oncall_pages,
    pages,
    policy_pages,
    profile_pages,
)
from tocsin.web import accounts as account_pages
from tocsin.web import badges as badge_pages
from tocsin.web import incident_pages as project_incident_pages
from tocsin.web import incidents as incident_pages

log = logging.getLogger("tocsin")


class TocsinApp:
    """Routes ping URLs straight to the lean endpoint and the rest to FastAPI."""

    def __init__(self, pings: PingEndpoint, web: FastAPI) -> None:
        self.pings = pings
        self.web = web

    def http_protocol(
        self, guard: ConnectionGuard, fast_pings: bool
    ) -> type[asyncio.Protocol] | None:
        """uvicorn's HTTP protocol under the guard's limits (`server.protocol`), with pings
        answered below ASGI (`server.fast_pings`) if `fast_pings`; None, for uvicorn's own
        protocol, if this uvicorn is not the one they were written for. Logs which."""
        fallback = fallback_reason()
        if fallback:
            log.warning(
                "HTTP: %s: uvicorn's own protocol, pings through ASGI, "
                "without Tocsin's connection limits",
                fallback,
            )
            return None
        # Imported only once the guard has passed: they subclass uvicorn's private
        # protocol.
        from tocsin.server.fast_pings import FastPings, fast_ping_protocol
        from tocsin.server.protocol import guarded_protocol

        if fast_pings:
            log.info(
                "HTTP: Tocsin's guarded protocol with fast pings (uvicorn %s)", uvicorn.__version__
            )
            return fast_ping_protocol(FastPings(self.pings.intake, self.pings.reader), guard)
        log.info(
            "HTTP: Tocsin's guarded protocol, pings through ASGI "
            "(TOCSIN_FAST_PINGS=false; uvicorn %s)",
            uvicorn.__version__,
        )
        return guarded_protocol(guard)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_ping_path(scope["path"]):
            await self.pings(scope, receive, send)
        else:
            await self.web(scope, receive, send)


def create_app(
    settings: Settings,
    clock: Clock | None = None,
    *,
    run_watcher: bool | None = None,
    run_notifier: bool | None = None,
) -> TocsinApp:
    clock = clock or SystemClock()
    watcher_enabled = settings.watcher if run_watcher is None else run_watcher
    notifier_enabled = settings.notifier if run_notifier is None else run_notifier
    services = build_services(settings, clock, watcher_enabled, notifier_enabled)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await services.start()
        try:
            yield
        finally:
            await services.stop()

    web = FastAPI(
        title="Tocsin",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_services(web, services)
    web.include_router(incident_pages.router)
    web.include_router(healthchecks_router())
    web.include_router(betterstack_router())
    web.include_router(badge_pages.router)
    web.include_router(oncall_feed.router)
    web.include_router(tocsin_router())
    web.include_router(inbound_router())
    api_docs.mount_docs(web)
    add_web_app(web)
    reader = PingReader(clock, settings.ping_body_limit, settings.trusted_proxy_header)
    endpoint = PingEndpoint(services.intake, reader)
    return TocsinApp(endpoint, web)


def add_web_app(web: FastAPI) -> None:
    """The pages people sign in to, their assets, and the refusals they show."""
    pages.install(web)
    web.include_router(account_pages.router)
    web.include_router(check_pages.router)
    web.include_router(check_edit.router)
    web.include_router(project_incident_pages.router)
    web.include_router(channel_pages.router)
    web.include_router(policy_pages.router)
    web.include_router(oncall_pages.router)
    web.include_router(maintenance_pages.router)
    web.include_router(member_pages.router)
    web.include_router(key_pages.router)
    web.include_router(account_links.router)
    web.include_router(profile_pages.router)
    web.mount("/static", StaticFiles(directory=pages.STATIC), name="static")
