"""Whether `tocsin serve` may run Tocsin's protocols on the installed uvicorn."""

import subprocess
import sys
from pathlib import Path
from typing import Any

import uvicorn

from tocsin.server.uvicorn_guard import (
    FORCE_FALLBACK,
    STATUS_LINE,
    FlowControl,
    HttpToolsProtocol,
    fallback_reason,
    in_tested_range,
    problem_with,
)


def test_the_installed_uvicorn_is_in_the_tested_range_and_known() -> None:
    # pyproject.toml pins the range: an install outside it fails here first.
    assert in_tested_range(uvicorn.__version__)
    assert fallback_reason({}) is None


def test_the_fallback_can_be_forced_and_says_why() -> None:
    assert fallback_reason({FORCE_FALLBACK: "true"}) == f"{FORCE_FALLBACK} is set"
    assert fallback_reason({FORCE_FALLBACK: "false"}) is None


def test_versions_outside_the_tested_minor_series_are_refused() -> None:
    for version in ("0.55.0", "0.55.17", "0.55.1rc1"):
        assert problem_with(version, HttpToolsProtocol, FlowControl, STATUS_LINE) is None
    for version in ("0.54.9", "0.56.0", "1.0.0", "0.9", "nonsense"):
        reason = problem_with(version, HttpToolsProtocol, FlowControl, STATUS_LINE)
        assert reason == f"uvicorn {version} is outside the tested range (>=0.55,<0.56)"


def like_uvicorns(name: str, **changed: Any) -> type:
    """A copy of uvicorn's protocol class with some of its own methods changed."""
    return type(name, (), {**HttpToolsProtocol.__dict__, **changed})


def test_a_protocol_whose_methods_differ_is_refused() -> None:
    version = uvicorn.__version__
    renamed = like_uvicorns("HttpToolsProtocol", on_header=lambda self, key, value: None)
    assert problem_with(version, renamed, FlowControl, STATUS_LINE) == (
        f"uvicorn {version}'s HttpToolsProtocol.on_header is not the one Tocsin knows"
    )
    without = like_uvicorns("HttpToolsProtocol")
    del without._start_asgi_task  # type: ignore[attr-defined]
    assert "_start_asgi_task is not the one" in str(
        problem_with(version, without, FlowControl, STATUS_LINE)
    )
    flow = type("FlowControl", (), {"__init__": lambda self, transport: None})
    assert "FlowControl.pause_reading is not the one" in str(
        problem_with(version, HttpToolsProtocol, flow, STATUS_LINE)
    )


def test_a_protocol_that_no_longer_sets_an_attribute_tocsin_reads_is_refused() -> None:
    def init(self: Any, config: Any, server_state: Any, app_state: Any, _loop: Any) -> None:
        self.cycle = self.flow = None

    changed = like_uvicorns("HttpToolsProtocol", __init__=init)
    reason = problem_with(uvicorn.__version__, changed, FlowControl, STATUS_LINE)
    assert reason is not None
    assert "no longer sets access_log, access_logger, app, client, expect_100_continue" in reason


def test_an_uvicorn_without_the_private_names_falls_back_instead_of_failing_to_import(
    tmp_path: Path,
) -> None:
    """Tocsin imports and builds its app on an uvicorn whose protocol module has none
    of the names it reaches for; the guard says what is missing and `serve` would run
    uvicorn's own protocol."""
    script = """
import sys, types
sys.modules["uvicorn.protocols.http.httptools_impl"] = types.ModuleType("stripped")
import tocsin.cli
from tocsin.server.app import create_app
from tocsin.config import Settings
from tocsin.server.connections import ConnectionGuard, connection_limits
from tocsin.server.uvicorn_guard import fallback_reason
settings = Settings.from_env({"TOCSIN_DATABASE_URL": sys.argv[1]})
app = create_app(settings)
print(fallback_reason({}))
print(app.http_protocol(ConnectionGuard(connection_limits(settings)), fast_pings=True))
"""
    run = subprocess.run(
        [sys.executable, "-c", script, f"sqlite:///{tmp_path / 'unused.db'}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    reason, protocol = run.stdout.splitlines()
    assert reason.startswith(f"uvicorn {uvicorn.__version__} lacks what Tocsin imports (")
    assert "cannot import name" in reason
    assert protocol == "None"
    assert "uvicorn's own protocol, pings through ASGI" in run.stderr
