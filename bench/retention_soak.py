"""Retention under a soak: the database levels off, and pings go as fast while it prunes.

`tocsin serve` takes millions of pings over HTTP (wrk, 64 connections, random pings
over 1,000 checks, as bench/ping_throughput.py), in segments of `--seconds` each. The
segments alternate between pruning on (TOCSIN_KEEP_PINGS=100, pruning every
`--prune-interval`) and off (TOCSIN_KEEP_PINGS=0), starting and ending with on, each a
fresh `tocsin serve` on the same database, so that drift in the machine's speed hits
both alike. An "on" segment first takes `--settle` seconds of pings unmeasured, while
it deletes what the "off" segment before it left, so that what is measured is steady
running: as many pings deleted as received (`--settle 0` measures the catching up
too). After each segment the database's
size is read: on SQLite the file, the free pages in it (which later inserts fill
before the file grows) and the WAL; on PostgreSQL the database, the pings table with
its indexes, and its dead rows (which autovacuum makes reusable; on a server with
autovacuum off, `--vacuum` runs `VACUUM pings, checks` after each segment instead, as
autovacuum would about once a minute). Every acknowledged ping must be counted in
checks.n_pings afterwards.

    .venv/bin/python bench/retention_soak.py --segments 15 --seconds 30
    .venv/bin/python bench/retention_soak.py --segments 9 --seconds 30 \\
        --postgres postgresql://postgres@127.0.0.1:5432/bench
"""

import argparse
import asyncio
import dataclasses
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import asyncpg

import ping_throughput as bench

MB = 1 << 20
KEEP_PINGS = 100


@dataclass(frozen=True, slots=True)
class Size:
    database: int  # bytes: the SQLite file, or the PostgreSQL database
    free: int  # SQLite's free pages; PostgreSQL: 0
    wal: int  # SQLite's WAL file; PostgreSQL: 0
    pings_table: int  # PostgreSQL: the pings table with its indexes and TOAST; SQLite: 0
    dead_rows: int  # PostgreSQL's dead rows in pings; SQLite: 0
    rows: int  # rows in pings

    def describe(self) -> str:
        text = f"db {self.database / MB:7.1f} MB"
        if self.pings_table:
            return (
                text + f", pings table {self.pings_table / MB:6.1f} MB, dead {self.dead_rows:>8,}"
            )
        return text + f", free {self.free / MB:6.1f} MB, WAL {self.wal / MB:5.1f} MB"


@dataclass(frozen=True, slots=True)
class Segment:
    pruning: bool
    result: bench.WrkResult
    size: Size
    settling: bench.WrkResult | None  # the unmeasured pings before it, while catching up
    pruned: int  # pings the server's log says it pruned
    busy_ms: float  # its pruning transactions' time in all, by its log
    longest_ms: float  # the longest of them


def parse_options(argv: Sequence[str]) -> tuple[bench.Options, int, int, bool]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--segments", type=bench.positive, default=15, help="odd: on, off, … on")
    parser.add_argument("--seconds", type=bench.positive, default=30, help="length of each")
    parser.add_argument("--concurrency", type=bench.positive, default=64)
    parser.add_argument("--prune-interval", type=bench.positive, default=2, help="seconds")
    parser.add_argument("--settle", type=int, default=20, help="seconds unmeasured, on")
    parser.add_argument("--postgres", help="a PostgreSQL URL instead of SQLite; emptied first")
    parser.add_argument("--vacuum", action="store_true", help="PostgreSQL: VACUUM each segment")
    args = parser.parse_args(argv)
    options = bench.Options(
        args.concurrency, args.seconds, args.segments, "FULL", None, args.postgres
    )
    return options, args.prune_interval, args.settle, args.vacuum


def run_segment(
    setup: bench.Setup, pruning: bool, interval: int, settle: int, number: int
) -> Segment:
    port = bench.free_port()
    command = bench.tocsin_command(port)
    environment = bench.tocsin_environment(setup.database_url, port, "FULL") | {
        "TOCSIN_KEEP_PINGS": str(KEEP_PINGS if pruning else 0),
        "TOCSIN_PRUNE_INTERVAL": f"{interval}s",
        "TOCSIN_LOG_LEVEL": "INFO",
    }
    log = setup.workdir / f"segment-{number}.log"
    settling = None
    with bench.running_server(command, environment, port, log):
        if pruning and settle:
            options = dataclasses.replace(setup.options, seconds=settle)
            settling = bench.run_wrk(bench.wrk_command(setup.wrk, port, options, setup.uuids))
        result = bench.run_wrk(bench.wrk_command(setup.wrk, port, setup.options, setup.uuids))
    return Segment(pruning, result, measure_size(setup), settling, *pruned_in(log))


PRUNED = re.compile(r"pruned (\d+) pings.* (\d+) ms in all, the longest ([\d.]+) ms")


def pruned_in(log: Path) -> tuple[int, float, float]:
    """From the server's `pruned …` log lines: the pings pruned, the time its pruning
    transactions took in all and the longest of them, in ms."""
    found = PRUNED.findall(log.read_text(errors="replace"))
    pings = sum(int(n) for n, _, _ in found)
    return (
        pings,
        sum(float(ms) for _, ms, _ in found),
        max((float(ms) for *_, ms in found), default=0.0),
    )


def measure_size(setup: bench.Setup) -> Size:
    if setup.options.postgres is not None:
        return asyncio.run(postgres_size(setup.options.postgres))
    with sqlite3.connect(setup.db_path) as connection:
        page_size, free = (
            connection.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("page_size", "freelist_count")
        )
        rows = connection.execute("SELECT count(*) FROM pings").fetchone()[0]
    connection.close()
    wal = Path(f"{setup.db_path}-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    return Size(setup.db_path.stat().st_size, page_size * free, wal_size, 0, 0, rows)


async def vacuum_postgres(url: str) -> None:
    """What autovacuum does to the tables the pings churn, on a server without it."""
    connection = await asyncpg.connect(bench.plain_postgres_url(url))
    try:
        await connection.execute("VACUUM pings, checks")
    finally:
        await connection.close()


async def postgres_size(url: str) -> Size:
    connection = await asyncpg.connect(bench.plain_postgres_url(url))
    try:
        database = await connection.fetchval("SELECT pg_database_size(current_database())")
        table = await connection.fetchval("SELECT pg_total_relation_size('pings')")
        dead = await connection.fetchval(
            "SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'pings'"
        )
        rows = await connection.fetchval("SELECT count(*) FROM pings")
    finally:
        await connection.close()
    return Size(database, 0, 0, table, dead or 0, rows)


def report(segments: list[Segment], started: float) -> None:
    print(
        f"\n{'':3}{'pruning':8}{'pings/s':>9}{'p99 ms':>8}{'pruned':>10}{'tx ms':>7}{'longest':>8}"
        f"{'rows':>11}  size after"
    )
    for number, s in enumerate(segments, 1):
        print(
            f"{number:<3}{'on' if s.pruning else 'off':8}{s.result.pings_per_s:>9,.0f}"
            f"{s.result.p99_ms:>8.2f}{s.pruned:>10,}{s.busy_ms:>7.0f}{s.longest_ms:>8.1f}"
            f"{s.size.rows:>11,}"
            f"  {s.size.describe()}"
        )
    on = [s.result.pings_per_s for s in segments if s.pruning]
    off = [s.result.pings_per_s for s in segments if not s.pruning]
    total = sum(s.result.ok + (s.settling.ok if s.settling else 0) for s in segments)
    print(f"pings acknowledged: {total:,} in {time.monotonic() - started:,.0f} s")
    print(f"median pings/s, pruning on: {statistics.median(on):,.0f}; off: {median(off):,.0f}")
    if off:
        # Each "off" segment against the mean of the "on" segments either side of it.
        rate = [s.result.pings_per_s for s in segments]
        pairs = [(rate[i - 1] + rate[i + 1]) / 2 / rate[i] for i in range(1, len(rate) - 1, 2)]
        print(
            f"on/off, each off against the two on beside it, median: {statistics.median(pairs):.3f}"
        )
    p99_on = [s.result.p99_ms for s in segments if s.pruning]
    print(f"median p99, pruning on: {statistics.median(p99_on):.2f} ms", end="")
    print(f"; off: {median([s.result.p99_ms for s in segments if not s.pruning]):.2f} ms")


def median(values: list[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def verify(setup: bench.Setup, segments: list[Segment]) -> None:
    """Every acknowledged ping is counted; pruning never lowers a check's count."""
    n_pings, _rows = bench.recorded_pings(setup)
    runs = [run for s in segments for run in (s.result, s.settling) if run is not None]
    acknowledged = sum(run.ok for run in runs)
    in_flight = sum(run.started - run.requests for run in runs)
    print(f"verification: {acknowledged:,} acknowledged, {n_pings:,} in checks.n_pings")
    if not acknowledged <= n_pings <= acknowledged + in_flight:
        raise bench.BenchError(f"n_pings {n_pings} against {acknowledged} acknowledged")


def main(argv: Sequence[str] | None = None) -> None:
    options, interval, settle, vacuum = parse_options(sys.argv[1:] if argv is None else argv)
    wrk = bench.find_wrk()
    print(f"command: {' '.join([sys.executable, *sys.argv])}")
    print(f"load: 1/5/15-minute load average {os.getloadavg()} at start, {time.ctime()}")
    with tempfile.TemporaryDirectory(prefix="tocsin-soak-") as workdir:
        try:
            setup = bench.prepare(wrk, options, Path(workdir))
            started = time.monotonic()
            segments = []
            for number in range(1, options.rounds + 1):
                segment = run_segment(setup, number % 2 == 1, interval, settle, number)
                if vacuum and options.postgres is not None:
                    asyncio.run(vacuum_postgres(options.postgres))
                segments.append(segment)
                state = "on " if segment.pruning else "off"
                if segment.settling is not None:
                    print(f"  settling: {segment.settling.pings_per_s:,.0f} pings/s")
                print(
                    f"  segment {number} ({state}): {segment.result.pings_per_s:,.0f} pings/s, "
                    f"{segment.size.rows:,} rows, {segment.size.describe()}",
                    flush=True,
                )
            report(segments, started)
            verify(setup, segments)
        except bench.BenchError as error:
            sys.exit(f"FAILED: {error}")


if __name__ == "__main__":
    main()
