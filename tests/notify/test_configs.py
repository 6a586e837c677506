"""Every channel kind's settings: what it requires, and that a mistyped key is refused
rather than ignored. One table, so a new kind joins it instead of copying tests."""

import re
from typing import Any

import pytest

from tocsin.notify.base import ChannelConfigError, parse_config
from tocsin.notify.kinds import KINDS, kind_named

# kind: (the least it accepts, the error for {} , a plausible key it does not know)
SETTINGS: dict[str, tuple[dict[str, Any], str, str]] = {
    "apprise": ({"url": "json://example.com/"}, "url: Field required", "urls"),
    "discord": ({"url": "https://discord.com/api/webhooks/1/x"}, "url: Field required", "colour"),
    "email": ({"to": "ops@example.com"}, "to: Field required", "cc"),
    "googlechat": (
        {"url": "https://chat.googleapis.com/v1/spaces/x"},
        "url: Field required",
        "colour",
    ),
    "gotify": (
        {"url": "https://push.example.com", "token": "t"},
        "url: Field required; token: Field required",
        "priority",
    ),
    "matrix": (
        {"homeserver": "https://m.org", "access_token": "t", "room_id": "!a:m.org"},
        "homeserver: Field required; access_token: Field required; room_id: Field required",
        "x",
    ),
    "mattermost": ({"url": "https://mm.example.com/hooks/x"}, "url: Field required", "colour"),
    "msteams": ({"url": "https://example.com/workflows/x"}, "url: Field required", "colour"),
    "ntfy": ({"url": "https://ntfy.sh/backups"}, "url: Field required", "topic"),
    "opsgenie": ({"api_key": "k"}, "api_key: Field required", "team"),
    "pagerduty": ({"routing_key": "k"}, "routing_key: Field required", "service_key"),
    "pushover": (
        {"user_key": "u", "app_token": "a"},
        "user_key: Field required; app_token: Field required",
        "sound",
    ),
    "slack": ({"url": "https://hooks.slack.com/services/x"}, "url: Field required", "channel"),
    "telegram": (
        {"token": "t", "chat_id": 1},
        "token: Field required; chat_id: Field required",
        "chat",
    ),
    "webhook": ({"url": "https://example.com/hook"}, "url: Field required", "timeout"),
}


def test_the_table_covers_every_kind() -> None:
    assert sorted(SETTINGS) == sorted(KINDS)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_the_least_settings_are_accepted(name: str) -> None:
    least, _, _ = SETTINGS[name]
    parse_config(kind_named(name), least)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_missing_settings_are_named(name: str) -> None:
    _, missing, _ = SETTINGS[name]
    with pytest.raises(ChannelConfigError, match=f"^{re.escape(missing)}$"):
        parse_config(kind_named(name), {})


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_unknown_settings_are_refused(name: str) -> None:
    least, _, unknown = SETTINGS[name]
    with pytest.raises(ChannelConfigError, match=f"^{unknown}: Extra inputs are not permitted$"):
        parse_config(kind_named(name), least | {unknown: "x"})
