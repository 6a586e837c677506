"""The server in-process over ASGI, with the secrets Slack and Telegram sign with, an
open incident, and what the alerts about it carry."""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from tests.web.conftest import Web, running_web
from tocsin.domain.signing import ACK_PURPOSE, sign

SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TELEGRAM_SECRET = "telegram-webhook-secret_1"
TWILIO_TOKEN = "12345abcdef"


@dataclass
class Site:
    web: Web
    secret: str  # the instance's signing key

    def token(self, incident_id: int, valid_for: timedelta = timedelta(days=7)) -> str:
        """The token an alert about the incident carries."""
        return sign(self.secret, ACK_PURPOSE, incident_id, self.web.clock.now() + valid_for)


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[Site]:
    async with running_web(
        database_url,
        slack_signing_secret=SLACK_SECRET,
        telegram_webhook_secret=TELEGRAM_SECRET,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_account_sid="AC0123456789abcdef0123456789abcdef",
        allow_private_webhooks=True,
    ) as web:
        yield Site(web, web.app.web.state.services.secret)
