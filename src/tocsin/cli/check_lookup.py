"""A check named on the command line (by uuid, slug or name), and a check deleted
between its lookup and the action, in one line each."""

import contextlib
import uuid
from collections.abc import Iterator

import sqlalchemy as sa

from tocsin.cli.common import CommandError
from tocsin.domain.records import CheckRecord
from tocsin.services.errors import NotFoundError
from tocsin.store import checks as check_store


def find_check(connection: sa.Connection, identifier: str) -> CheckRecord:
    """A check by uuid, else by slug, else by name; ambiguity is an error."""
    try:
        check_uuid = uuid.UUID(identifier)
    except ValueError:
        check_uuid = None
    if check_uuid is not None:
        by_uuid = check_store.check_by_uuid(connection, check_uuid)
        if by_uuid is not None:
            return by_uuid
    for column in ("slug", "name"):
        found = check_store.checks_by_column(connection, column, identifier)
        if len(found) > 1:
            raise CommandError(f"{len(found)} checks have the {column} {identifier!r}; use a uuid")
        if found:
            return found[0]
    raise CommandError(f"no check matches {identifier!r}")


@contextlib.contextmanager
def check_gone(record: CheckRecord) -> Iterator[None]:
    """Deleted between our read and the action."""
    try:
        yield
    except NotFoundError:
        raise CommandError(f"check {record.label!r} was just deleted") from None
