"""An iCalendar (RFC 5545) feed of on-call shifts, for people's own calendar apps.

Only what a feed needs: one VEVENT per shift, times in UTC, text escaped, lines ended
with CRLF and folded at 75 octets (never inside a UTF-8 character).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

PRODUCT = "-//Tocsin//On-call calendar//EN"
LINE_OCTETS = 75


@dataclass(frozen=True, slots=True)
class FeedShift:
    """A shift as the feed shows it: who (their email), from when to when."""

    email: str
    start: datetime
    end: datetime
    override: bool = False


def feed(calendar_id: int, name: str, shifts: Iterable[FeedShift], stamp: datetime) -> str:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODUCT}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{escape(name)}",
    ]
    for shift in shifts:
        lines.extend(event(calendar_id, shift, stamp))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def event(calendar_id: int, shift: FeedShift, stamp: datetime) -> list[str]:
    summary = f"On call: {shift.email}" + (" (override)" if shift.override else "")
    return [
        "BEGIN:VEVENT",
        f"UID:{uid(calendar_id, shift)}",
        f"DTSTAMP:{utc(stamp)}",
        f"DTSTART:{utc(shift.start)}",
        f"DTEND:{utc(shift.end)}",
        f"SUMMARY:{escape(summary)}",
        "TRANSP:TRANSPARENT",
        "END:VEVENT",
    ]


def uid(calendar_id: int, shift: FeedShift) -> str:
    """The same shift keeps its UID from one fetch of the feed to the next."""
    return f"oncall-{calendar_id}-{utc(shift.start)}-{utc(shift.end)}-{escape(shift.email)}@tocsin"


def utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def escape(text: str) -> str:
    """TEXT values: backslash, semicolon and comma escaped, newlines as \\n."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")


def fold(line: str) -> str:
    """Lines longer than 75 octets continue on lines starting with a space."""
    pieces: list[str] = []
    current, size, limit = "", 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode())
        if size + octets > limit:
            pieces.append(current)
            current, size, limit = "", 0, LINE_OCTETS - 1
        current += char
        size += octets
    pieces.append(current)
    return "\r\n ".join(pieces)
