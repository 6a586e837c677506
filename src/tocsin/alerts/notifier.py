"""The notifier: delivers the outbox.

It claims due notifications with a lease, sends them concurrently (each with its own
timeout, so a slow channel delays nobody else), and records each outcome: sent, or
failed and retried with exponential backoff and jitter (honouring Retry-After). It
gives up only when retrying cannot help (the receiver refused the request, the
channel's settings are wrong) or when the notification is older than
TOCSIN_NOTIFY_MAX_AGE; the channel then shows as failing and the incident's timeline
says so. A notifier that dies mid-delivery loses nothing: its lease runs out and any
notifier takes the notification again (so a receiver may get it twice: delivery is
at least once, and each notification carries an id to drop repeats by). Outcomes the
database cannot take (it is down) are kept and written first when it is back, so what
was delivered is not delivered again for that.
"""

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

import sqlalchemy as sa

from tocsin.config import Settings
from tocsin.domain.clock import Clock, SystemClock
from tocsin.domain.records import ChannelRow, Delivery, IncidentStatus
from tocsin.domain.signing import ACK_PURPOSE, sign
from tocsin.notify.base import ChannelConfig, DeliveryError, Kind, Outbound, parse_config
from tocsin.notify.http import HttpClient, http_client
from tocsin.notify.kinds import kind_named
from tocsin.notify.message import Message
from tocsin.notify.outbound import LiveOutbound, SmtpSettings
from tocsin.notify.people import Providers
from tocsin.notify.people import route as route_to_person
from tocsin.notify.twilio import TwilioAccount
from tocsin.store import notifications as outbox
from tocsin.store.database import Database
from tocsin.store.errors import unavailable
from tocsin.store.fastpath.runners import BatchRunner, PostgresRunner

log = logging.getLogger("tocsin.notifier")

CLAIM_LIMIT = 500
CONFIG_CACHE_SIZE = 1000
# No cap on attempts: the age limit ends retrying, and with retries at most
# LONGEST_RETRY apart a day of them is about 150 attempts.
FIRST_RETRY = timedelta(seconds=2)
LONGEST_RETRY = timedelta(minutes=10)
LONGEST_RETRY_AFTER = timedelta(hours=1)
RETRY_PASS = timedelta(seconds=2)  # after a pass that failed


@dataclass(frozen=True, slots=True)
class Links:
    """How alerts link back: the site's address, and the key that signs ack links."""

    base_url: str
    secret: str
    ack_ttl: timedelta

    def incident(self, incident_id: int) -> str:
        return f"{self.base_url}/incidents/{incident_id}"

    def ack_token(self, incident_id: int, now: datetime) -> str:
        return sign(self.secret, ACK_PURPOSE, incident_id, now + self.ack_ttl)


@dataclass(slots=True)
class Outcome:
    delivery: Delivery
    error: DeliveryError | None
    receipt: str | None = None  # what the service answered to keep (see notify.base)


class Notifier:
    def __init__(
        self,
        database: Database,
        runner: BatchRunner,
        outbound: Outbound,
        links: Links,
        clock: Clock,
        *,
        timeout: timedelta,
        recheck: timedelta,
        max_age: timedelta,
        providers: Providers | None = None,
    ) -> None:
        self.database = database
        self.providers = providers or Providers()
        self.runner = runner
        self.outbound = outbound
        self.links = links
        self.clock = clock
        self.timeout = timeout
        self.recheck = recheck
        self.max_age = max_age
        # Outcomes of sends whose recording failed (the database was down): written
        # before anything new is claimed.
        self._unrecorded: list[Outcome] = []
        self._database_lost = False  # its last pass failed for want of a database
        self._wakeup = asyncio.Event()
        self._stopping = False
        # Settings are immutable: a burst of alerts to one channel parses them once.
        self._configs: dict[tuple[str, str], ChannelConfig] = {}

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        log.info("notifier started")
        while not self._stopping:
            self._wakeup.clear()
            try:
                while await self.deliver_due():
                    pass
                delay = await self.time_to_next()
            except Exception as error:
                self.pass_failed(error)
                delay = RETRY_PASS
            else:
                self.pass_done()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), delay.total_seconds())
        await self.record_last_outcomes()
        log.info("notifier stopped")

    def pass_failed(self, error: Exception) -> None:
        """A database that is down or restarting is worth a line when it goes and one
        when it is back, not a traceback every RETRY_PASS."""
        if not unavailable(error):
            log.exception("notifier pass failed; retrying")
        elif not self._database_lost:
            self._database_lost = True
            log.warning("notifier waits for the database: %s", error)

    def pass_done(self) -> None:
        if self._database_lost:
            self._database_lost = False
            log.warning("notifier has the database back")

    async def deliver_due(self) -> int:
        """Claim, send and record one round of due notifications; returns how many.
        Reads first, so an idle notifier never takes SQLite's write lock."""
        await self.record_kept_outcomes()
        now = self.clock.now()
        due = await self.earliest_due()
        if due is None or due > now:
            return 0
        # The lease outlives the slowest send (its timeout in line for a connection,
        # its timeout for an answer), so nobody retries what is still going.
        lease_until = now + self.timeout * 3
        skip_locked = isinstance(self.runner, PostgresRunner)
        claimed = await self.runner.run(
            lambda writer: outbox.claim_due(
                writer.connection, now, lease_until, CLAIM_LIMIT, skip_locked=skip_locked
            )
        )
        if not claimed:
            return 0
        self._unrecorded += await asyncio.gather(*(self.attempt(item) for item in claimed))
        await self.record_kept_outcomes()
        return len(claimed)

    async def record_kept_outcomes(self) -> None:
        """Write the outcomes not yet recorded; kept for another try if this fails.
        Recording twice is harmless: each update applies only to a row still leased
        to this attempt."""
        if self._unrecorded:
            outcomes = self._unrecorded
            await self.runner.run(lambda writer: self.record(writer.connection, outcomes))
            self._unrecorded = []

    async def record_last_outcomes(self) -> None:
        with contextlib.suppress(Exception):
            await self.record_kept_outcomes()
        if self._unrecorded:
            log.warning(
                "stopping with %d outcomes unrecorded: those sent may be sent again",
                len(self._unrecorded),
            )

    async def attempt(self, item: Delivery) -> Outcome:
        try:
            kind, config = self.route(item)
        except ValueError as error:  # settings that no longer validate: nothing to retry
            return Outcome(item, DeliveryError(str(error), permanent=True))
        try:
            message = self.message(item)
            # A backstop for kinds whose own timeouts fail them (Apprise runs in a thread),
            # past what an HTTP request may take: in line, then sent.
            async with asyncio.timeout(self.timeout.total_seconds() * 2.5):
                receipt = await kind.deliver(config, message, self.outbound)
        except DeliveryError as error:
            return Outcome(item, error)
        except TimeoutError:
            return Outcome(item, DeliveryError("timed out", permanent=False))
        except Exception as error:
            # Not knowing what went wrong, we cannot know retrying is useless.
            log.exception("unexpected error delivering notification %s", item.notification_id)
            return Outcome(item, DeliveryError(f"unexpected error: {error}", permanent=False))
        return Outcome(item, None, receipt)

    def route(self, item: Delivery) -> tuple[Kind, ChannelConfig]:
        """The kind and settings that deliver the item: its channel's, or for a person
        those made from their contact method and the instance's providers."""
        if item.person is not None:
            person = item.person
            return route_to_person(person.kind, person.address, self.providers, person.method)
        kind = kind_named(item.channel_kind)
        return kind, self.channel_config(kind, item.channel_config)

    def channel_config(self, kind: Kind, raw: str) -> ChannelConfig:
        key = (kind.name, raw)
        config = self._configs.get(key)
        if config is None:
            if len(self._configs) >= CONFIG_CACHE_SIZE:
                self._configs.clear()
            config = self._configs[key] = parse_config(kind, json.loads(raw))
        return config

    def record(self, connection: sa.Connection, outcomes: list[Outcome]) -> None:
        now = self.clock.now()
        sent = [o.delivery for o in outcomes if o.error is None]
        recorded = outbox.mark_sent(connection, sent, now)
        kept = {item.notification_id for item in recorded}
        outbox.keep_receipts(
            connection,
            {
                o.delivery.notification_id: o.receipt
                for o in outcomes
                if o.receipt and o.delivery.notification_id in kept
            },
        )
        for item in recorded:
            log.info(
                "%s notification %s sent to %s",
                item.kind,
                item.notification_id,
                item.channel_label,
            )
        for outcome in outcomes:
            item, error = outcome.delivery, outcome.error
            if error is None:
                continue
            retry_at = next_attempt(item, error, now, self.max_age)
            outbox.mark_failed(connection, item, now, str(error), retry_at)
            log.warning(
                "%s notification %s to %s failed (attempt %d): %s; %s",
                item.kind,
                item.notification_id,
                item.channel_label,
                item.attempt,
                error,
                "given up" if retry_at is None else f"retrying at {retry_at:%H:%M:%S}",
            )

    async def earliest_due(self) -> datetime | None:
        async with self.database.read() as connection:
            return await connection.run_sync(outbox.earliest_due)

    async def time_to_next(self) -> timedelta:
        due = await self.earliest_due()
        if due is None:
            return self.recheck
        return max(timedelta(0), min(due - self.clock.now(), self.recheck))

    def message(self, item: Delivery) -> Message:
        return build_message(item, self.links, self.clock.now())


def build_message(item: Delivery, links: Links, now: datetime) -> Message:
    incident = item.incident
    if incident is None:
        return Message(
            kind=item.kind,
            check_name=item.check_name or "a check",
            check_uuid=item.check_uuid,
            tags=item.check_tags,
            cause="test",
            cause_detail="This is a test notification.",
            now=now,
            notification_key=item.key,
        )
    token = links.ack_token(incident.id, now) if incident.status == IncidentStatus.OPEN else ""
    downtime = None
    if item.kind == "up" and incident.resolved_at is not None:
        downtime = incident.resolved_at - incident.opened_at
    return Message(
        kind=item.kind,
        check_name=item.check_name,
        check_uuid=item.check_uuid,
        tags=item.check_tags,
        cause=incident.cause,
        cause_detail=incident.cause_detail,
        now=now,
        exit_status=incident.exit_status,
        last_ping=incident.last_ping,
        expected_at=incident.expected_at,
        opened_at=incident.opened_at,
        downtime=downtime,
        body_excerpt=incident.body_excerpt,
        incident_id=incident.id,
        incident_url=links.incident(incident.id),
        ack_url=f"{links.incident(incident.id)}?token={token}" if token else "",
        ack_token=token,
        acknowledged_by=incident.acknowledged_by,
        site_url=links.base_url,
        channel_uuid=str(item.channel_uuid),
        receipts=receipts_to_cancel(item),
        holding=item.holding,
        notification_key=item.key,
    )


def receipts_to_cancel(item: Delivery) -> tuple[str, ...]:
    """An acknowledgement cancels the alerts' receipts; a recovery only those no
    acknowledgement has (an incident resolved without one)."""
    assert item.incident is not None
    if item.kind == "up" and item.incident.acknowledged_at is not None:
        return ()
    return item.receipts


def next_attempt(
    item: Delivery, error: DeliveryError, now: datetime, max_age: timedelta
) -> datetime | None:
    """When to try a failed delivery again; None to give up: for an error retrying
    cannot fix, or once the notification is `max_age` old (the last attempt is made
    at that age, however long the backoff has grown)."""
    give_up_at = item.created + max_age
    if error.permanent or now >= give_up_at:
        return None
    return min(now + backoff(item.attempt, error), give_up_at)


def backoff(attempt: int, error: DeliveryError) -> timedelta:
    """The wait the receiver asked for, if it did; else exponential, with jitter so a
    recovering service is not hit by everyone at once."""
    asked = None if error.retry_after is None else asked_wait(error.retry_after)
    if asked is not None:
        return asked
    delay: timedelta = min(FIRST_RETRY * 2 ** (attempt - 1), LONGEST_RETRY)
    return delay * random.uniform(0.75, 1.25)


def asked_wait(seconds: float) -> timedelta | None:
    """A receiver's Retry-After as a wait of at most LONGEST_RETRY_AFTER; None for NaN,
    which asks for nothing. Capped before it becomes a timedelta, which overflows on a
    number of 20 digits (or inf): the outcome could not be recorded, and kept for
    another try, would fail every later pass of the notifier the same way."""
    if seconds >= LONGEST_RETRY_AFTER.total_seconds():
        return LONGEST_RETRY_AFTER
    if seconds > 0:
        return timedelta(seconds=seconds)
    if seconds <= 0:
        return timedelta(0)
    return None


def live_outbound(settings: Settings, client: HttpClient) -> LiveOutbound:
    smtp = SmtpSettings(
        host=settings.smtp_host,
        port=settings.smtp_port,
        security=settings.smtp_security,
        username=settings.smtp_username,
        password=settings.smtp_password,
        sender=settings.smtp_from,
    )
    return LiveOutbound(
        client,
        timeout=settings.notify_timeout.total_seconds(),
        allow_private=settings.allow_private_webhooks,
        smtp=smtp,
    )


def instance_twilio(settings: Settings) -> TwilioAccount | None:
    """The instance's Twilio account (TOCSIN_TWILIO_*), for SMS and calls to people's
    numbers; None unless the account, its token and the number to send from are set."""
    if not (settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from):
        return None
    return TwilioAccount(
        settings.twilio_account_sid,
        settings.twilio_auth_token,
        settings.twilio_from,
        settings.twilio_api_url,
    )


async def signing_secret(settings: Settings, database: Database) -> str:
    """TOCSIN_SECRET_KEY, or the key made on first start and kept in the database."""
    if settings.secret_key:
        return settings.secret_key
    async with database.write() as connection:
        return await connection.run_sync(outbox.secret_key)


@contextlib.asynccontextmanager
async def running_notifier(
    settings: Settings, database: Database, runner: BatchRunner, clock: Clock
) -> AsyncIterator[Notifier]:
    """A notifier with its HTTP client, closed on the way out."""
    secret = await signing_secret(settings, database)
    links = Links(settings.base_url, secret, settings.ack_link_ttl)
    async with http_client() as client:
        yield Notifier(
            database,
            runner,
            live_outbound(settings, client),
            links,
            clock,
            timeout=settings.notify_timeout,
            recheck=settings.watcher_recheck,
            max_age=settings.notify_max_age,
            providers=providers(settings),
        )


def providers(settings: Settings) -> Providers:
    """The instance's accounts that people's contact methods are reached through."""
    return Providers(
        pushover_app_token=settings.pushover_app_token,
        telegram_bot_token=settings.telegram_bot_token,
        slack_bot_token=settings.slack_bot_token,
        ntfy_url=settings.ntfy_url,
        twilio=instance_twilio(settings),
    )


async def send_test(settings: Settings, row: ChannelRow) -> DeliveryError | None:
    """A real test message to one channel, now (`tocsin channel test`, the web app)."""
    kind = kind_named(row.kind)
    return await send_test_with(settings, kind, parse_config(kind, row.config), row.uuid)


async def send_test_to_person(
    settings: Settings, contact_kind: str, address: str, key: UUID
) -> DeliveryError | None:
    """A real test message to one of a person's contact methods (their profile page)."""
    try:
        kind, config = route_to_person(contact_kind, address, providers(settings))
    except ValueError as error:
        return DeliveryError(str(error), permanent=True)
    return await send_test_with(settings, kind, config, key)


async def send_test_with(
    settings: Settings, kind: Kind, config: ChannelConfig, key: UUID
) -> DeliveryError | None:
    now = SystemClock().now()
    message = Message(
        kind="test",
        check_name="a test check",
        check_uuid=key,
        tags="",
        cause="test",
        cause_detail="This is a test notification from Tocsin.",
        now=now,
    )
    async with http_client() as session:
        try:
            await kind.deliver(config, message, live_outbound(settings, session))
        except DeliveryError as error:
            return error
    return None
