"""Dependencies between checks: a child (a backup job) depends on its parents (the NAS
it writes to). While a parent is down, a child that goes down is held: its incident
opens but wakes nobody, since the parent's alert already says what is wrong. Once its
parents are all up again and a short settle has passed, a child still down alerts
normally. The rules here are pure: which parent holds a child, whether to release it
now, and which new parents would close a cycle.

The invariant the rules keep: a child whose parents are all up is never held.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

# How many parents one check may have: enough for a NAS, a database and a link, and a
# bound on what one write may ask.
MAX_PARENTS = 20
# A held incident is looked at again this often while its parent stays down: a parent
# recovering in the same moment the child went down (two transactions, neither seeing
# the other) would otherwise leave the child held with no parent down.
HOLD_RECHECK = timedelta(minutes=1)


# How long every parent must have been up before a held child still down alerts: its
# own job may need a moment to succeed once the NAS is back (TOCSIN_DEPENDENCY_SETTLE).
DEFAULT_SETTLE = timedelta(minutes=1)


class DependencyError(ValueError):
    """Parents a check cannot have: itself, a cycle, too many."""


@dataclass(frozen=True, slots=True)
class Parent:
    """A parent as a held child sees it: down or not, and since when it is up (when its
    last incident resolved; None if it never had one)."""

    check_id: int
    name: str
    down: bool
    up_since: datetime | None = None


class Action(StrEnum):
    HOLD = "hold"  # a parent is down: stay held, look again at `at`
    WAIT = "wait"  # parents are up, the settle has not passed: look again at `at`
    RELEASE = "release"  # alert normally, from the first step


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    at: datetime | None = None  # when to look again (HOLD, WAIT)
    parent: Parent | None = None  # the parent holding it (HOLD)


def holding_parent(parents: Sequence[Parent]) -> Parent | None:
    """The parent that holds a child going down now: the first down one by name, so
    the same parent is named however the rows came; None when all are up."""
    down = sorted((p for p in parents if p.down), key=lambda p: (p.name, p.check_id))
    return down[0] if down else None


def release_verdict(parents: Sequence[Parent], now: datetime, settle: timedelta) -> Verdict:
    """What to do with a held incident at `now`: hold on while a parent is down,
    release once they are all up and the last of them has been up for `settle`."""
    holder = holding_parent(parents)
    if holder is not None:
        return Verdict(Action.HOLD, now + HOLD_RECHECK, holder)
    ups = [p.up_since for p in parents if p.up_since is not None]
    settled = max(ups) + settle if ups else now
    if settled > now:
        return Verdict(Action.WAIT, settled)
    return Verdict(Action.RELEASE)


def held_message(parent_name: str) -> str:
    return f"held: parent {parent_name} is down"


def released_message(parent_name: str | None) -> str:
    """Why a held incident now alerts; None: the parent holding it was deleted."""
    if parent_name is None:
        return "released: the parent holding it was deleted"
    return f"released: parent {parent_name} is up again"


def checked_parents(
    child: int,
    parents: Collection[int],
    edges: Mapping[int, Collection[int]],
    names: Mapping[int, str],
) -> list[int]:
    """The parents, sorted and checked against the project's other dependencies
    (`edges`: each check's parents); raises `DependencyError` naming the cycle."""
    if len(parents) > MAX_PARENTS:
        raise DependencyError(f"a check can have at most {MAX_PARENTS} parents")
    if child in parents:
        raise DependencyError(f"{names.get(child, child)} cannot depend on itself")
    cycle = find_cycle(child, parents, edges)
    if cycle is not None:
        path = " -> ".join(str(names.get(check, check)) for check in cycle)
        raise DependencyError(f"that would make a cycle: {path}")
    return sorted(set(parents))


def find_cycle(
    child: int, parents: Collection[int], edges: Mapping[int, Collection[int]]
) -> list[int] | None:
    """The path child -> parent -> ... -> child that giving `child` these parents would
    close, or None. Depth first from each new parent up through its own parents."""
    for parent in sorted(parents):
        path = path_up(parent, child, edges, {child})
        if path is not None:
            return [child, *path]
    return None


def path_up(
    start: int, target: int, edges: Mapping[int, Collection[int]], seen: set[int]
) -> list[int] | None:
    """A path from `start` up through parents to `target` (both included), or None."""
    stack: list[list[int]] = [[start]]
    while stack:
        path = stack.pop()
        node = path[-1]
        if node == target:
            return path
        if node in seen:
            continue
        seen.add(node)
        stack.extend([*path, up] for up in sorted(edges.get(node, ()), reverse=True))
    return None


@dataclass(frozen=True, slots=True)
class LinkedCheck:
    """A parent or child as a check's page lists it."""

    id: int
    uuid: UUID
    name: str
    status: str

    @property
    def label(self) -> str:
        return self.name or str(self.uuid)


@dataclass(frozen=True, slots=True)
class Links:
    """A check's parents and children."""

    parents: list[LinkedCheck]
    children: list[LinkedCheck]
