"""Where Tocsin gets the time from, so tests can hand it a clock they control."""

from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """The real clock: aware UTC datetimes."""

    def now(self) -> datetime:
        return datetime.now(UTC)
