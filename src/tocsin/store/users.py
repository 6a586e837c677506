"""Users, their memberships of projects, and their web sessions.

Synchronous, over a SQLAlchemy `Connection` (async callers use `run_sync`)."""

import secrets
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from tocsin.domain.records import Membership, PendingInvitation, User, WebSession
from tocsin.store.keys import hash_key
from tocsin.store.tables import (
    ADDRESS_LENGTH,
    EMAIL_LENGTH,
    invitations,
    login_failures,
    memberships,
    projects,
    users,
    web_sessions,
)

USER_COLUMNS = (users.c.id, users.c.email, users.c.is_admin, users.c.created)


def user_from_row(row: sa.Row[Any]) -> User:
    return User(row.id, row.email, row.is_admin, row.created)


def count_users(connection: sa.Connection) -> int:
    return int(connection.scalar(sa.select(sa.func.count()).select_from(users)) or 0)


def insert_user(
    connection: sa.Connection, email: str, password_hash: str, is_admin: bool, now: datetime
) -> int:
    values = {"email": email, "password_hash": password_hash, "is_admin": is_admin, "created": now}
    return int(connection.execute(users.insert().values(values).returning(users.c.id)).scalar_one())


def user_by_email(connection: sa.Connection, email: str) -> tuple[User, str] | None:
    """The user with this (lower-cased) email and their password hash."""
    query: sa.Select[Any] = sa.select(*USER_COLUMNS, users.c.password_hash).where(
        users.c.email == email
    )
    row = connection.execute(query).first()
    return None if row is None else (user_from_row(row), row.password_hash)


def password_hash_of(connection: sa.Connection, user_id: int) -> str:
    query = sa.select(users.c.password_hash).where(users.c.id == user_id)
    return str(connection.execute(query).scalar_one())


def set_password_hash(connection: sa.Connection, user_id: int, password_hash: str) -> None:
    statement = users.update().where(users.c.id == user_id).values(password_hash=password_hash)
    connection.execute(statement)


def add_membership(connection: sa.Connection, user_id: int, project_id: int, role: str) -> None:
    values = {"user_id": user_id, "project_id": project_id, "role": role}
    connection.execute(memberships.insert().values(values))


def memberships_of(connection: sa.Connection, user_id: int) -> list[Membership]:
    query = (
        sa.select(memberships.c.project_id, projects.c.name, memberships.c.role)
        .join(projects, projects.c.id == memberships.c.project_id)
        .where(memberships.c.user_id == user_id)
        .order_by(projects.c.name, projects.c.id)
    )
    return [Membership(*row) for row in connection.execute(query)]


def membership(connection: sa.Connection, user_id: int, project_id: int) -> Membership | None:
    found = [m for m in memberships_of(connection, user_id) if m.project_id == project_id]
    return found[0] if found else None


def create_session(connection: sa.Connection, user_id: int, now: datetime, ttl: timedelta) -> str:
    """A new session; the token returned goes in the cookie and is kept only hashed."""
    token = secrets.token_urlsafe(32)
    values = {
        "token_hash": hash_key(token),
        "user_id": user_id,
        "csrf_token": secrets.token_urlsafe(32),
        "created": now,
        "expires": now + ttl,
    }
    # Sign-ins are rare: a good moment to forget sessions that ran out.
    connection.execute(web_sessions.delete().where(web_sessions.c.expires <= now))
    connection.execute(web_sessions.insert().values(values))
    return token


def live_session(connection: sa.Connection, token: str, now: datetime) -> WebSession | None:
    query: sa.Select[Any] = (
        sa.select(*USER_COLUMNS, web_sessions.c.id.label("session_id"), web_sessions.c.csrf_token)
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.token_hash == hash_key(token), web_sessions.c.expires > now)
    )
    row = connection.execute(query).first()
    return None if row is None else WebSession(row.session_id, user_from_row(row), row.csrf_token)


def delete_session(connection: sa.Connection, session_id: int) -> None:
    connection.execute(web_sessions.delete().where(web_sessions.c.id == session_id))


def delete_other_sessions(connection: sa.Connection, user_id: int, keep_id: int) -> None:
    condition = (web_sessions.c.user_id == user_id) & (web_sessions.c.id != keep_id)
    connection.execute(web_sessions.delete().where(condition))


def user_by_id(connection: sa.Connection, user_id: int) -> tuple[User, str] | None:
    query: sa.Select[Any] = sa.select(*USER_COLUMNS, users.c.password_hash).where(
        users.c.id == user_id
    )
    row = connection.execute(query).first()
    return None if row is None else (user_from_row(row), row.password_hash)


def project_members(connection: sa.Connection, project_id: int) -> list[tuple[User, str]]:
    """The project's members and their roles, by email."""
    query: sa.Select[Any] = (
        sa.select(*USER_COLUMNS, memberships.c.role)
        .join(memberships, memberships.c.user_id == users.c.id)
        .where(memberships.c.project_id == project_id)
        .order_by(users.c.email)
    )
    return [(user_from_row(row), row.role) for row in connection.execute(query)]


def set_role(connection: sa.Connection, user_id: int, project_id: int, role: str) -> None:
    condition = (memberships.c.user_id == user_id) & (memberships.c.project_id == project_id)
    connection.execute(memberships.update().where(condition).values(role=role))


def remove_membership(connection: sa.Connection, user_id: int, project_id: int) -> None:
    condition = (memberships.c.user_id == user_id) & (memberships.c.project_id == project_id)
    connection.execute(memberships.delete().where(condition))


def delete_sessions(connection: sa.Connection, user_id: int) -> None:
    connection.execute(web_sessions.delete().where(web_sessions.c.user_id == user_id))


def insert_invitation(
    connection: sa.Connection,
    project_id: int,
    email: str,
    role: str,
    invited_by: str,
    now: datetime,
    ttl: timedelta,
) -> PendingInvitation:
    invitation = PendingInvitation(0, project_id, email, role, invited_by, now, now + ttl)
    values = {column.name: getattr(invitation, column.name) for column in PENDING_COLUMNS[1:]}
    invitation_id = connection.execute(
        sa.insert(invitations).values(values).returning(invitations.c.id)
    ).scalar_one()
    return replace(invitation, id=invitation_id)


def pending_condition(now: datetime) -> sa.ColumnElement[bool]:
    return (
        invitations.c.accepted.is_(None)
        & invitations.c.revoked.is_(None)
        & (invitations.c.expires > now)
    )


def pending_invitations(
    connection: sa.Connection, project_id: int, now: datetime
) -> list[PendingInvitation]:
    query = (
        sa.select(*PENDING_COLUMNS)
        .where(invitations.c.project_id == project_id, pending_condition(now))
        .order_by(invitations.c.created, invitations.c.id)
    )
    return [PendingInvitation(*row) for row in connection.execute(query)]


def pending_invitation(
    connection: sa.Connection, invitation_id: int, now: datetime
) -> PendingInvitation | None:
    """The invitation, if it can still be used."""
    query = sa.select(*PENDING_COLUMNS).where(
        invitations.c.id == invitation_id, pending_condition(now)
    )
    row = connection.execute(query).one_or_none()
    return None if row is None else PendingInvitation(*row)


def close_invitation(
    connection: sa.Connection, invitation_id: int, now: datetime, *, accepted: bool
) -> bool:
    """Mark a pending invitation accepted or revoked; False if it was no longer pending
    (so of two people using one link at once, only one gets in)."""
    column = "accepted" if accepted else "revoked"
    result = connection.execute(
        sa.update(invitations)
        .where(invitations.c.id == invitation_id, pending_condition(now))
        .values({column: now})
    )
    return result.rowcount == 1


PENDING_COLUMNS = (
    invitations.c.id,
    invitations.c.project_id,
    invitations.c.email,
    invitations.c.role,
    invitations.c.invited_by,
    invitations.c.created,
    invitations.c.expires,
)


def failure_key(email: str, address: str) -> tuple[str, str]:
    """The email and address as the failure rows keep them: longer ones are counted
    under their first part."""
    return email[:EMAIL_LENGTH], address[:ADDRESS_LENGTH]


def login_failures_since(
    connection: sa.Connection, email: str, address: str, since: datetime
) -> list[datetime]:
    """When this email failed to sign in from this address since `since`, oldest first."""
    query = (
        sa.select(login_failures.c.at)
        .where(
            login_failures.c.email == email,
            login_failures.c.address == address,
            login_failures.c.at > since,
        )
        .order_by(login_failures.c.at)
    )
    return list(connection.execute(query).scalars())


def record_login_failure(
    connection: sa.Connection, email: str, address: str, now: datetime, forget_before: datetime
) -> None:
    """Count a failure, and forget everybody's failures too old to matter."""
    connection.execute(sa.delete(login_failures).where(login_failures.c.at <= forget_before))
    connection.execute(sa.insert(login_failures).values(email=email, address=address, at=now))


def clear_login_failures(connection: sa.Connection, email: str, address: str) -> None:
    connection.execute(
        sa.delete(login_failures).where(
            login_failures.c.email == email, login_failures.c.address == address
        )
    )
