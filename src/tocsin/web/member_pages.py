"""A project's members: who is in it and with what role; owners and admins invite by
email (a signed, expiring link, shown on the page and emailed when SMTP is set up),
change roles and remove members. Admins leave owners alone, and a project always keeps
an owner."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.domain.accounts import AccountError, Role, can_assign, can_manage, normalize_email
from tocsin.domain.records import Membership, PendingInvitation
from tocsin.services import accounts as account_service
from tocsin.services.errors import ConflictError, InvalidError, NotAllowedError, NotFoundError
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
    # Both fields are checked here, so that the form shows every error at once.
    errors = {}
    try:
        email = normalize_email(email)
    except AccountError as error:
        errors["email"] = str(error)
    if role not in ROLES or not can_assign(membership.role, None, role):
        errors["role"] = "choose a role you may give"
    if errors:
        return await render_members(request, membership, {"errors": errors, "email": email}, 400)
    try:
        invited = await account_service.invite(
            services, membership, session.user.email, email, role
        )
    except InvalidError as error:
        extra = {"errors": {error.field: error.message}, "email": email}
        return await render_members(request, membership, extra, 400)
    shown = {
        "email": email,
        "role": role,
        "link": invited.link,
        "mail_problem": invited.mail_problem,
    }
    return await render_members(request, membership, {"invited": shown})


@router.post("/projects/{project_id}/members/invitations/{invitation}/revoke")
async def revoke_invitation(
    services: ServicesDep, membership: ManagerDep, invitation: str
) -> Response:
    """The link stops working at once; the invited person is not told."""
    invitation_id = parse_id(invitation)
    if invitation_id is None:
        raise not_found()
    try:
        await account_service.revoke_invitation(services, membership.project_id, invitation_id)
    except NotFoundError:
        raise not_found() from None
    return RedirectResponse(members_url(membership), status_code=303)


async def change_member(
    request: Request, membership: Membership, member: str, wanted: str | None
) -> Response:
    """Give the member the `wanted` role, or remove them (None)."""
    user_id = parse_id(member)
    if user_id is None:
        raise not_found()
    try:
        await account_service.change_member(services_of(request), membership, user_id, wanted)
    except NotFoundError:
        raise not_found() from None
    except NotAllowedError as error:
        raise WebError(403, "Not allowed", error.message) from None
    except ConflictError as error:
        raise WebError(409, "Not changed", error.message) from None
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
