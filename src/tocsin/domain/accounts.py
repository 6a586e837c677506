"""The rules about people who use the web app: what their role lets them do, what an
email and a password must be, how a password is checked, how often they may get it
wrong, and the signed tokens of the links that reach them (setup, invitation, reset).
The actions that store accounts are `services.accounts`.

Passwords are hashed with argon2 (argon2-cffi's defaults). Hashing is deliberately
slow, so async callers run it in a thread."""

import re
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from tocsin.domain.signing import sign, verify

MIN_PASSWORD = 8
MAX_PASSWORD = 1000  # argon2 takes any length; this only bounds the work per attempt
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
HASHER = PasswordHasher()


class AccountError(ValueError):
    """Something a person typed that cannot be used, with a message saying why."""


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    VIEWER = "viewer"


def can_change(role: str) -> bool:
    """Viewers look; everyone else may change the project's checks."""
    return role != Role.VIEWER


def can_manage(role: str) -> bool:
    """Owners and admins also change where alerts go and who is in the project."""
    return role in (Role.OWNER, Role.ADMIN)


def normalize_email(text: str) -> str:
    email = text.strip().lower()
    if len(email) > 254 or not EMAIL.fullmatch(email):
        raise AccountError("enter an email address such as ops@example.com")
    return email


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"a password may have at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Compared against when the email is unknown, so a wrong email costs as long as a
# wrong password and the timing does not tell which accounts exist.
DECOY_HASH = hash_password("not anyone's password")


FAILURE_LIMIT = 5
FAILURE_WINDOW = timedelta(minutes=15)


def throttle_wait(failures: list[datetime], now: datetime) -> timedelta | None:
    """How long until someone with these recent failures (oldest first, all within
    FAILURE_WINDOW) may try again, or None. The failures are kept in the database, so
    every process counts them together."""
    if len(failures) < FAILURE_LIMIT:
        return None
    return failures[-FAILURE_LIMIT] + FAILURE_WINDOW - now


SETUP_PURPOSE = "setup"


def setup_token(secret: str, now: datetime, ttl: timedelta) -> str:
    """The token of the one-time setup link: it makes the first administrator, and
    stops working once anybody has an account."""
    return sign(secret, SETUP_PURPOSE, 0, now + ttl)


def is_setup_token(secret: str, token: str, now: datetime) -> bool:
    return verify(secret, token, SETUP_PURPOSE, 0, now)


INVITATION_TTL = timedelta(days=7)
RESET_TTL = timedelta(hours=1)


def invitation_token(
    secret: str, project_id: int, invitation_id: int, email: str, role: str, expires: datetime
) -> str:
    """The token of an invitation link: it lets `email` join the project as `role`,
    while the stored invitation it names is pending."""
    return sign(secret, invitation_purpose(invitation_id, email, role), project_id, expires)


def is_invitation(
    secret: str,
    token: str,
    project_id: int,
    invitation_id: int,
    email: str,
    role: str,
    now: datetime,
) -> bool:
    return role in Role.__members__.values() and verify(
        secret, token, invitation_purpose(invitation_id, email, role), project_id, now
    )


def invitation_purpose(invitation_id: int, email: str, role: str) -> str:
    return f"invite:{invitation_id}:{email}:{role}"


def reset_token(secret: str, user_id: int, password_hash: str, expires: datetime) -> str:
    """The token of a password reset link. It is signed over the current password hash,
    so it stops working once the password has changed: each link works once."""
    return sign(secret, f"reset:{password_hash}", user_id, expires)


def is_reset_token(
    secret: str, token: str, user_id: int, password_hash: str, now: datetime
) -> bool:
    return verify(secret, token, f"reset:{password_hash}", user_id, now)


def can_assign(actor: str, current: str | None, wanted: str | None) -> bool:
    """May someone with role `actor` change a member's role from `current` (None: not
    a member yet) to `wanted` (None: removed)? Owners may do anything; admins may not
    touch owners nor make anyone one."""
    if not can_manage(actor):
        return False
    return actor == Role.OWNER or Role.OWNER not in (current, wanted)
