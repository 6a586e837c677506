"""How fast the checks page renders for a project of 1,000 checks.

Creates N checks (default 1,000) in a fresh SQLite database, each with a few pings and
a mix of statuses, and an owner to sign in as; starts `tocsin serve` on a free port,
signs in over HTTP, and requests the checks page again and again on one keep-alive
connection, timing each full response. Reports p50 and p99. Target: p99 under 300 ms.

    .venv/bin/python bench/checks_page.py [--checks 1000] [--requests 200]
"""

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tocsin.domain.accounts import hash_password
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Cron, Period
from tocsin.store.checks import new_check_values
from tocsin.store.projects import default_project
from tocsin.store.tables import checks, pings
from tocsin.store.users import add_membership, insert_user

TARGET_P99 = 0.300
EMAIL = "bench@example.com"
PASSWORD = "correct horse battery"
PINGS_PER_CHECK = 5
TAGS = ["prod", "staging", "db", "web", "batch", "eu", "us"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def check_values(project_id: int, i: int, now: datetime) -> dict[str, Any]:
    """Check i: a period or a cron schedule, up, late, down, paused or new."""
    schedule = Cron("0 2 * * *", "Europe/Berlin") if i % 3 == 0 else Period(timedelta(hours=1))
    tags = f"{TAGS[i % len(TAGS)]} {TAGS[(i * 3 + 1) % len(TAGS)]}"
    spec = NewCheck(schedule, timedelta(minutes=10), name=f"job {i:04}", tags=tags)
    values = new_check_values(project_id, spec, now)
    ago = timedelta(minutes=(i * 7) % 200)
    status = ["up", "up", "down", "paused", "new"][i % 5]
    if status != "new":
        values |= {"status": status, "last_ping": now - ago, "n_pings": PINGS_PER_CHECK}
        values["alert_after"] = now - ago + timedelta(minutes=70) if status == "up" else None
    return values


def ping_rows(check_id: int, now: datetime) -> list[dict[str, Any]]:
    return [
        {"check_id": check_id, "n": n, "created": now - timedelta(hours=n), "kind": "success"}
        for n in range(1, PINGS_PER_CHECK + 1)
    ]


def fill(database_url: str, count: int) -> int:
    """The checks, their pings and the owner; the project's id."""
    engine = sa.create_engine(database_url)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        project_id = default_project(connection, now)
        rows = [check_values(project_id, i, now) for i in range(count)]
        connection.execute(checks.insert(), rows)
        ids = connection.scalars(sa.select(checks.c.id).where(checks.c.n_pings > 0)).all()
        connection.execute(pings.insert(), [r for i in ids for r in ping_rows(i, now)])
        user_id = insert_user(connection, EMAIL, hash_password(PASSWORD), True, now)
        add_membership(connection, user_id, project_id, "owner")
    engine.dispose()
    return project_id


def start_server(database_url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    # BENCH_SERVER_PREFIX, e.g. "py-spy record -o p.svg --", runs the server under a profiler.
    prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")},
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_PORT": str(port),
        "TOCSIN_LOG_LEVEL": "WARNING",
    }
    arguments = [*prefix, sys.executable, "-m", "tocsin", "serve"]
    print(f"server: {' '.join(arguments)} (port {port})")
    with log.open("wb") as output:
        return subprocess.Popen(arguments, env=environment, stdout=output, stderr=subprocess.STDOUT)


def wait_until_up(url: str, server: subprocess.Popen[bytes]) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("the server exited at start")
        try:
            if httpx.get(f"{url}/api/v3/status/", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not start")


def sign_in(client: httpx.Client) -> None:
    form = client.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found, "no CSRF token on the sign-in form"
    data = {"email": EMAIL, "password": PASSWORD, "csrf_token": found.group(1), "next": "/"}
    answer = client.post("/login", data=data)
    if answer.status_code != 303:
        raise SystemExit(f"could not sign in: {answer.status_code}")


def measure(client: httpx.Client, path: str, requests: int, warmup: int) -> tuple[list[float], int]:
    """Seconds per full response (sent to last byte read), and the page's size."""
    size = 0
    timings = []
    for i in range(warmup + requests):
        started = time.perf_counter()
        answer = client.get(path)
        elapsed = time.perf_counter() - started
        if answer.status_code != 200:
            raise SystemExit(f"GET {path}: {answer.status_code}")
        size = len(answer.content)
        if i >= warmup:
            timings.append(elapsed)
    return timings, size


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def run(options: argparse.Namespace) -> list[float]:
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-page-"))
    database_url = f"sqlite:///{workdir / 'tocsin.db'}"
    subprocess.run(
        [sys.executable, "-m", "tocsin", "migrate"],
        check=True,
        env={**os.environ, "TOCSIN_DATABASE_URL": database_url},
        stdout=subprocess.DEVNULL,
    )
    project_id = fill(database_url, options.checks)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(database_url, port, workdir / "serve.log")
    try:
        wait_until_up(url, server)
        with httpx.Client(base_url=url, timeout=30) as client:
            sign_in(client)
            path = f"/projects/{project_id}/checks"
            timings, size = measure(client, path, options.requests, options.warmup)
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    print(f"GET {path}: {options.checks} checks, {size:,} bytes, {len(timings)} requests")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    options = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f}")
    timings = run(options)
    p50, p99 = statistics.median(timings), percentile(timings, 0.99)
    print(
        f"response time: p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
        f"max {max(timings) * 1000:.1f} ms"
    )
    verdict = "PASS" if p99 < TARGET_P99 else "FAIL"
    print(f"target: p99 < {TARGET_P99 * 1000:.0f} ms: {verdict}")


if __name__ == "__main__":
    main()
