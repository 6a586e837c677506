"""What happens when a check changes status: a line in the log saying which check,
from what to what, and why."""

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.alerts.flips import log_flip
from tocsin.domain.checks import CheckState, Flip, Status
from tocsin.domain.records import CheckRecord
from tocsin.domain.schedule import Period

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CHECK_UUID = uuid.UUID("6f1c1e5e-8a5b-4c39-9d7e-2f0a4b1c3d5e")


def record(name: str) -> CheckRecord:
    state = CheckState(Period(timedelta(hours=1)), timedelta(minutes=5))
    return CheckRecord(1, 1, CHECK_UUID, "t", name, "", "", "", 0, NOW, None, state)


def test_a_flip_is_logged_with_the_check_the_statuses_and_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="tocsin.flips"):
        log_flip(record("DB backup"), Flip(NOW, Status.UP, Status.DOWN, "no ping in time"))
    assert caplog.messages == [f"check 'DB backup' ({CHECK_UUID}) up -> down: no ping in time"]
    assert caplog.records[0].levelno == logging.INFO


def test_a_check_without_a_name_is_logged_by_its_uuid(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tocsin.flips"):
        log_flip(record(""), Flip(NOW, Status.NEW, Status.UP, "ping"))
    assert caplog.messages == [f"check '{CHECK_UUID}' ({CHECK_UUID}) new -> up: ping"]
