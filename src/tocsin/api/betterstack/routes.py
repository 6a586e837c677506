"""Better Stack's Uptime API: every endpoint module's routes, registered here."""

from fastapi import APIRouter

from tocsin.api.betterstack import heartbeats, incidents, oncall, policies
from tocsin.api.betterstack.http import BetterStackRoute, register


def betterstack_router() -> APIRouter:
    router = APIRouter(route_class=BetterStackRoute)
    for module in (heartbeats, incidents, policies, oncall):
        register(router, module.routes)
    return router
