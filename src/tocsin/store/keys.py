"""API keys: made, listed, revoked and verified, by the hash of the key.

Synchronous, over a SQLAlchemy `Connection` (async callers use `run_sync`)."""

import hashlib
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tocsin.domain.identifiers import new_api_key
from tocsin.domain.records import ApiKey
from tocsin.store.tables import api_keys, projects

# Recording every use would turn each API read into a write; once a minute is enough
# to answer "is this key still in use?".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_key(key: str) -> str:
    # surrogatepass: a key read from a JSON body may hold any code point, and a key that
    # cannot be stored must still be answered "wrong api key", not crash the hash.
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def key_from_row(row: sa.Row[Any]) -> ApiKey:
    return ApiKey(
        id=row.id,
        project_id=row.project_id,
        project_name=row.project_name,
        name=row.name,
        read_only=row.read_only,
        prefix=row.prefix,
        created=row.created,
        last_used=row.last_used,
        revoked=row.revoked,
    )


def select_keys() -> sa.Select[Any]:
    return sa.select(
        *[c for c in api_keys.c if c.name != "key_hash"], projects.c.name.label("project_name")
    ).join(projects, projects.c.id == api_keys.c.project_id)


def create_key(
    connection: sa.Connection, project_id: int, name: str, read_only: bool, now: datetime
) -> tuple[ApiKey, str]:
    """A new key and its secret, which is not kept and so can be shown only now."""
    secret = new_api_key(read_only=read_only)
    values = {
        "project_id": project_id,
        "name": name,
        "read_only": read_only,
        "key_hash": hash_key(secret),
        "prefix": secret[:8],
        "created": now,
    }
    key_id = connection.execute(api_keys.insert().values(values).returning(api_keys.c.id))
    found = key_by_id(connection, key_id.scalar_one())
    assert found is not None
    return found, secret


def key_by_id(connection: sa.Connection, key_id: int) -> ApiKey | None:
    if not 0 < key_id < 2**31:  # beyond the integer column: PostgreSQL would refuse it
        return None
    row = connection.execute(select_keys().where(api_keys.c.id == key_id)).first()
    return None if row is None else key_from_row(row)


def list_keys(connection: sa.Connection, project_id: int | None = None) -> list[ApiKey]:
    query = select_keys().order_by(api_keys.c.id)
    if project_id is not None:
        query = query.where(api_keys.c.project_id == project_id)
    return [key_from_row(row) for row in connection.execute(query)]


def revoke_key(connection: sa.Connection, key_id: int, now: datetime) -> None:
    """Revoke a key; a key revoked before keeps its first revocation time."""
    connection.execute(
        api_keys.update()
        .where(api_keys.c.id == key_id, api_keys.c.revoked.is_(None))
        .values(revoked=now)
    )


def active_key(connection: sa.Connection, secret: str) -> ApiKey | None:
    """The unrevoked key whose secret this is. Read from the database on every call,
    so a revocation takes effect at the next request."""
    query = select_keys().where(
        api_keys.c.key_hash == hash_key(secret), api_keys.c.revoked.is_(None)
    )
    row = connection.execute(query).first()
    return None if row is None else key_from_row(row)


def needs_touch(key: ApiKey, now: datetime) -> bool:
    return key.last_used is None or now - key.last_used >= LAST_USED_RESOLUTION


def touch_key(connection: sa.Connection, key_id: int, now: datetime) -> None:
    connection.execute(api_keys.update().where(api_keys.c.id == key_id).values(last_used=now))
