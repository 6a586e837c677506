"""Accounts through `services.accounts`, on a real database: made, signed in to (and
throttled), their passwords changed and reset, invitations taken, members changed."""

import re
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.receivers import SmtpReceiver
from tests.services.conftest import Projects, Recorder
from tocsin.domain.accounts import FAILURE_LIMIT, Role, is_invitation, reset_token
from tocsin.domain.records import Membership
from tocsin.services import accounts as account_service
from tocsin.services.errors import ConflictError, InvalidError, NotAllowedError, NotFoundError
from tocsin.store import users as user_store

PASSWORD = "correct horse battery"
ADDRESS = "192.0.2.1"


async def memberships(context: Recorder, user_id: int) -> list[Membership]:
    async with context.database.read() as connection:
        return await connection.run_sync(user_store.memberships_of, user_id)


async def signed_in_user(context: Recorder, token: str | None) -> int | None:
    assert token is not None
    async with context.database.read() as connection:
        found = await connection.run_sync(user_store.live_session, token, context.clock.now())
    return None if found is None else found.user.id


async def test_an_administrator_owns_the_first_project_and_a_sign_up_a_new_one(
    context: Recorder, projects: Projects
) -> None:
    admin = await account_service.create_account(
        context, " Root@Example.com ", PASSWORD, is_admin=True
    )
    person = await account_service.create_account(
        context, "new@example.com", PASSWORD, is_admin=False
    )
    [owned] = await memberships(context, admin)
    assert (owned.project_id, owned.role) == (projects.ours, Role.OWNER)
    [own] = await memberships(context, person)
    assert (own.project_name, own.role) == ("new@example.com", Role.OWNER)
    assert own.project_id not in (projects.ours, projects.theirs)
    with pytest.raises(ConflictError, match="exists already"):
        await account_service.create_account(context, "root@example.com", PASSWORD, is_admin=False)


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("root", PASSWORD, "email"), ("root@example.com", "short", "password")],
)
async def test_an_unusable_email_or_password_makes_no_account(
    context: Recorder, email: str, password: str, field: str
) -> None:
    with pytest.raises(InvalidError) as refused:
        await account_service.create_account(context, email, password, is_admin=True)
    assert refused.value.field == field
    with pytest.raises(InvalidError):
        await account_service.create_first_admin(context, email, password)
    async with context.database.read() as connection:
        assert await connection.run_sync(user_store.count_users) == 0


async def test_the_first_administrator_is_made_once(context: Recorder) -> None:
    assert await account_service.create_first_admin(context, "a@example.com", PASSWORD)
    assert not await account_service.create_first_admin(context, "b@example.com", PASSWORD)
    async with context.database.read() as connection:
        assert await connection.run_sync(user_store.user_by_email, "b@example.com") is None


async def test_signing_in_counts_failures_and_throttles_guessing(context: Recorder) -> None:
    user_id = await account_service.create_account(
        context, "a@example.com", PASSWORD, is_admin=True
    )
    wrong = await account_service.sign_in(context, "a@example.com", "wrong!!!", ADDRESS)
    assert wrong == account_service.SignIn()
    right = await account_service.sign_in(context, "A@example.com", PASSWORD, ADDRESS)
    assert await signed_in_user(context, right.token) == user_id

    for _ in range(FAILURE_LIMIT):
        await account_service.sign_in(context, "a@example.com", "wrong!!!", ADDRESS)
    context.clock.advance(timedelta(minutes=5))
    throttled = await account_service.sign_in(context, "a@example.com", PASSWORD, ADDRESS)
    assert (throttled.token, throttled.wait) == (None, timedelta(minutes=10))
    elsewhere = await account_service.sign_in(context, "a@example.com", PASSWORD, "192.0.2.2")
    assert await signed_in_user(context, elsewhere.token) == user_id


async def test_a_password_change_needs_the_current_one_and_signs_out_the_other_sessions(
    context: Recorder,
) -> None:
    user_id = await account_service.create_account(
        context, "a@example.com", PASSWORD, is_admin=True
    )
    here = await account_service.sign_in(context, "a@example.com", PASSWORD, ADDRESS)
    there = await account_service.sign_in(context, "a@example.com", PASSWORD, ADDRESS)
    async with context.database.read() as connection:
        assert here.token is not None
        session = await connection.run_sync(
            user_store.live_session, here.token, context.clock.now()
        )
    assert session is not None
    new = "a new long password"
    refusals = [
        ("not it", new, new, "current_password"),
        (PASSWORD, "short", "short", "new_password"),
        (PASSWORD, new, "something else", "confirm_password"),
    ]
    for current, chosen, confirmation, field in refusals:
        with pytest.raises(InvalidError) as refused:
            await account_service.change_password(
                context, user_id, session.id, current, chosen, confirmation
            )
        assert refused.value.field == field
    await account_service.change_password(context, user_id, session.id, PASSWORD, new, new)
    assert await signed_in_user(context, here.token) == user_id
    assert await signed_in_user(context, there.token) is None
    old = await account_service.sign_in(context, "a@example.com", PASSWORD, ADDRESS)
    assert old.token is None
    assert (await account_service.sign_in(context, "a@example.com", new, ADDRESS)).token


async def test_a_reset_link_works_once_and_ends_every_session(
    context: Recorder, smtp: SmtpReceiver
) -> None:
    mailing = replace(
        context,
        settings=replace(
            context.settings, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="none"
        ),
    )
    user_id = await account_service.create_account(
        context, "a@example.com", PASSWORD, is_admin=True
    )
    session = await account_service.sign_in(context, "a@example.com", PASSWORD, ADDRESS)
    await account_service.send_reset_link(mailing, "nobody@example.com")
    await account_service.send_reset_link(mailing, "a@example.com")
    await smtp.wait_for(1)
    assert [mail.recipients for mail in smtp.mail] == [["a@example.com"]]
    found = re.search(r"/password/reset\?user=(\d+)&token=(\S+)", smtp.mail[0].part("text/plain"))
    assert found is not None
    assert int(found.group(1)) == user_id
    token = found.group(2)

    with pytest.raises(InvalidError):
        await account_service.reset_password(context, user_id, token, "short")
    await account_service.reset_password(context, user_id, token, "another password")
    assert await signed_in_user(context, session.token) is None
    with pytest.raises(NotFoundError):
        await account_service.reset_password(context, user_id, token, "a third password")
    assert (
        await account_service.sign_in(context, "a@example.com", "another password", ADDRESS)
    ).token


async def test_a_forged_reset_link_does_not_work(context: Recorder) -> None:
    user_id = await account_service.create_account(
        context, "a@example.com", PASSWORD, is_admin=True
    )
    forged = reset_token(
        "another secret", user_id, "any hash", context.clock.now() + timedelta(hours=1)
    )
    with pytest.raises(NotFoundError):
        await account_service.reset_password(context, user_id, forged, "another password")


async def owner_of(context: Recorder, project_id: int, email: str) -> tuple[int, Membership]:
    async with context.database.write() as connection:
        user_id = await connection.run_sync(
            user_store.insert_user, email, "hash", False, context.clock.now()
        )
        await connection.run_sync(user_store.add_membership, user_id, project_id, Role.OWNER)
    [membership] = await memberships(context, user_id)
    return user_id, membership


async def test_an_invitation_is_signed_and_taken_once(
    context: Recorder, projects: Projects
) -> None:
    _owner_id, owner = await owner_of(context, projects.ours, "owner@example.com")
    with pytest.raises(InvalidError) as refused:
        await account_service.invite(context, owner, "owner@example.com", "x@example.com", "king")
    assert refused.value.field == "role"
    invited = await account_service.invite(
        context, owner, "owner@example.com", " New@Example.com", Role.MEMBER
    )
    assert invited.mail_problem == "email is not set up (TOCSIN_SMTP_HOST is empty)"
    query = {k: v[0] for k, v in parse_qs(urlsplit(invited.link).query).items()}
    assert query["email"] == "new@example.com"
    assert is_invitation(
        context.secret,
        query["token"],
        projects.ours,
        invited.invitation.id,
        "new@example.com",
        Role.MEMBER,
        context.clock.now(),
    )
    user_id = await account_service.sign_up_by_invitation(
        context, invited.invitation.id, projects.ours, "new@example.com", Role.MEMBER, PASSWORD
    )
    assert [(m.project_id, m.role) for m in await memberships(context, user_id)] == [
        (projects.ours, Role.MEMBER)
    ]
    with pytest.raises(NotFoundError):
        await account_service.accept_invitation(
            context, user_id, invited.invitation.id, projects.ours, Role.ADMIN
        )
    again = await account_service.invite(
        context, owner, "owner@example.com", "new@example.com", "admin"
    )
    with pytest.raises(ConflictError):
        await account_service.sign_up_by_invitation(
            context, again.invitation.id, projects.ours, "new@example.com", "admin", PASSWORD
        )
    # Someone in the project keeps their role.
    await account_service.accept_invitation(
        context, user_id, again.invitation.id, projects.ours, "admin"
    )
    assert [m.role for m in await memberships(context, user_id)] == [Role.MEMBER]


async def test_a_revoked_invitation_cannot_be_taken(context: Recorder, projects: Projects) -> None:
    _owner_id, owner = await owner_of(context, projects.ours, "owner@example.com")
    invited = await account_service.invite(
        context, owner, "o@example.com", "n@example.com", "viewer"
    )
    with pytest.raises(NotFoundError):
        await account_service.revoke_invitation(context, projects.theirs, invited.invitation.id)
    await account_service.revoke_invitation(context, projects.ours, invited.invitation.id)
    with pytest.raises(NotFoundError):
        await account_service.sign_up_by_invitation(
            context, invited.invitation.id, projects.ours, "n@example.com", "viewer", PASSWORD
        )
    async with context.database.read() as connection:
        assert await connection.run_sync(user_store.user_by_email, "n@example.com") is None


async def test_admins_leave_owners_alone_and_a_project_keeps_an_owner(
    context: Recorder, projects: Projects
) -> None:
    owner_id, owner = await owner_of(context, projects.ours, "owner@example.com")
    admin_id, _ = await owner_of(context, projects.theirs, "admin@example.com")
    async with context.database.write() as connection:
        await connection.run_sync(user_store.add_membership, admin_id, projects.ours, Role.ADMIN)
    admin = Membership(projects.ours, owner.project_name, Role.ADMIN)

    with pytest.raises(NotAllowedError):
        await account_service.change_member(context, admin, owner_id, Role.MEMBER)
    with pytest.raises(ConflictError, match="needs an owner"):
        await account_service.change_member(context, owner, owner_id, Role.ADMIN)
    with pytest.raises(NotFoundError):
        await account_service.change_member(context, owner, owner_id + 1000, None)
    await account_service.change_member(context, owner, admin_id, Role.VIEWER)
    assert [(m.project_id, m.role) for m in await memberships(context, admin_id)] == [
        (projects.ours, Role.VIEWER),
        (projects.theirs, Role.OWNER),
    ]
    await account_service.change_member(context, owner, admin_id, None)
    assert [m.project_id for m in await memberships(context, admin_id)] == [projects.theirs]
