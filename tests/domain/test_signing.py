"""Signed, expiring tokens for links that work without signing in: each good for one
purpose and one object, until it expires."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.signing import SHORT, shorten, sign, sign_short, verify, verify_short

SECRET = "instance-secret"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)
TOKEN = sign(SECRET, "ack", 42, LATER)


def test_a_token_is_its_expiry_and_a_url_safe_signature() -> None:
    expiry, signature = TOKEN.split(".")
    assert int(expiry) == int(LATER.timestamp())
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", signature)  # 256 bits, unpadded base64


def test_a_token_is_good_for_its_purpose_and_object_until_it_expires() -> None:
    assert verify(SECRET, TOKEN, "ack", 42, NOW)
    assert verify(SECRET, TOKEN, "ack", 42, LATER)  # to the second it names
    assert not verify(SECRET, TOKEN, "ack", 42, LATER + timedelta(seconds=1))


@pytest.mark.parametrize(
    ("secret", "purpose", "object_id"),
    [("another secret", "ack", 42), (SECRET, "setup", 42), (SECRET, "ack", 43)],
)
def test_a_token_is_good_for_nothing_else(secret: str, purpose: str, object_id: int) -> None:
    assert not verify(secret, TOKEN, purpose, object_id, NOW)


def test_a_later_expiry_cannot_be_written_into_a_token() -> None:
    _expiry, signature = TOKEN.split(".")
    forged = f"{int(LATER.timestamp()) + 86_400}.{signature}"
    assert not verify(SECRET, forged, "ack", 42, LATER + timedelta(seconds=1))
    assert not verify(SECRET, forged, "ack", 42, NOW)


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        "abc",
        "123",
        f"{int(LATER.timestamp())}.",
        "-1.abc",
        " 1.abc",
        "1e12.abc",
        TOKEN[:-1],
    ],
)
def test_a_malformed_token_is_refused(token: str) -> None:
    assert not verify(SECRET, token, "ack", 42, NOW)


@pytest.mark.parametrize("expiry", ["²", "9" * 5000])
def test_an_expiry_that_only_looks_like_digits_is_refused(expiry: str) -> None:
    assert not verify(SECRET, f"{expiry}.abc", "ack", 42, NOW)


@given(st.text(st.characters(codec="ascii"), max_size=60))
def test_no_ascii_text_but_a_signed_token_verifies(token: str) -> None:
    assert verify(SECRET, token, "ack", 42, NOW) == (token == TOKEN)


@given(st.text(max_size=60))
def test_any_text_at_all_is_refused_rather_than_raising(token: str) -> None:
    assert not verify(SECRET, f"{int(LATER.timestamp())}.{token}", "ack", 42, NOW)
    assert not verify_short(SECRET, f"{int(LATER.timestamp())}.{token}", "ack", 42, NOW)


def test_a_short_token_is_the_long_one_cut_and_as_particular() -> None:
    short = sign_short(SECRET, "ack", 42, LATER)
    assert short == shorten(TOKEN)
    assert len(short.split(".")[1]) == SHORT
    assert verify_short(SECRET, short, "ack", 42, NOW)
    assert not verify_short(SECRET, short, "ack", 43, NOW)
    assert not verify_short(SECRET, short, "ack", 42, LATER + timedelta(seconds=1))
    assert not verify_short(SECRET, TOKEN, "ack", 42, NOW)  # only the short form
    assert not verify_short(SECRET, short[:-1], "ack", 42, NOW)
    assert not verify(SECRET, short, "ack", 42, NOW)  # and the link only the long one
