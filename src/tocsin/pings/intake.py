"""The ping write path: group commit.

Concurrent pings queue up while the previous batch commits; the writer takes the whole
queue, applies every ping in one transaction and only then answers each request. An
acknowledged ping is therefore always committed, and the commit cost (the fsync) is
shared by everyone who arrived during the previous one.

When the database itself is unavailable a batch is answered 503 at once, for clients
to retry; each batch's outcome goes to the process's `Availability`, which tells the
watcher when pings could not be recorded, and an outage this shows to have ended is
recorded in the database for the watchers of other processes (`store.availability`).
"""

import asyncio
import logging
import marshal
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from tocsin.alerts.flips import log_flip
from tocsin.alerts.incidents import FlipFacts, record_flips
from tocsin.domain.checks import (
    Action,
    CheckState,
    PingEvent,
    PingOutcome,
    apply_ping,
    needs_run_lookup,
)
from tocsin.domain.clock import SystemClock
from tocsin.domain.keywords import judged
from tocsin.domain.records import CheckRecord, new_check_defaults
from tocsin.pings.urls import BySlug, ByToken, ByUuid, PingUrl, Target
from tocsin.services.checks import every_channel, insert_check_in
from tocsin.store.availability import Availability, record_outage
from tocsin.store.fastpath.batch import BatchWriter
from tocsin.store.fastpath.runners import BatchRunner
from tocsin.store.rows import from_epoch_microseconds, to_epoch_microseconds

log = logging.getLogger("tocsin.pings")

MAX_BATCH = 500


class Reply(Enum):
    OK = (200, "OK")
    CREATED = (201, "Created")
    NOT_FOUND = (404, "not found")
    AMBIGUOUS_SLUG = (409, "ambiguous slug")
    UNAVAILABLE = (503, "could not record the ping, please retry")

    @property
    def status_code(self) -> int:
        return self.value[0]

    @property
    def text(self) -> str:
        return self.value[1]


@dataclass(slots=True)  # not frozen: frozen dataclasses are slow to build, per ping
class PingRequest:
    url: PingUrl
    received_at: datetime
    method: str = "GET"
    rid: uuid.UUID | None = None
    create: bool = False
    remote_addr: str | None = None
    user_agent: str = ""
    scheme: str = "http"
    body: bytes = b""
    body_size: int = 0

    def event(self) -> PingEvent:
        return PingEvent(
            self.url.action, self.received_at, self.method, self.rid, self.url.exit_status
        )


ReplyTo = Callable[[Reply], None]
Pending = tuple[PingRequest, ReplyTo]


@dataclass(slots=True)
class BatchResult:
    replies: list[Reply]
    flips: list[FlipFacts]
    deadline: datetime | None  # the earliest one the batch set, for the watcher
    queued: int  # notifications put in the outbox


class PingIntake:
    def __init__(
        self,
        runner: BatchRunner,
        on_deadline: Callable[[datetime], None],
        on_queued: Callable[[], None] = lambda: None,
        availability: Availability | None = None,
    ) -> None:
        self.runner = runner
        self.on_deadline = on_deadline
        self.on_queued = on_queued
        # Shared with the process's watcher, which must know when pings were refused.
        self.availability = availability or Availability(SystemClock())
        self._queue: list[Pending] = []
        self._arrived = asyncio.Event()
        # How many batches may be recorded at once is the runner's to say (see there).
        self._in_flight = asyncio.Semaphore(runner.batches_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = False

    def enqueue(self, request: PingRequest, reply_to: ReplyTo) -> None:
        """Queues a ping; `reply_to` is called once, after its batch has committed."""
        self._queue.append((request, reply_to))
        self._arrived.set()

    async def submit(self, request: PingRequest) -> Reply:
        future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self.enqueue(request, settle(future))
        return await future

    async def run(self) -> None:
        """Forms batches until stopped, then drains the queue."""
        while not (self._stopping and not self._queue):
            await self._arrived.wait()
            self._arrived.clear()
            while self._queue:
                await self._in_flight.acquire()
                # One more turn of the loop reads the requests that have already
                # arrived: at 64 connections batches grew from 55 pings to 63, nearly
                # every client, and pings a second by 3 to 7%. The clients answered
                # last would otherwise wait a whole batch more.
                await asyncio.sleep(0)
                # No local name for the batch: this coroutine then waits for the next
                # ping holding none of the last batch's requests and their connections.
                task = asyncio.create_task(self.commit_in_flight(self.take_batch()))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        await asyncio.gather(*self._tasks)

    def take_batch(self) -> list[Pending]:
        batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        return batch

    async def commit_in_flight(self, batch: list[Pending]) -> None:
        try:
            await self.commit(batch)
        finally:
            self._in_flight.release()

    def stop(self) -> None:
        self._stopping = True
        self._arrived.set()

    async def commit(self, batch: list[Pending]) -> None:
        requests = [request for request, _ in batch]
        # About 0.9 µs a batch with `answered`, a fiftieth of one ping's cost at full load.
        started = self.availability.began()
        try:
            result = await self.record(requests)
        except Exception as error:
            # The database itself: a warning once per outage, and a retry from the client.
            if self.availability.failed(started, error, len(batch)):
                answer(batch, [Reply.UNAVAILABLE] * len(batch))
                return
            if len(batch) == 1:
                log.exception("could not record a ping")
                answer(batch, [Reply.UNAVAILABLE])
                return
            # One bad ping must not sink its neighbours: retry them one by one.
            for pending in batch:
                await self.commit([pending])
            return
        ended = self.availability.answered(started)
        answer(batch, result.replies)
        if result.deadline is not None:
            self.on_deadline(result.deadline)
        if result.queued:
            self.on_queued()
        for fact in result.flips:
            log_flip(fact.check, fact.flip)
        if ended is not None:
            await record_outage(self.runner, ended)

    async def record(self, requests: list[PingRequest]) -> BatchResult:
        entry = log_entry(requests) if self.runner.logs_pings else None
        return await self.runner.run(recording(requests), entry)

    async def recover(self) -> int:
        """Opens the runner's ping log, first replaying the batches it holds that the
        database lost to a power cut; returns how many. Before `run`."""
        return await self.runner.open_ping_log(replay_entry)


def recording(requests: list[PingRequest]) -> Callable[[BatchWriter], BatchResult]:
    return lambda writer: PingBatch(writer).record(requests)


def replay_entry(entry: bytes) -> Callable[[BatchWriter], BatchResult]:
    return recording(requests_from_log(entry))


# The ping log's form of a batch (see store.fastpath.pinglog): a version and one tuple of plain
# values per request, marshalled (64 requests in about 56 µs).
LOG_FORMAT = 1
BY_UUID, BY_TOKEN, BY_SLUG = 0, 1, 2


def log_entry(requests: list[PingRequest]) -> bytes:
    return marshal.dumps((LOG_FORMAT, [logged_request(request) for request in requests]))


def logged_request(request: PingRequest) -> tuple[Any, ...]:
    target = request.url.target
    if isinstance(target, ByUuid):
        where = (BY_UUID, target.hex, "")
    elif isinstance(target, ByToken):
        where = (BY_TOKEN, target.token, "")
    else:
        where = (BY_SLUG, target.ping_key, target.slug)
    return (
        *where,
        request.url.action.value,
        request.url.exit_status,
        to_epoch_microseconds(request.received_at),
        request.method,
        None if request.rid is None else request.rid.hex,
        request.create,
        request.remote_addr,
        request.user_agent,
        request.scheme,
        request.body,
        request.body_size,
    )


def requests_from_log(entry: bytes) -> list[PingRequest]:
    version, rows = marshal.loads(entry)
    if version != LOG_FORMAT:
        raise ValueError(f"ping log entry of unknown format {version}")
    return [request_from_log(row) for row in rows]


def request_from_log(row: tuple[Any, ...]) -> PingRequest:
    (kind, first, second, action, exit_status, received_us, method, rid, create, *rest) = row
    remote_addr, user_agent, scheme, body, body_size = rest
    return PingRequest(
        url=PingUrl(target_from_log(kind, first, second), Action(action), exit_status),
        received_at=from_epoch_microseconds(received_us),
        method=method,
        rid=None if rid is None else uuid.UUID(hex=rid),
        create=create,
        remote_addr=remote_addr,
        user_agent=user_agent,
        scheme=scheme,
        body=body,
        body_size=body_size,
    )


def target_from_log(kind: int, first: str, second: str) -> Target:
    if kind == BY_UUID:
        return ByUuid(first)
    if kind == BY_TOKEN:
        return ByToken(first)
    return BySlug(first, second)


def settle(future: "asyncio.Future[Reply]") -> ReplyTo:
    def reply_to(reply: Reply) -> None:
        if not future.done():  # the waiting request may have been cancelled
            future.set_result(reply)

    return reply_to


def answer(batch: list[Pending], replies: list[Reply]) -> None:
    for (_, reply_to), reply in zip(batch, replies, strict=True):
        try:
            reply_to(reply)
        except Exception:  # one broken connection must not keep the others waiting
            log.exception("could not answer a ping")


class PingBatch:
    """Applies a batch of pings inside one transaction, in arrival order."""

    def __init__(self, writer: BatchWriter) -> None:
        self.writer = writer
        self.project_by_key: dict[str, int] = {}
        self.by_uuid: dict[str, CheckRecord] = {}
        self.by_token: dict[str, CheckRecord] = {}
        self.by_slug: dict[tuple[int, str], list[CheckRecord]] = defaultdict(list)
        self.states: dict[int, CheckState] = {}
        self.added: dict[int, int] = {}
        self.ping_rows: list[Sequence[Any]] = []  # in the driver's form, ready to insert
        # Run starts received in this batch, by check and run id: not in the database yet.
        self.starts: dict[tuple[int, uuid.UUID], datetime] = {}
        self.flips: list[FlipFacts] = []
        self.by_token_wanted = False
        self.by_slug_wanted = False

    def record(self, requests: list[PingRequest]) -> BatchResult:
        now = max(request.received_at for request in requests)  # a batch is never empty
        self.prefetch(requests)
        replies = [self.add(request) for request in requests]
        deadline = self.flush(now)
        queued = record_flips(self.writer.connection, self.flips, now)
        return BatchResult(replies, self.flips, deadline, queued)

    def prefetch(self, requests: list[PingRequest]) -> None:
        """Load (and lock) every check the batch names with at most two queries."""
        uuids: set[str] = set()
        tokens: set[str] = set()
        slugs: list[BySlug] = []
        for request in requests:
            target = request.url.target
            if isinstance(target, ByUuid):
                uuids.add(target.hex)
            elif isinstance(target, ByToken):
                tokens.add(target.token)
            else:
                slugs.append(target)
        if slugs:
            keys = sorted({target.ping_key for target in slugs})
            self.project_by_key = self.writer.projects_by_ping_key(keys)
        found = self.writer.lock_checks(
            uuids=sorted(uuids),
            tokens=sorted(tokens),
            project_ids=sorted(set(self.project_by_key.values())),
            slugs=sorted({target.slug for target in slugs}),
        )
        # Only the maps the batch's URLs look checks up by are filled.
        self.by_token_wanted = bool(tokens)
        self.by_slug_wanted = bool(slugs)
        for record in found:
            self.remember(record)

    def remember(self, record: CheckRecord) -> CheckRecord:
        self.by_uuid[record.uuid.hex] = record
        if self.by_token_wanted:
            self.by_token[record.token] = record
        if self.by_slug_wanted:
            self.by_slug[(record.project_id, record.slug)].append(record)
        self.states[record.id] = record.state
        return record

    def add(self, request: PingRequest) -> Reply:
        found = self.find(request)
        if isinstance(found, Reply):
            return found
        record, reply = found
        self.apply(record, request)
        return reply

    def find(self, request: PingRequest) -> tuple[CheckRecord, Reply] | Reply:
        target = request.url.target
        if isinstance(target, BySlug):
            return self.find_by_slug(target, request.create, request.received_at)
        if isinstance(target, ByUuid):
            record = self.by_uuid.get(target.hex)
        else:
            record = self.by_token.get(target.token)
        return Reply.NOT_FOUND if record is None else (record, Reply.OK)

    def find_by_slug(
        self, target: BySlug, create: bool, now: datetime
    ) -> tuple[CheckRecord, Reply] | Reply:
        project_id = self.project_by_key.get(target.ping_key)
        if project_id is None:
            return Reply.NOT_FOUND
        found = self.by_slug.get((project_id, target.slug), [])
        if len(found) > 1:
            return Reply.AMBIGUOUS_SLUG
        if found:
            return found[0], Reply.OK
        if not create:
            return Reply.NOT_FOUND
        spec = new_check_defaults(name=target.slug, slug=target.slug)
        # As in Healthchecks, an auto-provisioned check uses every channel of its project.
        record = insert_check_in(self.writer, project_id, spec, now, every_channel)
        return self.remember(record), Reply.CREATED

    def apply(self, record: CheckRecord, request: PingRequest) -> None:
        # A check pinged twice in one batch starts from the state the first ping left.
        state = self.states[record.id]
        event = request.event()
        if record.keywords is not None:  # None for nearly every check: nothing to do
            event = judged(event, record.keywords, request.body)
        run_started_at = None
        if needs_run_lookup(state, event):
            assert event.rid is not None
            run_started_at = self.starts.get((record.id, event.rid)) or self.writer.run_start(
                record.id, event.rid, event.at
            )
        outcome = apply_ping(state, event, run_started_at)
        self.states[record.id] = outcome.state
        added = self.added[record.id] = self.added.get(record.id, 0) + 1
        self.ping_rows.append(self.ping_row(record.id, record.n_pings + added, request, outcome))
        if outcome.action == Action.START and event.rid is not None:
            self.starts[(record.id, event.rid)] = event.at
        if outcome.flip is not None:
            body = request.body or None
            fact = FlipFacts(record, outcome.state, outcome.flip, request.url.exit_status, body)
            self.flips.append(fact)

    def ping_row(
        self, check_id: int, n: int, request: PingRequest, outcome: PingOutcome
    ) -> Sequence[Any]:
        duration = outcome.duration
        return self.writer.ping_values(
            check_id,
            n,
            request.received_at,
            outcome.action.value,
            request.url.exit_status,
            request.rid,
            None if duration is None else duration.total_seconds(),
            request.method[:10],
            request.scheme,
            request.remote_addr,
            request.user_agent[:200],
            request.body or None,
            request.body_size,
            request.body_size > len(request.body),
        )

    def flush(self, now: datetime) -> datetime | None:
        if not self.ping_rows:
            return None
        changes = [(cid, self.states[cid], added) for cid, added in self.added.items()]
        return self.writer.save(changes, self.ping_rows, now)
