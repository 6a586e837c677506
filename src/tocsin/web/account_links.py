"""The signed, expiring links that reach people by email: an invitation to join a
project, and a password reset. `services.accounts` makes and emails them (through the
same SMTP code as email alerts); a reset link is shown nowhere but in the email."""

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.domain.accounts import is_invitation
from tocsin.services import accounts as account_service
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import users as user_store
from tocsin.web.access import FormDep, VisitorDep, WebError, field, parse_id
from tocsin.web.accounts import start_session
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)


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
            or not is_invitation(
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
        try:
            await account_service.accept_invitation(
                services,
                current.session.user.id,
                invitation.id,
                invitation.project_id,
                invitation.role,
            )
        except NotFoundError:
            raise used_or_revoked() from None
        return RedirectResponse(checks_page, status_code=303)
    try:
        user_id = await account_service.sign_up_by_invitation(
            services,
            invitation.id,
            invitation.project_id,
            invitation.email,
            invitation.role,
            field(form, "password"),
        )
    except InvalidError as error:
        context = {
            "invitation": invitation,
            "has_account": False,
            "signed_in_as": "",
            "login": "/login",
            "errors": {error.field: error.message},
        }
        return render(request, "invitation.html", context, 400)
    except ConflictError:
        raise WebError(
            409, "You have an account", "Sign in, then open the invitation again."
        ) from None
    except NotFoundError:
        raise used_or_revoked() from None
    return await start_session(request, user_id, checks_page)


@router.get("/password/forgot")
async def forgot_form(request: Request, current: VisitorDep) -> Response:
    return render(request, "password_forgot.html", {"sent": False, "email": ""})


@router.post("/password/forgot")
async def send_reset_link(request: Request, services: ServicesDep, form: FormDep) -> Response:
    """The same answer whether or not the email has an account, so the page does not
    tell who does."""
    email = field(form, "email").lower()
    await account_service.send_reset_link(services, email)
    return render(request, "password_forgot.html", {"sent": True, "email": email})


def unusable_reset_link() -> WebError:
    return WebError(
        403, "This link does not work", "It has expired or was used already. Ask for a new one."
    )


async def reset_target(request: Request, user: str, token: str) -> int:
    """The user whose password the link resets; 403 if it does not work (any more)."""
    services = services_of(request)
    user_id = parse_id(user)
    works = False
    if user_id is not None:
        async with services.database.read() as connection:
            works = await connection.run_sync(
                account_service.reset_link_works, services, user_id, token
            )
    if user_id is None or not works:
        raise unusable_reset_link()
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
    try:
        await account_service.reset_password(services, user_id, token, field(form, "password"))
    except NotFoundError:
        raise unusable_reset_link() from None
    except InvalidError as error:
        context = {"user": user, "token": token, "errors": {error.field: error.message}}
        return render(request, "password_reset.html", context, 400)
    return await start_session(request, user_id, "/")
