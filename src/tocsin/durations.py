"""Human-readable durations: `90s`, `15m`, `1h30m`, `1d`, `2w`, `500ms`."""

import re
from datetime import timedelta

UNIT_SECONDS: dict[str, float] = {
    "ms": 0.001,
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86400,
    "w": 604800,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")


class DurationError(ValueError):
    """A duration a person typed that Tocsin cannot read."""


def parse_duration(text: str) -> timedelta:
    """Read `1h30m` and friends; a bare number means seconds."""
    cleaned = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        return timedelta(seconds=float(cleaned))
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        raise DurationError(
            f"invalid duration {text!r}: use a number with a unit, like 90s, 15m, 1h30m or 1d"
        )
    seconds = sum(float(value) * UNIT_SECONDS[unit] for value, unit in _PART.findall(cleaned))
    return timedelta(seconds=seconds)


def format_duration(duration: timedelta) -> str:
    """The shortest exact spelling: 5400 s is `1h30m`, 0 is `0s`."""
    total_ms = round(duration.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    sign, total_ms = ("-", -total_ms) if total_ms < 0 else ("", total_ms)
    parts: list[str] = []
    for unit in ("w", "d", "h", "m", "s", "ms"):
        unit_ms = round(UNIT_SECONDS[unit] * 1000)
        count, total_ms = divmod(total_ms, unit_ms)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
