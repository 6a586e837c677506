"""`tocsin key …`: API keys of a project, made, listed and revoked."""

from datetime import datetime

import sqlalchemy as sa
import typer
from rich.table import Table

from tocsin.cli.common import CommandError, console, fail_on_errors, in_transaction, load_settings
from tocsin.domain.clock import SystemClock
from tocsin.domain.records import ApiKey
from tocsin.store import keys as key_store
from tocsin.store.projects import default_project, ping_key, project_named, project_names

app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)

PROJECT_OPTION = typer.Option("", "--project", help="Project name or id; default: the first.")


def find_project(connection: sa.Connection, project: str, now: datetime) -> int:
    if not project:
        return default_project(connection, now)
    found = project_named(connection, project)
    if found is None:
        known = ", ".join(repr(name) for name in project_names(connection)) or "none yet"
        raise CommandError(f"no project named {project!r} (projects: {known})")
    return found


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
        now = SystemClock().now()

        def work(connection: sa.Connection) -> tuple[ApiKey, str]:
            project_id = find_project(connection, project, now)
            return key_store.create_key(connection, project_id, name, read_only, now)

        key, secret = in_transaction(load_settings(), work)
        console.print(f"Created {kind(key)} API key {key.id} for project {key.project_name!r}:")
        console.print(f"  {secret}")
        console.print("Copy it now: Tocsin keeps only a hash and cannot show it again.")


@app.command("list")
def list_command(project: str = PROJECT_OPTION) -> None:
    """List API keys (never the keys themselves) and the project's ping key."""
    with fail_on_errors():
        now = SystemClock().now()

        def work(connection: sa.Connection) -> tuple[list[ApiKey], str]:
            project_id = find_project(connection, project, now)
            return key_store.list_keys(connection, project_id), ping_key(connection, project_id)

        keys, slug_key = in_transaction(load_settings(), work)
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


def stamp(moment: datetime | None) -> str:
    return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


@app.command("revoke")
def revoke(key_id: int = typer.Argument(..., help="The key's id, from `tocsin key list`.")) -> None:
    """Revoke an API key; requests made with it are refused from now on."""
    with fail_on_errors():
        now = SystemClock().now()

        def work(connection: sa.Connection) -> ApiKey:
            key = key_store.key_by_id(connection, key_id)
            if key is None:
                raise CommandError(f"no API key has the id {key_id}; see `tocsin key list`")
            key_store.revoke_key(connection, key_id, now)
            return key

        key = in_transaction(load_settings(), work)
        if key.revoked:
            console.print(f"API key {key.id} was already revoked on {stamp(key.revoked)}.")
            return
        console.print(f"Revoked API key {key.id} ({kind(key)}, project {key.project_name!r}).")
