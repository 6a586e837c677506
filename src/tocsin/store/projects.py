"""Projects: each owns checks, channels and policies, and the key for slug ping URLs."""

from datetime import datetime

import sqlalchemy as sa

from tocsin.domain.identifiers import new_ping_key
from tocsin.domain.numbers import whole_number
from tocsin.store.tables import projects

DEFAULT_PROJECT = "Default"


def default_project(connection: sa.Connection, now: datetime) -> int:
    """The first project, made on first use."""
    found = connection.scalar(sa.select(projects.c.id).order_by(projects.c.id).limit(1))
    if found is not None:
        return int(found)
    return insert_project(connection, DEFAULT_PROJECT, now)


def insert_project(connection: sa.Connection, name: str, now: datetime) -> int:
    values = {"name": name, "ping_key": new_ping_key(), "created": now}
    result = connection.execute(projects.insert().values(values).returning(projects.c.id))
    return int(result.scalar_one())


def ping_key(connection: sa.Connection, project_id: int) -> str:
    query = sa.select(projects.c.ping_key).where(projects.c.id == project_id)
    return str(connection.execute(query).scalar_one())


def project_named(connection: sa.Connection, name: str) -> int | None:
    """A project by its name, or by its id written as a number."""
    condition = projects.c.name == name
    number = whole_number(name, max_digits=9)
    if number is not None:
        condition = condition | (projects.c.id == number)
    found = connection.scalar(sa.select(projects.c.id).where(condition).order_by(projects.c.id))
    return None if found is None else int(found)


def project_names(connection: sa.Connection) -> list[str]:
    return list(connection.scalars(sa.select(projects.c.name).order_by(projects.c.id)))


def ping_keys(connection: sa.Connection) -> dict[int, str]:
    """Every project's ping key, by project id; projects are few."""
    query = sa.select(projects.c.id, projects.c.ping_key).order_by(projects.c.id)
    return {row.id: row.ping_key for row in connection.execute(query)}
