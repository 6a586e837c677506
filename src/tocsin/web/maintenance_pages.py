"""A project's maintenance windows (listed, added, removed), and the snooze controls of a
check's page and an incident's page, through `services.maintenance` as the command line
and the API use it."""

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from tocsin.domain import windows as rules
from tocsin.domain.accounts import can_change
from tocsin.domain.durations import DurationError, parse_duration
from tocsin.domain.records import CheckRecord, Membership
from tocsin.domain.schedule import WEEKDAYS
from tocsin.services import maintenance as service
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep
from tocsin.store import checks as check_store
from tocsin.web.access import EditorDep, FormDep, MemberDep, WebError, field, not_found, parse_id
from tocsin.web.check_pages import check_to_change, checks_url
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)
SNOOZE_LENGTHS = ("30m", "1h", "2h", "8h", "1d")
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_VALUES = tuple(str(day) for day in range(7))


def maintenance_url(membership: Membership) -> str:
    return f"/projects/{membership.project_id}/maintenance"


def check_names(connection: sa.Connection, project_id: int) -> dict[int, CheckRecord]:
    return {d.record.id: d.record for d in check_store.project_checks(connection, project_id)}


@router.get("/projects/{project_id}/maintenance")
async def maintenance_page(
    request: Request, services: ServicesDep, membership: MemberDep
) -> Response:
    return await render_page(request, services, membership)


async def render_page(
    request: Request,
    services: ServicesDep,
    membership: Membership,
    form: dict[str, str] | None = None,
    error: str = "",
) -> Response:
    found = await service.list_windows(services, membership.project_id)
    checks = await services.database.read_with(check_names, membership.project_id)
    context: dict[str, Any] = {
        "membership": membership,
        "base": maintenance_url(membership),
        "windows": found,
        "checks": checks,
        "covers": lambda w: covers(w, checks),
        "when_words": rules.when_words,
        "weekdays": list(enumerate(WEEKDAY_NAMES)),
        "form": form or {"kind": "recurring", "tz": "UTC"},
        "error": error,
        "can_change": can_change(membership.role),
        "now": services.clock.now(),
    }
    return render(request, "maintenance.html", context, 400 if error else 200)


async def check_window_words(services: ServicesDep, record: CheckRecord) -> list[str]:
    """The windows that apply to a check and have not ended, in words, for its edit
    form: first the daily one it carries itself (set through Better Stack's API)."""
    own = rules.own_window(record.project_id, record.id, record.state.maintenance)
    found = own + await service.check_windows(services, record)
    return [rules.window_words(window) for window in found]


def covers(window: rules.Window, checks: dict[int, CheckRecord]) -> str:
    check_id = window.scope.check_id
    if check_id is not None:
        record = checks.get(check_id)
        return f"check {record.label if record else check_id}"
    return window.scope.describe()


@router.post("/projects/{project_id}/maintenance")
async def add_window(
    request: Request, services: ServicesDep, membership: EditorDep, form: FormDep
) -> Response:
    values = {name: field(form, name) for name in FORM_FIELDS}
    values["days"] = ",".join(str(day) for day in chosen_days(form))
    try:
        new = await new_window(services, membership, form)
        who = request.state.visitor.session.user.email
        await service.add_window(services, membership.project_id, new, who)
    except (rules.WindowError, InvalidError, WebError) as error:
        text = error.text if isinstance(error, WebError) else str(error)
        return await render_page(request, services, membership, values, text)
    return RedirectResponse(maintenance_url(membership), status_code=303)


FORM_FIELDS = ("name", "scope", "tag", "kind", "start", "end", "tz", "starts", "ends")


def chosen_days(form: FormData) -> list[int]:
    return sorted({int(day) for day in form.getlist("day") if day in DAY_VALUES})


async def new_window(
    services: ServicesDep, membership: Membership, form: FormData
) -> service.NewWindow:
    scope = await scope_of(services, membership, field(form, "scope"), field(form, "tag"))
    if field(form, "kind") == "once":
        when: rules.When = rules.one_off(
            instant(field(form, "starts")), instant(field(form, "ends"))
        )
    else:
        days = [WEEKDAYS[day] for day in chosen_days(form)]
        when = rules.recurring(
            days, field(form, "start"), field(form, "end"), field(form, "tz") or "UTC"
        )
    return service.NewWindow(field(form, "name"), when, scope)


async def scope_of(
    services: ServicesDep, membership: Membership, scope: str, tag: str
) -> rules.Scope:
    """`project`, `tag` (with the tag field), or a check's id."""
    if scope == "tag":
        return rules.check_scope(None, tag)
    if scope in ("", "project"):
        return rules.Scope()
    checks = await services.database.read_with(check_names, membership.project_id)
    check_id = parse_id(scope)
    if check_id is None or check_id not in checks:
        raise rules.WindowError("choose a check of this project")
    return rules.Scope(check_id)


def instant(text: str) -> datetime:
    """An instant as a person types it; without a zone it is UTC, as the form says."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise rules.WindowError(
            f"not a date and time: {text[:40]!r} (use 2026-01-31 02:00)"
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@router.post("/projects/{project_id}/maintenance/{window}/remove")
async def remove_window(services: ServicesDep, membership: EditorDep, window: str) -> Response:
    window_id = parse_id(window)
    if window_id is None:
        raise not_found()
    try:
        await service.remove_window(services, membership.project_id, window_id)
    except NotFoundError:
        raise not_found() from None
    return RedirectResponse(maintenance_url(membership), status_code=303)


# A check's page and an incident's page.


def snooze_length(form: FormData) -> timedelta:
    try:
        return parse_duration(field(form, "duration") or "2h")
    except DurationError as error:
        raise WebError(400, "Cannot snooze", str(error)) from None


def refused(error: Exception) -> WebError:
    if isinstance(error, NotFoundError):
        return not_found()
    assert isinstance(error, ConflictError | InvalidError)
    return WebError(
        409 if isinstance(error, ConflictError) else 400, "Nothing to do", error.message
    )


@router.post("/projects/{project_id}/checks/{check}/snooze")
async def snooze_check(
    request: Request, services: ServicesDep, membership: EditorDep, form: FormDep, check: str
) -> Response:
    check_id = await check_to_change(services, membership, check)
    who = request.state.visitor.session.user.email
    try:
        await service.snooze_check(
            services, membership.project_id, check_id, snooze_length(form), who
        )
    except (NotFoundError, InvalidError) as error:
        raise refused(error) from None
    return RedirectResponse(f"{checks_url(membership)}/{check}", status_code=303)


@router.post("/projects/{project_id}/checks/{check}/unsnooze")
async def unsnooze_check(
    request: Request, services: ServicesDep, membership: EditorDep, check: str
) -> Response:
    check_id = await check_to_change(services, membership, check)
    who = request.state.visitor.session.user.email
    try:
        await service.unsnooze_check(services, membership.project_id, check_id, who)
    except (NotFoundError, ConflictError) as error:
        raise refused(error) from None
    return RedirectResponse(f"{checks_url(membership)}/{check}", status_code=303)


@router.post("/projects/{project_id}/incidents/{incident}/snooze")
async def snooze_incident(
    request: Request, services: ServicesDep, membership: EditorDep, form: FormDep, incident: str
) -> Response:
    number = parse_id(incident)
    if number is None:
        raise not_found()
    who = request.state.visitor.session.user.email
    length = snooze_length(form)
    try:
        await service.snooze_incident(services, membership.project_id, number, length, who)
    except (NotFoundError, ConflictError, InvalidError) as error:
        raise refused(error) from None
    return RedirectResponse(
        f"/projects/{membership.project_id}/incidents/{number}", status_code=303
    )


@router.post("/projects/{project_id}/incidents/{incident}/unsnooze")
async def unsnooze_incident(
    request: Request, services: ServicesDep, membership: EditorDep, incident: str
) -> Response:
    number = parse_id(incident)
    if number is None:
        raise not_found()
    who = request.state.visitor.session.user.email
    try:
        await service.unsnooze_incident(services, membership.project_id, number, who)
    except (NotFoundError, ConflictError) as error:
        raise refused(error) from None
    return RedirectResponse(
        f"/projects/{membership.project_id}/incidents/{number}", status_code=303
    )
