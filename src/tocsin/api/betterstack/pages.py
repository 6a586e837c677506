"""Better Stack's pagination, pure: `page` and `per_page` from a query, a page of a list,
and the `pagination` block of absolute URLs (`first`, `last`, `prev`, `next`) that
clients follow, or read the last page number from and fetch pages 2..N at once."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urlencode

from tocsin.api.common.errors import ApiError
from tocsin.domain import numbers

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 250  # a larger per_page is served as this many, as Better Stack caps it
MAX_PAGE = 1_000_000

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        """How many items the pages before this one hold."""
        return (self.page - 1) * self.per_page


def page_request(query: Mapping[str, str]) -> PageRequest:
    page = whole_number(query, "page", 1, MAX_PAGE)
    per_page = whole_number(query, "per_page", DEFAULT_PER_PAGE, MAX_PAGE)
    return PageRequest(page, min(per_page, MAX_PER_PAGE))


def whole_number(query: Mapping[str, str], name: str, default: int, high: int) -> int:
    value = query.get(name)
    if value is None:
        return default
    number = numbers.whole_number(value)
    if number is None or not 1 <= number <= high:
        raise ApiError(400, f"{name} must be a whole number from 1 to {high}")
    return number


def page_of(items: Sequence[T], request: PageRequest) -> list[T]:
    return list(items[request.offset : request.offset + request.per_page])


def last_page(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def pagination(
    url: str, query: Mapping[str, str], request: PageRequest, total: int
) -> dict[str, str | None]:
    """Links to pages of the same list: the other query parameters (filters) kept."""
    last = last_page(total, request.per_page)

    def link(page: int) -> str:
        filters = {k: v for k, v in query.items() if k not in ("page", "per_page")}
        params = {"page": str(page), "per_page": str(request.per_page), **filters}
        return f"{url}?{urlencode(params)}"

    return {
        "first": link(1),
        "last": link(last),
        "prev": link(min(request.page - 1, last)) if request.page > 1 else None,
        "next": link(request.page + 1) if request.page < last else None,
    }


def listing(
    shown: list[dict[str, object]],
    total: int,
    url: str,
    query: Mapping[str, str],
    request: PageRequest,
) -> dict[str, object]:
    """A list response: one page of rendered items and the links to the others."""
    return {"data": shown, "pagination": pagination(url, query, request, total)}
