"""The running services reach handlers one typed way (`server.services`): the app's state,
which FastAPI types as `Any`, is read and written nowhere else."""

import ast
from pathlib import Path

import tocsin

SOURCE = Path(tocsin.__file__).parent
OWNER = SOURCE / "services" / "requests.py"


def state_services_uses(path: Path) -> list[int]:
    """Lines of `<anything>.state.services` in a module."""
    tree = ast.parse(path.read_text(), str(path))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr == "services"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "state"
    ]


def test_only_server_services_touches_the_app_state_services() -> None:
    found = {
        str(path.relative_to(SOURCE)): lines
        for path in sorted(SOURCE.rglob("*.py"))
        if path != OWNER and (lines := state_services_uses(path))
    }
    assert found == {}


def test_the_scan_sees_the_owner_read_and_write_the_state() -> None:
    assert len(state_services_uses(OWNER)) == 2
