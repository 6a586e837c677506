"""`tocsin key …`: API keys of a project, made, listed and revoked."""

from datetime import datetime

import sqlalchemy as sa
import typer
from rich.table import Table

from tocsin.cli.common import CommandError, act, console, fail_on_errors, load_settings
from tocsin.cli.helpscreens import Group
from tocsin.domain.records import ApiKey
from tocsin.services import keys as key_service
from tocsin.services.context import Context
from tocsin.services.errors import NotFoundError
from tocsin.services.projects import UnknownProjectError, project_id_of
from tocsin.store import keys as key_store
from tocsin.store.projects import ping_key

app = typer.Typer(cls=Group, help="Create, list and revoke API keys.", no_args_is_help=True)

PROJECT_OPTION = typer.Option("", "--project", help="Project name or id; default: the first.")


async def find_project(context: Context, project: str) -> int:
    """The project named, or the first one (made on first use)."""
    try:
        return await project_id_of(context, project)
    except UnknownProjectError as error:
        known = ", ".join(repr(name) for name in error.known) or "none yet"
        raise CommandError(f"no project named {project!r} (projects: {known})") from None


def kind(key: ApiKey) -> str:
    return "read-only" if key.read_only else "read-write"


@app.command("create")
def create(
    read_only: bool = typer.Option(False, "--read-only", help="A key that can only read."),
    name: str = typer.Option("", help="What the key is for, e.g. 'terraform'."),
    project: str = PROJECT_OPTION,
) -> None:
    """Make an API key and print it; Tocsin keeps only its hash, so this is the only time."""
    with fail_on_errors():

        async def work(context: Context) -> tuple[ApiKey, str]:
            project_id = await find_project(context, project)
            return await key_service.create_key(context, project_id, name, read_only=read_only)

        key, secret = act(load_settings(), work)
        console.print(f"Created {kind(key)} API key {key.id} for project {key.project_name!r}:")
        console.print(f"  {secret}")
        console.print("Copy it now: Tocsin keeps only a hash and cannot show it again.")


@app.command("list")
def list_command(project: str = PROJECT_OPTION) -> None:
    """List API keys (never the keys themselves) and the project's ping key."""
    with fail_on_errors():

        async def work(context: Context) -> tuple[list[ApiKey], str]:
            project_id = await find_project(context, project)
            async with context.database.read() as connection:
                return await connection.run_sync(listing, project_id)

        keys, slug_key = act(load_settings(), work)
        table = Table("ID", "Name", "Kind", "Starts with", "Created", "Last used", "Revoked")
        for key in keys:
            table.add_row(
                str(key.id),
                key.name,
                kind(key),
                f"{key.prefix}…",
                stamp(key.created),
                stamp(key.last_used),
                stamp(key.revoked) if key.revoked else "no",
            )
        console.print(table if keys else "No API keys yet: create one with `tocsin key create`.")
        console.print(f"Ping key for slug URLs (/ping/<ping-key>/<slug>): {slug_key}")


def listing(connection: sa.Connection, project_id: int) -> tuple[list[ApiKey], str]:
    return key_store.list_keys(connection, project_id), ping_key(connection, project_id)


def stamp(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@app.command("revoke")
def revoke(key_id: int = typer.Argument(..., help="The key's id, from `tocsin key list`.")) -> None:
    """Revoke an API key; requests made with it are refused from now on."""
    with fail_on_errors():
        try:
            key = act(
                load_settings(), lambda context: key_service.revoke_key(context, None, key_id)
            )
        except NotFoundError:
            raise CommandError(f"no API key has the id {key_id}; see `tocsin key list`") from None
        if key.revoked:
            console.print(f"API key {key.id} was already revoked on {stamp(key.revoked)}.")
            return
        console.print(f"Revoked API key {key.id} ({kind(key)}, project {key.project_name!r}).")
