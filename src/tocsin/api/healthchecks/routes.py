"""Healthchecks' Management API: every endpoint module's routes, registered here."""

from fastapi import APIRouter

from tocsin.api.healthchecks import checks, status
from tocsin.api.healthchecks.http import HealthchecksRoute, register


def healthchecks_router() -> APIRouter:
    router = APIRouter(route_class=HealthchecksRoute)
    register(router, checks.routes)
    # The status endpoint answers plain text, outside the dialect's JSON refusals.
    router.include_router(status.router)
    return router
