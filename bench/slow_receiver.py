"""Alerts to a webhook slower than they come: are they all delivered, and when?

Creates N checks (default 200) sharing one webhook channel pointed at a local receiver
that answers each request after DELAY seconds (default 1), starts `tocsin serve` with
TOCSIN_NOTIFY_TIMEOUT (default 2s), makes every deadline pass at once, and waits until
the outbox has nothing left to send. Reports how many checks were alerted, how many
notifications were given up, how many alerts arrived twice, and when the last arrived.

    .venv/bin/python bench/slow_receiver.py [--alerts 200] [--delay 1] [--timeout 2s]
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from alert_latency import create_checks, free_port, set_deadlines, wait_until_up
from tocsin.config import Settings
from tocsin.store.database import Database
from tocsin.store.migrate import migrate
from tocsin.store.tables import notifications


class SlowReceiver:
    """Answers each request on a connection after `delay` seconds, one at a time."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.arrivals: Counter[str] = Counter()
        self.last = 0.0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
                await asyncio.sleep(self.delay)
                self.arrivals[json.loads(body)["check"]["uuid"]] += 1
                self.last = time.time()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def outbox_statuses(database: Database) -> Counter[str]:
    count = sa.func.count().label("count")
    query = sa.select(notifications.c.status, count).group_by(notifications.c.status)
    async with database.read() as connection:
        rows = (await connection.execute(query)).all()
    return Counter({row.status: row.count for row in rows})


def start_server(database_url: str, port: int, timeout: str, log: Path) -> subprocess.Popen[bytes]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TOCSIN_")},
        "TOCSIN_DATABASE_URL": database_url,
        "TOCSIN_PORT": str(port),
        "TOCSIN_ALLOW_PRIVATE_WEBHOOKS": "true",
        "TOCSIN_LOG_LEVEL": "ERROR",
        "TOCSIN_NOTIFY_TIMEOUT": timeout,
    }
    with log.open("wb") as output:
        command = [sys.executable, "-m", "tocsin", "serve"]
        return subprocess.Popen(command, env=environment, stdout=output, stderr=subprocess.STDOUT)


async def run(options: argparse.Namespace) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="tocsin-slow-"))
    database_url = f"sqlite:///{workdir / 'tocsin.db'}"
    database = Database(Settings.from_env({}, database_url=database_url))
    await migrate(database)
    receiver = SlowReceiver(options.delay)
    hook = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    hook_port = hook.sockets[0].getsockname()[1]
    await create_checks(database, options.alerts, f"http://127.0.0.1:{hook_port}/hook")
    port = free_port()
    server = start_server(database_url, port, options.timeout, workdir / "serve.log")
    try:
        await wait_until_up(port)
        deadline = datetime.now(UTC) + timedelta(seconds=2)
        await set_deadlines(database, deadline)
        give_up = time.time() + options.limit
        statuses = Counter[str]()
        while time.time() < give_up:
            await asyncio.sleep(0.5)
            statuses = await outbox_statuses(database)
            if statuses.total() >= options.alerts and not statuses["pending"] + statuses["sending"]:
                break
    finally:
        server.terminate()
        server.wait(timeout=60)
        hook.close()
        await database.close()
    return {
        "alerts": options.alerts,
        "checks alerted": len(receiver.arrivals),
        "given up": statuses["failed"],
        "still pending": statuses["pending"] + statuses["sending"],
        "arrived twice or more": sum(1 for n in receiver.arrivals.values() if n > 1),
        "last arrival (s after the deadline)": round(receiver.last - deadline.timestamp(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--delay", type=float, default=1.0, help="seconds the receiver takes")
    parser.add_argument("--timeout", default="2s", help="TOCSIN_NOTIFY_TIMEOUT")
    parser.add_argument("--limit", type=float, default=600, help="seconds to wait at most")
    for name, value in asyncio.run(run(parser.parse_args())).items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
