"""Tocsin's API described: the OpenAPI 3.1 document at /api/openapi.json, generated from
the routes of `api.tocsin` only (the Healthchecks dialect keeps Healthchecks' own
documentation), and Swagger UI at /api/docs, served from the swagger-ui-bundle package
so the page loads nothing from another host."""

from pathlib import Path
from typing import Any

import swagger_ui_bundle
from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.routing import iter_route_contexts
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from tocsin.api.tocsin.http import PREFIX
from tocsin.version import __version__

ASSETS = "/api/docs/assets"
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(),
)
DESCRIPTION = (
    "Tocsin's own API. Send a key made with `tocsin key create` as "
    "`Authorization: Bearer <key>`; read-only keys may only read. Every refusal is "
    '`{"error": {"code", "message", "fields"}}`. Lists come in pages: pass '
    "`next_cursor` as `cursor` for the next one."
)

router = APIRouter(include_in_schema=False)


def tocsin_schema(app: FastAPI) -> dict[str, Any]:
    """The document, made once per app from the routes under the API's prefix."""
    cached: dict[str, Any] | None = getattr(app.state, "tocsin_openapi", None)
    if cached is None:
        contexts = iter_route_contexts(app.routes)
        routes = [c for c in contexts if (c.path or "").startswith(PREFIX)]
        cached = get_openapi(
            title="Tocsin API",
            version=__version__,
            openapi_version="3.1.0",
            description=DESCRIPTION,
            routes=routes,
        )
        app.state.tocsin_openapi = cached
    return cached


@router.get("/api/openapi.json")
async def openapi_document(request: Request) -> JSONResponse:
    return JSONResponse(tocsin_schema(request.app))


@router.get("/api/docs")
async def docs_page() -> HTMLResponse:
    page = TEMPLATES.get_template("api_docs.html").render(
        assets=ASSETS, schema_url="/api/openapi.json"
    )
    return HTMLResponse(page)


def mount_docs(app: FastAPI) -> None:
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="docs-assets")
