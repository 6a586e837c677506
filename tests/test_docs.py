"""Documentation that cannot drift: settings, commands and modules are all described."""

from pathlib import Path

import typer

from tocsin.cli import app
from tocsin.config import settings_table
from tocsin.notify.kinds import kinds_table

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text()
ARCHITECTURE = (ROOT / "docs" / "ARCHITECTURE.md").read_text()


def command_lines(group: typer.Typer, prefix: str) -> list[str]:
    lines = [
        f"{prefix} {c.name or c.callback.__name__}".strip()  # type: ignore[union-attr]
        for c in group.registered_commands
    ]
    for sub in group.registered_groups:
        assert sub.typer_instance is not None
        lines += command_lines(sub.typer_instance, f"{prefix} {sub.name}")
    return lines


def test_the_readme_configuration_table_is_the_generated_one() -> None:
    assert settings_table() in README


def test_the_readme_lists_every_channel_kind_with_its_settings() -> None:
    assert kinds_table() in README


def test_every_command_is_in_the_readme() -> None:
    commands = command_lines(app, "tocsin")
    assert "tocsin check create" in commands
    missing = [c for c in commands if c not in README and c.replace("-", "_") not in README]
    assert missing == []


def test_every_module_is_described_in_the_architecture() -> None:
    package = ROOT / "src" / "tocsin"
    modules = {p.stem for p in package.glob("*.py")} | {
        p.name for p in package.iterdir() if (p / "__init__.py").exists()
    }
    modules -= {"__init__", "__main__"}
    missing = sorted(m for m in modules if f"`{m}" not in ARCHITECTURE)
    assert missing == []
