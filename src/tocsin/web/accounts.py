"""Signing in and out, the first administrator's setup page, sign-up (when open), the
password change, and `/`, which takes a signed-in user to their project's checks."""

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.domain.accounts import is_setup_token
from tocsin.services import accounts as account_service
from tocsin.services.errors import ConflictError, InvalidError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import users as user_store
from tocsin.web.access import (
    SESSION_COOKIE,
    FormDep,
    SessionDep,
    VisitorDep,
    WebError,
    field,
    not_found,
    set_cookie,
)
from tocsin.web.pages import is_secure, message, render, safe_next

router = APIRouter(include_in_schema=False)


@router.get("/")
async def home(request: Request, services: ServicesDep, session: SessionDep) -> Response:
    async with services.database.read() as connection:
        found = await connection.run_sync(user_store.memberships_of, session.user.id)
    if len(found) == 1:
        return RedirectResponse(f"/projects/{found[0].project_id}/checks", status_code=303)
    return render(request, "projects.html", {"memberships": found})


@router.get("/login")
async def login_form(request: Request, current: VisitorDep, next: str = "/") -> Response:
    context = {"next": safe_next(next), "email": "", "error": ""}
    return render(request, "login.html", context | await first_run(request))


async def first_run(request: Request) -> dict[str, bool]:
    """While nobody has an account, the sign-in page says where the first administrator's
    setup link is (never the link itself: whoever opens it becomes the administrator)."""
    async with services_of(request).database.read() as connection:
        return {"no_accounts": not await connection.run_sync(user_store.count_users)}


def client_address(request: Request) -> str:
    header = services_of(request).settings.trusted_proxy_header
    forwarded = request.headers.get(header, "") if header else ""
    peer = request.client.host if request.client else ""
    return forwarded.split(",")[0].strip() or peer


@router.post("/login")
async def login(request: Request, services: ServicesDep, form: FormDep) -> Response:
    email, password = field(form, "email").lower(), field(form, "password")
    target = safe_next(field(form, "next") or "/")
    outcome = await account_service.sign_in(services, email, password, client_address(request))
    if outcome.wait is not None:
        minutes = max(1, round(outcome.wait / timedelta(minutes=1)))
        text = f"Too many failed sign-ins for {email}. Try again in {minutes} minutes."
        return message(request, 429, "Too many attempts", text)
    if outcome.token is None:
        context = {"next": target, "email": email, "error": "Wrong email or password."}
        return render(request, "login.html", context | await first_run(request), 400)
    return session_response(request, outcome.token, target)


async def start_session(request: Request, user_id: int, target: str) -> Response:
    token = await account_service.start_session(services_of(request), user_id)
    return session_response(request, token, target)


def session_response(request: Request, token: str, target: str) -> Response:
    """To `target`, with the session's cookie."""
    response = RedirectResponse(target, status_code=303)
    max_age = int(services_of(request).settings.session_ttl.total_seconds())
    set_cookie(response, SESSION_COOKIE, token, max_age, is_secure(request))
    return response


@router.post("/logout")
async def logout(services: ServicesDep, session: SessionDep, _form: FormDep) -> Response:
    await account_service.sign_out(services, session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def nobody_yet(request: Request, token: str) -> None:
    services = services_of(request)
    now = services.clock.now()
    async with services.database.read() as connection:
        users = await connection.run_sync(user_store.count_users)
    if users or not is_setup_token(services.secret, token, now):
        raise WebError(
            403, "This setup link does not work", "It has expired, or Tocsin is set up already."
        )


@router.get("/setup")
async def setup_form(request: Request, current: VisitorDep, token: str = "") -> Response:
    await nobody_yet(request, token)
    return render(request, "account_form.html", account_form_context("setup", token))


@router.post("/setup")
async def setup(request: Request, form: FormDep) -> Response:
    token = field(form, "token")
    await nobody_yet(request, token)
    return await create_account(request, form, "setup", is_admin=True)


def account_form_context(
    purpose: str, token: str = "", email: str = "", errors: dict[str, str] | None = None
) -> dict[str, object]:
    return {"purpose": purpose, "token": token, "email": email, "errors": errors or {}}


async def create_account(
    request: Request, form: FormDep, purpose: str, *, is_admin: bool
) -> Response:
    email, password = field(form, "email"), field(form, "password")
    services = services_of(request)
    try:
        user_id = await account_service.create_account(services, email, password, is_admin=is_admin)
    except InvalidError as error:
        return account_form_error(request, purpose, form, email, {error.field: error.message})
    except ConflictError as error:
        return account_form_error(request, purpose, form, email, {"email": error.message})
    return await start_session(request, user_id, "/")


def account_form_error(
    request: Request, purpose: str, form: FormDep, email: str, errors: dict[str, str]
) -> Response:
    context = account_form_context(purpose, field(form, "token"), email, errors)
    return render(request, "account_form.html", context, 400)


def registration_open(request: Request) -> None:
    if not services_of(request).settings.registration_open:
        raise not_found()


@router.get("/signup")
async def signup_form(request: Request, current: VisitorDep) -> Response:
    registration_open(request)
    return render(request, "account_form.html", account_form_context("signup"))


@router.post("/signup")
async def signup(request: Request, form: FormDep) -> Response:
    registration_open(request)
    return await create_account(request, form, "signup", is_admin=False)


@router.get("/account/password")
async def password_form(request: Request, session: SessionDep) -> Response:
    return render(request, "password.html", {"errors": {}, "done": False})


@router.post("/account/password")
async def change_password(
    request: Request, services: ServicesDep, session: SessionDep, form: FormDep
) -> Response:
    try:
        await account_service.change_password(
            services,
            session.user.id,
            session.id,
            field(form, "current_password"),
            field(form, "new_password"),
            field(form, "confirm_password"),
        )
    except InvalidError as error:
        errors = {error.field: error.message}
        return render(request, "password.html", {"errors": errors, "done": False}, 400)
    return render(request, "password.html", {"errors": {}, "done": True})
