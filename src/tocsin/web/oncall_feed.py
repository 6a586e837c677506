"""A calendar's iCalendar feed at its secret URL, `/oncall/feed/<token>.ics`, for people's
own calendar apps (which cannot sign in). An unknown token answers 404, saying no more."""

from fastapi import APIRouter
from fastapi.responses import Response

from tocsin.services import oncall as oncall_service
from tocsin.services.requests import ServicesDep

router = APIRouter(include_in_schema=False)

HEADERS = {"Cache-Control": "no-store"}


@router.get(oncall_service.FEED_PATH)
async def feed(services: ServicesDep, token: str) -> Response:
    text = await oncall_service.feed(services, token)
    if text is None:
        return Response("not found", status_code=404, media_type="text/plain", headers=HEADERS)
    return Response(text, media_type="text/calendar; charset=utf-8", headers=HEADERS)
