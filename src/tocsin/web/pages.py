"""Rendering the app's pages: the templates, what every page knows (the visitor, their
CSRF token), and the one place refusals become pages."""

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from tocsin.domain.describe import relative, stamp
from tocsin.services.requests import services_of
from tocsin.web.access import SignInRequiredError, Visitor, WebError, remember_anonymous_csrf
from tocsin.web.run_chart import spelled

STATIC = Path(__file__).parent / "static"  # served at /static by the assembled app
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
templates.env.globals.update(stamp=stamp, relative=relative, spelled=spelled)


def is_secure(request: Request) -> bool:
    """Cookies are `Secure` when the site is served over https."""
    return bool(services_of(request).settings.base_url.startswith("https://"))


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    current: Visitor | None = getattr(request.state, "visitor", None)
    values = {"visitor": current, "csrf_token": current.csrf_token if current else "", **context}
    response = templates.TemplateResponse(request, name, values, status_code=status_code)
    if current is not None:
        remember_anonymous_csrf(response, current, is_secure(request))
    return response


def message(request: Request, status_code: int, heading: str, text: str) -> Response:
    context = {"heading": heading, "text": text}
    return render(request, "message.html", context, status_code)


async def refused(request: Request, error: Exception) -> Response:
    assert isinstance(error, WebError)
    return message(request, error.status, error.heading, error.text)


async def sign_in_first(request: Request, _error: Exception) -> Response:
    if request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote_path(target)}", status_code=303)
    return message(request, 401, "Sign in first", "Your session has ended. Sign in again.")


def quote_path(path: str) -> str:
    return quote(path, safe="")


def install(web: FastAPI) -> None:
    web.add_exception_handler(WebError, refused)
    web.add_exception_handler(SignInRequiredError, sign_in_first)


def safe_next(target: str) -> str:
    """Only a path on this site: never `//elsewhere` or `https://elsewhere`."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
