"""`tocsin.monitor`: report a block of Python code, or each call of a function, to a check.

    with tocsin.monitor("db-backup", "https://tocsin.example", ping_key=KEY):
        back_up()

    @tocsin.monitor("5533ecb8-c474-4ea5-81a4-cf1ff9615f33")   # TOCSIN_RUN_SERVER
    def back_up() -> None: ...

A start ping on entry, a success ping on a normal exit, a fail ping with the traceback
on an exception, which goes on unchanged. Pings go through `job.client`, as those of
`tocsin run` do: retried within a time budget, never raising.
"""

import functools
import inspect
import logging
import os
import traceback
import uuid
from collections.abc import Callable
from types import TracebackType
from typing import Any, ParamSpec, TypeVar, cast

from tocsin.job.client import FINISH_WITHIN, Pinger, pinger_for

START_WITHIN = 2.0  # the monitored code waits for its start ping, unlike `tocsin run`'s command
P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger("tocsin.job")


class Monitor:
    """One check's runs. A `with` block is one run; as a decorator, each call is one."""

    def __init__(self, pinger: Pinger, start: bool, start_within: float, finish_within: float):
        self.pinger, self.start = pinger, start
        self.start_within, self.finish_within = start_within, finish_within
        self.rid = uuid.uuid4()

    def fresh(self) -> "Monitor":
        return Monitor(self.pinger, self.start, self.start_within, self.finish_within)

    def __enter__(self) -> "Monitor":
        self.rid = uuid.uuid4()
        if self.start:
            self.send("start", b"", self.start_within)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is None:
            self.send("", b"", self.finish_within)
        else:
            body = "".join(traceback.format_exception(kind, error, trace)).encode()
            self.send("fail", body, self.finish_within)

    async def __aenter__(self) -> "Monitor":
        import asyncio

        return await asyncio.to_thread(self.__enter__)

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        import asyncio

        await asyncio.to_thread(self.__exit__, kind, error, trace)

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:
        if inspect.iscoroutinefunction(function):
            return cast(Callable[P, R], self.wrap_async(function))

        @functools.wraps(function)
        def monitored(*args: P.args, **kwargs: P.kwargs) -> R:
            with self.fresh():
                return function(*args, **kwargs)

        return monitored

    def wrap_async(self, function: Callable[P, Any]) -> Callable[P, Any]:
        @functools.wraps(function)
        async def monitored(*args: P.args, **kwargs: P.kwargs) -> Any:
            async with self.fresh():
                return await function(*args, **kwargs)

        return monitored

    def send(self, suffix: str, body: bytes, within: float) -> None:
        problem = self.pinger.send(suffix, self.rid, body, within)
        if problem:
            logger.warning("could not ping %s: %s", self.pinger.url(suffix, None), problem)


def monitor(
    check: str,
    server: str | None = None,
    *,
    ping_key: str | None = None,
    start: bool = True,
    start_within: float = START_WITHIN,
    finish_within: float = FINISH_WITHIN,
) -> Monitor:
    """Report to `check` (uuid, slug or ping URL) on `server` (default: TOCSIN_RUN_SERVER).

    A slug needs the project's ping key (default: TOCSIN_PING_KEY). A check that cannot
    be turned into a URL is a `TargetError` (a ValueError) here, at once, not a lost ping.
    """
    pinger = pinger_for(
        check,
        server or os.environ.get("TOCSIN_RUN_SERVER"),
        ping_key or os.environ.get("TOCSIN_PING_KEY"),
    )
    return Monitor(pinger, start, start_within, finish_within)
