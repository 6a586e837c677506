"""`tocsin serve` and the worker commands: the server's stack, loaded only by them."""

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable
from typing import Any

import uvicorn

from tocsin.alerts.notifier import signing_secret
from tocsin.cli.banner import checks_banner
from tocsin.cli.common import (
    console,
    database_name,
    fail_on_errors,
    load_settings,
    open_database,
)
from tocsin.config import ConfigError, Settings
from tocsin.domain.accounts import normalize_email, setup_token
from tocsin.domain.clock import SystemClock
from tocsin.server.app import create_app
from tocsin.server.builder import WorkerKind, running_worker
from tocsin.server.connections import KEEP_ALIVE_SECONDS, ConnectionGuard, connection_limits
from tocsin.services import accounts as account_service
from tocsin.services.context import Standalone
from tocsin.services.errors import InvalidError
from tocsin.store import checks as check_store
from tocsin.store import users as user_store
from tocsin.store.database import Database
from tocsin.version import __version__


def serve_http(overrides: dict[str, Any], watcher: bool | None, notifier: bool | None) -> None:
    with fail_on_errors():
        settings = load_settings(**overrides)
        configure_process(settings.log_level)
        asyncio.run(print_banner(settings))
        application = create_app(settings, run_watcher=watcher, run_notifier=notifier)
        guard = ConnectionGuard(connection_limits(settings))
    uvicorn.run(
        application,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # TOCSIN_TRUSTED_PROXY_HEADER decides whom to believe
        lifespan="on",
        timeout_graceful_shutdown=10,
        http=application.http_protocol(guard, settings.fast_pings) or "auto",
        ws="none",  # no WebSocket routes: an upgrade request is answered as HTTP
        timeout_keep_alive=int(KEEP_ALIVE_SECONDS),
    )


def run_worker(kind: WorkerKind) -> None:
    """A background worker on its own, until SIGINT or SIGTERM. Like every command but
    `migrate` and `serve`, it works on an existing database only."""
    with fail_on_errors():
        settings = load_settings()
        asyncio.run(require_database(settings))
        configure_process(settings.log_level)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(work_until_stopped(kind, settings))


async def require_database(settings: Settings) -> None:
    async with open_database(settings):
        pass


async def work_until_stopped(kind: WorkerKind, settings: Settings) -> None:
    async with running_worker(kind, settings, SystemClock()) as worker:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, worker.stop)
        await worker.run()


async def print_banner(settings: Settings) -> None:
    async with open_database(settings, create=True) as database:
        records = await database.read_with(check_store.list_checks)
        console.print(f"Tocsin {__version__} on {settings.base_url}", highlight=False)
        # Which database, so that a server and a command disagreeing shows at once.
        console.print(f"Database: {database_name(settings)}", highlight=False)
        await welcome_first_admin(settings, database)
    console.print(checks_banner(records, settings.base_url, program()), highlight=False)


async def welcome_first_admin(settings: Settings, database: Database) -> None:
    """Make the first administrator from the environment, or print the one-time setup
    link while nobody has an account."""
    clock = SystemClock()
    if settings.admin_email:
        if await first_admin_from(Standalone(settings, clock, database)):
            email = normalize_email(settings.admin_email)
            console.print(f"Created the first administrator, {email}.", highlight=False)
        return
    async with database.read() as connection:
        if await connection.run_sync(user_store.count_users):
            return
    token = setup_token(
        await signing_secret(settings, database), clock.now(), settings.setup_link_ttl
    )
    console.print(
        f"No accounts yet. Make the first administrator at {settings.base_url}/setup?token={token}",
        highlight=False,
    )


ADMIN_VARIABLES = {"email": "TOCSIN_ADMIN_EMAIL", "password": "TOCSIN_ADMIN_PASSWORD"}


async def first_admin_from(context: Standalone) -> bool:
    """The first administrator from TOCSIN_ADMIN_EMAIL and TOCSIN_ADMIN_PASSWORD, if
    nobody has an account yet; a ConfigError naming the variable at fault."""
    settings = context.settings
    try:
        return await account_service.create_first_admin(
            context, settings.admin_email, settings.admin_password
        )
    except InvalidError as error:
        raise ConfigError(f"{ADMIN_VARIABLES[error.field]}: {error.message}") from None


def program() -> str:
    invoked = sys.argv[0]
    return invoked if invoked.endswith("tocsin") and "/" in invoked else "tocsin"


def configure_process(log_level: str) -> None:
    configure_logging(log_level)
    # With Python's default thresholds (700, 10, 10) the collector walks every live
    # object over and over while thousands of alerts are in flight: 29% of the CPU
    # of a 10,000-alert burst (docs/PERFORMANCE.md). Tocsin makes few reference cycles;
    # collecting less often costs a little memory between collections.
    gc.set_threshold(50_000, 20, 100)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop where it is installed (as uvicorn uses it for `serve`), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def configure_logging(level: str) -> None:
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
