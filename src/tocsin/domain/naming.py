"""How checks are named to the outside: slugs made from names, the unique keys that
stand for a check without revealing its ping URL, and Healthchecks' status words,
which its API, badges and Tocsin's own API all use."""

import hashlib
import re
import unicodedata
import uuid
from datetime import datetime

from tocsin.domain.checks import CheckState, Status, settled_status, status

MAX_SLUG = 100
HEALTHCHECKS_WORDS = {Status.LATE: "grace"}
BLANK_NAME = "a check needs a name people recognise, such as 'db backup'"


def blank_name(name: str) -> bool:
    """A name of nothing but spaces names nothing: a list or an alert shows a blank."""
    return not name.strip()


def slugify(name: str) -> str:
    """Django's slugify, which Healthchecks' v1 and v2 apply to a new name; cut to the
    column's size, since decomposing can lengthen a name ("ﬃ" is "ffi")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^\w\s-]", "", ascii_name.lower())
    return re.sub(r"[-\s]+", "-", cleaned).strip("-_")[:MAX_SLUG].strip("-_")


def unique_key(check_uuid: uuid.UUID) -> str:
    """A stable identifier for read-only keys that does not reveal the ping URL:
    SHA-1 of the first half of the uuid's hex, as Healthchecks makes it."""
    return hashlib.sha1(check_uuid.hex[:16].encode()).hexdigest()


def is_unique_key(code: str) -> bool:
    return len(code) == 40 and all(c in "0123456789abcdef" for c in code)


def status_word(state: CheckState, now: datetime, version: int) -> str:
    current = status(state, now) if version == 1 else settled_status(state, now)
    return HEALTHCHECKS_WORDS.get(current, current.value)
