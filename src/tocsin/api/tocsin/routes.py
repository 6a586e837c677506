"""Tocsin's own API: every endpoint module's routes, registered here."""

from fastapi import APIRouter

from tocsin.api.tocsin import alerting, checks, incidents, maintenance, oncall


def tocsin_router() -> APIRouter:
    router = APIRouter()
    for module in (checks, incidents, alerting, oncall, maintenance):
        router.include_router(module.router)
    return router
