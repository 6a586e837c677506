"""A check's parents and children on the command line: `--depends-on NAME` on
`tocsin check create` and `edit`, and what `tocsin check show` prints of them."""

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import typer

from tocsin.cli.common import CommandError
from tocsin.domain.dependencies import LinkedCheck, Links
from tocsin.store import dependencies as dependency_store

if TYPE_CHECKING:
    from tocsin.services.dependencies import ParentChoice

DEPENDS_ON = typer.Option(
    [],
    "--depends-on",
    metavar="NAME",
    help="A check this one depends on (repeat for several): while it is down, this "
    "check's alerts are held.",
)
NO_DEPENDS_ON = typer.Option(False, "--no-depends-on", help="Depend on no other check.")


def parents_chosen(names: list[str], none: bool) -> "ParentChoice | None":
    """The parents the options ask for; None leaves them as they are."""
    from tocsin.services.dependencies import by_name

    if none and names:
        raise CommandError("--depends-on and --no-depends-on exclude each other")
    if none:
        return by_name([])
    return by_name(names) if names else None


def links_of(connection: sa.Connection, check_id: int) -> Links:
    return dependency_store.links_of(connection, check_id)


def listed(checks: list[LinkedCheck]) -> str:
    return ", ".join(f"{c.label} ({c.status})" for c in checks) or "-"


def links_json(links: Links) -> dict[str, Any]:
    def one(check: LinkedCheck) -> dict[str, str]:
        return {"uuid": str(check.uuid), "name": check.name, "status": check.status}

    return {
        "parents": [one(check) for check in links.parents],
        "children": [one(check) for check in links.children],
    }
