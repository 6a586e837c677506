"""A project's members: who is in it and with what role; owners and admins invite by
email (a signed, expiring link, shown on the page and emailed when SMTP is set up),
change roles and remove members. Admins leave owners alone, and a project always keeps
an owner."""

from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin import accounts
from tocsin.accounts import AccountError, Role, can_assign, can_manage
from tocsin.domain.records import Membership, PendingInvitation
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import users as user_store
from tocsin.web.access import (
    FormDep,
    ManagerDep,
    MemberDep,
    SessionDep,
    WebError,
    field,
    not_found,
    parse_id,
    require_confirmation,
)
from tocsin.web.account_links import invitation_link, send_mail
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)
ROLES = [role.value for role in Role]


def members_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/members"


async def render_members(
    request: Request, membership: Membership, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    services = services_of(request)
    pending: list[PendingInvitation] = []
    async with services.database.read() as connection:
        found = await connection.run_sync(user_store.project_members, membership.project_id)
        if can_manage(membership.role):  # only owners and admins see (and revoke) them
            pending = await connection.run_sync(
                user_store.pending_invitations, membership.project_id, services.clock.now()
            )
    context = {
        "membership": membership,
        "members": found,
        "pending": pending,
        "roles": ROLES,
        "can_manage": can_manage(membership.role),
        "can_assign": can_assign,
        "base": members_url(membership),
        "invited": None,
        "errors": {},
        "email": "",
        **(extra or {}),
    }
    return render(request, "members.html", context, status)


@router.get("/projects/{project_id}/members")
async def members_page(request: Request, membership: MemberDep) -> Response:
    return await render_members(request, membership)


@router.post("/projects/{project_id}/members/invite")
async def invite(
    request: Request,
    services: ServicesDep,
    membership: ManagerDep,
    session: SessionDep,
    form: FormDep,
) -> Response:
    role, email = field(form, "role"), field(form, "email")
    errors = {}
    try:
        email = accounts.normalize_email(email)
    except AccountError as error:
        errors["email"] = str(error)
    if role not in ROLES or not can_assign(membership.role, None, role):
        errors["role"] = "choose a role you may give"
    if errors:
        return await render_members(request, membership, {"errors": errors, "email": email}, 400)
    async with services.database.write() as connection:
        invitation = await connection.run_sync(
            user_store.insert_invitation,
            membership.project_id,
            email,
            role,
            session.user.email,
            services.clock.now(),
            accounts.INVITATION_TTL,
        )
    link = invitation_link(request, invitation)
    text = (
        f"You are invited to join {membership.project_name} on Tocsin as {role}.\n\n"
        f"Open this link within 7 days to join:\n{link}\n"
    )
    problem = await send_mail(request, email, f"Join {membership.project_name} on Tocsin", text)
    invited = {"email": email, "role": role, "link": link, "mail_problem": problem}
    return await render_members(request, membership, {"invited": invited})


@router.post("/projects/{project_id}/members/invitations/{invitation}/revoke")
async def revoke_invitation(
    services: ServicesDep, membership: ManagerDep, invitation: str
) -> Response:
    """The link stops working at once; the invited person is not told."""
    invitation_id = parse_id(invitation)
    if invitation_id is None:
        raise not_found()

    def work(connection: sa.Connection) -> None:
        now = services.clock.now()
        found = user_store.pending_invitation(connection, invitation_id, now)
        if found is None or found.project_id != membership.project_id:
            raise not_found()
        user_store.close_invitation(connection, found.id, now, accepted=False)

    async with services.database.write() as connection:
        await connection.run_sync(work)
    return RedirectResponse(members_url(membership), status_code=303)


async def change_member(
    request: Request, membership: Membership, member: str, wanted: str | None
) -> Response:
    """Give the member the `wanted` role, or remove them (None)."""
    user_id = parse_id(member)
    if user_id is None:
        raise not_found()

    def work(connection: sa.Connection) -> None:
        found = user_store.membership(connection, user_id, membership.project_id)
        if found is None:
            raise not_found()
        if not can_assign(membership.role, found.role, wanted):
            raise WebError(403, "Not allowed", "Only an owner may change an owner's role.")
        members = user_store.project_members(connection, membership.project_id)
        owners = [user for user, role in members if role == Role.OWNER]
        if found.role == Role.OWNER and wanted != Role.OWNER and len(owners) == 1:
            raise WebError(409, "Not changed", "A project needs an owner: make another first.")
        if wanted is None:
            user_store.remove_membership(connection, user_id, membership.project_id)
        else:
            user_store.set_role(connection, user_id, membership.project_id, wanted)

    async with services_of(request).database.write() as connection:
        await connection.run_sync(work)
    return RedirectResponse(members_url(membership), status_code=303)


@router.post("/projects/{project_id}/members/{member}/role")
async def change_role(
    request: Request, membership: ManagerDep, form: FormDep, member: str
) -> Response:
    role = field(form, "role")
    if role not in ROLES:
        raise WebError(400, "Not changed", "Choose one of the roles.")
    return await change_member(request, membership, member, role)


@router.post("/projects/{project_id}/members/{member}/remove")
async def remove_member(
    request: Request, membership: ManagerDep, form: FormDep, member: str
) -> Response:
    require_confirmation(form, "remove")
    return await change_member(request, membership, member, None)
