"""The SQLite WAL under sustained full-speed pings, and what keeping it bounded costs.

Two `tocsin serve` take turns on one database under bench/ping_throughput.py's load
(wrk, 64 connections, random pings over 1,000 checks): a baseline, another checkout's
`tocsin` (the code before a change, say), then the current one, this checkout's unless
`--current` names another, round after round, so that drift in the machine's speed
hits both alike. While wrk runs, the WAL's file size is read every 50 ms. Reported per
round and as medians: pings/s, p99, the server's CPU time a ping, the largest WAL and
the WAL when wrk stopped; the figure to compare is the median over rounds of the
current's pings/s over the baseline's in the same round. Every acknowledged ping must
be in the database afterwards. The servers see only the TOCSIN_* variables set here;
to compare settings, name a script that sets them and runs `tocsin` as `--current`.

    .venv/bin/python bench/wal_size.py --baseline ../before/.venv/bin/tocsin --seconds 10
"""

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import ping_throughput as bench

SAMPLE_EVERY_S = 0.05
MB = 1 << 20


@dataclass(frozen=True, slots=True)
class Run:
    result: bench.WrkResult
    wal_max: int  # bytes
    wal_end: int
    cpu_us: float  # the server's CPU time (every thread's) a ping acknowledged; 0 unknown


@dataclass(frozen=True, slots=True)
class Round:
    baseline: Run
    current: Run

    @property
    def ratio(self) -> float:
        return self.current.result.pings_per_s / self.baseline.result.pings_per_s


class WalSampler:
    """Reads a file's size every `SAMPLE_EVERY_S` on a thread, keeping the largest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.largest = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self) -> None:
        while not self.stopping.wait(SAMPLE_EVERY_S):
            self.largest = max(self.largest, self.size())

    def size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def __enter__(self) -> "WalSampler":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        self.thread.join()


def parse_options(argv: Sequence[str]) -> tuple[bench.Options, list[str], list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--baseline", required=True, help="the other checkout's tocsin script")
    parser.add_argument("--current", help="instead of this checkout's tocsin, this script")
    parser.add_argument("--concurrency", type=bench.positive, default=64)
    parser.add_argument("--seconds", type=bench.positive, default=10, help="length of each run")
    parser.add_argument("--rounds", type=bench.positive, default=4, help="baseline+this pairs")
    args = parser.parse_args(argv)
    options = bench.Options(args.concurrency, args.seconds, args.rounds, "FULL", None, None)
    current = [str(Path(args.current).resolve())] if args.current else bench.tocsin_program()
    return options, [str(Path(args.baseline).resolve())], current


def measure(setup: bench.Setup, program: list[str], label: str) -> Run:
    port = bench.free_port()
    command = [*program, "serve", "--port", str(port)]
    environment = bench.tocsin_environment(setup.database_url, port, "FULL")
    log = setup.workdir / f"{label}.log"
    wal = Path(f"{setup.db_path}-wal")
    with (
        bench.running_server(command, environment, port, log) as server,
        WalSampler(wal) as sampler,
    ):
        before = bench.cpu_seconds(server.pid)
        result = bench.run_wrk(bench.wrk_command(setup.wrk, port, setup.options, setup.uuids))
        after = bench.cpu_seconds(server.pid)
        wal_end = sampler.size()
    cpu_us = cpu_per_ping_us(before, after, result)
    return Run(result, max(sampler.largest, wal_end), wal_end, cpu_us)


def cpu_per_ping_us(
    before: tuple[float, float] | None, after: tuple[float, float] | None, result: bench.WrkResult
) -> float:
    # Less disturbed than pings/s by other work on the machine, which takes turns on the
    # CPU with the server rather than making its work longer.
    if before is None or after is None or not result.ok:
        return 0.0
    return 1e6 * (after[1] - before[1]) / result.ok


def run_rounds(setup: bench.Setup, baseline: list[str], current: list[str]) -> list[Round]:
    rounds = []
    for number in range(1, setup.options.rounds + 1):
        before = measure(setup, baseline, "baseline")
        after = measure(setup, current, "current")
        rounds.append(Round(before, after))
        print(f"  round {number}: {row(rounds[-1])}", flush=True)
    return rounds


def row(r: Round) -> str:
    return f"{columns(r.baseline)} | {columns(r.current)} | {r.ratio:>8.3f}"


def columns(run: Run) -> str:
    return (
        f"{run.result.pings_per_s:>9,.0f}{run.result.p99_ms:>8.2f}{run.cpu_us:>7.1f}"
        f"{run.wal_max / MB:>9,.1f}{run.wal_end / MB:>9,.1f}"
    )


COLUMNS = f"{'pings/s':>9}{'p99 ms':>8}{'CPU µs':>7}{'WAL max':>9}{'WAL end':>9}"
HEADER = f"{'':9}{'baseline':<42} | {'current':<42} |\n{'':9}{COLUMNS} | {COLUMNS} | {'ratio':>8}"


def report(rounds: list[Round]) -> None:
    print(HEADER + "   (CPU a ping, WAL in MB)")
    for number, r in enumerate(rounds, 1):
        print(f"{number:<9}{row(r)}")
    ratios = [r.ratio for r in rounds]
    print(f"median ratio (current's pings/s over the baseline's): {median(ratios):.3f}")
    cpu = [r.current.cpu_us / r.baseline.cpu_us for r in rounds if r.baseline.cpu_us]
    if cpu:
        print(f"median ratio of CPU a ping (current's over the baseline's): {median(cpu):.3f}")
    for name in ("baseline", "current"):
        largest = max(getattr(r, name).wal_max for r in rounds)
        print(f"largest WAL, {name}: {largest / MB:,.1f} MB")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def verify(setup: bench.Setup, rounds: list[Round]) -> None:
    runs = [run.result for r in rounds for run in (r.baseline, r.current)]
    n_pings, rows = bench.recorded_pings(setup)
    verification = bench.Verification(
        acknowledged=sum(result.ok for result in runs),
        n_pings=n_pings,
        ping_rows=rows,
        in_flight_bound=sum(result.started - result.requests for result in runs),
    )
    problem = bench.check_verification(verification)
    if problem is not None:
        raise bench.BenchError(problem)


def main(argv: Sequence[str] | None = None) -> None:
    options, baseline, current = parse_options(sys.argv[1:] if argv is None else argv)
    wrk = bench.find_wrk()
    print(f"command: {' '.join([sys.executable, *sys.argv])}  (in {Path.cwd()})")
    print(f"load: 1/5/15-minute load average {os.getloadavg()} at start, {time.ctime()}")
    with tempfile.TemporaryDirectory(prefix="tocsin-wal-") as workdir:
        try:
            setup = bench.prepare(wrk, options, Path(workdir))
            rounds = run_rounds(setup, baseline, current)
            print()
            report(rounds)
            verify(setup, rounds)
        except bench.BenchError as error:
            sys.exit(f"FAILED: {error}")


if __name__ == "__main__":
    main()
