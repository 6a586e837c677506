"""Cursor pagination for Tocsin's API, pure. Lists are ordered by a row's integer id
(newest first for histories); a cursor is the opaque spelling of the last id a page
showed, so a page stays right while rows are added or removed before it."""

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from tocsin.api.tocsin.http import FieldsError
from tocsin.domain.numbers import whole_number

ItemT = TypeVar("ItemT")

MAX_ID = 2**63 - 1

Limit = Annotated[int, Query(ge=1, le=200, description="Items per page.")]
CursorParam = Annotated[
    str | None, Query(max_length=40, description="`next_cursor` of the page before.")
]


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"after:{last_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    number = whole_number(text.removeprefix("after:"))
    if not text.startswith("after:") or number is None:
        raise FieldsError({"cursor": "not a cursor this API gave out; start from the first page"})
    return min(number, MAX_ID)


def paginate(
    items: Sequence[ItemT],
    id_of: Callable[[ItemT], int],
    limit: int,
    cursor: str | None,
    *,
    newest_first: bool = False,
) -> tuple[list[ItemT], str | None]:
    """One page of `items` after the cursor, and the cursor of the page after it."""
    after = decode_cursor(cursor)
    ordered = sorted(items, key=id_of, reverse=newest_first)
    if after is not None:
        ordered = [i for i in ordered if (id_of(i) < after if newest_first else id_of(i) > after)]
    return page_of(ordered, id_of, limit)


def page_of(
    ordered: Sequence[ItemT], id_of: Callable[[ItemT], int], limit: int
) -> tuple[list[ItemT], str | None]:
    """The first `limit` of `ordered` (fetch one more to know whether a next page exists)."""
    shown = list(ordered[:limit])
    more = len(ordered) > limit
    return shown, (encode_cursor(id_of(shown[-1])) if more and shown else None)
