"""A person's profile: the contact methods alerts reach them by (their account email,
verified by a mailed link; a phone; a Pushover user key; an ntfy topic; a Telegram
chat; a Slack member id), each with optional hours of the day, a test message, and
removal. Only the signed-in person sees and changes their own."""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from tocsin.domain.people import CONTACT_LABELS, ActiveHours, ContactKind, parse_hours
from tocsin.services import people as people_service
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.requests import ServicesDep, services_of
from tocsin.web.access import FormDep, SessionDep, field, not_found, parse_id
from tocsin.web.pages import render

router = APIRouter(include_in_schema=False)
PROFILE = "/profile"


async def render_profile(
    request: Request, user_id: int, extra: dict[str, Any] | None = None, status: int = 200
) -> Response:
    contacts = await people_service.list_contacts(services_of(request), user_id)
    context = {
        "contacts": contacts,
        "kinds": [(kind.value, CONTACT_LABELS[kind]) for kind in ContactKind],
        "errors": {},
        "form": {},
        "notice": "",
        "problem": "",
        **(extra or {}),
    }
    return render(request, "profile.html", context, status)


@router.get(PROFILE)
async def profile_page(request: Request, session: SessionDep) -> Response:
    return await render_profile(request, session.user.id)


def hours_of_form(form: FormDep) -> ActiveHours | None:
    start, end = field(form, "start"), field(form, "end")
    if not start and not end:
        return None
    try:
        return parse_hours(f"{start}-{end}", field(form, "zone") or "UTC")
    except ValueError as error:
        raise InvalidError("hours", str(error)) from None


@router.post(f"{PROFILE}/contacts")
async def add_contact(
    request: Request, services: ServicesDep, session: SessionDep, form: FormDep
) -> Response:
    try:
        kind = people_service.contact_kind(field(form, "kind"))
        hours = hours_of_form(form)
        await people_service.add_contact(
            services, session.user.id, kind, field(form, "address"), hours
        )
    except InvalidError as error:
        return await form_error(request, session.user.id, form, error.field, error.message)
    except ConflictError as error:
        return await form_error(request, session.user.id, form, "address", error.message)
    return RedirectResponse(PROFILE, status_code=303)


async def form_error(
    request: Request, user_id: int, form: FormDep, name: str, text: str
) -> Response:
    values = {key: field(form, key) for key in ("kind", "address", "start", "end", "zone")}
    extra = {"errors": {name: text}, "form": values}
    return await render_profile(request, user_id, extra, 400)


@router.post(f"{PROFILE}/account-email")
async def add_account_email(
    request: Request, services: ServicesDep, session: SessionDep, _form: FormDep
) -> Response:
    contact = await people_service.add_account_email(services, session.user.id)
    problem = await people_service.send_verification(services, session.user.id, contact.id)
    return await sent(request, session.user.id, contact.address, problem)


async def sent(request: Request, user_id: int, address: str, problem: str) -> Response:
    if problem:
        return await render_profile(request, user_id, {"problem": problem})
    notice = f"A confirmation link is on its way to {address}."
    return await render_profile(request, user_id, {"notice": notice})


def contact_id_of(text: str) -> int:
    found = parse_id(text)
    if found is None:
        raise not_found()
    return found


@router.post(f"{PROFILE}/contacts/{{contact_id}}/verify")
async def send_verification(
    request: Request, services: ServicesDep, session: SessionDep, _form: FormDep, contact_id: str
) -> Response:
    try:
        found = contact_id_of(contact_id)
        contact = await people_service.owned_contact(services, session.user.id, found)
        problem = await people_service.send_verification(services, session.user.id, found)
    except NotFoundError:
        raise not_found() from None
    except InvalidError as error:
        return await render_profile(request, session.user.id, {"problem": error.message}, 400)
    return await sent(request, session.user.id, contact.address, problem)


@router.get(f"{PROFILE}/verify")
async def verify(
    request: Request, services: ServicesDep, session: SessionDep, contact: str = "", token: str = ""
) -> Response:
    user_id = session.user.id
    try:
        found = await people_service.verify_contact(
            services, user_id, contact_id_of(contact), token
        )
    except NotFoundError:
        raise not_found() from None
    except ConflictError as error:
        return await render_profile(request, user_id, {"problem": error.message}, 400)
    notice = f"{found.address} is confirmed: alerts can reach you there."
    return await render_profile(request, session.user.id, {"notice": notice})


@router.post(f"{PROFILE}/contacts/{{contact_id}}/test")
async def send_test(
    request: Request, services: ServicesDep, session: SessionDep, _form: FormDep, contact_id: str
) -> Response:
    try:
        found = contact_id_of(contact_id)
        contact = await people_service.owned_contact(services, session.user.id, found)
        problem = await people_service.test_contact(services, session.user.id, found)
    except NotFoundError:
        raise not_found() from None
    if problem:
        return await render_profile(request, session.user.id, {"problem": problem})
    notice = f"Test message sent to {contact.address}."
    return await render_profile(request, session.user.id, {"notice": notice})


@router.post(f"{PROFILE}/contacts/{{contact_id}}/remove")
async def remove_contact(
    services: ServicesDep, session: SessionDep, _form: FormDep, contact_id: str
) -> Response:
    try:
        await people_service.remove_contact(services, session.user.id, contact_id_of(contact_id))
    except NotFoundError:
        raise not_found() from None
    return RedirectResponse(PROFILE, status_code=303)
