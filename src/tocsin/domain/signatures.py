"""How Slack and Twilio sign the requests they send to Tocsin, computed and checked.
Pure: the caller reads the headers, the body and the clock."""

import base64
import hashlib
import hmac
from collections.abc import Iterable
from datetime import datetime

from tocsin.domain.numbers import whole_number

# Slack: "verify that the timestamp … is within five minutes of local time", against
# replays of a request someone recorded.
SLACK_TOLERANCE = 5 * 60


def slack_signature(signing_secret: str, timestamp: str, body: bytes) -> str:
    """`v0=` and the hex HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def slack_request_is_genuine(
    signing_secret: str, timestamp: str, signature: str, body: bytes, now: datetime
) -> bool:
    """Whether Slack sent this body, lately; an empty secret trusts nobody."""
    sent = whole_number(timestamp)
    if not signing_secret or sent is None or abs(now.timestamp() - sent) > SLACK_TOLERANCE:
        return False
    expected = slack_signature(signing_secret, timestamp, body)
    return hmac.compare_digest(signature.encode(), expected.encode())


def twilio_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """Base64 of the HMAC-SHA1 of the full URL followed by each POST parameter's name
    and value, sorted by name (a repeated name: its values in order)."""
    data = url + "".join(name + value for name, value in sorted(params))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def twilio_request_is_genuine(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str
) -> bool:
    if not auth_token:
        return False
    expected = twilio_signature(auth_token, url, params)
    return hmac.compare_digest(signature.encode(), expected.encode())
