"""Front ends (the web app, the APIs, the command line, the file syncs) change nothing
themselves: every write goes through an action of `tocsin.services`, which owns its
transaction and tells the workers. Read from the source: a front-end module may not
open `database.write()` (or `database.write_with(…)`), nor name a function of the store
(or of the alerts machinery over it) that writes.

A writing function is found, not listed: one named insert_/update_/delete_/set_…, one
that builds an INSERT, UPDATE or DELETE, and one that calls a writing function."""

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeGuard

import tocsin

SOURCE = Path(tocsin.__file__).parent
FRONT_ENDS = ("web", "api", "cli", "monitors", "inbound")
# Where the writing functions a front end might call live.
WRITERS_IN = ("store", "alerts")
WRITE_PREFIXES = ("insert_", "update_", "delete_", "set_")
STATEMENTS = {"insert", "update", "delete"}
RAW_WRITE = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)

# Not actions but a process's assembly, which the `serve`, `watcher` and `notifier`
# commands do as server/ does: starting the notifier, and reading the deployment's
# signing secret (made on the first start).
ASSEMBLY = frozenset(
    {
        "tocsin.alerts.notifier.running_notifier",
        "tocsin.alerts.notifier.signing_secret",
    }
)


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def python_files(package: str) -> list[Path]:
    return sorted(
        path for path in (SOURCE / package).rglob("*.py") if "migrations" not in path.parts
    )


@dataclass
class Module:
    """A parsed module: what its names stand for (imports, qualified) and its functions."""

    name: str
    path: Path
    tree: ast.Module
    aliases: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def read(path: Path) -> "Module":
        module = Module(module_name(path), path, ast.parse(path.read_text(), str(path)))
        module.aliases = imported_names(module.tree)
        return module

    def functions(self) -> dict[str, ast.AST]:
        return {
            node.name: node
            for node in self.tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        }

    def referenced(self, node: ast.AST) -> Iterator[tuple[str, int]]:
        """Every qualified name `node` mentions (`channel_store.insert_channel` as
        `tocsin.store.channels.insert_channel`), with its line: called or passed on."""
        for found in ast.walk(node):
            if isinstance(found, ast.Name) and found.id in self.aliases:
                yield self.aliases[found.id], found.lineno
            elif isinstance(found, ast.Name):
                yield f"{self.name}.{found.id}", found.lineno
            elif (
                isinstance(found, ast.Attribute)
                and isinstance(found.value, ast.Name)
                and found.value.id in self.aliases
            ):
                yield f"{self.aliases[found.value.id]}.{found.attr}", found.lineno


def imported_names(tree: ast.Module) -> dict[str, str]:
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = alias.name
    return names


def writes_itself(function: ast.AST) -> bool:
    """Whether the function builds a write statement: `table.insert()`, `sa.delete(t)`,
    or SQL text that starts with INSERT, UPDATE or DELETE."""
    for node in ast.walk(function):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            attribute = node.func
            bare = not node.args and not node.keywords  # not dict.update(other)
            on_sa = isinstance(attribute.value, ast.Name) and attribute.value.id == "sa"
            if attribute.attr in STATEMENTS and (bare or on_sa):
                return True
        if isinstance(node, ast.Constant) and RAW_WRITE.match(str(node.value)):
            return True
    return False


def writing_functions() -> set[str]:
    """Qualified names of the store's and the alerts' functions that write, directly or
    through another."""
    modules = [Module.read(path) for package in WRITERS_IN for path in python_files(package)]
    bodies = {
        f"{module.name}.{name}": (module, function)
        for module in modules
        for name, function in module.functions().items()
    }
    writers = {
        qualified
        for qualified, (_, function) in bodies.items()
        if qualified.rsplit(".", 1)[1].startswith(WRITE_PREFIXES) or writes_itself(function)
    }
    while True:
        more = {
            qualified
            for qualified, (module, function) in bodies.items()
            if qualified not in writers
            and any(name in writers for name, _ in module.referenced(function))
        }
        if not more:
            return writers
        writers |= more


def opens_write_transaction(node: ast.AST) -> TypeGuard[ast.Call]:
    """`database.write()`, `services.database.write()`, `….database.write_with(…)`."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
        return False
    if node.func.attr not in ("write", "write_with"):
        return False
    owner = node.func.value
    return (isinstance(owner, ast.Name) and owner.id == "database") or (
        isinstance(owner, ast.Attribute) and owner.attr == "database"
    )


def front_end_writes(path: Path, writers: set[str]) -> list[str]:
    """Where the module writes: `line: what`."""
    module = Module.read(path)
    found = [
        f"{node.lineno}: database.{node.func.attr}()"
        for node in ast.walk(module.tree)
        if opens_write_transaction(node) and isinstance(node.func, ast.Attribute)
    ]
    found += sorted(
        {f"{line}: {name}" for name, line in module.referenced(module.tree) if name in writers}
    )
    return found


def front_end_modules() -> list[Path]:
    return [path for package in FRONT_ENDS for path in python_files(package)]


def test_front_ends_write_only_through_services() -> None:
    writers = writing_functions() - ASSEMBLY
    found = {
        str(path.relative_to(SOURCE)): writes
        for path in front_end_modules()
        if (writes := front_end_writes(path, writers))
    }
    assert found == {}


def test_the_scan_finds_the_store_writes_front_ends_used_to_make() -> None:
    writers = writing_functions()
    assert {
        "tocsin.store.channels.insert_channel",
        "tocsin.store.channels.set_check_policy",
        "tocsin.store.keys.touch_key",  # an UPDATE, though its name does not say so
        "tocsin.store.users.create_session",
        "tocsin.store.users.record_login_failure",
        "tocsin.store.users.close_invitation",
        "tocsin.store.projects.default_project",  # through insert_project
        "tocsin.alerts.incidents.acknowledge",  # through the store
    } <= writers
    assert (
        not {
            "tocsin.store.channels.project_channels",
            "tocsin.store.users.user_by_email",
            "tocsin.store.incidents.events_of",
        }
        & writers
    )


def test_the_scan_sees_the_writes_the_file_syncs_made_as_front_ends() -> None:
    """Applying a monitors file or a crontab writes channels, policies and a default
    project through the store: the scan would have found them in a front end."""
    writers = writing_functions() - ASSEMBLY
    for sync in ("services/monitors.py", "services/crontab.py"):
        assert front_end_writes(SOURCE / sync, writers) != [], sync
