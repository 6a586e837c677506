"""How long from a missed deadline to the webhook arriving, when many pass at once.

Creates N checks (default 10,000) with one webhook channel pointed at a local
receiver, starts `tocsin serve`, then makes every check's deadline pass in the same
second and records when each check's webhook arrives. Reports p50, p99 and max of
(arrival - deadline). Target: p99 under 2 s on SQLite.

    .venv/bin/python bench/alert_latency.py [--checks 10000] [--database-url URL]
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import sqlalchemy as sa

from tocsin.config import Settings
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Period
from tocsin.store.channels import insert_channel
from tocsin.store.checks import new_check_values
from tocsin.store.database import Database
from tocsin.store.migrate import migrate
from tocsin.store.projects import default_project
from tocsin.store.tables import check_channels, checks

TARGET_P99 = 2.0
PERIOD = timedelta(hours=1)


class Receiver(asyncio.Protocol):
    """A lean HTTP/1.1 receiver: records when each check's webhook arrives."""

    arrivals: dict[str, float] = {}  # noqa: RUF012 (shared by all connections)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport subclasses, but write() all the same.
        self.transport = cast(asyncio.Transport, transport)
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            length = content_length(head)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            Receiver.arrivals.setdefault(json.loads(body)["check"]["uuid"], time.time())
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def create_checks(database: Database, count: int, hook_url: str) -> None:
    async with database.write() as connection:
        await connection.run_sync(insert_all, count, hook_url)


def insert_all(connection: sa.Connection, count: int, hook_url: str) -> None:
    now = datetime.now(UTC)
    project_id = default_project(connection, now)
    spec = NewCheck(Period(PERIOD), timedelta(0))
    rows = [new_check_values(project_id, spec, now) | {"name": f"job {i}"} for i in range(count)]
    connection.execute(checks.insert(), rows)
    channel = insert_channel(
        connection,
        project_id,
        "webhook",
        "bench",
        {"url": hook_url},
        now,
        assign_to_all_checks=False,
    )
    ids = sa.select(checks.c.id, sa.literal(channel.id))
    connection.execute(check_channels.insert().from_select(["check_id", "channel_id"], ids))


async def set_deadlines(database: Database, deadline: datetime) -> None:
    """Every check up, with its deadline at the same instant."""
    async with database.write() as connection:
        await connection.execute(
            checks.update().values(status="up", last_ping=deadline - PERIOD, alert_after=deadline)
        )


def start_process(
    arguments: list[str], environment: dict[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(arguments, env=environment, stdout=output, stderr=subprocess.STDOUT)


def start_servers(
    database_url: str, port: int, workdir: Path, separate_notifier: bool
) -> list[subprocess.Popen[bytes]]:
    """`tocsin serve`, and with `separate_notifier` a `tocsin notifier` beside it."""
    # BENCH_SERVER_PREFIX, e.g. "py-spy record -o p.txt --", runs the server under a profiler.
    prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()
    tocsin = [sys.executable, "-m", "tocsin"]
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")},
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_PORT": str(port),
        "TOCSIN_ALLOW_PRIVATE_WEBHOOKS": "true",
        "TOCSIN_LOG_LEVEL": "WARNING",
        "TOCSIN_NOTIFIER": "false" if separate_notifier else "true",
    }
    processes = [start_process([*prefix, *tocsin, "serve"], environment, workdir / "serve.log")]
    if separate_notifier:
        log = workdir / "notifier.log"
        processes.append(start_process([*tocsin, "notifier"], environment, log))
    return processes


async def wait_until_up(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return
        except OSError:
            await asyncio.sleep(0.1)
    raise SystemExit("the server did not start")


async def run(options: argparse.Namespace) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-alerts-"))
    database_url = options.database_url or f"sqlite:///{workdir / 'tocsin.db'}"
    database = Database(Settings.from_env({}, database_url=database_url))
    await migrate(database)
    loop = asyncio.get_running_loop()
    hook_port = free_port()
    receiver = await loop.create_server(Receiver, "127.0.0.1", hook_port)
    await create_checks(database, options.checks, f"http://127.0.0.1:{hook_port}/hook")
    port = free_port()
    servers = start_servers(database_url, port, workdir, options.separate_notifier)
    try:
        await wait_until_up(port)
        deadline = datetime.now(UTC) + timedelta(seconds=2)
        await set_deadlines(database, deadline)
        cpu_before = [cpu_seconds(server.pid) for server in servers]
        await wait_for_arrivals(options.checks, time.time() + options.timeout)
        cpu_used = sum(cpu_seconds(s.pid) - b for s, b in zip(servers, cpu_before, strict=True))
    finally:
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            server.wait(timeout=60)
        receiver.close()
        await database.close()
    summary = summarise(list(Receiver.arrivals.values()), deadline.timestamp(), options.checks)
    return summary | {"cpu": cpu_used}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux), the measure least moved by
    whatever else the machine is doing. A profiler prefix makes it the profiler's."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_for_arrivals(count: int, give_up: float) -> None:
    while time.time() < give_up:
        if len(Receiver.arrivals) >= count:
            return
        await asyncio.sleep(0.05)


def summarise(arrivals: list[float], deadline: float, expected: int) -> dict[str, float]:
    latencies = sorted(at - deadline for at in arrivals)
    if not latencies:
        raise SystemExit("no webhook arrived")
    return {
        "checks": expected,
        "arrived": len(latencies),
        "p50": statistics.median(latencies),
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "max": latencies[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds to wait at most")
    parser.add_argument(
        "--separate-notifier",
        action="store_true",
        help="serve --no-notifier plus a `tocsin notifier` process (uses the second core)",
    )
    options = parser.parse_args()
    result = asyncio.run(run(options))
    print(f"checks: {result['checks']:.0f}, webhooks arrived: {result['arrived']:.0f}")
    print(
        f"deadline -> webhook: p50 {result['p50']:.2f} s, p99 {result['p99']:.2f} s, "
        f"max {result['max']:.2f} s"
    )
    verdict = (
        "PASS" if result["p99"] < TARGET_P99 and result["arrived"] == result["checks"] else "FAIL"
    )
    print(
        f"server CPU from the deadline to the last webhook: {result['cpu']:.2f} s "
        f"({1e6 * result['cpu'] / result['checks']:.0f} µs per alert)"
    )
    print(f"target: p99 < {TARGET_P99:.0f} s, every webhook delivered: {verdict}")


if __name__ == "__main__":
    main()
