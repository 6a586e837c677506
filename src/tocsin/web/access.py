"""Who is asking, and may they: the session cookie turned into a signed-in user, their
membership of the project in the URL, and the CSRF token every POST must carry.

Forms shown before signing in carry a token from a cookie (double submit). A cookie
can be planted by a neighbouring subdomain or over plain HTTP, which would let another
site sign a victim in to the attacker's account (login CSRF). So that token is signed
with the deployment's key, and every POST sent by a browser from another site is
refused whatever it carries.

Every page that shows or changes a project's data depends on `member` or `editor`,
so a guessed URL of another project answers 404, like a project that does not exist."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from tocsin.domain.accounts import can_change, can_manage
from tocsin.domain.numbers import whole_number
from tocsin.domain.records import Membership, WebSession
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import users as user_store

SESSION_COOKIE = "tocsin_session"
# Forms shown before signing in (sign-in, setup, sign-up) carry this cookie's value.
ANONYMOUS_CSRF_COOKIE = "tocsin_csrf"
MAX_FORM_BYTES = 64 * 1024
# What browsers say of a request sent by a page of another site (Fetch Metadata).
FOREIGN_FETCH_SITES = frozenset({"cross-site", "same-site"})


class WebError(Exception):
    """A refusal shown as a page, with its status."""

    def __init__(self, status: int, heading: str, text: str = "") -> None:
        super().__init__(heading)
        self.status = status
        self.heading = heading
        self.text = text


class SignInRequiredError(Exception):
    """Nobody is signed in: pages redirect to the sign-in form, other methods get 401."""


def not_found() -> WebError:
    return WebError(404, "Not found", "There is nothing here, or it is not yours to see.")


@dataclass(frozen=True, slots=True)
class Visitor:
    """The signed-in user's session, or None, and the CSRF token their forms carry."""

    session: WebSession | None
    csrf_token: str


async def visitor(request: Request) -> Visitor:
    """Read once per request; the session is looked up on every request, so signing
    out (or a password change elsewhere) takes effect at once."""
    if hasattr(request.state, "visitor"):
        found: Visitor = request.state.visitor
        return found
    session = await session_of(request)
    secret: str = services_of(request).secret
    csrf = session.csrf_token if session else anonymous_token(request, secret)
    found = Visitor(session, csrf)
    request.state.visitor = found
    return found


def anonymous_token(request: Request, secret: str) -> str:
    """The token of the anonymous CSRF cookie if this deployment signed it, else a new one."""
    sent = request.cookies.get(ANONYMOUS_CSRF_COOKIE, "")
    nonce, _, signature = sent.partition(".")
    if nonce and hmac.compare_digest(signature.encode(), sign_nonce(secret, nonce).encode()):
        return sent
    nonce = secrets.token_urlsafe(24)
    return f"{nonce}.{sign_nonce(secret, nonce)}"


def sign_nonce(secret: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"csrf:{nonce}".encode(), hashlib.sha256)
    return digest.hexdigest()


async def session_of(request: Request) -> WebSession | None:
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token or len(token) > 100:
        return None
    services = services_of(request)
    now = services.clock.now()
    async with services.database.read() as connection:
        found: WebSession | None = await connection.run_sync(user_store.live_session, token, now)
    return found


VisitorDep = Annotated[Visitor, Depends(visitor)]


async def signed_in(current: VisitorDep) -> WebSession:
    if current.session is None:
        raise SignInRequiredError
    return current.session


SessionDep = Annotated[WebSession, Depends(signed_in)]


def parse_id(text: str) -> int | None:
    """A database id from a URL, or None for anything the database could not hold."""
    number = whole_number(text, max_digits=9)
    return number if number else None


def parse_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


async def member(services: ServicesDep, session: SessionDep, project_id: str) -> Membership:
    """The signed-in user's membership of the project in the URL; 404 for outsiders."""
    number = parse_id(project_id)
    if number is None:
        raise not_found()
    async with services.database.read() as connection:
        found: Membership | None = await connection.run_sync(
            user_store.membership, session.user.id, number
        )
    if found is None:
        raise not_found()
    return found


MemberDep = Annotated[Membership, Depends(member)]


async def read_form(request: Request) -> FormData:
    declared = whole_number(request.headers.get("content-length", ""))
    if declared is not None and declared > MAX_FORM_BYTES:
        raise WebError(413, "Too much to send", "This form takes at most 64 KiB.")
    return await request.form(max_files=0)


async def verified_form(request: Request, current: VisitorDep) -> FormData:
    """The POSTed form, once it comes from one of this site's pages and its CSRF token
    matches the visitor's."""
    if sent_from_another_site(request):
        raise WebError(403, "Sent from another site", "Open Tocsin and send the form from there.")
    form = await read_form(request)
    sent = form.get("csrf_token")
    expected = current.csrf_token
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise WebError(403, "This form has expired", "Reload the page and send the form again.")
    return form


def sent_from_another_site(request: Request) -> bool:
    """Whether a browser says the page that sent this request is not Tocsin's.

    Browsers send Sec-Fetch-Site on every request since 2023, and Origin on every POST
    before that; clients that are not browsers send neither and cannot be tricked."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:
        return fetch_site in FOREIGN_FETCH_SITES
    origin = request.headers.get("origin")
    if origin is None:
        return False
    site = urlsplit(services_of(request).settings.base_url)
    host = request.headers.get("host", "")
    own = (f"{site.scheme}://{site.netloc}", f"http://{host}", f"https://{host}")
    return origin not in own


FormDep = Annotated[FormData, Depends(verified_form)]


async def editor(membership: MemberDep, _form: FormDep) -> Membership:
    """A member who may change the project; a viewer is refused."""
    if not can_change(membership.role):
        raise WebError(403, "Not allowed", "Viewers can look at this project but not change it.")
    return membership


EditorDep = Annotated[Membership, Depends(editor)]


async def manager(membership: MemberDep, _form: FormDep) -> Membership:
    """An owner or admin: channels, policies and members are theirs to change."""
    if not can_manage(membership.role):
        raise WebError(403, "Not allowed", "Only the project's owners and admins may change this.")
    return membership


ManagerDep = Annotated[Membership, Depends(manager)]


def field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def require_confirmation(form: FormData, verb: str) -> None:
    """Destructive forms carry a tick box; unticked, nothing happens ("remove", "delete")."""
    if field(form, "confirm") != "yes":
        raise WebError(400, f"Not {verb}d", f"Tick the box to confirm, then {verb} again.")


def remember_anonymous_csrf(response: Response, current: Visitor, secure: bool) -> None:
    if current.session is None:
        set_cookie(response, ANONYMOUS_CSRF_COOKIE, current.csrf_token, None, secure)


def set_cookie(
    response: Response, name: str, value: str, max_age: int | None, secure: bool
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure, path="/"
    )
