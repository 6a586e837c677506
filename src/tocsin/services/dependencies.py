"""A check's parents, set along with its settings (`CheckOptions.parents`): chosen from
the project's checks by uuid or by name, and checked against the project's other
dependencies, so a cycle is refused with its path named."""

from collections.abc import Callable, Sequence
from uuid import UUID

import sqlalchemy as sa

from tocsin.domain.dependencies import DependencyError, LinkedCheck, checked_parents
from tocsin.services.errors import InvalidError
from tocsin.store import dependencies as store

ParentChoice = Callable[[list[LinkedCheck]], list[int]]
"""From the project's checks, the ids of those the check is to depend on."""

FIELD = "parents"


def by_uuid(uuids: Sequence[UUID]) -> ParentChoice:
    def choose(available: list[LinkedCheck]) -> list[int]:
        known = {check.uuid: check.id for check in available}
        missing = [str(uuid) for uuid in uuids if uuid not in known]
        if missing:
            raise InvalidError(FIELD, f"no check {missing[0]} in this project")
        return [known[uuid] for uuid in uuids]

    return choose


def these(parent_ids: Sequence[int]) -> ParentChoice:
    """Parents already chosen by id; each must still be a check of the project."""

    def choose(available: list[LinkedCheck]) -> list[int]:
        known = {check.id for check in available}
        if any(parent_id not in known for parent_id in parent_ids):
            raise InvalidError(FIELD, "not a check of this project")
        return list(parent_ids)

    return choose


def by_name(names: Sequence[str]) -> ParentChoice:
    """Parents by name, each of which must name exactly one check of the project."""

    def choose(available: list[LinkedCheck]) -> list[int]:
        chosen = []
        for name in names:
            found = [check.id for check in available if check.name == name]
            if not found:
                raise InvalidError(FIELD, f"no check named {name!r} in this project")
            if len(found) > 1:
                raise InvalidError(FIELD, f"{len(found)} checks are named {name!r}")
            chosen.append(found[0])
        return chosen

    return choose


def parent_uuids(connection: sa.Connection, check_id: int) -> list[UUID]:
    return [parent.uuid for parent in store.parents_of(connection, [check_id]).get(check_id, [])]


def set_parents_in(
    connection: sa.Connection, project_id: int, check_id: int, choice: ParentChoice
) -> None:
    """The check's parents replaced by the chosen ones; InvalidError for one that is not
    a check of the project, the check itself, or one closing a cycle."""
    available = store.project_checks(connection, project_id)
    names = {check.id: check.label for check in available}
    parent_ids = choice(available)
    edges = store.project_edges(connection, project_id)
    try:
        parents = checked_parents(check_id, parent_ids, edges, names)
    except DependencyError as error:
        raise InvalidError(FIELD, str(error)) from None
    store.set_parents(connection, check_id, parents)
