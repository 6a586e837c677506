"""The wheel as people install it: built by scripts/package.py (the steps the Dockerfile
runs too), installed into a fresh virtual environment, and run from a directory holding
no file of the repository, so a template, static file or migration left out of the wheel
fails here rather than on someone's server.

The install test takes the third-party dependencies from the development environment
(a `.pth` line naming its site-packages), so it runs offline. The pipx test installs
them from PyPI and so runs only under `make package-check`."""

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, free_port, stop_server, wait_until_up
from tocsin.version import __version__

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "tocsin"
SCRIPT = ROOT / "scripts" / "package.py"
PIPX_CHECK = os.environ.get("TOCSIN_PACKAGE_CHECK", "") == "pipx"
NETWORK_TIMEOUT = 900  # seconds for an install from PyPI, which can be slow
LOCAL_TIMEOUT = 120

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    built = run(sys.executable, str(SCRIPT), "build", str(dist))
    return Path(built.strip().splitlines()[-1])


def run(*command: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    """The command's output; its output in the failure when it fails."""
    timeout = NETWORK_TIMEOUT if PIPX_CHECK else LOCAL_TIMEOUT
    finished = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert finished.returncode == 0, f"{command}:\n{finished.stdout}\n{finished.stderr}"
    return finished.stdout


def source_files() -> set[str]:
    """Every file of src/tocsin, as the wheel names it."""
    return {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    }


def test_the_wheel_holds_every_file_of_the_package_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    packaged = {name for name in names if name.startswith("tocsin/")}
    assert sorted(source_files() - packaged) == []
    assert sorted(packaged - source_files()) == []
    assert {name.split("/")[0] for name in names - packaged} == {f"tocsin-{__version__}.dist-info"}
    # What the comparison protects, named so an empty source tree can't pass it.
    migrations = {n for n in packaged if n.startswith("tocsin/store/migrations/versions/")}
    assert len(migrations) == len(list((PACKAGE / "store/migrations/versions").glob("*.py")))
    assert "tocsin/store/migrations/script.py.mako" in packaged
    assert "tocsin/web/templates/login.html" in packaged
    assert "tocsin/web/static/tocsin.css" in packaged
    assert "tocsin/api/tocsin/templates/api_docs.html" in packaged


def test_the_installed_wheel_migrates_and_serves_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    venv = tmp_path / "venv"
    run(sys.executable, str(SCRIPT), "install", str(venv), str(wheel), "--no-deps")
    lend_dependencies(venv)
    work = empty_directory(tmp_path / "work")
    environment = clean_environment(venv / "bin", tmp_path)
    assert_imports_from(venv / "bin" / "python", venv, work, environment)
    serve_and_ping(venv / "bin", work, environment, tmp_path / "server.log")


LENT = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}


def lend_dependencies(venv: Path) -> None:
    """The development environment's site-packages on the new one's path. `.pth` files
    inside a directory added this way are not read, so the editable install of Tocsin
    there stays out: only the wheel's copy can be imported."""
    (site_packages,) = venv.glob("lib/python*/site-packages")
    (site_packages / "development-dependencies.pth").write_text("\n".join(sorted(LENT)) + "\n")


def empty_directory(path: Path) -> Path:
    path.mkdir()
    return path


def clean_environment(bin_dir: Path, tmp_path: Path) -> dict[str, str]:
    """No variable of the test run's (PYTHONPATH, VIRTUAL_ENV, TOCSIN_*), a home of its
    own so no user configuration is found, and the database named explicitly."""
    home = empty_directory(tmp_path / "home")
    return {
        "PATH": f"{bin_dir}{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "LANG": "C.UTF-8",
        "TOCSIN_DATABASE_URL": f"sqlite:///{tmp_path / 'work' / 'tocsin.db'}",
        "TOCSIN_HOST": "127.0.0.1",
        "TOCSIN_PORT": str(free_port()),
    }


def assert_imports_from(python: Path, venv: Path, work: Path, environment: dict[str, str]) -> None:
    """Tocsin is imported from the installed wheel, and nothing of the repository is on
    the interpreter's path (but the lent site-packages, when the venv is in it)."""
    probe = "import json, sys, tocsin; print(json.dumps([tocsin.__file__, sys.path]))"
    location, path = json.loads(run(str(python), "-c", probe, cwd=work, env=environment))
    assert Path(location).is_relative_to(venv), location
    assert [entry for entry in path if entry.startswith(str(ROOT)) and entry not in LENT] == []


def serve_and_ping(bin_dir: Path, work: Path, environment: dict[str, str], log: Path) -> None:
    """`tocsin migrate`, a check made with the CLI, `tocsin serve`; a ping, the sign-in
    page, a static file and the API docs with their assets; a clean stop."""
    tocsin = str(bin_dir / "tocsin")
    assert "Database is up to date." in run(tocsin, "migrate", cwd=work, env=environment)
    create = (tocsin, "check", "create", "--name", "packaged", "--period", "1h", "--json")
    check = json.loads(run(*create, cwd=work, env=environment))
    server = start_serving(tocsin, work, environment, log)
    try:
        assert httpx.get(check["ping_url"], timeout=10).text == "OK"
        (listed,) = json.loads(run(tocsin, "check", "list", "--json", cwd=work, env=environment))
        assert (listed["uuid"], listed["n_pings"]) == (check["uuid"], 1)
        assert_pages_served(server.url)
    finally:
        stop_server(server)
    assert server.process.returncode == 0, server.log()


def start_serving(tocsin: str, work: Path, environment: dict[str, str], log: Path) -> Server:
    log_file = log.open("wb")
    process = subprocess.Popen(
        [tocsin, "serve"], cwd=work, env=environment, stdout=log_file, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{environment['TOCSIN_PORT']}"
    server = Server(url, environment["TOCSIN_DATABASE_URL"], process, log, log_file)
    wait_until_up(server, timeout=60)
    return server


def assert_pages_served(url: str) -> None:
    sign_in = httpx.get(f"{url}/login", timeout=10)
    assert sign_in.status_code == 200
    assert "<h1>Sign in</h1>" in sign_in.text
    css = httpx.get(f"{url}/static/tocsin.css", timeout=10)
    assert css.status_code == 200
    assert css.content == (PACKAGE / "web" / "static" / "tocsin.css").read_bytes()
    docs = httpx.get(f"{url}/api/docs", timeout=10)
    assert docs.status_code == 200
    assert "/api/docs/assets/swagger-ui-bundle.js" in docs.text
    assert httpx.get(f"{url}/api/docs/assets/swagger-ui-bundle.js", timeout=10).status_code == 200
    assert httpx.get(f"{url}/api/openapi.json", timeout=10).json()["info"]["title"] == "Tocsin API"


@pytest.mark.skipif(
    not PIPX_CHECK, reason="installs pipx and the dependencies from PyPI: run `make package-check`"
)
def test_pipx_installs_the_wheel_and_it_serves(wheel: Path, tmp_path: Path) -> None:
    tool = tmp_path / "pipx-tool"
    run(sys.executable, "-m", "venv", str(tool))
    run(str(tool / "bin" / "pip"), "install", "--quiet", "pipx")
    pipx_home, bin_dir = tmp_path / "pipx-home", tmp_path / "pipx-bin"
    installing = {
        **os.environ,
        "PIPX_HOME": str(pipx_home),
        "PIPX_BIN_DIR": str(bin_dir),
        "PIPX_MAN_DIR": str(tmp_path / "pipx-man"),
    }
    run(str(tool / "bin" / "pipx"), "install", str(wheel), env=installing)
    work = empty_directory(tmp_path / "work")
    environment = clean_environment(bin_dir, tmp_path)
    venv = pipx_home / "venvs" / "tocsin"
    assert_imports_from(venv / "bin" / "python", venv, work, environment)
    serve_and_ping(bin_dir, work, environment, tmp_path / "server.log")
