"""The `tocsin` command: run the server and the watcher, manage checks."""

import asyncio
import gc
import logging
import signal
import sys
from collections.abc import Callable

import typer
import uvicorn

from tocsin.alerts.notifier import signing_secret
from tocsin.cli import apply as apply_commands
from tocsin.cli import channels as channel_commands
from tocsin.cli import checks as check_commands
from tocsin.cli import cron as cron_commands
from tocsin.cli import incidents as incident_commands
from tocsin.cli import keys as key_commands
from tocsin.cli import run as run_command
from tocsin.cli.banner import checks_banner
from tocsin.cli.common import console, fail_on_errors, load_settings, open_database
from tocsin.cli.helpscreens import Group
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

app = typer.Typer(
    cls=Group,
    name="tocsin",
    help="Tocsin: heartbeat monitoring for cron jobs, backups and scheduled work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(check_commands.app, name="check")
app.add_typer(channel_commands.channel_app, name="channel")
app.add_typer(channel_commands.policy_app, name="policy")
app.add_typer(incident_commands.app, name="incident")
app.add_typer(key_commands.app, name="key")
app.add_typer(cron_commands.app, name="cron")
app.command("apply")(apply_commands.apply_command)
app.command("export")(apply_commands.export_command)
app.command("run", context_settings=run_command.CONTEXT, add_help_option=False)(run_command.run)


def main() -> None:
    with fail_on_errors():
        app()


@app.command()
def version() -> None:
    """Print Tocsin's version."""
    console.print(__version__)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema."""
    with fail_on_errors():
        settings = load_settings()
        asyncio.run(migrate_database(settings))
        console.print("Database is up to date.")


async def migrate_database(settings: Settings) -> None:
    async with open_database(settings):
        pass


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Address to listen on [TOCSIN_HOST]."),
    port: int | None = typer.Option(None, help="Port to listen on [TOCSIN_PORT]."),
    watcher: bool | None = typer.Option(
        None, "--watcher/--no-watcher", help="Run the deadline watcher in this process."
    ),
    notifier: bool | None = typer.Option(
        None, "--notifier/--no-notifier", help="Deliver notifications from this process."
    ),
) -> None:
    """Run the HTTP server (ping intake, API) and, by default, the deadline watcher."""
    with fail_on_errors():
        overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
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


@app.command("watcher")
def run_watcher() -> None:
    """Run only the deadline watcher (pair with `tocsin serve --no-watcher`)."""
    run_worker("watcher")


@app.command("notifier")
def run_notifier() -> None:
    """Run only the notifier, delivering the outbox (pair with `serve --no-notifier`)."""
    run_worker("notifier")


def run_worker(kind: WorkerKind) -> None:
    """A background worker on its own, until SIGINT or SIGTERM."""
    with fail_on_errors():
        settings = load_settings()
        configure_process(settings.log_level)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(work_until_stopped(kind, settings))


async def work_until_stopped(kind: WorkerKind, settings: Settings) -> None:
    async with running_worker(kind, settings, SystemClock()) as worker:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, worker.stop)
        await worker.run()


async def print_banner(settings: Settings) -> None:
    async with open_database(settings) as database:
        records = await database.read_with(check_store.list_checks)
        console.print(f"Tocsin {__version__} on {settings.base_url}")
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
