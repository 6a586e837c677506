"""Sending pings from a job: where they go, and retries that never raise.

A ping that cannot be delivered must not break the job it reports on, so `Pinger.send`
retries with backoff until its time budget runs out and then returns the reason
instead of raising. The server is found from a check's uuid, slug or full ping URL.
"""

import re
import time
from dataclasses import dataclass
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit
from uuid import UUID

from tocsin.version import __version__

START_WITHIN = 3.0  # seconds; the start ping is sent beside the job, never before it
FINISH_WITHIN = 10.0
ATTEMPT_TIMEOUT = 5.0
FIRST_BACKOFF = 0.25
MAX_BACKOFF = 2.0
USER_AGENT = f"tocsin-run/{__version__}"
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SLUG = re.compile(r"[-a-z0-9_]+")


class TargetError(ValueError):
    """A check that cannot be turned into a ping URL; the message says what is missing."""


@dataclass(frozen=True, slots=True)
class Pinger:
    """Pings one check: `base` is its ping URL without a suffix."""

    base: str

    def url(self, suffix: str, rid: UUID | None) -> str:
        parts = urlsplit(self.base)
        path = f"{parts.path}/{suffix}" if suffix else parts.path
        query = parts.query
        if rid is not None:
            query = "&".join(q for q in (query, urlencode({"rid": str(rid)})) if q)
        return urlunsplit(SplitResult(parts.scheme, parts.netloc, path, query, ""))

    def send(self, suffix: str, rid: UUID | None, body: bytes = b"", within: float = 10) -> str:
        """POST one ping, retrying for up to `within` seconds. "" when it arrived, else why not."""
        url = self.url(suffix, rid)
        give_up = time.monotonic() + within
        backoff = FIRST_BACKOFF
        while True:
            problem, retryable = attempt(url, body, give_up - time.monotonic())
            left = give_up - time.monotonic()
            if not problem or not retryable or left <= 0:
                return problem
            time.sleep(min(backoff, left))
            backoff = min(backoff * 2, MAX_BACKOFF)


def attempt(url: str, body: bytes, left: float) -> tuple[str, bool]:
    """One request: ("", _) when answered 2xx, else (reason, whether trying again may help)."""
    import urllib.error  # here, not above: `import tocsin` stays a few milliseconds
    import urllib.request

    request = urllib.request.Request(
        url, data=body, method="POST", headers={"User-Agent": USER_AGENT}
    )
    try:
        with urllib.request.urlopen(request, timeout=max(0.1, min(left, ATTEMPT_TIMEOUT))):
            return "", False
    except urllib.error.HTTPError as error:
        # 429 and 5xx (the server answers 503 while its database is down) may pass;
        # 404 and 400 are a wrong URL and will not.
        reason = f"{error.code} {error.read(200).decode(errors='replace').strip()}".strip()
        return reason, error.code == 429 or error.code >= 500
    except (urllib.error.URLError, OSError, ValueError) as error:
        return str(getattr(error, "reason", None) or error), not isinstance(error, ValueError)


def pinger_for(check: str, server: str | None = None, ping_key: str | None = None) -> Pinger:
    """A full ping URL as it is; a uuid on `server`; a slug under `server` and `ping_key`."""
    check = check.strip()
    if check.startswith(("http://", "https://")):
        return Pinger(check.rstrip("/"))
    if not server:
        raise TargetError(f"check {check!r} needs a server (--server or TOCSIN_RUN_SERVER)")
    if not server.startswith(("http://", "https://")):
        raise TargetError(f"server {server!r} must start with http:// or https://")
    root = server.rstrip("/")
    if _UUID.fullmatch(check):
        return Pinger(f"{root}/ping/{check.lower()}")
    if not _SLUG.fullmatch(check):
        raise TargetError(f"check {check!r} is neither a uuid, a slug nor a ping URL")
    if not ping_key:
        raise TargetError(f"slug {check!r} needs a ping key (--ping-key or TOCSIN_PING_KEY)")
    return Pinger(f"{root}/ping/{ping_key}/{check}")
