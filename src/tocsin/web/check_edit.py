"""Editing a check's settings, and the live previews the form shows while a cron or
OnCalendar schedule, rules on runs or keyword rules are typed. Saving goes through the
same action as the APIs
(`services.checks.update_check`, which re-derives the deadline and tells the watcher)."""

from collections.abc import Callable
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.responses import Response

from tocsin.domain.accounts import can_change
from tocsin.domain.describe import cron_words, upcoming_times
from tocsin.domain.records import Membership, NewCheck
from tocsin.domain.run_rules import describe as describe_rules
from tocsin.domain.schedule import Calendar, ScheduleError, cron_schedule, oncalendar_schedule
from tocsin.services import checks as check_service
from tocsin.services.errors import InvalidError
from tocsin.services.requests import ServicesDep
from tocsin.web.access import EditorDep, FormDep, MemberDep, WebError, field
from tocsin.web.check_alerting import (
    alerting_options,
    fill_current,
    project_choices,
    read_alerting,
    show_refusal,
)
from tocsin.web.check_form import BOXES, FIELDS, form_of, read_check_form
from tocsin.web.check_pages import (
    channels_of,
    check_not_found,
    checks_url,
    parents_of,
    project_check,
    render_form,
)
from tocsin.web.check_rules_runs import RUN_FIELDS, read_run_rules
from tocsin.web.keyword_form import preview, read_keywords
from tocsin.web.maintenance_pages import check_window_words

router = APIRouter(include_in_schema=False)
PREVIEW_TIMES = 5


def refuse_viewers(membership: Membership) -> None:
    if not can_change(membership.role):
        raise WebError(403, "Not allowed", "Viewers can look at this project but not change it.")


@router.get("/projects/{project_id}/checks/{check}/edit")
async def edit_check_form(
    request: Request, services: ServicesDep, membership: MemberDep, check: str
) -> Response:
    refuse_viewers(membership)
    async with services.database.read() as connection:
        details = await connection.run_sync(project_check, membership, check)
        form = form_of(details.spec)
        choices = await connection.run_sync(project_choices, membership.project_id)
        await connection.run_sync(fill_current, form, membership.project_id, details.record.id)
    windows = await check_window_words(services, details.record)
    return render_form(request, membership, form, choices, check=check, windows=windows)


@router.post("/projects/{project_id}/checks/{check}/edit")
async def edit_check(
    request: Request, services: ServicesDep, membership: EditorDep, form: FormDep, check: str
) -> Response:
    spec, checked = read_check_form({name: field(form, name) for name in FIELDS + BOXES})
    async with services.database.read() as connection:
        details = await connection.run_sync(project_check, membership, check)
        choices = await connection.run_sync(project_choices, membership.project_id)
    windows = await check_window_words(services, details.record)
    alerting = read_alerting(
        checked, choices, field(form, "policy"), channels_of(form), parents_of(form)
    )
    if spec is None or alerting is None:
        return render_form(request, membership, checked, choices, 400, check=check, windows=windows)
    try:
        with check_not_found():
            await check_service.update_check(
                services,
                membership.project_id,
                details.record.id,
                window_kept(spec),
                alerting_options(alerting),
            )
    except InvalidError as error:
        show_refusal(checked, error)
        return render_form(request, membership, checked, choices, 400, check=check, windows=windows)
    return RedirectResponse(f"{checks_url(membership)}/{check}", status_code=303)


def window_kept(spec: NewCheck) -> Callable[[NewCheck], NewCheck]:
    """The form's settings over the check's current ones: the form has no field for
    the daily window a check may carry (Better Stack's), which stays as it is."""
    return lambda current: replace(spec, maintenance=current.maintenance)


@router.get("/projects/{project_id}/run-rules-preview")
async def run_rules_preview(request: Request, _membership: MemberDep) -> JSONResponse:
    """The rules on runs typed so far in words, or why they cannot be used (a 200 all
    the same, as the schedule's preview)."""
    typed = {name: request.query_params.get(name, "")[:40] for name in RUN_FIELDS}
    errors: dict[str, str] = {}
    rules = read_run_rules(typed, errors)
    if rules is None:
        return JSONResponse({"error": next(iter(errors.values()))})
    return JSONResponse({"words": describe_rules(rules)})


@router.get("/projects/{project_id}/schedule-preview")
async def schedule_preview(
    services: ServicesDep,
    _membership: MemberDep,
    cron: str = "",
    tz: str = "UTC",
    kind: str = "cron",
    oncalendar: str = "",
) -> JSONResponse:
    """A cron expression (or, with kind=oncalendar, OnCalendar expressions) in words and
    its next due times, or why it cannot be used (a 200 all the same: the question was
    answered, and the browser logs no error)."""
    schedule: Calendar
    try:
        if kind == "oncalendar":
            schedule = oncalendar_schedule(oncalendar[:200], tz[:100])
            words = schedule.describe()
        else:
            cron_check = cron_schedule(cron[:200], tz[:100])
            schedule, words = cron_check, cron_words(cron_check.expression)
    except ScheduleError as error:
        return JSONResponse({"error": str(error)})
    now = services.clock.now()
    return JSONResponse({"words": words, "times": upcoming_times(schedule, now, PREVIEW_TIMES)})


@router.get("/projects/{project_id}/keywords-preview")
async def keywords_preview(request: Request, _membership: MemberDep) -> JSONResponse:
    """The keyword rules typed so far, in words, or why a pattern cannot be used (a 200
    all the same, as for the schedule)."""
    sent = {name: value[:300] for name, value in request.query_params.items()}
    errors: dict[str, str] = {}
    read_keywords(sent, errors)
    if errors:
        return JSONResponse({"error": next(iter(errors.values()))})
    return JSONResponse({"words": preview(sent)})
