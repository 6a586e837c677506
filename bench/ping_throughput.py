"""Ping throughput: tocsin serve against its ceiling, a bare ASGI app under uvicorn.

Both servers run one at a time on this machine, alternating (bare, tocsin, bare,
tocsin, ...) so that drift in the machine's speed hits both alike; the number to
compare across runs is the ratio tocsin/bare, not the absolute rates. wrk drives both
with the same random sequence of /ping/<uuid> paths over 1,000 real checks. After the
tocsin rounds the database must hold every ping that wrk saw acknowledged.

    .venv/bin/python bench/ping_throughput.py --seconds 6 --rounds 3

`--post` sends each ping as a POST of a small body; `--rules` also gives every check
rules on runs and keyword rules that read that body, to measure what rules cost.
"""

import argparse
import asyncio
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg

from tocsin.config import Settings
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.records import NewCheck
from tocsin.domain.run_rules import run_rules
from tocsin.domain.schedule import Period
from tocsin.store.checks import insert_check
from tocsin.store.database import Database
from tocsin.store.migrate import migrate
from tocsin.store.projects import default_project

BENCH_DIR = Path(__file__).resolve().parent
LUA_SCRIPT = BENCH_DIR / "random_ping.lua"
HOST = "127.0.0.1"

CHECKS = 1_000
PERIOD = timedelta(hours=1)
GRACE = timedelta(minutes=5)

# What --post sends and --rules sets: the keywords find "OK" in the body, a success, and
# the rules on runs count it (no run is started, so no duration is judged).
PING_BODY = "backup finished OK: 1234 files, 56 MB in 78 s\n"
RUN_RULES = run_rules(
    min_duration=timedelta(seconds=1),
    max_duration=timedelta(hours=1),
    failure_threshold=3,
    recovery_threshold=2,
)
KEYWORD_RULES = KeywordRules(success_kw="OK,done", failure_kw="ERROR,FAILED", filter_http_body=True)

TARGET_RATIO = 0.40
TARGET_P99_MS = 50.0
TARGET_CONCURRENCY = 64
TARGET_LINE = "target: >= 40% of ceiling, p99 < 50 ms at concurrency 64"

STARTUP_TIMEOUT_S = 60.0
SHUTDOWN_TIMEOUT_S = 60.0
LOG_TAIL_LINES = 20


class BenchError(Exception):
    """The benchmark could not produce a trustworthy result; the message says why."""


@dataclass(frozen=True, slots=True)
class Options:
    concurrency: int
    seconds: int
    rounds: int
    synchronous: str
    json_path: Path | None
    postgres: str | None  # a PostgreSQL URL to measure instead of SQLite; emptied first
    post: bool = False  # each ping a POST of PING_BODY
    rules: bool = False  # every check with RUN_RULES and KEYWORD_RULES (and post)


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int  # responses wrk read, whatever their status
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int  # wrk's "Non-2xx or 3xx responses": status codes above 399
    socket_errors: int
    started: int  # requests wrk began to send (from random_ping.lua's done())

    @property
    def ok(self) -> int:
        return self.requests - self.non_2xx

    @property
    def pings_per_s(self) -> float:
        # Only acknowledged pings count; equals wrk's Requests/sec when nothing failed.
        return self.requests_per_s * self.ok / self.requests if self.requests else 0.0

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors

    def summary(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "pings_per_s": self.pings_per_s}


@dataclass(frozen=True, slots=True)
class CpuUse:
    """CPU time tocsin serve spent during one wrk run, read from /proc."""

    wall_s: float
    loop_s: float  # the main thread's: it runs the event loop, where every ping's work is
    process_s: float  # every thread's: the loop's, the fsync's, the checkpoint's

    def loop_busy(self) -> float:
        return self.loop_s / self.wall_s

    def per_ping_us(self, seconds: float, pings_per_s: float) -> float:
        return 1e6 * seconds / (pings_per_s * self.wall_s) if pings_per_s else 0.0


@dataclass(frozen=True, slots=True)
class Round:
    number: int
    bare: WrkResult
    tocsin: WrkResult
    recorded: int  # pings the database gained during this round's tocsin run
    cpu: CpuUse | None  # None where /proc cannot tell

    @property
    def ratio(self) -> float:
        return self.tocsin.pings_per_s / self.bare.pings_per_s


@dataclass(frozen=True, slots=True)
class Verification:
    acknowledged: int
    n_pings: int
    ping_rows: int
    in_flight_bound: int  # requests started but never answered, over all tocsin rounds

    @property
    def lost(self) -> int:
        return max(0, self.acknowledged - self.n_pings)

    @property
    def unacknowledged(self) -> int:
        return max(0, self.n_pings - self.acknowledged)


# --- options and environment -------------------------------------------------------


def parse_options(argv: Sequence[str]) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--concurrency", type=positive, default=64, help="wrk connections")
    parser.add_argument("--seconds", type=positive, default=8, help="length of each wrk run")
    parser.add_argument("--rounds", type=positive, default=3, help="bare+tocsin pairs to run")
    parser.add_argument(
        "--synchronous",
        type=str.upper,
        choices=["FULL", "NORMAL"],
        default="FULL",
        help="TOCSIN_SQLITE_SYNCHRONOUS for tocsin serve",
    )
    parser.add_argument("--json", type=Path, dest="json_path", help="write results here")
    parser.add_argument(
        "--postgres",
        metavar="URL",
        help="measure on this PostgreSQL database instead of SQLite (ALL ITS TABLES ARE DROPPED)",
    )
    parser.add_argument("--post", action="store_true", help="send each ping as a POST of a body")
    parser.add_argument(
        "--rules", action="store_true", help="give every check rules on runs and keyword rules"
    )
    args = parser.parse_args(argv)
    return Options(
        *(args.concurrency, args.seconds, args.rounds, args.synchronous, args.json_path),
        *(args.postgres, args.post or args.rules, args.rules),
    )


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def find_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk not found: install it with `apt-get install wrk`")
    return wrk


def tocsin_program() -> list[str]:
    # The console script installed next to this interpreter, i.e. the `tocsin` people run.
    script = Path(sys.executable).parent / "tocsin"
    return [str(script)] if script.exists() else [sys.executable, "-m", "tocsin"]


def machine(wrk: str) -> dict[str, str]:
    return {
        "nproc": str(os.cpu_count()),
        "cpu": cpu_model(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "wrk": first_line(run_quietly([wrk, "-v"])),
        "packages": ", ".join(package_versions()),
        # Other work on the machine skews absolute numbers; say how busy it was.
        "load": "1/5/15-minute load average {:.2f} {:.2f} {:.2f} at start".format(*os.getloadavg()),
    }


def cpu_model() -> str:
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    return found.group(1).strip() if found else "unknown"


def package_versions() -> list[str]:
    # uvicorn picks uvloop and httptools only when installed; say which it could pick.
    names = ["tocsin", "uvicorn", "uvloop", "httptools", "sqlalchemy", "aiosqlite"]
    return [f"{name} {installed_version(name)}" for name in names]


def installed_version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "MISSING"


def run_quietly(command: list[str]) -> str:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return done.stdout + done.stderr


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# --- the database ------------------------------------------------------------------


async def create_checks(database_url: str, count: int, rules: bool) -> list[str]:
    """Make the checks through tocsin's own store, exactly as the CLI would."""
    database = Database(Settings.from_env({}, database_url=database_url))
    try:
        await migrate(database)
        now = datetime.now(UTC)
        async with database.write() as connection:
            project_id = await connection.run_sync(default_project, now)
            records = [
                await connection.run_sync(insert_check, project_id, check_spec(number, rules), now)
                for number in range(1, count + 1)
            ]
    finally:
        await database.close()
    return [str(record.uuid) for record in records]


def check_spec(number: int, rules: bool) -> NewCheck:
    spec = NewCheck(schedule=Period(PERIOD), grace=GRACE, name=f"bench {number:04d}")
    return replace(spec, rules=RUN_RULES, keywords=KEYWORD_RULES) if rules else spec


def recorded_pings(setup: "Setup") -> tuple[int, int]:
    """(sum of checks.n_pings, rows in pings), read with the plain driver, not tocsin's code."""
    if setup.options.postgres is not None:
        return asyncio.run(recorded_pings_postgres(setup.options.postgres))
    with sqlite3.connect(setup.db_path) as connection:
        (n_pings,) = connection.execute(RECORDED_SQL[0]).fetchone()
        (rows,) = connection.execute(RECORDED_SQL[1]).fetchone()
    connection.close()
    return int(n_pings), int(rows)


RECORDED_SQL = ("SELECT COALESCE(SUM(n_pings), 0) FROM checks", "SELECT COUNT(*) FROM pings")


async def recorded_pings_postgres(url: str) -> tuple[int, int]:
    connection = await asyncpg.connect(plain_postgres_url(url))
    try:
        n_pings = await connection.fetchval(RECORDED_SQL[0])
        rows = await connection.fetchval(RECORDED_SQL[1])
    finally:
        await connection.close()
    return int(n_pings), int(rows)


async def empty_postgres(url: str) -> None:
    """Drop every table of the database's public schema, so the run starts afresh."""
    connection = await asyncpg.connect(plain_postgres_url(url))
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await connection.close()


def plain_postgres_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


# --- servers -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def bare_command(port: int) -> list[str]:
    # tocsin serve's uvicorn.run settings, spelled as uvicorn's command line options;
    # loop and http stay "auto", which is uvloop and httptools when installed.
    return [
        *[sys.executable, "-m", "uvicorn", "bare_asgi:app", "--app-dir", str(BENCH_DIR)],
        *["--host", HOST, "--port", str(port), "--lifespan", "on"],
        *["--no-access-log", "--no-proxy-headers", "--log-level", "warning"],
    ]


def tocsin_command(port: int) -> list[str]:
    # BENCH_SERVER_PREFIX, e.g. "py-spy record -o p.txt --", runs the server under a profiler.
    prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()
    return [*prefix, *tocsin_program(), "serve", "--port", str(port)]


def tocsin_environment(database_url: str, port: int, synchronous: str) -> dict[str, str]:
    # Drop the caller's TOCSIN_* settings: only what is written here may shape the run.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")}
    return environment | {
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_HOST": HOST,
        "TOCSIN_PORT": str(port),
        "TOCSIN_LOG_LEVEL": "WARNING",
        "TOCSIN_SQLITE_SYNCHRONOUS": synchronous,
    }


@contextmanager
def running_server(
    command: list[str], environment: dict[str, str], port: int, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, return once it answers HTTP, and on leaving stop it as Ctrl-C would."""
    with log.open("ab") as log_file:
        process = subprocess.Popen(
            command, env=environment, stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file
        )
        try:
            wait_until_answering(process, port, log)
            yield process
        finally:
            stop_server(process, log)


def wait_until_answering(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    # GET / rather than a ping: a ping here would be recorded without wrk counting it.
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"server exited with {process.returncode} at startup{tail(log)}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/", timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.05)
    raise BenchError(f"server did not answer on port {port} in {STARTUP_TIMEOUT_S:.0f}s")


def stop_server(process: subprocess.Popen[bytes], log: Path) -> None:
    # SIGINT is the graceful path: tocsin drains its ping queue before exiting.
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=SHUTDOWN_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise BenchError(f"server ignored SIGINT for {SHUTDOWN_TIMEOUT_S:.0f}s") from None
    if process.returncode != 0:
        raise BenchError(f"server exited with {process.returncode}{tail(log)}")


def tail(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
    return "; its log ends:\n" + "\n".join(lines) if lines else ""


# --- wrk ---------------------------------------------------------------------------


def wrk_command(
    wrk: str, port: int, options: Options, uuids: Path, body: Path | None = None
) -> list[str]:
    return [
        *[wrk, "-t1", f"-c{options.concurrency}", f"-d{options.seconds}s", "--latency"],
        *["-s", str(LUA_SCRIPT), f"http://{HOST}:{port}/", "--", str(uuids)],
        *([] if body is None else [str(body)]),
    ]


def run_wrk(command: list[str]) -> WrkResult:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0 or done.stderr.strip():
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    result = parse_wrk(done.stdout)
    if result.ok == 0:
        raise BenchError(f"the server acknowledged no request:\n{done.stdout}")
    return result


def parse_wrk(output: str) -> WrkResult:
    return WrkResult(
        requests=int(search(r"^\s*(\d+) requests in ", output)),
        requests_per_s=float(search(r"^Requests/sec:\s*([\d.]+)", output)),
        p50_ms=latency_ms(search(r"^\s*50%\s+(\S+)", output)),
        p99_ms=latency_ms(search(r"^\s*99%\s+(\S+)", output)),
        non_2xx=int(search(r"Non-2xx or 3xx responses: (\d+)", output, "0")),
        socket_errors=socket_errors(output),
        started=int(search(r"^Requests started: (\d+)", output)),
    )


def search(pattern: str, output: str, default: str | None = None) -> str:
    found = re.search(pattern, output, re.MULTILINE)
    if found:
        return found.group(1)
    if default is None:
        raise BenchError(f"unexpected wrk output (no match for {pattern!r}):\n{output}")
    return default


UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def latency_ms(text: str) -> float:
    """wrk prints latencies with a unit chosen per value: 812.00us, 1.20ms, 2.00s."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not found:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(found.group(1)) * UNIT_MS[found.group(2)]


SOCKET_ERRORS = r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"


def socket_errors(output: str) -> int:
    # wrk prints this line only when some socket error happened.
    found = re.search(SOCKET_ERRORS, output)
    return sum(int(count) for count in found.groups()) if found else 0


# --- the run -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Setup:
    wrk: str
    options: Options
    workdir: Path
    db_path: Path
    uuids: Path
    body: Path | None = None  # the body file of --post

    @property
    def database_url(self) -> str:
        return self.options.postgres or f"sqlite:///{self.db_path}"


def prepare(wrk: str, options: Options, workdir: Path) -> Setup:
    body = workdir / "body.txt" if options.post else None
    setup = Setup(wrk, options, workdir, workdir / "tocsin.db", workdir / "uuids.txt", body)
    if options.postgres is not None:
        asyncio.run(empty_postgres(options.postgres))
    uuids = asyncio.run(create_checks(setup.database_url, CHECKS, options.rules))
    setup.uuids.write_text("\n".join(uuids) + "\n")
    if body is not None:
        body.write_text(PING_BODY)
    return setup


def measure_bare(setup: Setup, announce: bool) -> WrkResult:
    port = free_port()
    command = bare_command(port)
    with running_server(command, dict(os.environ), port, setup.workdir / "bare.log"):
        return run_announced(setup, port, command, announce)


def measure_tocsin(setup: Setup, announce: bool) -> tuple[WrkResult, CpuUse | None]:
    port = free_port()
    command = tocsin_command(port)
    environment = tocsin_environment(setup.database_url, port, setup.options.synchronous)
    with running_server(command, environment, port, setup.workdir / "tocsin.log") as server:
        before, started = cpu_seconds(server.pid), time.monotonic()
        result = run_announced(setup, port, command, announce)
        after, wall = cpu_seconds(server.pid), time.monotonic() - started
    if before is None or after is None:
        return result, None
    return result, CpuUse(wall, after[0] - before[0], after[1] - before[1])


def cpu_seconds(pid: int) -> tuple[float, float] | None:
    """(main thread, whole process) CPU seconds so far, user and system; None without /proc.
    Under a BENCH_SERVER_PREFIX the process is the profiler's, and so are the figures."""
    try:
        return thread_cpu_seconds(pid, pid), process_cpu_seconds(pid)
    except (OSError, ValueError, IndexError):
        return None


def thread_cpu_seconds(pid: int, tid: int) -> float:
    return stat_cpu_seconds(Path(f"/proc/{pid}/task/{tid}/stat").read_text())


def process_cpu_seconds(pid: int) -> float:
    return stat_cpu_seconds(Path(f"/proc/{pid}/stat").read_text())


def stat_cpu_seconds(stat: str) -> float:
    # The command name may hold spaces and parentheses; the fields after the last ")"
    # start with the state (field 3), so utime and stime (fields 14, 15) are at 11, 12.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_announced(setup: Setup, port: int, server: list[str], announce: bool) -> WrkResult:
    command = wrk_command(setup.wrk, port, setup.options, setup.uuids, setup.body)
    if announce:
        print(f"  server: {shlex.join(server)}")
        print(f"  client: {shlex.join(command)}")
    return run_wrk(command)


def run_rounds(setup: Setup) -> list[Round]:
    rounds = []
    for number in range(1, setup.options.rounds + 1):
        bare = measure_bare(setup, announce=number == 1)
        before, _ = recorded_pings(setup)
        tocsin, cpu = measure_tocsin(setup, announce=number == 1)
        after, _ = recorded_pings(setup)
        rounds.append(Round(number, bare, tocsin, after - before, cpu))
        print(
            f"  round {number}: bare {bare.pings_per_s:,.0f}/s, tocsin {tocsin.pings_per_s:,.0f}/s"
        )
    return rounds


def verify(setup: Setup, rounds: list[Round]) -> Verification:
    n_pings, rows = recorded_pings(setup)
    return Verification(
        acknowledged=sum(r.tocsin.ok for r in rounds),
        n_pings=n_pings,
        ping_rows=rows,
        in_flight_bound=sum(r.tocsin.started - r.tocsin.requests for r in rounds),
    )


def check_verification(result: Verification) -> str | None:
    """Print the check; return why it failed, if it did.

    An acknowledged ping must be in the database, once: anything else fails the run.

    The database may hold a few pings more than wrk saw acknowledged: when its time is
    up wrk stops with a request in flight on each connection, and tocsin still commits
    those. So the exact check is acknowledged <= recorded <= acknowledged + in flight.
    """
    print(
        f"verification: {result.acknowledged} pings acknowledged with 2xx, "
        f"{result.n_pings} in checks.n_pings, {result.ping_rows} rows in pings"
    )
    print(f"lost pings: {result.lost}")
    print(
        f"recorded but not acknowledged: {result.unacknowledged} (requests in flight when "
        f"wrk stopped; at most {result.in_flight_bound} were)"
    )
    if result.lost:
        return f"LOST PINGS: {result.lost} acknowledged pings are not in the database"
    if result.n_pings != result.ping_rows:
        return f"checks.n_pings ({result.n_pings}) != rows in pings ({result.ping_rows})"
    if result.unacknowledged > result.in_flight_bound:
        return (
            f"{result.unacknowledged} pings recorded beyond those acknowledged, but only "
            f"{result.in_flight_bound} requests were left unanswered"
        )
    return None


# --- the report --------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def medians(results: Sequence[WrkResult]) -> dict[str, float]:
    return {
        "pings_per_s": median([r.pings_per_s for r in results]),
        "p50_ms": median([r.p50_ms for r in results]),
        "p99_ms": median([r.p99_ms for r in results]),
        "errors": median([r.errors for r in results]),
    }


COLUMNS = f"{'pings/s':>9}{'p50 ms':>8}{'p99 ms':>8}{'errors':>7}"
HEADER = (
    f"{'':7}|{' ceiling: bare ASGI app':<32}|{' tocsin serve':<32}|\n"
    f"{'round':<7}|{COLUMNS}|{COLUMNS}|{'tocsin/bare':>12}"
)


def columns(result: dict[str, float]) -> str:
    return (
        f"{result['pings_per_s']:>9,.0f}{result['p50_ms']:>8.2f}{result['p99_ms']:>8.2f}"
        f"{result['errors']:>7.0f}"
    )


def table_row(label: str, bare: dict[str, float], tocsin: dict[str, float], ratio: float) -> str:
    return f"{label:<7}|{columns(bare)}|{columns(tocsin)}|{ratio:>12.1%}"


def print_table(rounds: list[Round]) -> tuple[dict[str, float], dict[str, float], float]:
    print(HEADER)
    for r in rounds:
        print(table_row(str(r.number), medians([r.bare]), medians([r.tocsin]), r.ratio))
    bare, tocsin = medians([r.bare for r in rounds]), medians([r.tocsin for r in rounds])
    ratio = median([r.ratio for r in rounds])
    print(table_row("median", bare, tocsin, ratio))
    print("(ratio: tocsin pings/s over bare pings/s in the same round; its median over rounds)")
    print_cpu(rounds)
    return bare, tocsin, ratio


def print_cpu(rounds: list[Round]) -> None:
    """Where tocsin's time went: a loop less than fully busy was waiting, not working."""
    for r in rounds:
        if r.cpu is None:
            continue
        rate = r.tocsin.pings_per_s
        print(
            f"round {r.number}: event loop thread {r.cpu.loop_busy():.0%} busy, "
            f"{r.cpu.per_ping_us(r.cpu.loop_s, rate):.1f} µs a ping; whole server "
            f"{r.cpu.per_ping_us(r.cpu.process_s, rate):.1f} µs a ping"
        )


def verdicts(options: Options, ratio: float, tocsin_p99: float) -> dict[str, bool]:
    print(TARGET_LINE)
    throughput_ok = ratio >= TARGET_RATIO
    p99_ok = tocsin_p99 < TARGET_P99_MS
    print(f"  throughput: {ratio:.1%} of ceiling  {pass_fail(throughput_ok)}")
    print(f"  p99: {tocsin_p99:.2f} ms (median over rounds)  {pass_fail(p99_ok)}")
    if options.concurrency != TARGET_CONCURRENCY:
        print(f"  (note: measured at concurrency {options.concurrency}, not {TARGET_CONCURRENCY})")
    return {"throughput": throughput_ok, "p99": p99_ok}


def pass_fail(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def write_json(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"results written to {path}")


def round_report(r: Round) -> dict[str, Any]:
    return {
        "round": r.number,
        "bare": r.bare.summary(),
        "tocsin": r.tocsin.summary(),
        "ratio": r.ratio,
        "recorded": r.recorded,
        "cpu": None if r.cpu is None else asdict(r.cpu),
    }


# --- main --------------------------------------------------------------------------


def print_header(options: Options, host: dict[str, str]) -> None:
    print(f"command: {shlex.join([sys.executable, *sys.argv])}  (in {Path.cwd()})")
    for key, value in host.items():
        print(f"{key}: {value}")
    print(
        f"settings: {CHECKS} checks (period 1h, grace 5m), concurrency {options.concurrency}, "
        f"{options.seconds}s per run, {options.rounds} rounds, "
        + (
            "PostgreSQL"
            if options.postgres is not None
            else f"SQLite, TOCSIN_SQLITE_SYNCHRONOUS={options.synchronous}"
        )
    )
    if options.post:
        rules = ", rules on runs and keyword rules set" if options.rules else ""
        print(f"pings: POST {PING_BODY!r}{rules}")


def benchmark(options: Options, wrk: str, workdir: Path) -> None:
    host = machine(wrk)
    print_header(options, host)
    setup = prepare(wrk, options, workdir)
    where = setup.options.postgres or setup.db_path
    print(f"database: {where} with {CHECKS} checks; UUIDs in {setup.uuids}")
    rounds = run_rounds(setup)
    print()
    summary = summarise(options, rounds)
    print()
    verification = verify(setup, rounds)
    problem = check_verification(verification)
    # Written before failing, so that a failing run still leaves its numbers behind.
    if options.json_path is not None:
        report = {"command": [sys.executable, *sys.argv], "machine": host, **summary}
        report["verification"] = {**asdict(verification), "lost": verification.lost}
        write_json(options.json_path, report)
    if problem is not None:
        raise BenchError(problem)


def summarise(options: Options, rounds: list[Round]) -> dict[str, Any]:
    """Print the table and the verdicts; return both for the JSON report."""
    bare, tocsin, ratio = print_table(rounds)
    print()
    verdict = verdicts(options, ratio, tocsin["p99_ms"])
    json_path = None if options.json_path is None else str(options.json_path)
    return {
        "options": {**asdict(options), "json_path": json_path, "checks": CHECKS},
        "rounds": [round_report(r) for r in rounds],
        "median": {"bare": bare, "tocsin": tocsin, "ratio": ratio},
        "targets": {"ratio": TARGET_RATIO, "p99_ms": TARGET_P99_MS, "passed": verdict},
    }


def main(argv: Sequence[str] | None = None) -> None:
    options = parse_options(sys.argv[1:] if argv is None else argv)
    wrk = find_wrk()
    with tempfile.TemporaryDirectory(prefix="tocsin-bench-") as workdir:
        try:
            benchmark(options, wrk, Path(workdir))
        except BenchError as error:
            sys.exit(f"FAILED: {error}")


if __name__ == "__main__":
    main()
