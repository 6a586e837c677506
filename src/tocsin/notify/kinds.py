"""Every channel kind, by name."""

from tocsin.notify import email, slack, webhook
from tocsin.notify.base import Kind

KINDS: dict[str, Kind] = {kind.name: kind for kind in (email.KIND, slack.KIND, webhook.KIND)}


class UnknownKindError(ValueError):
    pass


def kind_named(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise UnknownKindError(f"unknown channel kind {name!r}; known kinds: {known}") from None
