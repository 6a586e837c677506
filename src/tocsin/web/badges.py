"""Status badges at public, unguessable URLs (see `domain.badges`): for all of a
project's checks (`/badge/<key>/<signature>.<fmt>`), for those with a tag
(`/badge/<key>/<signature>/<tag>.<fmt>`) and for one check (`/b/<2|3>/<key>.<fmt>`).
Anything that does not match answers 404, saying no more."""

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import Response

from tocsin.domain import badges
from tocsin.domain.naming import status_word, unique_key
from tocsin.domain.records import CheckDetails
from tocsin.services.requests import ServicesDep, services_of
from tocsin.store import checks as check_store
from tocsin.store.projects import ping_keys

router = APIRouter(include_in_schema=False)

HEADERS = {"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"}


def not_found() -> Response:
    return Response("not found", status_code=404, media_type="text/plain", headers=HEADERS)


def project_of(connection: sa.Connection, secret: str, badge_key: str) -> int | None:
    for project_id, ping_key in ping_keys(connection).items():
        if badges.project_badge_key(secret, ping_key) == badge_key:
            return project_id
    return None


def checks_of_badge(
    connection: sa.Connection, secret: str, badge_key: str
) -> list[CheckDetails] | None:
    project_id = project_of(connection, secret, badge_key)
    if project_id is None:
        return None
    return check_store.project_checks(connection, project_id)


async def badge_checks(request: Request, badge_key: str) -> list[CheckDetails] | None:
    services = services_of(request)
    return await services.database.read_with(checks_of_badge, services.secret, badge_key)


def answer(
    request: Request, fmt: str, label: str, found: list[CheckDetails], *, with_late: bool
) -> Response:
    now = services_of(request).clock.now()
    words = [status_word(d.record.state, now, 3) for d in found]
    body, media_type = badges.render(fmt, label, badges.combined(words, with_late=with_late))
    return Response(body, media_type=media_type, headers=HEADERS)


@router.get("/badge/{badge_key}/{rest:path}")
async def tag_badge(request: Request, services: ServicesDep, badge_key: str, rest: str) -> Response:
    """`<signature>.<fmt>` for all checks, `<signature>/<tag>.<fmt>` for a tag."""
    signature, slash, tagged = rest.partition("/")
    parsed = badges.split_format(tagged if slash else rest)
    if parsed is None:
        return not_found()
    tag, fmt = parsed if slash else (badges.ALL_CHECKS, parsed[1])
    signature = signature if slash else parsed[0]
    if not badges.is_tag_signature(services.secret, badge_key, tag, signature):
        return not_found()
    found = await badge_checks(request, badge_key)
    if found is None:
        return not_found()
    chosen = [d for d in found if tag == badges.ALL_CHECKS or tag in d.spec.tags.split()]
    label = badges.ALL_CHECKS_LABEL if tag == badges.ALL_CHECKS else tag
    return answer(request, fmt, label, chosen, with_late=not signature.endswith("-2"))


@router.get("/b/{states}/{key_fmt}")
async def check_badge(request: Request, states: str, key_fmt: str) -> Response:
    parsed = badges.split_format(key_fmt)
    if parsed is None or states not in ("2", "3"):
        return not_found()
    badge_key, check_key = badges.split_check_badge_key(parsed[0])
    found = await badge_checks(request, badge_key)
    chosen = [d for d in found or [] if unique_key(d.record.uuid) == check_key]
    if not chosen:
        return not_found()
    label = chosen[0].spec.name or str(chosen[0].record.uuid)
    return answer(request, parsed[1], label, chosen, with_late=states == "3")
