"""What people do with their accounts: make one (the first administrator, a sign-up, an
invitation taken), sign in and out, change or reset a password, invite others and
change who is in a project. The rules they follow are `domain.accounts`.

Passwords arrive in plain text and leave as argon2 hashes, computed in a thread (it is
deliberately slow) before the transaction opens, so no write waits on a hash."""

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

import sqlalchemy as sa

from tocsin.alerts.notifier import live_outbound
from tocsin.domain.accounts import (
    DECOY_HASH,
    FAILURE_WINDOW,
    INVITATION_TTL,
    RESET_TTL,
    AccountError,
    Role,
    can_assign,
    hash_password,
    invitation_token,
    is_reset_token,
    normalize_email,
    password_matches,
    reset_token,
    throttle_wait,
    validate_password,
)
from tocsin.domain.records import Membership, PendingInvitation
from tocsin.notify.base import DeliveryError
from tocsin.notify.http import http_client
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotAllowedError, NotFoundError
from tocsin.services.oncall import take_out_of_calendars
from tocsin.store import users as user_store
from tocsin.store.projects import default_project, insert_project

log = logging.getLogger(__name__)

ACCOUNT_EXISTS = "an account with this email exists already"
USED_OR_REVOKED = "the invitation has been used already, or it was revoked"
RESET_LINK_UNUSABLE = "the reset link has expired, or it was used already"


def valid_email(email: str) -> str:
    try:
        return normalize_email(email)
    except AccountError as error:
        raise InvalidError("email", str(error)) from None


async def new_password_hash(password: str, field: str = "password") -> str:
    """The hash of an acceptable password; `InvalidError` in `field` otherwise."""
    try:
        validate_password(password)
    except AccountError as error:
        raise InvalidError(field, str(error)) from None
    return await asyncio.to_thread(hash_password, password)


def insert_account(
    connection: sa.Connection, email: str, password_hash: str, is_admin: bool, now: datetime
) -> int:
    """A user who owns a project: the first project for an administrator, a new one of
    their own for someone who signs up."""
    if user_store.user_by_email(connection, email) is not None:
        raise ConflictError(ACCOUNT_EXISTS)
    user_id = user_store.insert_user(connection, email, password_hash, is_admin, now)
    project_id = (
        default_project(connection, now) if is_admin else insert_project(connection, email, now)
    )
    user_store.add_membership(connection, user_id, project_id, Role.OWNER)
    return user_id


async def create_account(context: Context, email: str, password: str, *, is_admin: bool) -> int:
    """An account that owns a project (the setup page's administrator, a sign-up); its
    user id. `InvalidError` names the email or the password; `ConflictError` if the
    email has an account already."""
    normalized = valid_email(email)
    password_hash = await new_password_hash(password)
    now = context.clock.now()
    async with context.database.write() as connection:
        return await connection.run_sync(
            lambda sync: insert_account(sync, normalized, password_hash, is_admin, now)
        )


async def create_first_admin(context: Context, email: str, password: str) -> bool:
    """The first administrator, if nobody has an account yet; False when somebody has.
    The email and password are checked (`InvalidError`) either way."""
    normalized = valid_email(email)
    password_hash = await new_password_hash(password)
    now = context.clock.now()

    def work(connection: sa.Connection) -> bool:
        if user_store.count_users(connection) > 0:
            return False
        insert_account(connection, normalized, password_hash, True, now)
        return True

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def start_session(context: Context, user_id: int) -> str:
    """A new session of the user's; its token, for the cookie (only its hash is kept)."""
    now, ttl = context.clock.now(), context.settings.session_ttl
    async with context.database.write() as connection:
        return await connection.run_sync(user_store.create_session, user_id, now, ttl)


async def sign_out(context: Context, session_id: int) -> None:
    async with context.database.write() as connection:
        await connection.run_sync(user_store.delete_session, session_id)


@dataclass(frozen=True, slots=True)
class SignIn:
    """How a sign-in went: a session's token, or how long to wait before trying again
    (too many failures), or neither (wrong email or password)."""

    token: str | None = None
    wait: timedelta | None = None


async def sign_in(context: Context, email: str, password: str, address: str) -> SignIn:
    """Check the password, counting failures by email and address so that guessing is
    throttled across processes, and open a session when it matches."""
    key = user_store.failure_key(email.lower(), address)
    now = context.clock.now()
    async with context.database.read() as connection:
        failures = await connection.run_sync(
            user_store.login_failures_since, *key, now - FAILURE_WINDOW
        )
    wait = throttle_wait(failures, now)
    if wait is not None:
        return SignIn(wait=wait)
    user_id = await password_owner(context, email.lower(), password)
    if user_id is None:
        async with context.database.write() as connection:
            await connection.run_sync(
                user_store.record_login_failure, *key, now, now - FAILURE_WINDOW
            )
        return SignIn()
    if failures:
        async with context.database.write() as connection:
            await connection.run_sync(user_store.clear_login_failures, *key)
    return SignIn(token=await start_session(context, user_id))


async def password_owner(context: Context, email: str, password: str) -> int | None:
    """The user whose email and password these are. An unknown email costs the same
    hash as a known one, so the time taken does not tell which accounts exist."""
    async with context.database.read() as connection:
        found = await connection.run_sync(user_store.user_by_email, email)
    stored = found[1] if found else DECOY_HASH
    matches = await asyncio.to_thread(password_matches, stored, password)
    return found[0].id if found and matches else None


async def change_password(
    context: Context,
    user_id: int,
    session_id: int,
    current: str,
    new: str,
    confirmation: str,
) -> None:
    """A new password, given the current one; the user is signed out everywhere but in
    `session_id`. `InvalidError` names the first field at fault."""
    async with context.database.read() as connection:
        stored = await connection.run_sync(user_store.password_hash_of, user_id)
    if not await asyncio.to_thread(password_matches, stored, current):
        raise InvalidError("current_password", "This is not your current password.")
    try:
        validate_password(new)
    except AccountError as error:
        raise InvalidError("new_password", str(error)) from None
    if new != confirmation:
        raise InvalidError("confirm_password", "The two new passwords differ.")
    new_hash = await asyncio.to_thread(hash_password, new)

    def work(connection: sa.Connection) -> None:
        user_store.set_password_hash(connection, user_id, new_hash)
        # Whoever knew the old password is signed out everywhere else.
        user_store.delete_other_sessions(connection, user_id, session_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


async def send_mail(context: Context, to: str, subject: str, text: str) -> str:
    """Send a plain message through the alerts' SMTP settings; "" when it went, else
    why not (no SMTP server, say)."""
    settings = context.settings
    if not settings.smtp_host:
        return "email is not set up (TOCSIN_SMTP_HOST is empty)"
    async with http_client() as client:
        try:
            await live_outbound(settings, client).send_email([to], subject, text, "")
        except DeliveryError as error:
            log.warning("could not email %s: %s", to, error)
            return str(error)
    return ""


async def send_reset_link(context: Context, email: str) -> None:
    """Email a password reset link to `email` if it has an account; nothing otherwise
    (the caller says the same either way, so as not to tell who has an account)."""
    async with context.database.read() as connection:
        found = await connection.run_sync(user_store.user_by_email, email)
    if found is None:
        return
    user, password_hash = found
    expires = context.clock.now() + RESET_TTL
    token = reset_token(context.secret, user.id, password_hash, expires)
    link = f"{context.settings.base_url}/password/reset?user={user.id}&token={token}"
    text = (
        f"Someone, probably you, asked to reset the password of {email} on Tocsin.\n\n"
        f"Choose a new one here, within an hour:\n{link}\n\n"
        "If it was not you, ignore this email: your password stays as it is."
    )
    await send_mail(context, email, "Reset your Tocsin password", text)


def reset_link_works(connection: sa.Connection, context: Context, user_id: int, token: str) -> bool:
    """Whether `token` resets this user's password now: it is signed over the current
    password hash, so each link works once."""
    found = user_store.user_by_id(connection, user_id)
    return found is not None and is_reset_token(
        context.secret, token, user_id, found[1], context.clock.now()
    )


async def reset_password(context: Context, user_id: int, token: str, password: str) -> None:
    """A new password through a reset link; every session of the user ends.
    `NotFoundError` if the link does not work, `InvalidError` for the password."""
    async with context.database.read() as connection:
        works = await connection.run_sync(reset_link_works, context, user_id, token)
    if not works:
        raise NotFoundError(RESET_LINK_UNUSABLE)
    password_hash = await new_password_hash(password)

    def work(connection: sa.Connection) -> None:
        # Again, under the write lock: of two uses of one link, only the first works.
        if not reset_link_works(connection, context, user_id, token):
            raise NotFoundError(RESET_LINK_UNUSABLE)
        user_store.set_password_hash(connection, user_id, password_hash)
        user_store.delete_sessions(connection, user_id)

    async with context.database.write() as connection:
        await connection.run_sync(work)


def invitation_link(context: Context, invitation: PendingInvitation) -> str:
    """The signed link that lets the invited person join, while the invitation is pending."""
    token = invitation_token(
        context.secret,
        invitation.project_id,
        invitation.id,
        invitation.email,
        invitation.role,
        invitation.expires,
    )
    query = urlencode(
        {
            "project": invitation.project_id,
            "invitation": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "token": token,
        }
    )
    return f"{context.settings.base_url}/invite?{query}"


@dataclass(frozen=True, slots=True)
class Invited:
    """An invitation made: its link, and why it could not be emailed ("" if it was)."""

    invitation: PendingInvitation
    link: str
    mail_problem: str


async def invite(
    context: Context, inviter: Membership, invited_by: str, email: str, role: str
) -> Invited:
    """Invite `email` to the inviter's project as `role`, and email them the link.
    `InvalidError` names the email, or a role the inviter may not give."""
    email = valid_email(email)
    if role not in Role.__members__.values() or not can_assign(inviter.role, None, role):
        raise InvalidError("role", "choose a role you may give")
    now = context.clock.now()
    async with context.database.write() as connection:
        invitation = await connection.run_sync(
            user_store.insert_invitation,
            inviter.project_id,
            email,
            role,
            invited_by,
            now,
            INVITATION_TTL,
        )
    link = invitation_link(context, invitation)
    text = (
        f"You are invited to join {inviter.project_name} on Tocsin as {role}.\n\n"
        f"Open this link within 7 days to join:\n{link}\n"
    )
    problem = await send_mail(context, email, f"Join {inviter.project_name} on Tocsin", text)
    return Invited(invitation, link, problem)


def use_invitation_at(
    connection: sa.Connection,
    now: datetime,
    invitation_id: int,
    project_id: int,
    role: str,
    user_id: int,
) -> None:
    """Join with the invitation's role (someone already in the project keeps theirs),
    in the transaction that marks the invitation used: of two people using one link
    at once, only one gets in."""
    if not user_store.close_invitation(connection, invitation_id, now, accepted=True):
        raise NotFoundError(USED_OR_REVOKED)
    if user_store.membership(connection, user_id, project_id) is None:
        user_store.add_membership(connection, user_id, project_id, role)


async def accept_invitation(
    context: Context, user_id: int, invitation_id: int, project_id: int, role: str
) -> None:
    """A signed-in user takes the invitation (its link's signature checked by the
    caller). `NotFoundError` if it was used or revoked meanwhile."""
    now = context.clock.now()
    async with context.database.write() as connection:
        await connection.run_sync(
            lambda sync: use_invitation_at(sync, now, invitation_id, project_id, role, user_id)
        )


async def sign_up_by_invitation(
    context: Context, invitation_id: int, project_id: int, email: str, role: str, password: str
) -> int:
    """A new account for the invited email, which joins the project; its user id.
    `InvalidError` for the password, `ConflictError` if the email has an account already,
    `NotFoundError` if the invitation was used or revoked."""
    password_hash = await new_password_hash(password)
    now = context.clock.now()

    def work(connection: sa.Connection) -> int:
        if user_store.user_by_email(connection, email) is not None:
            raise ConflictError(ACCOUNT_EXISTS)
        user_id = user_store.insert_user(connection, email, password_hash, False, now)
        use_invitation_at(connection, now, invitation_id, project_id, role, user_id)
        return user_id

    async with context.database.write() as connection:
        return await connection.run_sync(work)


async def revoke_invitation(context: Context, project_id: int, invitation_id: int) -> None:
    """The link stops working at once. `NotFoundError` unless it is pending, in the project."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> None:
        found = user_store.pending_invitation(connection, invitation_id, now)
        if found is None or found.project_id != project_id:
            raise NotFoundError(f"no pending invitation {invitation_id} in this project")
        user_store.close_invitation(connection, found.id, now, accepted=False)

    async with context.database.write() as connection:
        await connection.run_sync(work)


async def change_member(
    context: Context, actor: Membership, user_id: int, wanted: str | None
) -> None:
    """Give a member of the actor's project the `wanted` role, or remove them (None).
    Admins leave owners alone, and a project always keeps an owner. Someone removed
    leaves the project's on-call rotations too, with a warning on those calendars."""
    now = context.clock.now()

    def work(connection: sa.Connection) -> None:
        found = user_store.membership(connection, user_id, actor.project_id)
        if found is None:
            raise NotFoundError(f"user {user_id} is not a member of this project")
        if not can_assign(actor.role, found.role, wanted):
            raise NotAllowedError("Only an owner may change an owner's role.")
        members = user_store.project_members(connection, actor.project_id)
        owners = [user for user, role in members if role == Role.OWNER]
        if found.role == Role.OWNER and wanted != Role.OWNER and len(owners) == 1:
            raise ConflictError("A project needs an owner: make another first.")
        if wanted is None:
            user_store.remove_membership(connection, user_id, actor.project_id)
            email = next(user.email for user, _ in members if user.id == user_id)
            take_out_of_calendars(connection, actor.project_id, user_id, email, now)
        else:
            user_store.set_role(connection, user_id, actor.project_id, wanted)

    async with context.database.write() as connection:
        await connection.run_sync(work)
