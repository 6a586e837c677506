"""Every front end changes checks through `tocsin.services`, and each check action has
one path to the database: read from the source, so that a front end writing to the
store again (or telling the watcher by hand) fails here, whatever its tests cover."""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import tocsin

SRC = Path(tocsin.__file__).parent
FRONT_ENDS = ("web", "api", "cli", "monitors", "inbound", "pings", "server")

# The store's writes to checks and to what is set along with them.
STORE_WRITES = {
    "tocsin.store.checks": {
        "insert_check",
        "update_spec",
        "apply_transition",
        "save_states",
        "insert_flips",
        "delete_check",
    },
    "tocsin.store.channels": {"set_check_channels", "set_check_policy"},
    "tocsin.store.heartbeats": {"set_place"},
}
FORBIDDEN = {f"{module}.{name}" for module, names in STORE_WRITES.items() for name in names}
# Names no front end may use on any object: the ping batch's own insert, and the
# watcher's notice, which only an action gives, after its commit.
FORBIDDEN_ATTRIBUTES = {"insert_check", "deadline_moved"}


@dataclass(frozen=True)
class Action:
    core: str  # the one function of services.checks that writes it
    store_writes: frozenset[str]  # the only store writes that core makes
    front_ends: tuple[str, ...]  # the modules that offer the action


ACTIONS = {
    "create": Action(
        "insert_check_in",
        frozenset({"tocsin.store.checks.insert_check"}),
        (
            "web/check_pages.py",
            "api/healthchecks/checks.py",
            "api/betterstack/heartbeats.py",
            "api/tocsin/checks.py",
            "cli/checks.py",
            "cli/cron.py",
            "cli/apply.py",
            "pings/intake.py",
        ),
    ),
    "update": Action(
        "update_check_in",
        frozenset({"tocsin.store.checks.update_spec"}),
        (
            "web/check_edit.py",
            "api/healthchecks/checks.py",
            "api/betterstack/heartbeats.py",
            "api/tocsin/checks.py",
            "cli/checks.py",
            "cli/cron.py",
            "cli/apply.py",
        ),
    ),
    "pause": Action(
        "pause_check_in",
        frozenset({"tocsin.store.checks.apply_transition"}),
        (
            "web/check_pages.py",
            "api/healthchecks/checks.py",
            "api/betterstack/heartbeats.py",  # a heartbeat's `paused`, and a group's
            "api/tocsin/checks.py",
            "cli/checks.py",
            "cli/cron.py",
            "cli/apply.py",
        ),
    ),
    "resume": Action(
        "resume_check_in",
        frozenset({"tocsin.store.checks.apply_transition"}),
        (
            "web/check_pages.py",
            "api/healthchecks/checks.py",
            "api/betterstack/heartbeats.py",
            "api/tocsin/checks.py",
            "cli/checks.py",
            "cli/apply.py",
        ),
    ),
    "delete": Action(
        "delete_check_in",
        frozenset({"tocsin.store.checks.delete_check"}),
        (
            "web/check_pages.py",
            "api/healthchecks/checks.py",
            "api/betterstack/heartbeats.py",
            "api/tocsin/checks.py",
            "cli/checks.py",
            "cli/apply.py",
        ),
    ),
}
CHECKS = "tocsin.services.checks"


def module_name(path: Path) -> str:
    return ".".join(("tocsin", *path.relative_to(SRC).with_suffix("").parts))


def imported_names(tree: ast.Module) -> dict[str, str]:
    """What each name a module imports stands for, fully qualified."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def qualified(node: ast.expr, names: dict[str, str]) -> str | None:
    """`check_store.update_spec` as `tocsin.store.checks.update_spec`, through imports."""
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.Attribute):
        base = qualified(node.value, names)
        return None if base is None else f"{base}.{node.attr}"
    return None


def references(tree: ast.AST, names: dict[str, str]) -> Iterator[tuple[int, str]]:
    """(line, qualified name) of every imported thing used, and of the imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name | ast.Attribute):
            found = qualified(node, names)
            if found is not None:
                yield node.lineno, found
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def parsed(relative: str) -> ast.Module:
    path = SRC / relative
    assert path.exists(), f"{relative} moved: update ACTIONS in this test"
    return ast.parse(path.read_text(), str(path))


def front_end_files() -> list[Path]:
    return sorted(path for part in FRONT_ENDS for path in (SRC / part).rglob("*.py"))


def violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    names = imported_names(tree)
    found = [
        f"{path.relative_to(SRC)}:{line} uses {name}"
        for line, name in references(tree, names)
        if name in FORBIDDEN
    ]
    found += [
        f"{path.relative_to(SRC)}:{node.lineno} uses .{node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES
    ]
    return found


def test_no_front_end_writes_checks_or_tells_the_watcher_itself() -> None:
    files = front_end_files()
    assert len(files) > 40  # the walk found the front ends
    assert [v for path in files for v in violations(path)] == []


def service_graph() -> dict[str, set[str]]:
    """What each function of the services package uses, by qualified name."""
    graph: dict[str, set[str]] = {}
    for path in sorted((SRC / "services").glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        module = module_name(path)
        names = imported_names(tree)
        own = {
            node.name
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }
        names.update({name: f"{module}.{name}" for name in own})
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                used = {name for _line, name in references(node, names)}
                graph[f"{module}.{node.name}"] = used
    return graph


def reached(start: set[str], graph: dict[str, set[str]]) -> set[str]:
    seen: set[str] = set()
    todo = list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


@pytest.mark.parametrize("action", list(ACTIONS))
def test_every_front_end_reaches_the_one_function_that_writes_the_action(action: str) -> None:
    wanted = ACTIONS[action]
    core = f"{CHECKS}.{wanted.core}"
    graph = service_graph()
    missing = []
    for relative in wanted.front_ends:
        tree = parsed(relative)
        used = {name for _line, name in references(tree, imported_names(tree))}
        services = {name for name in used if name.startswith("tocsin.services.")}
        if core not in reached(services, graph):
            missing.append(relative)
    assert missing == [], f"these {action} a check without reaching {core}"


@pytest.mark.parametrize("action", list(ACTIONS))
def test_the_actions_store_write_happens_in_its_core_alone(action: str) -> None:
    wanted = ACTIONS[action]
    graph = service_graph()
    writers = {
        function: used & wanted.store_writes
        for function, used in graph.items()
        if used & wanted.store_writes
    }
    sharing = [a for a in ACTIONS.values() if a.store_writes == wanted.store_writes]
    cores = {f"{CHECKS}.{a.core}" for a in sharing}  # pause and resume share one write
    assert set(writers) == cores
