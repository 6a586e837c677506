"""The `tocsin` command: run the server and the watcher, manage checks.

Each command group's module is imported only when that group runs (`LazyGroup`), and
the server's stack only inside `serve` and the workers, so a short command such as
`tocsin check list` loads Typer, SQLAlchemy and its own module, not FastAPI, uvicorn,
Alembic or Apprise (docs/PERFORMANCE.md, CLI start-up).
"""

import asyncio
import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer
from typer.core import TyperCommand

from tocsin.cli import run as run_command
from tocsin.cli.common import console, fail_on_errors, load_settings, open_database
from tocsin.cli.helpscreens import Group, name_values
from tocsin.config import Settings
from tocsin.version import __version__

if TYPE_CHECKING:  # the click that Typer carries inside it, for the overrides' types
    from typer._click import Command, Context, HelpFormatter


@dataclass(frozen=True, slots=True)
class Lazy:
    """A command or group, by module and attribute, with the help `tocsin --help` shows
    without importing it (a test keeps it equal to the command's own)."""

    module: str
    attribute: str
    help: str

    def load(self, name: str) -> "Command":
        target = getattr(importlib.import_module(self.module), self.attribute)
        if isinstance(target, typer.Typer):
            # A group even when it has one command, as `add_typer` would make it.
            command: Command = typer.main.get_group(target)
        else:
            holder = typer.Typer()
            holder.command(name)(target)
            command = typer.main.get_command(holder)
        command.name = name
        return command


LAZY = {
    "check": Lazy("tocsin.cli.checks", "app", "Create, list and manage checks."),
    "channel": Lazy(
        "tocsin.cli.channels",
        "channel_app",
        "Add, list, test and remove notification channels.",
    ),
    "policy": Lazy(
        "tocsin.cli.channels", "policy_app", "Escalation policies: who is notified, and when."
    ),
    "incident": Lazy(
        "tocsin.cli.incidents",
        "app",
        "Incidents: what went down, who knows, and what happened since.",
    ),
    "key": Lazy("tocsin.cli.keys", "app", "Create, list and revoke API keys."),
    "maintenance": Lazy(
        "tocsin.cli.maintenance",
        "app",
        "Maintenance windows: when checks may not go down and incidents do not escalate.",
    ),
    "oncall": Lazy(
        "tocsin.cli.oncall",
        "app",
        "On-call calendars: who is on call now and next, rotations and overrides.",
    ),
    "cron": Lazy("tocsin.cli.cron", "app", "Monitor the jobs of a crontab."),
    "apply": Lazy(
        "tocsin.cli.apply",
        "apply_command",
        "Make a project's checks, channels and policies match a monitors file.",
    ),
    "export": Lazy(
        "tocsin.cli.apply",
        "export_command",
        "Write a project's checks, channels and policies as a monitors file, secrets included.",
    ),
    "backup": Lazy(
        "tocsin.cli.backup",
        "backup_command",
        "Copy the SQLite database to PATH, consistently, while the server runs.",
    ),
    "config": Lazy(
        "tocsin.cli.configuration",
        "config_command",
        "Print the settings in effect, secrets masked, and where each one came from.",
    ),
}


class LazyGroup(Group):
    """The top-level group, loading a command's module only when that command runs;
    its help lists them from `LAZY` alone."""

    listing = False

    def list_commands(self, ctx: "Context") -> list[str]:
        return [*super().list_commands(ctx), *LAZY]

    def get_command(self, ctx: "Context", cmd_name: str) -> "Command | None":
        lazy = LAZY.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        if self.listing:
            return TyperCommand(cmd_name, help=lazy.help)
        command = lazy.load(cmd_name)
        name_values(command.get_params(ctx))
        return command

    def format_help(self, ctx: "Context", formatter: "HelpFormatter") -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(
    name="tocsin",
    help="Tocsin: heartbeat monitoring for cron jobs, backups and scheduled work.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=LazyGroup,
)
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
    async with open_database(settings, create=True):
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
    from tocsin.cli.serving import serve_http

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    serve_http(overrides, watcher, notifier)


@app.command("watcher")
def run_watcher() -> None:
    """Run only the deadline watcher (pair with `tocsin serve --no-watcher`)."""
    from tocsin.cli.serving import run_worker

    run_worker("watcher")


@app.command("notifier")
def run_notifier() -> None:
    """Run only the notifier, delivering the outbox (pair with `serve --no-notifier`)."""
    from tocsin.cli.serving import run_worker

    run_worker("notifier")
