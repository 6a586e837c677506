"""Signed, expiring tokens for links that work without logging in (acknowledge an
incident from an alert), each valid for one purpose and one object only."""

import base64
import hashlib
import hmac
from datetime import datetime

from tocsin.domain.numbers import whole_number

# The purpose of the link in an alert that acknowledges its incident.
ACK_PURPOSE = "ack"


def sign(secret: str, purpose: str, object_id: int, expires: datetime) -> str:
    expiry = int(expires.timestamp())
    return f"{expiry}.{digest(secret, purpose, object_id, expiry)}"


def verify(secret: str, token: str, purpose: str, object_id: int, now: datetime) -> bool:
    expiry_text, _, signature = token.partition(".")
    expiry = whole_number(expiry_text)
    if expiry is None or expiry < now.timestamp():
        return False
    expected = digest(secret, purpose, object_id, expiry)
    # As bytes: compare_digest raises on a str that is not ASCII, which anyone may send.
    return hmac.compare_digest(signature.encode(), expected.encode())


# A signature cut to 22 characters (132 bits): what fits where space is short, such
# as a Telegram button's callback_data (64 bytes in all).
SHORT = 22


def sign_short(secret: str, purpose: str, object_id: int, expires: datetime) -> str:
    return shorten(sign(secret, purpose, object_id, expires))


def shorten(token: str) -> str:
    """A token of `sign` as `sign_short` makes it: no secret needed to cut it."""
    expiry, _, signature = token.partition(".")
    return f"{expiry}.{signature[:SHORT]}"


def verify_short(secret: str, token: str, purpose: str, object_id: int, now: datetime) -> bool:
    expiry_text, _, signature = token.partition(".")
    expiry = whole_number(expiry_text)
    if expiry is None or expiry < now.timestamp() or len(signature) != SHORT:
        return False
    expected = digest(secret, purpose, object_id, expiry)[:SHORT]
    return hmac.compare_digest(signature.encode(), expected.encode())


def digest(secret: str, purpose: str, object_id: int, expiry: int) -> str:
    payload = f"{purpose}:{object_id}:{expiry}".encode()
    mac = hmac.new(secret.encode(), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()
