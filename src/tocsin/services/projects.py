"""The project a command acts on when it names none, or names one by name or number."""

from datetime import datetime

import sqlalchemy as sa

from tocsin.services.context import Context
from tocsin.services.errors import NotFoundError
from tocsin.store.projects import default_project, project_named, project_names


class UnknownProjectError(NotFoundError):
    """No project has the name; `known` holds the names of those there are."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"no project named {name!r}")
        self.known = known


async def project_id_of(context: Context, name: str = "") -> int:
    """The project named (or numbered) `name`; with no name, the first project, made
    on first use (a fresh install has none)."""
    async with context.database.write() as connection:
        return await connection.run_sync(project_id_in, name, context.clock.now())


def project_id_in(connection: sa.Connection, name: str, now: datetime) -> int:
    """`project_id_of` in a transaction the caller owns (a write one: the first
    project may have to be made)."""
    if not name:
        return default_project(connection, now)
    found = project_named(connection, name)
    if found is None:
        raise UnknownProjectError(name, project_names(connection))
    return found
