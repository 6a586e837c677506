"""Tocsin's own API, /api/tocsin/v1: the router with every endpoint module's routes."""

from tocsin.api import tocsin_alerting, tocsin_checks, tocsin_incidents
from tocsin.api.tocsin_http import router

__all__ = ["router"]

ENDPOINT_MODULES = (
    tocsin_checks,
    tocsin_incidents,
    tocsin_alerting,
)  # each registers its routes on `router` when imported
