"""A project's checks: the live table, one check's page (ping URLs, snippets, pings with
their bodies, run durations, flips, pause, resume, delete) and the create form. Every
route depends on `member` (reading) or `editor` (changing), and every check is looked up
within the project in the URL."""

import contextlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from tocsin.domain.accounts import can_change
from tocsin.domain.checks import status, streak
from tocsin.domain.dependencies import MAX_PARENTS
from tocsin.domain.describe import (
    describe_schedule,
    next_expected,
    ping_urls,
    schedule_hint,
    when,
)
from tocsin.domain.records import CheckDetails, Membership
from tocsin.domain.run_rules import NO_RULES
from tocsin.domain.run_rules import describe as describe_rules
from tocsin.services import checks as check_service
from tocsin.services import maintenance as maintenance_service
from tocsin.services.context import Context
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import checks as check_store
from tocsin.store import dependencies as dependency_store
from tocsin.store import pings as ping_store
from tocsin.store.projects import ping_key
from tocsin.web.access import (
    EditorDep,
    FormDep,
    MemberDep,
    field,
    not_found,
    parse_id,
    parse_uuid,
    require_confirmation,
)
from tocsin.web.check_alerting import (
    DEFAULT_POLICY,
    Choices,
    alerting_options,
    fill_new,
    project_choices,
    read_alerting,
    show_refusal,
)
from tocsin.web.check_form import BOXES, FIELDS, CheckForm, read_check_form
from tocsin.web.check_rows import SORTS, Filters, all_tags, table
from tocsin.web.live import change_events
from tocsin.web.pages import render
from tocsin.web.run_chart import Run, run_chart
from tocsin.web.snippets import snippets

router = APIRouter(include_in_schema=False)
RECENT = 20
STRIP = 10  # pings in each row's history strip
CHARTED_RUNS = 40


def checks_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/checks"


def filters_of(request: Request) -> Filters:
    query = request.query_params
    return Filters(
        tag=query.get("tag", ""),
        status=query.get("status", ""),
        text=query.get("q", "").strip(),
        sort=query.get("sort", "name"),
    )


async def table_context(request: Request, membership: Membership) -> dict[str, Any]:
    services = services_of(request)
    async with services.database.read() as connection:
        found = await connection.run_sync(check_store.project_checks, membership.project_id)
        histories = await connection.run_sync(
            ping_store.project_histories, membership.project_id, STRIP
        )
    filters = filters_of(request)
    return {
        "membership": membership,
        "rows": table(found, filters, services.clock.now(), histories),
        "total": len(found),
        "tags": all_tags(found),
        "filters": filters,
        "sorts": SORTS,
        "statuses": ["up", "late", "down", "started", "new", "paused"],
        "base": checks_url(membership),
    }


@router.get("/projects/{project_id}/checks")
async def checks_page(request: Request, membership: MemberDep) -> Response:
    return render(request, "checks.html", await table_context(request, membership))


@router.get("/projects/{project_id}/checks/rows")
async def checks_rows(request: Request, membership: MemberDep) -> Response:
    """The table's rows alone, fetched again whenever the event stream says so."""
    return render(request, "check_rows.html", await table_context(request, membership))


@router.get("/projects/{project_id}/checks/events")
async def checks_events(request: Request, membership: MemberDep) -> Response:
    return change_events(request, membership.project_id, check_store.project_signature)


@router.get("/projects/{project_id}/checks/new")
async def new_check_form(
    request: Request, services: ServicesDep, membership: MemberDep
) -> Response:
    async with services.database.read() as connection:
        choices = await connection.run_sync(project_choices, membership.project_id)
    form = CheckForm()
    fill_new(form, choices)
    return render_form(request, membership, form, choices)


def render_form(
    request: Request,
    membership: Membership,
    form: CheckForm,
    choices: Choices,
    status_code: int = 200,
    *,
    check: str | None = None,
    windows: list[str] | None = None,
) -> Response:
    """The check form: a new check's, or with `check` (a uuid) that check's edit form
    (and the maintenance windows that apply to it, in words)."""
    base = checks_url(membership)
    context = {
        "membership": membership,
        "form": form,
        "choices": choices,
        "default_policy": DEFAULT_POLICY,
        "base": base,
        "action": f"{base}/new" if check is None else f"{base}/{check}/edit",
        "back": base if check is None else f"{base}/{check}",
        "editing": check is not None,
        "preview_url": f"/projects/{membership.project_id}/schedule-preview",
        "maintenance_windows": windows or [],
    }
    return render(request, "check_form.html", context, status_code)


@router.post("/projects/{project_id}/checks/new")
async def create_check(
    request: Request, services: ServicesDep, membership: EditorDep, form: FormDep
) -> Response:
    spec, checked = read_check_form({name: field(form, name) for name in FIELDS + BOXES})
    choices = await services.database.read_with(project_choices, membership.project_id)
    alerting = read_alerting(
        checked, choices, field(form, "policy"), channels_of(form), parents_of(form)
    )
    if spec is None or alerting is None:
        return render_form(request, membership, checked, choices, 400)
    try:
        details = await check_service.create_check(
            services, membership.project_id, spec, alerting_options(alerting)
        )
    except InvalidError as error:
        show_refusal(checked, error)
        return render_form(request, membership, checked, choices, 400)
    return RedirectResponse(f"{checks_url(membership)}/{details.record.uuid}", status_code=303)


def channels_of(form: FormData) -> list[str]:
    return [sent for sent in form.getlist("channel") if isinstance(sent, str)]


def parents_of(form: FormData) -> list[str]:
    return [sent for sent in form.getlist("parent") if isinstance(sent, str)][:MAX_PARENTS]


def project_check(connection: sa.Connection, membership: Membership, check: str) -> CheckDetails:
    """The check in the URL, if it belongs to the project in the URL; else 404."""
    check_uuid = parse_uuid(check)
    found = None
    if check_uuid is not None:
        found = check_store.details_by_uuid(connection, check_uuid)
    if found is None or found.record.project_id != membership.project_id:
        raise not_found()
    return found


async def check_to_change(services: Context, membership: Membership, check: str) -> int:
    """The id of the check in the URL, to give an action (which finds it again, locked)."""
    return (await services.database.read_with(project_check, membership, check)).record.id


@contextlib.contextmanager
def check_not_found() -> Iterator[None]:
    """A check deleted since it was read is not found, as it would be a moment later."""
    try:
        yield
    except NotFoundError:
        raise not_found() from None


@router.get("/projects/{project_id}/checks/{check}")
async def check_page(
    request: Request, services: ServicesDep, membership: MemberDep, check: str
) -> Response:
    async with services.database.read() as connection:
        details = await connection.run_sync(project_check, membership, check)
        record = details.record
        pings = await connection.run_sync(ping_store.list_pings, record.id, RECENT)
        runs = await connection.run_sync(ping_store.recent_runs, record.id, CHARTED_RUNS)
        flips = await connection.run_sync(check_store.list_flips, record.id, limit=RECENT)
        key = await connection.run_sync(ping_key, membership.project_id)
        links = await connection.run_sync(dependency_store.links_of, record.id)
    now = services.clock.now()
    base = services.settings.base_url
    urls = ping_urls(base, str(record.uuid), record.token, record.slug, key)
    context = {
        "membership": membership,
        "base": checks_url(membership),
        "details": details,
        "status": status(record.state, now),
        "streak": streak(record.state),  # `failing (2 of 3)` while a threshold counts
        "run_rules": "" if details.spec.rules == NO_RULES else describe_rules(details.spec.rules),
        "schedule": describe_schedule(record.state),
        "hint": schedule_hint(record.state.schedule),
        "last_ping": when(record.state.last_ping, now),
        "next_expected": next_expected(record.state, now),
        "urls": urls,
        "snippets": snippets(record.state.schedule, base, str(record.uuid), urls["ping URL"]),
        "chart": run_chart([Run(at, seconds, kind == "fail") for at, seconds, kind in runs]),
        "pings": pings,
        "flips": flips,
        "can_change": can_change(membership.role),
        "now": now,
        "links": links,
        "windows": await maintenance_service.check_windows(services, record),
    }
    return render(request, "check.html", context)


@router.get("/projects/{project_id}/checks/{check}/pings/{n}/body")
async def ping_body(services: ServicesDep, membership: MemberDep, check: str, n: str) -> Response:
    """A ping's body as plain text, never rendered by the browser: it is the job's output."""
    number = parse_id(n)
    async with services.database.read() as connection:
        details = await connection.run_sync(project_check, membership, check)
        body = (
            None
            if number is None
            else await connection.run_sync(ping_store.ping_body, details.record.id, number)
        )
    if not body:
        raise not_found()
    headers = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
    return PlainTextResponse(body.decode("utf-8", "replace"), headers=headers)


@router.post("/projects/{project_id}/checks/{check}/pause")
async def pause_check(services: ServicesDep, membership: EditorDep, check: str) -> Response:
    check_id = await check_to_change(services, membership, check)
    with check_not_found():
        await check_service.pause_check(services, membership.project_id, check_id)
    return RedirectResponse(f"{checks_url(membership)}/{check}", status_code=303)


@router.post("/projects/{project_id}/checks/{check}/resume")
async def resume_check(services: ServicesDep, membership: EditorDep, check: str) -> Response:
    check_id = await check_to_change(services, membership, check)
    # A check that is not paused stays as it is.
    with check_not_found(), contextlib.suppress(ConflictError):
        await check_service.resume_check(services, membership.project_id, check_id)
    return RedirectResponse(f"{checks_url(membership)}/{check}", status_code=303)


@router.post("/projects/{project_id}/checks/{check}/delete")
async def delete_check(
    services: ServicesDep, membership: EditorDep, form: FormDep, check: str
) -> Response:
    check_id = await check_to_change(services, membership, check)
    require_confirmation(form, "delete")
    with check_not_found():
        await check_service.delete_check(services, membership.project_id, check_id)
    return RedirectResponse(checks_url(membership), status_code=303)
