"""Dependencies between checks: the parent that holds a child, when a held child is
released, and cycles refused with their path named."""

import itertools
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers import T0
from tocsin.domain.dependencies import (
    HOLD_RECHECK,
    MAX_PARENTS,
    Action,
    DependencyError,
    Parent,
    checked_parents,
    find_cycle,
    held_message,
    holding_parent,
    release_verdict,
    released_message,
)

MINUTE = timedelta(minutes=1)
NAMES = {1: "backup", 2: "nas", 3: "db", 4: "link"}

parents_strategy = st.lists(
    st.builds(
        Parent,
        check_id=st.integers(min_value=1, max_value=50),
        name=st.sampled_from(["nas", "db", "link", "power"]),
        down=st.booleans(),
        up_since=st.none() | st.integers(0, 600).map(lambda s: T0 + timedelta(seconds=s)),
    ),
    max_size=6,
)


def test_a_child_is_held_by_a_down_parent_named_first_by_name() -> None:
    parents = [Parent(2, "nas", True), Parent(3, "db", True), Parent(4, "link", False)]
    assert holding_parent(parents) == Parent(3, "db", True)


def test_a_child_with_every_parent_up_is_not_held() -> None:
    assert holding_parent([Parent(2, "nas", False)]) is None
    assert holding_parent([]) is None


def test_a_held_child_waits_for_the_settle_after_its_last_parent_came_up() -> None:
    parents = [Parent(2, "nas", False, T0), Parent(3, "db", False, T0 + MINUTE)]
    verdict = release_verdict(parents, T0 + MINUTE, MINUTE)
    assert verdict.action == Action.WAIT
    assert verdict.at == T0 + 2 * MINUTE
    assert release_verdict(parents, T0 + 2 * MINUTE, MINUTE).action == Action.RELEASE


def test_a_held_child_stays_held_while_a_parent_is_down_and_is_looked_at_again() -> None:
    verdict = release_verdict([Parent(2, "nas", True)], T0, MINUTE)
    assert verdict.action == Action.HOLD
    assert verdict.at == T0 + HOLD_RECHECK
    assert verdict.parent == Parent(2, "nas", True)


def test_a_parent_that_never_was_down_releases_at_once() -> None:
    assert release_verdict([Parent(2, "nas", False)], T0, MINUTE).action == Action.RELEASE


@given(parents=parents_strategy, seconds=st.integers(0, 1200), settle=st.integers(0, 300))
def test_dependencies_never_hide_a_child_whose_parents_are_all_up(
    parents: list[Parent], seconds: int, settle: int
) -> None:
    now = T0 + timedelta(seconds=seconds)
    verdict = release_verdict(parents, now, timedelta(seconds=settle))
    all_up = not any(p.down for p in parents)
    assert (holding_parent(parents) is None) == all_up
    if all_up:
        assert verdict.action != Action.HOLD
        # Held no longer than the settle after the last parent came up.
        latest = max((p.up_since for p in parents if p.up_since), default=now)
        release_by = max(now, latest + timedelta(seconds=settle))
        assert verdict.action == Action.RELEASE or verdict.at == release_by
    else:
        assert verdict.action == Action.HOLD
        assert verdict.parent is not None
        assert verdict.parent.down


def test_a_cycle_is_refused_with_its_path_named() -> None:
    with pytest.raises(DependencyError, match="backup -> nas -> backup"):
        checked_parents(1, [2], {2: [1]}, NAMES)
    with pytest.raises(DependencyError, match="backup -> nas -> db -> backup"):
        checked_parents(1, [2], {2: [3], 3: [1]}, NAMES)


def test_a_check_cannot_be_its_own_parent() -> None:
    with pytest.raises(DependencyError, match="backup cannot depend on itself"):
        checked_parents(1, [1], {}, NAMES)


def test_too_many_parents_are_refused() -> None:
    with pytest.raises(DependencyError, match=f"at most {MAX_PARENTS}"):
        checked_parents(100, range(MAX_PARENTS + 1), {}, NAMES)


def test_a_diamond_is_no_cycle() -> None:
    assert checked_parents(1, [3, 2], {2: [4], 3: [4]}, NAMES) == [2, 3]


def is_acyclic(edges: dict[int, set[int]]) -> bool:
    state: dict[int, int] = {}

    def visit(node: int) -> bool:
        if state.get(node) == 1:
            return False
        if state.get(node) == 2:
            return True
        state[node] = 1
        ok = all(visit(up) for up in edges.get(node, ()))
        state[node] = 2
        return ok

    return all(visit(node) for node in list(edges))


@given(st.lists(st.tuples(st.integers(0, 8), st.sets(st.integers(0, 8), max_size=4)), max_size=30))
def test_accepting_only_what_closes_no_cycle_keeps_the_graph_acyclic(
    writes: list[tuple[int, set[int]]],
) -> None:
    edges: dict[int, set[int]] = {}
    for child, parents in writes:
        cycle = None if child in parents else find_cycle(child, parents, edges)
        candidate = {**edges, child: parents}
        if child in parents or cycle is not None:
            assert not is_acyclic(candidate)
            if cycle is not None:
                assert cycle[0] == cycle[-1] == child
                assert all(up in candidate[down] for down, up in itertools.pairwise(cycle))
            continue
        assert is_acyclic(candidate)
        edges = candidate


def test_the_timeline_words_of_holding_and_releasing() -> None:
    assert held_message("nas") == "held: parent nas is down"
    assert released_message("nas") == "released: parent nas is up again"
    assert released_message(None) == "released: the parent holding it was deleted"
