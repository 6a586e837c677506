"""Running `tocsin run` as cron does: the installed console script, in a subprocess."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

TOCSIN = str(Path(sys.executable).parent / "tocsin")
started: list[subprocess.Popen[bytes]] = []


def tocsin_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [TOCSIN, "run", *args], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60
    )


def start_wrapper(*args: str) -> subprocess.Popen[bytes]:
    """`tocsin run` in the background, its output piped to the test."""
    wrapper = subprocess.Popen(
        [TOCSIN, "run", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    started.append(wrapper)
    return wrapper


@pytest.fixture(autouse=True)
def no_wrapper_left() -> Iterator[None]:
    """A wrapper a failed test left running is killed and its pipes closed here, so the
    failure is reported by that test and not as a leaked file in a later one."""
    yield
    while started:
        wrapper = started.pop()
        if wrapper.poll() is None:
            wrapper.kill()
        wrapper.communicate()
