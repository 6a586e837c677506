"""Human-readable durations: `90s`, `15m`, `1h30m`, `1d`, `2w`, `500ms`."""

import re
from datetime import timedelta
from decimal import Decimal

UNIT_MICROSECONDS: dict[str, int] = {
    "ms": 1_000,
    "s": 1_000_000,
    "m": 60_000_000,
    "h": 3_600_000_000,
    "d": 86_400_000_000,
    "w": 604_800_000_000,
}
# [0-9], not \d: \d also matches Arabic-Indic and other digits.
_NUMBER = r"[0-9]{1,15}(?:\.[0-9]{1,6})?"
_PART = re.compile(rf"({_NUMBER})(ms|s|m|h|d|w)")
_WHOLE = re.compile(rf"(?:{_NUMBER}(?:ms|s|m|h|d|w))+")


class DurationError(ValueError):
    """A duration a person typed that Tocsin cannot read."""


def parse_duration(text: str) -> timedelta:
    """Read `1h30m` and friends. A bare number is refused: `--period 90` could mean 90
    seconds, minutes or days, and guessing seconds made a check that goes down at once."""
    cleaned = text.strip().lower().replace(" ", "")
    if re.fullmatch(_NUMBER, cleaned):
        raise DurationError(
            f"invalid duration {text!r}: a unit is required, like {cleaned}s, {cleaned}m,"
            f" {cleaned}h or {cleaned}d"
        )
    if not _WHOLE.fullmatch(cleaned):
        raise DurationError(
            f"invalid duration {text!r}: use a number with a unit, like 90s, 15m, 1h30m or 1d"
        )
    # Decimal keeps "1.5h" and long sums exact, where floats drift by microseconds.
    parts = _PART.findall(cleaned)
    microseconds = sum(Decimal(value) * UNIT_MICROSECONDS[unit] for value, unit in parts)
    try:
        return timedelta(microseconds=int(microseconds))
    except OverflowError:
        raise DurationError(f"invalid duration {text!r}: too long") from None


def format_duration(duration: timedelta) -> str:
    """The shortest exact spelling: 5400 s is `1h30m`, 0 is `0s`."""
    total_ms = round(duration.total_seconds() * 1000)
    if total_ms == 0:
        return "0s"
    sign, total_ms = ("-", -total_ms) if total_ms < 0 else ("", total_ms)
    parts: list[str] = []
    for unit in ("w", "d", "h", "m", "s", "ms"):
        count, total_ms = divmod(total_ms, UNIT_MICROSECONDS[unit] // 1000)
        if count:
            parts.append(f"{count}{unit}")
    return sign + "".join(parts)
