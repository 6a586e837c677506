"""Documentation that cannot drift: settings, commands and modules are all described."""

import ast
import re
from pathlib import Path

import typer
from typer.core import TyperGroup

from tocsin.cli import app
from tocsin.config import settings_table
from tocsin.notify.kinds import kinds_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text()


def command_lines(group: TyperGroup, prefix: str) -> list[str]:
    """Every command, as `tocsin check create`; command groups load as they would run."""
    context = typer.Context(group)
    lines = []
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, TyperGroup):
            lines += command_lines(command, f"{prefix} {name}")
        else:
            lines.append(f"{prefix} {name}")
    return lines


def test_the_readme_configuration_table_is_the_generated_one() -> None:
    assert settings_table() in README


def test_the_readme_lists_every_channel_kind_with_its_settings() -> None:
    assert kinds_table() in README


def test_every_command_is_in_the_readme() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    commands = command_lines(root, "tocsin")
    assert "tocsin check create" in commands
    missing = [c for c in commands if c not in README and c.replace("-", "_") not in README]
    assert missing == []


def source_modules() -> dict[str, Path]:
    """Every module by its dotted name under `tocsin` (`api.common.auth`; a package's
    `__init__` by the package's name); migrations are Alembic's, not the map's."""
    package = ROOT / "src" / "tocsin"
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package).with_suffix("").parts
        if "migrations" in parts or parts == ("__main__",):
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1] or ("tocsin",)
        found[".".join(parts)] = path
    return found


def tocsin_packages_imported(path: Path) -> set[str]:
    """The first-level packages of tocsin a module imports, other than its own."""
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tocsin."):
            imported.add(node.module.split(".")[1])
    own = path.relative_to(ROOT / "src" / "tocsin").parts
    if len(own) > 1:
        imported.discard(own[0])
    return imported


def architecture_rows() -> dict[str, set[str]]:
    """`| `module` | its one job | imports |` rows of the map: module → imports listed."""
    rows = {}
    for match in re.finditer(r"^\| `([\w.]+)` \| .* \| ([^|]*) \|$", ARCHITECTURE, re.M):
        listed = match.group(2).strip()
        rows[match.group(1)] = set() if listed == "—" else set(listed.split(", "))
    return rows


def test_every_module_has_a_row_in_the_architecture_map() -> None:
    rows = architecture_rows()
    modules = source_modules()
    assert sorted(set(modules) - set(rows)) == []
    assert sorted(set(rows) - set(modules)) == []


def test_the_map_lists_what_each_module_imports() -> None:
    rows = architecture_rows()
    wrong = {
        name: sorted(tocsin_packages_imported(path))
        for name, path in source_modules().items()
        if rows.get(name) is not None and rows[name] != tocsin_packages_imported(path)
    }
    assert wrong == {}
