"""CPU time a ping costs in its batch alone: the checks looked up, the rules applied,
the states and pings written and committed, as `tocsin serve` does it on SQLite.

No HTTP and no fsync: batches of 63 random pings (what 64 wrk connections make) over
1,000 checks go straight to `SqliteRunner.commit` (synchronous NORMAL), after enough
batches to fill the check cache. What is left is `pings.intake.PingBatch` and the store
under it. Run it with another version of the code on PYTHONPATH to compare versions,
alternating:

    .venv/bin/python bench/ping_batch_cost.py                            # this tree
    PYTHONPATH=/path/to/other/src .venv/bin/python bench/ping_batch_cost.py
    .venv/bin/python bench/ping_batch_cost.py --post    # each ping POSTs a small body
    .venv/bin/python bench/ping_batch_cost.py --rules   # the same, every check with rules
"""

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import tocsin
from tocsin.config import Settings
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Period
from tocsin.pings.intake import PingRequest, recording
from tocsin.pings.urls import PingUrl, parse_ping_path
from tocsin.store.checks import insert_check
from tocsin.store.database import Database
from tocsin.store.fastpath.runners import SqliteRunner
from tocsin.store.migrate import migrate
from tocsin.store.projects import default_project

CHECKS = 1_000  # as bench/ping_throughput.py makes them
PERIOD = timedelta(hours=1)
GRACE = timedelta(minutes=5)
BATCH = 63
BATCHES = 200
WARM_UP_BATCHES = 50
REPEATS = 7


def check_spec(number: int, rules: bool) -> NewCheck:
    spec = NewCheck(schedule=Period(PERIOD), grace=GRACE, name=f"bench {number:04d}")
    if not rules:
        return spec
    # Imported only here: code from before the rules runs everything else.
    from ping_throughput import KEYWORD_RULES, RUN_RULES

    return replace(spec, rules=RUN_RULES, keywords=KEYWORD_RULES)


async def create_checks(path: Path, rules: bool) -> list[str]:
    database = Database(Settings.from_env({}, database_url=f"sqlite:///{path}"))
    try:
        await migrate(database)
        now = datetime.now(UTC)
        async with database.write() as connection:
            project_id = await connection.run_sync(default_project, now)
            records = [
                await connection.run_sync(insert_check, project_id, check_spec(n, rules), now)
                for n in range(1, CHECKS + 1)
            ]
    finally:
        await database.close()
    return [str(record.uuid) for record in records]


def ping_body(post: bool) -> bytes:
    if not post:
        return b""
    from ping_throughput import PING_BODY

    return PING_BODY.encode()


async def measure(post: bool, rules: bool) -> list[float]:
    """µs of CPU a ping, once per repeat."""
    with tempfile.TemporaryDirectory(prefix="tocsin-batch-") as workdir:
        return await measure_in(Path(workdir) / "tocsin.db", post, rules)


async def measure_in(path: Path, post: bool, rules: bool) -> list[float]:
    urls = [parse_ping_path(f"/ping/{uuid}") for uuid in await create_checks(path, rules)]
    runner = SqliteRunner(str(path), "NORMAL")
    body = ping_body(post or rules)
    method = "POST" if body else "GET"
    chosen = random.Random(1)

    def batch() -> list[PingRequest]:
        now = datetime.now(UTC)
        picked: list[PingUrl] = chosen.choices(urls, k=BATCH)
        return [PingRequest(url, now, method, body=body, body_size=len(body)) for url in picked]

    for _ in range(WARM_UP_BATCHES):
        await runner.commit(recording(batch()), None)
    costs = []
    for _ in range(REPEATS):
        batches = [batch() for _ in range(BATCHES)]
        started = time.process_time()
        for requests in batches:
            await runner.commit(recording(requests), None)
        costs.append(1e6 * (time.process_time() - started) / (BATCH * BATCHES))
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--post", action="store_true", help="POST a body, as ping_throughput's")
    parser.add_argument("--rules", action="store_true", help="and rules as its")
    options = parser.parse_args()
    costs = asyncio.run(measure(options.post, options.rules))
    kind = " (rules set)" if options.rules else " (POST)" if options.post else ""
    print(f"code: {Path(tocsin.__file__).parent}{kind}")
    print(f"µs of CPU a ping: best {min(costs):.2f}, median {statistics.median(costs):.2f}")


if __name__ == "__main__":
    main()
