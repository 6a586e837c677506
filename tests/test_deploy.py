"""The deployment files stay in step with the code and with docs/DEPLOYMENT.md: every
variable they set is a real setting, the proxies set the header Tocsin is told to trust
(replacing it, not appending), and the Dockerfile runs the build steps the packaging test
runs. (The image itself is not built here: these machines cannot pull base images.)"""

import importlib.util
import re
import tomllib
from pathlib import Path

from tocsin.config import SETTINGS

ROOT = Path(__file__).parent.parent
DEPLOY = ROOT / "deploy"
GUIDE = (ROOT / "docs" / "DEPLOYMENT.md").read_text()
DOCKERFILE = (ROOT / "Dockerfile").read_text()
DEPLOYMENT_FILES = [
    *sorted(DEPLOY.iterdir()),
    ROOT / "Dockerfile",
    ROOT / "compose.yaml",
    ROOT / "docs" / "DEPLOYMENT.md",
]


def package_script_sources() -> tuple[str, ...]:
    spec = importlib.util.spec_from_file_location("package", ROOT / "scripts" / "package.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sources: tuple[str, ...] = module.SOURCES
    return sources


def environment_file() -> dict[str, str]:
    lines = (DEPLOY / "tocsin.env").read_text().splitlines()
    pairs = [line.partition("=") for line in lines if line and not line.startswith("#")]
    return {name: value for name, _, value in pairs}


def test_every_file_in_deploy_is_shown_whole_in_the_guide() -> None:
    missing = [path.name for path in DEPLOY.iterdir() if path.read_text() not in GUIDE]
    assert missing == []


def test_every_variable_the_deployment_files_name_is_a_setting() -> None:
    known = {setting.variable for setting in SETTINGS}
    known |= {setting.variable + "_FILE" for setting in SETTINGS if setting.secret}
    named = {
        (path.name, variable)
        for path in DEPLOYMENT_FILES
        for variable in re.findall(r"\bTOCSIN_[A-Z_]+\b", path.read_text())
    }
    assert len(named) > 10
    assert sorted((name, variable) for name, variable in named if variable not in known) == []


def test_the_service_names_its_database_and_trusts_the_header_its_proxies_replace() -> None:
    settings = environment_file()
    assert settings["TOCSIN_DATABASE_URL"].startswith("sqlite:////var/lib/tocsin/")
    assert settings["TOCSIN_SITE_URL"].startswith("https://")
    header = settings["TOCSIN_TRUSTED_PROXY_HEADER"]
    assert header == "X-Forwarded-For"  # the one Caddy replaces by default
    nginx = [
        line.strip()
        for line in (DEPLOY / "nginx.conf").read_text().splitlines()
        if not line.strip().startswith("#")
    ]
    assert f"proxy_set_header {header} $remote_addr;" in nginx
    assert [line for line in nginx if "$proxy_add_x_forwarded_for" in line] == []
    assert "reverse_proxy 127.0.0.1:8000" in (DEPLOY / "Caddyfile").read_text()
    assert settings["TOCSIN_PORT"] == "8000"


def test_the_unit_migrates_then_serves_with_its_environment_file() -> None:
    unit = (DEPLOY / "tocsin.service").read_text()
    assert "EnvironmentFile=/etc/tocsin/tocsin.env\n" in unit
    assert "ExecStartPre=/opt/tocsin/bin/tocsin migrate\n" in unit
    assert "ExecStart=/opt/tocsin/bin/tocsin serve\n" in unit
    assert "StateDirectory=tocsin\n" in unit


def test_the_dockerfile_builds_and_installs_as_the_packaging_test_does() -> None:
    joined = DOCKERFILE.replace("\\\n", " ")  # continued lines as one
    steps = " ".join(re.findall(r"^RUN (.*)$", joined, re.M))
    assert "python scripts/package.py build /dist" in steps
    assert "python scripts/package.py install /opt/tocsin /dist/tocsin-*.whl" in steps
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for source in [*package_script_sources(), "scripts/package.py"]:
        assert re.search(rf"^COPY {re.escape(source)} ", DOCKERFILE, re.M) or (
            f" {source} " in DOCKERFILE
        ), source
        assert f"!{source}" in ignored or f"!{source}/" in ignored, source


def test_the_image_runs_a_python_the_package_supports() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    oldest = tuple(int(part) for part in project["requires-python"].removeprefix(">=").split("."))
    bases = re.findall(r"^FROM python:(\d+)\.(\d+)-slim\b", DOCKERFILE, re.M)
    assert len(bases) == len(re.findall(r"^FROM ", DOCKERFILE, re.M)) == 2
    assert all((int(major), int(minor)) >= oldest for major, minor in bases)
