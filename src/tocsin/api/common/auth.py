"""Who is asking: an API key turned into its project and whether it may write.

Dialect-neutral: the Healthchecks dialect takes the key from `X-Api-Key` (or a JSON
body's `api_key`), another dialect may take it from `Authorization: Bearer`; both call
`authenticate` and render `KeyRejectedError` in their own error format."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from tocsin.domain.identifiers import API_KEY_LENGTH
from tocsin.store import keys as key_store
from tocsin.store.database import Database


class KeyProblem(StrEnum):
    """Healthchecks' words, which its clients show to people."""

    MISSING = "missing api key"
    WRONG = "wrong api key"


class KeyRejectedError(Exception):
    def __init__(self, problem: KeyProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ApiAccess:
    project_id: int
    key_id: int
    read_only: bool


async def authenticate(
    database: Database, presented: str, now: datetime, *, write: bool
) -> ApiAccess:
    """The access a key gives. A key of the wrong length is "missing" (Healthchecks'
    rule); an unknown or revoked key, or a read-only key where `write` is needed, is
    "wrong", so a read-only key learns nothing about what a write would have done."""
    if len(presented) != API_KEY_LENGTH:
        raise KeyRejectedError(KeyProblem.MISSING)
    async with database.read() as connection:
        key = await connection.run_sync(key_store.active_key, presented)
    if key is None or (write and key.read_only):
        raise KeyRejectedError(KeyProblem.WRONG)
    if key_store.needs_touch(key, now):
        async with database.write() as connection:
            await connection.run_sync(key_store.touch_key, key.id, now)
    return ApiAccess(key.project_id, key.id, key.read_only)
