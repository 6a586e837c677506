"""The cost of a request through `notify.http`, the client every HTTP delivery goes
through.

Sends N POSTs (default 10,000) from 64 concurrent senders to one host, a lean receiver
in a process of its own, and reports the client's CPU time a request (this process's
user + system time, which other load on the machine moves less than wall time) and
requests a second, over several rounds. With
--compare PATH (another version of notify/http.py, e.g. from `git show`), rounds of
the two alternate, so both meet the same machine load.

    .venv/bin/python bench/http_requests.py [--requests 10000] [--rounds 6]
    git show main:src/tocsin/notify/http.py > http_old.py
    .venv/bin/python bench/http_requests.py --compare http_old.py
"""

import argparse
import asyncio
import importlib.util
import multiprocessing
import statistics
import time
from types import ModuleType
from typing import Any

from tocsin.notify import http

BODY = b'{"event": "down", "check": {"name": "nightly backup"}}'
HEADERS = {
    "Content-Type": "application/json",
    "Idempotency-Key": "2c5ea7a6-2b1c-5b0e-8f4b-9d1c3e5f7a9b",
    "X-Tocsin-Notification-Id": "2c5ea7a6-2b1c-5b0e-8f4b-9d1c3e5f7a9b",
}


class Answer(asyncio.Protocol):
    """Answers every request at once: the client's own cost is what is measured."""

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end].lower()
            length = int(head.split(b"content-length:")[1].split(b"\r\n")[0])
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def receive(port: Any) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(Answer, "127.0.0.1", 0)
        port.value = server.sockets[0].getsockname()[1]
        await asyncio.Event().wait()

    asyncio.run(serve())


async def one_round(module: ModuleType, url: str, count: int) -> tuple[float, float]:
    """(CPU µs a request, requests a second)."""
    client = module.HttpClient()
    left = iter(range(count))

    async def sender() -> None:
        for _ in left:
            await client.request("POST", url, HEADERS, BODY, time_limit=10, allow_private=True)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(sender() for _ in range(64)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await client.close()
    return cpu / count * 1e6, count / elapsed


def load(path: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location("compared_http", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def run(options: argparse.Namespace, url: str) -> dict[str, list[tuple[float, float]]]:
    versions = {"this": http} | ({"compared": load(options.compare)} if options.compare else {})
    rates: dict[str, list[tuple[float, float]]] = {name: [] for name in versions}
    await one_round(http, url, 1000)  # warm up both ends
    for _ in range(options.rounds):
        for name, module in versions.items():
            rates[name].append(await one_round(module, url, options.requests))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--compare", default="", help="another notify/http.py to alternate with")
    options = parser.parse_args()
    port = multiprocessing.Value("i", 0)
    receiver = multiprocessing.Process(target=receive, args=(port,), daemon=True)
    receiver.start()
    while not port.value:
        time.sleep(0.01)
    try:
        rates = asyncio.run(run(options, f"http://127.0.0.1:{port.value}/hook"))
    finally:
        receiver.terminate()
    for name, found in rates.items():
        cpu = [c for c, _ in found]
        per_second = statistics.median(rate for _, rate in found)
        rounds = ", ".join(f"{c:.1f}" for c in cpu)
        print(
            f"{name}: median {statistics.median(cpu):.1f} µs CPU a request ({rounds}); "
            f"median {per_second:,.0f} requests/s"
        )


if __name__ == "__main__":
    main()
