"""How long short `tocsin` commands take, start to finish, on a small SQLite database.

Runs `tocsin check list`, `tocsin --help` and `tocsin config` (and `tocsin version`)
`--runs` times each as fresh processes and prints the median and p90 wall time of each,
and the median CPU time (user and system) the process took.
With `--baseline` naming another checkout's `tocsin` (the code before a change, say),
the two take turns command by command, so that drift in the machine's speed hits both
alike; a command the baseline lacks is shown as `—`. The load average is printed
before and after: on a shared machine, compare the two columns, not the figures
across runs.

Both see the same database (20 checks, made with the current `tocsin`), named by an
absolute TOCSIN_DATABASE_URL, and no config file.

    .venv/bin/python bench/cli_startup.py --runs 20 --baseline ../before/.venv/bin/tocsin
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

COMMANDS = (["check", "list"], ["--help"], ["config"], ["version"])
CHECKS = 20


def here_tocsin() -> str:
    return str(Path(sys.executable).parent / "tocsin")


def environment(directory: Path) -> dict[str, str]:
    plain = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    return {
        **plain,
        "TOCSIN_CONFIG": "",
        "TOCSIN_DATABASE_URL": f"sqlite:///{directory / 'tocsin.db'}",
        "XDG_DATA_HOME": str(directory / "share"),
        "XDG_CONFIG_HOME": str(directory / "config"),
    }


def prepare(tocsin: str, env: dict[str, str]) -> None:
    subprocess.run([tocsin, "migrate"], env=env, check=True, capture_output=True)
    for n in range(CHECKS):
        create = [tocsin, "check", "create", "--name", f"job {n}", "--period", "1h"]
        subprocess.run(create, env=env, check=True, capture_output=True)


@dataclass(frozen=True, slots=True)
class Timing:
    wall: float  # seconds from start to exit
    cpu: float  # the process's user and system time: less swayed by other load


def timed(tocsin: str, arguments: Sequence[str], env: dict[str, str]) -> Timing | None:
    """One run; None when the command failed (this `tocsin` lacks it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    run = subprocess.run([tocsin, *arguments], env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return Timing(elapsed, cpu) if run.returncode == 0 else None


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1] if len(values) > 1 else values[0]


def summary(values: list[Timing | None]) -> str:
    """Median and p90 wall time, and the median CPU time, in ms."""
    done = [v for v in values if v is not None]
    if len(done) < len(values) or not done:
        return "—"
    walls = [v.wall * 1000 for v in done]
    cpu = statistics.median(v.cpu * 1000 for v in done)
    return f"{statistics.median(walls):.0f} / {p90(walls):.0f} ({cpu:.0f} CPU)"


def measure(tocsins: dict[str, str], runs: int, env: dict[str, str]) -> None:
    times: dict[tuple[str, str], list[Timing | None]] = {}
    for _ in range(runs):
        for arguments in COMMANDS:
            for label, tocsin in tocsins.items():
                key = (" ".join(arguments), label)
                times.setdefault(key, []).append(timed(tocsin, arguments, env))
    print("wall median / p90 (median CPU time), ms")
    print(f"{'tocsin …':<14}" + "".join(f"{label:>26}" for label in tocsins))
    for arguments in COMMANDS:
        command = " ".join(arguments)
        cells = "".join(f"{summary(times[(command, label)]):>26}" for label in tocsins)
        print(f"{command:<14}{cells}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--current", default=here_tocsin(), help="the tocsin to measure")
    parser.add_argument("--baseline", help="another checkout's tocsin, to compare")
    options = parser.parse_args()
    tocsins = {"baseline": options.baseline} if options.baseline else {}
    tocsins["current"] = options.current
    with tempfile.TemporaryDirectory(prefix="tocsin-cli-bench-") as scratch:
        env = environment(Path(scratch))
        prepare(options.current, env)
        print(f"load average before: {os.getloadavg()[0]:.2f}; {options.runs} runs each")
        measure(tocsins, options.runs, env)
        print(f"load average after:  {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
