"""The signed, expiring links that reach people by email: an invitation to join a
project, and a password reset. Sending them goes through the same SMTP code as email
alerts (`notify.outbound`); a reset link is shown nowhere but in the email."""

import asyncio
import logging
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin import accounts
from tocsin.accounts import AccountError
from tocsin.alerts.notifier import live_outbound
from tocsin.domain.records import PendingInvitation
from tocsin.notify.base import DeliveryError
from tocsin.notify.http import http_client
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import users as user_store
from tocsin.web.access import FormDep, VisitorDep, WebError, field, parse_id
from tocsin.web.accounts import start_session
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)


async def send_mail(request: Request, to: str, subject: str, text: str) -> str:
    """Send a plain message; "" when it went, else why not (no SMTP server, say)."""
    settings = services_of(request).settings
    if not settings.smtp_host:
        return "email is not set up (TOCSIN_SMTP_HOST is empty)"
    async with http_client() as client:
        try:
            await live_outbound(settings, client).send_email([to], subject, text, "")
        except DeliveryError as error:
            log.warning("could not email %s: %s", to, error)
            return str(error)
    return ""


def invitation_link(request: Request, invitation: PendingInvitation) -> str:
    services = services_of(request)
    token = accounts.invitation_token(
        services.secret,
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
    return f"{services.settings.base_url}/invite?{query}"


UNUSABLE = "This invitation does not work"


def used_or_revoked() -> WebError:
    return WebError(403, UNUSABLE, "It has been used already, or it was revoked.")


class Invitation:
    """An invitation link's parts, once its signature holds."""

    def __init__(self, request: Request, values: dict[str, str]) -> None:
        services = services_of(request)
        project_id = parse_id(values.get("project", ""))
        invitation_id = parse_id(values.get("invitation", ""))
        self.project_id = project_id or 0
        self.id = invitation_id or 0
        self.email = values.get("email", "")
        self.role = values.get("role", "")
        self.token = values.get("token", "")
        if (
            project_id is None
            or invitation_id is None
            or not accounts.is_invitation(
                services.secret,
                self.token,
                project_id,
                invitation_id,
                self.email,
                self.role,
                services.clock.now(),
            )
        ):
            raise WebError(403, UNUSABLE, "It has expired, or it was changed.")

    def fields(self) -> dict[str, Any]:
        return {
            "project": self.project_id,
            "invitation": self.id,
            "email": self.email,
            "role": self.role,
        }

    def require_pending(self, connection: sa.Connection, now: datetime) -> None:
        if user_store.pending_invitation(connection, self.id, now) is None:
            raise used_or_revoked()

    def use(self, connection: sa.Connection, user_id: int, now: datetime) -> None:
        """Join with the invitation's role (someone already in the project keeps
        theirs), in the transaction that marks the invitation used."""
        if not user_store.close_invitation(connection, self.id, now, accepted=True):
            raise used_or_revoked()
        if user_store.membership(connection, user_id, self.project_id) is None:
            user_store.add_membership(connection, user_id, self.project_id, self.role)


@router.get("/invite")
async def invitation_page(request: Request, services: ServicesDep, current: VisitorDep) -> Response:
    invitation = Invitation(request, dict(request.query_params))

    def look(connection: sa.Connection) -> bool:
        invitation.require_pending(connection, services.clock.now())
        return user_store.user_by_email(connection, invitation.email) is not None

    async with services.database.read() as connection:
        has_account = await connection.run_sync(look)
    here = f"/invite?{request.url.query}"
    context = {
        "invitation": invitation,
        "has_account": has_account,
        "signed_in_as": current.session.user.email if current.session else "",
        "login": f"/login?{urlencode({'next': here})}",
        "errors": {},
    }
    return render(request, "invitation.html", context)


@router.post("/invite")
async def accept_invitation(
    request: Request, services: ServicesDep, current: VisitorDep, form: FormDep
) -> Response:
    invitation = Invitation(
        request, {k: field(form, k) for k in ("project", "invitation", "email", "role", "token")}
    )
    checks_page = f"/projects/{invitation.project_id}/checks"
    if current.session is not None and current.session.user.email == invitation.email:
        user_id = current.session.user.id
        async with services.database.write() as connection:
            await connection.run_sync(invitation.use, user_id, services.clock.now())
        return RedirectResponse(checks_page, status_code=303)
    password = field(form, "password")
    try:
        accounts.validate_password(password)
    except AccountError as error:
        context = {
            "invitation": invitation,
            "has_account": False,
            "signed_in_as": "",
            "login": "/login",
            "errors": {"password": str(error)},
        }
        return render(request, "invitation.html", context, 400)
    password_hash = await asyncio.to_thread(accounts.hash_password, password)

    def work(connection: sa.Connection) -> int:
        if user_store.user_by_email(connection, invitation.email) is not None:
            raise WebError(409, "You have an account", "Sign in, then open the invitation again.")
        now = services.clock.now()
        user_id = user_store.insert_user(connection, invitation.email, password_hash, False, now)
        invitation.use(connection, user_id, now)
        return user_id

    async with services.database.write() as connection:
        user_id = await connection.run_sync(work)
    return await start_session(request, user_id, checks_page)


@router.get("/password/forgot")
async def forgot_form(request: Request, current: VisitorDep) -> Response:
    return render(request, "password_forgot.html", {"sent": False, "email": ""})


@router.post("/password/forgot")
async def send_reset_link(request: Request, services: ServicesDep, form: FormDep) -> Response:
    """The same answer whether or not the email has an account, so the page does not
    tell who does."""
    email = field(form, "email").lower()
    async with services.database.read() as connection:
        found = await connection.run_sync(user_store.user_by_email, email)
    if found is not None:
        user, password_hash = found
        expires = services.clock.now() + accounts.RESET_TTL
        token = accounts.reset_token(services.secret, user.id, password_hash, expires)
        link = f"{services.settings.base_url}/password/reset?user={user.id}&token={token}"
        text = (
            f"Someone, probably you, asked to reset the password of {email} on Tocsin.\n\n"
            f"Choose a new one here, within an hour:\n{link}\n\n"
            "If it was not you, ignore this email: your password stays as it is."
        )
        await send_mail(request, email, "Reset your Tocsin password", text)
    return render(request, "password_forgot.html", {"sent": True, "email": email})


async def reset_target(request: Request, user: str, token: str) -> int:
    services = services_of(request)
    user_id = parse_id(user)
    found = None
    if user_id is not None:
        async with services.database.read() as connection:
            found = await connection.run_sync(user_store.user_by_id, user_id)
    if (
        user_id is None
        or found is None
        or not accounts.is_reset_token(
            services.secret, token, user_id, found[1], services.clock.now()
        )
    ):
        raise WebError(
            403, "This link does not work", "It has expired or was used already. Ask for a new one."
        )
    return user_id


@router.get("/password/reset")
async def reset_form(
    request: Request, current: VisitorDep, user: str = "", token: str = ""
) -> Response:
    await reset_target(request, user, token)
    return render(request, "password_reset.html", {"user": user, "token": token, "errors": {}})


@router.post("/password/reset")
async def reset_password(request: Request, services: ServicesDep, form: FormDep) -> Response:
    user, token = field(form, "user"), field(form, "token")
    user_id = await reset_target(request, user, token)
    password = field(form, "password")
    try:
        accounts.validate_password(password)
    except AccountError as error:
        context = {"user": user, "token": token, "errors": {"password": str(error)}}
        return render(request, "password_reset.html", context, 400)
    password_hash = await asyncio.to_thread(accounts.hash_password, password)

    def work(connection: sa.Connection) -> None:
        user_store.set_password_hash(connection, user_id, password_hash)
        user_store.delete_sessions(connection, user_id)

    async with services.database.write() as connection:
        await connection.run_sync(work)
    return await start_session(request, user_id, "/")
