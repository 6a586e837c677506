"""Every callback route, for the server to include."""

from fastapi import APIRouter

from tocsin.inbound import slack, telegram, twilio


def inbound_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    router.include_router(slack.router)
    router.include_router(telegram.router)
    router.include_router(twilio.router)
    return router
