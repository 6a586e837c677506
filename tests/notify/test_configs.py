"""Every channel kind's settings: what it requires, and that a mistyped key is refused
rather than ignored. One table, so a new kind joins it instead of copying tests."""

import re
from typing import Any

import pytest

from tocsin.notify.base import ChannelConfigError, parse_config, setting_from_text
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
    "twilio": (
        {"account_sid": "AC1", "auth_token": "t", "from_number": "+15550001111", "to": ["+1555"]},
        "account_sid: Field required; auth_token: Field required; from_number: Field required; "
        "to: Field required",
        "from",
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


# What `--set key=value` makes of its text, by the type the kind declares for the key.
TEXT_SETTINGS = [
    ("webhook", "body", '{"check": "$NAME"}', '{"check": "$NAME"}'),
    ("webhook", "body", "[1, 2]", "[1, 2]"),
    ("webhook", "headers", '{"X-Token": "abc"}', {"X-Token": "abc"}),
    ("webhook", "down.body", '{"status": "$STATUS"}', '{"status": "$STATUS"}'),
    ("webhook", "down.headers", '{"X-A": "1"}', {"X-A": "1"}),
    ("webhook", "down", '{"method": "PUT"}', {"method": "PUT"}),
    ("webhook", "url", "https://example.com/hook", "https://example.com/hook"),
    ("email", "to", "ops@example.com", "ops@example.com"),
    ("email", "to", '["a@example.com", "b@example.com"]', ["a@example.com", "b@example.com"]),
    ("ntfy", "priority", "5", "5"),
    ("telegram", "chat_id", "-100123", "-100123"),
    ("slack", "colour", '{"a": 1}', '{"a": 1}'),  # unknown: left for the model to refuse
    ("webhook", "url.x", "[1]", "[1]"),
]


@pytest.mark.parametrize(("name", "key", "text", "value"), TEXT_SETTINGS)
def test_text_settings_are_typed_by_the_kind(name: str, key: str, text: str, value: Any) -> None:
    assert setting_from_text(kind_named(name).config, key.split("."), text) == value


def test_a_json_looking_webhook_body_is_a_valid_template() -> None:
    kind = kind_named("webhook")
    raw = {
        "url": "https://example.com/hook",
        "body": setting_from_text(kind.config, ["body"], '{"check": "$NAME"}'),
        "headers": setting_from_text(kind.config, ["headers"], '{"X-Token": "abc"}'),
    }
    parsed = parse_config(kind, raw)
    assert parsed.model_dump()["body"] == '{"check": "$NAME"}'
    assert parsed.model_dump()["headers"] == {"X-Token": "abc"}
