"""Every channel kind, by name."""

from tocsin.notify import (
    apprise,
    discord,
    email,
    googlechat,
    gotify,
    matrix,
    mattermost,
    msteams,
    ntfy,
    opsgenie,
    pagerduty,
    pushover,
    slack,
    telegram,
    twilio,
    webhook,
)
from tocsin.notify.base import Kind

KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        apprise.KIND,
        discord.KIND,
        email.KIND,
        googlechat.KIND,
        gotify.KIND,
        matrix.KIND,
        mattermost.KIND,
        msteams.KIND,
        ntfy.KIND,
        opsgenie.KIND,
        pagerduty.KIND,
        pushover.KIND,
        slack.KIND,
        telegram.KIND,
        twilio.KIND,
        webhook.KIND,
    )
}


class UnknownKindError(ValueError):
    pass


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise UnknownKindError(f"unknown channel kind {name!r}; known kinds: {known}") from None


def kinds_table() -> str:
    """The README's table of channel kinds and their settings, generated from the kinds."""
    lines = ["| Kind | Service | Required settings | Optional settings |", "|---|---|---|---|"]
    for name in sorted(KINDS):
        fields = KINDS[name].config.model_fields
        required = [f"`{n}`" for n, f in fields.items() if f.is_required()]
        optional = [f"`{n}`" for n, f in fields.items() if not f.is_required()]
        lines.append(
            f"| `{name}` | {KINDS[name].label} | {', '.join(required)} | "
            f"{', '.join(optional) or '-'} |"
        )
    return "\n".join(lines)
