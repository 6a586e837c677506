"""Reading and writing the durations people type: `90s`, `15m`, `1h30m`, `1d`, `2w`, `500ms`."""

import re
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.durations import DurationError, format_duration, parse_duration

FORMATTED_PART = re.compile(r"(\d+)(ms|w|d|h|m|s)")
UNIT_ORDER = ["w", "d", "h", "m", "s", "ms"]
UNIT_LIMIT = {"d": 7, "h": 24, "m": 60, "s": 60, "ms": 1000}
# About 31 years; no period or grace comes anywhere near that.
LONGEST_EXACT_MS = 10**12


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d", timedelta(days=1)),
        ("2w", timedelta(weeks=2)),
        ("500ms", timedelta(milliseconds=500)),
        (
            "1w2d3h4m5s6ms",
            timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5, milliseconds=6),
        ),
        ("1.5h", timedelta(minutes=90)),
        ("0.25s", timedelta(milliseconds=250)),
        ("0s", timedelta(0)),
        ("1m1ms", timedelta(minutes=1, milliseconds=1)),
    ],
)
def test_it_reads_a_number_with_a_unit(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["90", "0", "2.5", " 3600 "])
def test_it_refuses_a_bare_number_naming_the_units_it_could_mean(text: str) -> None:
    number = text.strip()
    with pytest.raises(DurationError, match="a unit is required") as refused:
        parse_duration(text)
    assert f"{number}s, {number}m, {number}h or {number}d" in str(refused.value)


@pytest.mark.parametrize("text", ["1H30M", " 1h 30m ", "1h30m\n", "\t1h30m", "1 h 3 0 m", "1h30M"])
def test_it_ignores_case_and_spaces(text: str) -> None:
    assert parse_duration(text) == timedelta(hours=1, minutes=30)


def test_it_reads_milliseconds_in_upper_case() -> None:
    assert parse_duration("500MS") == timedelta(milliseconds=500)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "5x",
        "5 sec",
        "h",
        "ms",
        "-5s",
        "+5s",
        "-5",
        "1e3",
        "1e3s",
        "1h30",
        ".5s",
        "5.s",
        "1,5h",
        "1.2.3s",
        "1h\t30m",
        "1_000s",
        "5y",
        "1mo",
        "nan",
        "inf",
        "PT5M",
    ],
)
def test_it_rejects_bad_input_with_a_message_that_shows_the_input(text: str) -> None:
    with pytest.raises(DurationError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert message.startswith(f"invalid duration {text!r}:")
    assert "like 90s, 15m, 1h30m or 1d" in message


def test_a_duration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration("soon")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("1000000000w", id="a billion weeks"),
        pytest.param("9" * 400, id="400 nines"),
        pytest.param("9" * 400 + "s", id="400 nines with a unit"),
    ],
)
def test_it_rejects_a_duration_too_long_to_represent_with_a_duration_error(text: str) -> None:
    with pytest.raises(DurationError, match="invalid duration"):
        parse_duration(text)


def test_it_reads_a_long_duration_exactly() -> None:
    expected = timedelta(weeks=16534, days=2, hours=17, minutes=46, seconds=40, milliseconds=1)
    assert parse_duration("16534w2d17h46m40s1ms") == expected


@pytest.mark.parametrize(
    ("duration", "expected"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=90), "1m30s"),
        (timedelta(minutes=15), "15m"),
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(days=1), "1d"),
        (timedelta(days=7), "1w"),
        (timedelta(days=15), "2w1d"),
        (timedelta(milliseconds=500), "500ms"),
        (timedelta(seconds=1, milliseconds=500), "1s500ms"),
        (timedelta(days=365), "52w1d"),
        (
            timedelta(weeks=1, days=2, hours=3, minutes=4, seconds=5, milliseconds=6),
            "1w2d3h4m5s6ms",
        ),
        (timedelta(seconds=-90), "-1m30s"),
    ],
)
def test_it_writes_the_shortest_exact_spelling(duration: timedelta, expected: str) -> None:
    assert format_duration(duration) == expected


def test_it_rounds_to_whole_milliseconds_when_writing() -> None:
    assert format_duration(timedelta(microseconds=1_600)) == "2ms"


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=LONGEST_EXACT_MS))
def test_formatting_then_parsing_gives_back_the_same_duration(milliseconds: int) -> None:
    duration = timedelta(milliseconds=milliseconds)
    assert parse_duration(format_duration(duration)) == duration


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=LONGEST_EXACT_MS))
def test_formatting_uses_each_unit_once_from_largest_to_smallest(milliseconds: int) -> None:
    text = format_duration(timedelta(milliseconds=milliseconds))
    parts = FORMATTED_PART.findall(text)
    assert "".join(count + unit for count, unit in parts) == text
    positions = [UNIT_ORDER.index(unit) for _, unit in parts]
    assert positions == sorted(set(positions))
    for count, unit in parts:
        assert 1 <= int(count) < UNIT_LIMIT.get(unit, milliseconds + 1)
