"""What the channel kinds' tests share besides sample messages: a real outbound."""

from collections.abc import AsyncIterator

import pytest

from tocsin.notify.http import http_client
from tocsin.notify.outbound import LiveOutbound, SmtpSettings

NO_SMTP = SmtpSettings(host="", port=0, security="none", username="", password="", sender="")


@pytest.fixture
async def outbound() -> AsyncIterator[LiveOutbound]:
    """The outbound Tocsin sends with, allowed to reach the local receiver."""
    async with http_client() as session:
        yield LiveOutbound(session, timeout=5, allow_private=True, smtp=NO_SMTP)
