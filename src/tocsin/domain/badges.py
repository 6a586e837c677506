"""Status badges, as Healthchecks draws them: the combined status of a project's
checks (all, or those with a tag) or of one check, as SVG, JSON or Shields.io JSON.
Pure: the URLs, the signatures that keep them unguessable, and the drawing.

Badge URLs are public, so they must reveal nothing and be impossible to guess. A
project's badge key is derived from the instance secret and its ping key; a tag's URL
carries a signature of the tag, so knowing one badge does not open the others; a
check's badge key is the project's badge key followed by the check's unique key (which
only holders of an API key see). Changing TOCSIN_SECRET_KEY changes every badge URL, as
changing Healthchecks' SECRET_KEY does.
"""

import hashlib
import hmac
import json
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import quote

FORMATS = ("svg", "json", "shields")
PROJECT_KEY_LENGTH = 16
ALL_CHECKS = "*"
ALL_CHECKS_LABEL = "tocsin"
COLORS = {"up": "#4c1", "late": "#fe7d37", "down": "#e05d44"}
SHIELDS_COLORS = {"up": "success", "late": "important", "down": "critical"}


def keyed(secret: str, purpose: str, text: str) -> str:
    message = f"{purpose}:{text}".encode("utf-8", "surrogatepass")
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def project_badge_key(secret: str, ping_key: str) -> str:
    return keyed(secret, "badge-key", ping_key)[:PROJECT_KEY_LENGTH]


def tag_signature(secret: str, badge_key: str, tag: str, *, with_late: bool) -> str:
    """Eight characters, and `-2` on URLs of two-state badges (late counts as up)."""
    signature = keyed(secret, "badge-tag", f"{badge_key}/{tag}")[:8]
    return signature if with_late else f"{signature}-2"


def tag_badge_url(
    base_url: str, secret: str, badge_key: str, tag: str, fmt: str, *, with_late: bool
) -> str:
    signature = tag_signature(secret, badge_key, tag, with_late=with_late)
    if tag == ALL_CHECKS:
        return f"{base_url}/badge/{badge_key}/{signature}.{fmt}"
    return f"{base_url}/badge/{badge_key}/{signature}/{quote(tag, safe='')}.{fmt}"


def tag_badge_urls(base_url: str, secret: str, badge_key: str, tag: str) -> dict[str, str]:
    """Healthchecks' six URLs of a tag: two-state and three-state, in each format."""
    urls: dict[str, str] = {}
    for fmt in FORMATS:
        for with_late, suffix in ((False, ""), (True, "3")):
            url = tag_badge_url(base_url, secret, badge_key, tag, fmt, with_late=with_late)
            urls[f"{fmt}{suffix}"] = url
    return urls


def check_badge_url(base_url: str, badge_key: str, unique_key: str) -> str:
    return f"{base_url}/b/2/{badge_key}{unique_key}.svg"


def split_check_badge_key(key: str) -> tuple[str, str]:
    """(project badge key, check unique key)"""
    return key[:PROJECT_KEY_LENGTH], key[PROJECT_KEY_LENGTH:]


def is_tag_signature(secret: str, badge_key: str, tag: str, signature: str) -> bool:
    with_late = not signature.endswith("-2")
    expected = tag_signature(secret, badge_key, tag, with_late=with_late)
    return hmac.compare_digest(signature, expected)


def split_format(name: str) -> tuple[str, str] | None:
    """`backups.svg` is ("backups", "svg"); None for a format Tocsin does not draw."""
    stem, dot, fmt = name.rpartition(".")
    return (stem, fmt) if dot and fmt in FORMATS else None


def combined(statuses: Iterable[str], *, with_late: bool) -> dict[str, Any]:
    """Any check down makes the badge down; else any in its grace time makes it late
    (three-state badges only); else up. Statuses are Healthchecks' words."""
    listed = list(statuses)
    down, grace = listed.count("down"), listed.count("grace")
    status = "down" if down else "late" if grace and with_late else "up"
    return {"status": status, "total": len(listed), "grace": grace, "down": down}


def shields_json(label: str, status: str) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "label": label,
        "message": status,
        "color": SHIELDS_COLORS[status],
    }


def text_width(text: str) -> int:
    """About the width of 11 px Verdana; close enough to size the badge's halves."""
    return sum(4 if c in "ijlt.,:;'|!" else 9 if c.isupper() or c in "mw" else 7 for c in text)


def svg(label: str, status: str) -> str:
    left, right = text_width(label) + 10, text_width(status) + 10
    width = left + right
    label_text, status_text = escape(label), escape(status)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label_text}: {status_text}"><title>{label_text}: {status_text}</title>'
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{COLORS[status]}"/>'
        '<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="5" y="14">{label_text}</text>'
        f'<text x="{left + 5}" y="14">{status_text}</text></g></svg>'
    )


def render(fmt: str, label: str, summary: dict[str, Any]) -> tuple[str, str]:
    """(body, media type) of a badge."""
    if fmt == "svg":
        return svg(label, summary["status"]), "image/svg+xml"
    if fmt == "shields":
        return json.dumps(shields_json(label, summary["status"])), "application/json"
    return json.dumps(summary), "application/json"
