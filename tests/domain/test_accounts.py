"""The pure part of accounts: what each role may do, emails and passwords as typed, the
sign-in throttle, and the signed links for setup, invitations and password resets.
(Creating accounts needs a database: tests/web/test_accounts.py.)"""

from datetime import UTC, datetime, timedelta

import pytest

from tocsin.accounts import (
    FAILURE_LIMIT,
    FAILURE_WINDOW,
    AccountError,
    Role,
    can_assign,
    can_change,
    can_manage,
    invitation_token,
    is_invitation,
    is_reset_token,
    is_setup_token,
    normalize_email,
    password_matches,
    reset_token,
    setup_token,
    throttle_wait,
    validate_password,
)

SECRET = "instance-secret"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OWNER, ADMIN, MEMBER, VIEWER = Role.OWNER, Role.ADMIN, Role.MEMBER, Role.VIEWER


@pytest.mark.parametrize(
    ("role", "changes", "manages"),
    [(OWNER, True, True), (ADMIN, True, True), (MEMBER, True, False), (VIEWER, False, False)],
)
def test_what_each_role_may_do(role: Role, changes: bool, manages: bool) -> None:
    assert can_change(role) is changes
    assert can_manage(role) is manages


@pytest.mark.parametrize(
    ("actor", "current", "wanted", "allowed"),
    [
        (OWNER, None, OWNER, True),
        (OWNER, OWNER, None, True),
        (OWNER, ADMIN, OWNER, True),
        (ADMIN, None, MEMBER, True),
        (ADMIN, MEMBER, ADMIN, True),
        (ADMIN, ADMIN, None, True),
        (ADMIN, None, OWNER, False),
        (ADMIN, MEMBER, OWNER, False),
        (ADMIN, OWNER, MEMBER, False),
        (ADMIN, OWNER, None, False),
        (MEMBER, None, VIEWER, False),
        (VIEWER, VIEWER, None, False),
    ],
)
def test_owners_assign_any_role_and_admins_any_but_owner(
    actor: Role, current: Role | None, wanted: Role | None, allowed: bool
) -> None:
    assert can_assign(actor, current, wanted) is allowed


@pytest.mark.parametrize(
    ("typed", "email"),
    [("Ops@Example.COM", "ops@example.com"), ("  ops@example.com \n", "ops@example.com")],
)
def test_an_email_is_kept_trimmed_and_in_lower_case(typed: str, email: str) -> None:
    assert normalize_email(typed) == email


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ops",
        "ops@example",
        "@example.com",
        "ops@@example.com",
        "o ps@example.com",
        "ops@" + "e" * 250 + ".com",
    ],
)
def test_something_that_is_not_an_email_address_is_refused(typed: str) -> None:
    with pytest.raises(AccountError, match=r"^enter an email address such as ops@example\.com$"):
        normalize_email(typed)


def test_a_password_has_8_to_1000_characters() -> None:
    assert validate_password("8 chars!") == "8 chars!"
    assert validate_password("p" * 1000) == "p" * 1000
    with pytest.raises(AccountError, match=r"^a password needs at least 8 characters$"):
        validate_password("7 chars")
    with pytest.raises(AccountError, match=r"^a password may have at most 1000 characters$"):
        validate_password("p" * 1001)


def test_a_stored_value_that_is_no_hash_matches_no_password() -> None:
    # Hashing itself is slow on purpose; signing in covers it (tests/web/test_accounts.py).
    assert not password_matches("not a hash", "correct horse")
    assert not password_matches("", "")


# The sign-in throttle


def failures(*minutes_ago: float) -> list[datetime]:
    return [NOW - timedelta(minutes=m) for m in minutes_ago]


def test_fewer_failures_than_the_limit_let_someone_try_again_at_once() -> None:
    assert throttle_wait(failures(*range(FAILURE_LIMIT - 1, 0, -1)), NOW) is None


def test_at_the_limit_the_wait_runs_until_the_oldest_counted_failure_leaves_the_window() -> None:
    assert FAILURE_LIMIT == 5
    recent = failures(10, 8, 6, 4, 2)
    assert throttle_wait(recent, NOW) == FAILURE_WINDOW - timedelta(minutes=10)
    # Only the last FAILURE_LIMIT failures count.
    assert throttle_wait(failures(14, *[10, 8, 6, 4, 2]), NOW) == timedelta(minutes=5)


# Signed links


def test_the_setup_link_works_until_it_expires() -> None:
    token = setup_token(SECRET, NOW, timedelta(hours=1))
    assert is_setup_token(SECRET, token, NOW + timedelta(minutes=59))
    assert not is_setup_token(SECRET, token, NOW + timedelta(hours=1, seconds=1))
    assert not is_setup_token("another secret", token, NOW)


def test_an_invitation_is_for_its_project_invitation_email_and_role_only() -> None:
    token = invitation_token(SECRET, 3, 17, "ops@example.com", "admin", NOW + timedelta(days=7))
    assert is_invitation(SECRET, token, 3, 17, "ops@example.com", "admin", NOW)
    assert not is_invitation(SECRET, token, 4, 17, "ops@example.com", "admin", NOW)
    assert not is_invitation(SECRET, token, 3, 18, "ops@example.com", "admin", NOW)
    assert not is_invitation(SECRET, token, 3, 17, "dev@example.com", "admin", NOW)
    assert not is_invitation(SECRET, token, 3, 17, "ops@example.com", "owner", NOW)
    assert not is_invitation(SECRET, token, 3, 17, "ops@example.com", "admin", NOW + timedelta(8))


def test_an_invitation_to_a_role_that_does_not_exist_is_refused_even_if_signed() -> None:
    token = invitation_token(SECRET, 3, 17, "ops@example.com", "root", NOW + timedelta(days=7))
    assert not is_invitation(SECRET, token, 3, 17, "ops@example.com", "root", NOW)


def test_a_reset_link_stops_working_once_the_password_has_changed() -> None:
    token = reset_token(SECRET, 9, "$argon2id$old", NOW + timedelta(hours=1))
    assert is_reset_token(SECRET, token, 9, "$argon2id$old", NOW)
    assert not is_reset_token(SECRET, token, 9, "$argon2id$new", NOW)
    assert not is_reset_token(SECRET, token, 10, "$argon2id$old", NOW)
