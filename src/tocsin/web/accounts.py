"""Signing in and out, the first administrator's setup page, sign-up (when open), the
password change, and `/`, which takes a signed-in user to their project's checks."""

import asyncio
from datetime import timedelta

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin import accounts
from tocsin.accounts import AccountError
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
    return render(request, "login.html", {"next": safe_next(next), "email": "", "error": ""})


def client_address(request: Request) -> str:
    header = services_of(request).settings.trusted_proxy_header
    forwarded = request.headers.get(header, "") if header else ""
    peer = request.client.host if request.client else ""
    return forwarded.split(",")[0].strip() or peer


@router.post("/login")
async def login(request: Request, services: ServicesDep, form: FormDep) -> Response:
    email, password = field(form, "email").lower(), field(form, "password")
    target = safe_next(field(form, "next") or "/")
    key = user_store.failure_key(email, client_address(request))
    now = services.clock.now()
    async with services.database.read() as connection:
        failures = await connection.run_sync(
            user_store.login_failures_since, *key, now - accounts.FAILURE_WINDOW
        )
    wait = accounts.throttle_wait(failures, now)
    if wait is not None:
        minutes = max(1, round(wait / timedelta(minutes=1)))
        text = f"Too many failed sign-ins for {email}. Try again in {minutes} minutes."
        return message(request, 429, "Too many attempts", text)
    user_id = await check_password(request, email, password)
    if user_id is None:
        forget_before = now - accounts.FAILURE_WINDOW
        async with services.database.write() as connection:
            await connection.run_sync(user_store.record_login_failure, *key, now, forget_before)
    elif failures:
        async with services.database.write() as connection:
            await connection.run_sync(user_store.clear_login_failures, *key)
    if user_id is None:
        context = {"next": target, "email": email, "error": "Wrong email or password."}
        return render(request, "login.html", context, 400)
    return await start_session(request, user_id, target)


async def check_password(request: Request, email: str, password: str) -> int | None:
    async with services_of(request).database.read() as connection:
        found = await connection.run_sync(user_store.user_by_email, email)
    stored = found[1] if found else accounts.DECOY_HASH
    matches = await asyncio.to_thread(accounts.password_matches, stored, password)
    return found[0].id if found and matches else None


async def start_session(request: Request, user_id: int, target: str) -> Response:
    services = services_of(request)
    ttl = services.settings.session_ttl
    async with services.database.write() as connection:
        token = await connection.run_sync(
            user_store.create_session, user_id, services.clock.now(), ttl
        )
    response = RedirectResponse(target, status_code=303)
    max_age = int(ttl.total_seconds())
    set_cookie(response, SESSION_COOKIE, token, max_age, is_secure(request))
    return response


@router.post("/logout")
async def logout(services: ServicesDep, session: SessionDep, _form: FormDep) -> Response:
    async with services.database.write() as connection:
        await connection.run_sync(user_store.delete_session, session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


async def nobody_yet(request: Request, token: str) -> None:
    services = services_of(request)
    now = services.clock.now()
    async with services.database.read() as connection:
        users = await connection.run_sync(user_store.count_users)
    if users or not accounts.is_setup_token(services.secret, token, now):
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
    try:
        normalized = accounts.normalize_email(email)
    except AccountError as error:
        return account_form_error(request, purpose, form, email, {"email": str(error)})
    try:
        password_hash = await asyncio.to_thread(
            accounts.hash_password, accounts.validate_password(password)
        )
    except AccountError as error:
        return account_form_error(request, purpose, form, email, {"password": str(error)})
    services = services_of(request)
    now = services.clock.now()

    def work(connection: sa.Connection) -> int:
        return accounts.create_account(
            connection, normalized, password_hash, now, is_admin=is_admin
        )

    try:
        async with services.database.write() as connection:
            user_id = await connection.run_sync(work)
    except AccountError as error:
        return account_form_error(request, purpose, form, email, {"email": str(error)})
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
    errors = await password_errors(request, session, form)
    if errors:
        return render(request, "password.html", {"errors": errors, "done": False}, 400)
    new_hash = await asyncio.to_thread(accounts.hash_password, field(form, "new_password"))

    def work(connection: sa.Connection) -> None:
        user_store.set_password_hash(connection, session.user.id, new_hash)
        # Whoever knew the old password is signed out everywhere else.
        user_store.delete_other_sessions(connection, session.user.id, session.id)

    async with services.database.write() as connection:
        await connection.run_sync(work)
    return render(request, "password.html", {"errors": {}, "done": True})


async def password_errors(request: Request, session: SessionDep, form: FormDep) -> dict[str, str]:
    async with services_of(request).database.read() as connection:
        stored = await connection.run_sync(user_store.password_hash_of, session.user.id)
    current, new = field(form, "current_password"), field(form, "new_password")
    if not await asyncio.to_thread(accounts.password_matches, stored, current):
        return {"current_password": "This is not your current password."}
    try:
        accounts.validate_password(new)
    except AccountError as error:
        return {"new_password": str(error)}
    if new != field(form, "confirm_password"):
        return {"confirm_password": "The two new passwords differ."}
    return {}
