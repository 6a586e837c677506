"""Which schema revision a database is at, and which the code is at, without Alembic.

Every command checks this before it touches a database; loading Alembic to ask
would cost most of a short command's time, so the migrations' own files are read
for their `revision` and `down_revision` lines instead. Alembic still applies them
(`store.migrate`), and a test keeps the two answers equal.
"""

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

VERSIONS = Path(__file__).parent / "migrations" / "versions"
VERSION_TABLE = "alembic_version"
LINE = re.compile(r'^(down_revision|revision)\b[^=]*=\s*(?:"([^"]*)"|None)', re.M)


def revisions_in(directory: Path) -> dict[str, str | None]:
    """Each migration's revision and the one it follows (None for the first)."""
    chain: dict[str, str | None] = {}
    for path in sorted(directory.glob("*.py")):
        found: dict[str, str] = dict(LINE.findall(path.read_text()))
        if found.get("revision"):
            chain[found["revision"]] = found.get("down_revision") or None
    return chain


def newest(chain: dict[str, str | None]) -> str:
    """The one revision no other follows."""
    heads = set(chain) - {down for down in chain.values() if down}
    if len(heads) != 1:
        raise RuntimeError(f"the migrations have {len(heads)} heads, not one: {sorted(heads)}")
    return heads.pop()


REVISIONS = revisions_in(VERSIONS)
KNOWN_REVISIONS = frozenset(REVISIONS)
NEWEST_REVISION = newest(REVISIONS)


def schema_revision(connection: "sa.Connection") -> str | None:
    """The database's revision; None when it has no Tocsin schema at all."""
    import sqlalchemy as sa  # not at import: the sqlite3 read lane (store.quickread) needs
    # only NEWEST_REVISION, and SQLAlchemy is most of a short command's time

    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    revision = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    return str(revision) if revision is not None else None
