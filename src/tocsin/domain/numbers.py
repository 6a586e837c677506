"""Whole numbers written in text that people and programs send (form fields, URLs,
headers, tokens). Only ASCII digits count, and only so many of them: str.isdigit()
also accepts '²' and other digits int() refuses, and int() refuses more than 4,300
digits, so `int(text) if text.isdigit()` raised where a bad value should be refused."""

# Enough for any 64-bit number: callers compare the value with their own bounds.
MAX_DIGITS = 20


def ascii_digits(text: str) -> bool:
    """Whether `text` is one or more of 0-9 and nothing else (no sign, no space)."""
    return text.isascii() and text.isdigit()


def whole_number(text: str, *, max_digits: int = MAX_DIGITS) -> int | None:
    """The number `text` writes in at most `max_digits` ASCII digits (leading zeros
    count); None for anything else. `max_digits` must stay below int()'s limit."""
    if len(text) > max_digits or not ascii_digits(text):
        return None
    return int(text)
