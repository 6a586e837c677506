"""Whole numbers read from text people and programs send."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.numbers import MAX_DIGITS, ascii_digits, whole_number


@pytest.mark.parametrize(
    ("text", "number"), [("0", 0), ("7", 7), ("0042", 42), ("9" * 20, 10**20 - 1)]
)
def test_ascii_digits_are_read_as_the_number_they_write(text: str, number: int) -> None:
    assert whole_number(text) == number


@pytest.mark.parametrize(
    "text", ["", " 1", "1 ", "+1", "-1", "1.0", "1_000", "1e3", "²", "١٢", "\U0001d7d7", "0x10"]
)
def test_anything_but_ascii_digits_is_no_number(text: str) -> None:
    assert whole_number(text) is None
    assert not ascii_digits(text)


def test_more_digits_than_allowed_is_no_number() -> None:
    assert whole_number("1" * (MAX_DIGITS + 1)) is None
    assert whole_number("123", max_digits=2) is None
    assert whole_number("12", max_digits=2) == 12


def test_more_digits_than_int_reads_is_no_number_not_an_error() -> None:
    assert whole_number("9" * 5000) is None
    assert ascii_digits("9" * 5000)


@given(st.text(max_size=30))
def test_any_text_is_a_number_or_none_and_never_an_error(text: str) -> None:
    number = whole_number(text)
    assert number is None or str(number) == text.lstrip("0").rjust(1, "0")


@given(st.integers(0, 10**MAX_DIGITS - 1))
def test_every_number_written_out_reads_back(number: int) -> None:
    assert whole_number(str(number)) == number
