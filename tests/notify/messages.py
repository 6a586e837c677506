"""Sample Messages for the channel kinds' tests: one incident's down, reminder and
recovery, and a test, each with every field a kind may show."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from tocsin.notify.message import Message

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OPENED = NOW - timedelta(minutes=5)
CHECK_UUID = UUID("6f1c1e5e-8a5b-4c39-9d7e-2f0a4b1c3d5e")
INCIDENT_ID = 42
INCIDENT_URL = "https://tocsin.example.com/incidents/42"
ACK_URL = "https://tocsin.example.com/incidents/42?token=1772370000.c2lnbmF0dXJl"
OUTPUT = "rsync: connection refused\nexit code 12"
# Everything a renderer must escape or carry through intact: quotes, markup, emoji.
AWKWARD_NAME = 'Nightly "backup" <db> & co 🚀'


def down(**changes: Any) -> Message:
    message = Message(
        kind="down",
        check_name="nightly-backup",
        check_uuid=CHECK_UUID,
        tags="prod db",
        cause="exit_status",
        cause_detail="Exited with status 12",
        now=NOW,
        exit_status=12,
        last_ping=NOW - timedelta(hours=1),
        expected_at=NOW - timedelta(minutes=5),
        opened_at=OPENED,
        body_excerpt=OUTPUT,
        incident_id=INCIDENT_ID,
        incident_url=INCIDENT_URL,
        ack_url=ACK_URL,
    )
    return replace(message, **changes)


def nag(**changes: Any) -> Message:
    return down(kind="nag", **changes)


def up(**changes: Any) -> Message:
    """The recovery: the incident is over, so there is nothing left to acknowledge."""
    fields: dict[str, Any] = {"kind": "up", "ack_url": "", "downtime": timedelta(minutes=90)}
    return down(**(fields | changes))


def trial(**changes: Any) -> Message:
    """A test notification ("test" would make pytest collect it): no incident at all."""
    message = Message(
        kind="test",
        check_name="a test check",
        check_uuid=CHECK_UUID,
        tags="",
        cause="test",
        cause_detail="This is a test notification.",
        now=NOW,
    )
    return replace(message, **changes)
