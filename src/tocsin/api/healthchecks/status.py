"""`GET /api/v3/status/`: answers OK when the database does (Healthchecks' endpoint)."""

import sqlalchemy as sa
from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from tocsin.services.requests import ServicesDep

router = APIRouter()


@router.get("/api/v1/status/", include_in_schema=False)
@router.get("/api/v2/status/", include_in_schema=False)
@router.get("/api/v3/status/", response_class=PlainTextResponse)
async def status(services: ServicesDep) -> PlainTextResponse:
    try:
        async with services.database.read() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except Exception:
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("OK")
