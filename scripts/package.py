"""Build Tocsin's wheel and install it into a virtual environment.

The one set of steps the packaging test (tests/e2e/test_packaging.py), `make
package-check` and the Dockerfile share, so what the tests install is what ships:

    python scripts/package.py build DIST
        Copies pyproject.toml, README.md and src/ into a scratch directory and builds the
        wheel there into DIST, printing its path. Building from a copy means nothing else
        of the checkout (and no stale build/ folder left by an earlier build, which
        setuptools never empties) can reach the wheel. The build uses this interpreter's
        setuptools, without build isolation, so it needs no network: install the
        setuptools pyproject.toml's [build-system] asks for first (the dev extra has it).

    python scripts/package.py install VENV WHEEL [--no-deps]
        Makes a virtual environment at VENV (without pip of its own) and installs the
        wheel into it with this interpreter's pip; `--no-deps` leaves the dependencies
        for the caller to provide.

Standard library only, so it runs on a bare Python image.
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What a wheel is built from; everything else of the checkout stays out.
SOURCES = ("pyproject.toml", "README.md", "src")
LEFT_BEHIND = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")


def build(dist: Path) -> Path:
    """The wheel, built from a clean copy of the sources into `dist`."""
    dist.mkdir(parents=True, exist_ok=True)
    before = set(dist.glob("tocsin-*.whl"))
    with tempfile.TemporaryDirectory(prefix="tocsin-build-") as scratch:
        copy = Path(scratch)
        for name in SOURCES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, copy / name, ignore=LEFT_BEHIND)
            else:
                shutil.copy2(source, copy / name)
        pip = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps"]
        run([*pip, "--no-build-isolation", "--wheel-dir", str(dist.resolve()), str(copy)])
    return newest_wheel(dist, before)


def newest_wheel(dist: Path, before: set[Path]) -> Path:
    """The wheel the build just wrote (a rebuild of one version overwrites its file)."""
    wheels = sorted(dist.glob("tocsin-*.whl"), key=lambda path: path.stat().st_mtime)
    made = [wheel for wheel in wheels if wheel not in before] or wheels[-1:]
    if not made:
        sys.exit(f"the build left no tocsin wheel in {dist}")
    return made[-1]


def install(venv: Path, wheel: Path, with_dependencies: bool) -> None:
    """A fresh virtual environment at `venv` with the wheel installed."""
    run([sys.executable, "-m", "venv", "--clear", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    options = [] if with_dependencies else ["--no-deps"]
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    run([*pip, *options, str(wheel)])


def run(command: list[str]) -> None:
    finished = subprocess.run(command, check=False)
    if finished.returncode != 0:
        sys.exit(f"failed ({finished.returncode}): {' '.join(command)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    steps = parser.add_subparsers(dest="step", required=True)
    build_step = steps.add_parser("build", help="build the wheel into DIST")
    build_step.add_argument("dist", type=Path)
    install_step = steps.add_parser("install", help="install WHEEL into a new venv at VENV")
    install_step.add_argument("venv", type=Path)
    install_step.add_argument("wheel", type=Path)
    install_step.add_argument("--no-deps", action="store_true", help="skip the dependencies")
    arguments = parser.parse_args()
    if arguments.step == "build":
        print(build(arguments.dist))
    else:
        install(arguments.venv, arguments.wheel, with_dependencies=not arguments.no_deps)


if __name__ == "__main__":
    main()
