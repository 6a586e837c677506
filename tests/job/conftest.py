"""Running `tocsin run` as cron does: the installed console script, in a subprocess."""

import subprocess
import sys
from pathlib import Path

TOCSIN = str(Path(sys.executable).parent / "tocsin")


def tocsin_run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [TOCSIN, "run", *args], stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60
    )


def start_wrapper(*args: str) -> subprocess.Popen[bytes]:
    """`tocsin run` in the background, its output piped to the test."""
    return subprocess.Popen(
        [TOCSIN, "run", *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
