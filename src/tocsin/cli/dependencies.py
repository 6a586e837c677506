"""A check's parents and children on the command line: `--depends-on NAME` on
`tocsin check create` and `edit`, and what `tocsin check show` prints of them."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import typer

from tocsin.cli.common import CommandError
from tocsin.cli.option_groups import option, option_group
from tocsin.domain.dependencies import LinkedCheck, Links
from tocsin.store import dependencies as dependency_store

if TYPE_CHECKING:
    from tocsin.services.dependencies import ParentChoice


@option_group
@dataclass(frozen=True, slots=True)
class DependencyOptions:
    depends_on: list[str] = option(  # noqa: RUF009 (a dataclasses.field)
        typer.Option(
            [],
            "--depends-on",
            metavar="NAME",
            help="A check this one depends on (repeat for several): while it is down, this "
            "check's alerts are held.",
        )
    )
    no_depends_on: bool | None = option(
        typer.Option(None, "--no-depends-on", help="Depend on no other check.")
    )


def parents_chosen(given: DependencyOptions) -> "ParentChoice | None":
    """The parents the options ask for; None leaves them as they are."""
    from tocsin.services.dependencies import by_name

    if given.no_depends_on and given.depends_on:
        raise CommandError("--depends-on and --no-depends-on exclude each other")
    if given.no_depends_on:
        return by_name([])
    return by_name(given.depends_on) if given.depends_on else None


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
