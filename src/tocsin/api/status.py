"""`GET /api/v3/status/`: answers OK when the database does (Healthchecks' endpoint)."""

import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse

from tocsin.store.database import Database

router = APIRouter()


@router.get("/api/v1/status/", include_in_schema=False)
@router.get("/api/v2/status/", include_in_schema=False)
@router.get("/api/v3/status/", response_class=PlainTextResponse)
async def status(request: Request) -> PlainTextResponse:
    database: Database = request.app.state.database
    try:
        async with database.read() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except Exception:
        return PlainTextResponse("database unavailable", status_code=503)
    return PlainTextResponse("OK")
