"""What every notification says, whatever the channel: its title, its labelled facts
and its plain-text rendering, for a down alert, a reminder, a recovery and a test."""

from datetime import timedelta

import pytest

from tests.notify.messages import ACK_URL, INCIDENT_URL, OUTPUT, down, nag, trial, up
from tocsin.notify.message import Message


@pytest.mark.parametrize(
    ("message", "title", "status"),
    [
        (down(), "nightly-backup is DOWN", "down"),
        (nag(), "Reminder: nightly-backup is still DOWN", "down"),
        (up(), "nightly-backup is UP again", "up"),
        (trial(), "Test notification from Tocsin for a test check", "down"),
    ],
)
def test_the_title_and_status_say_what_happened(message: Message, title: str, status: str) -> None:
    assert message.title == title
    assert message.status == status
    assert message.is_test == (message.kind == "test")


def test_a_down_alert_says_why_when_it_was_expected_and_how_to_acknowledge() -> None:
    assert down().text() == (
        "nightly-backup is DOWN\n"
        "\n"
        "Check: nightly-backup\n"
        "Cause: Exited with status 12\n"
        "Last ping: 2026-03-01 11:00:00 UTC\n"
        "Expected: 2026-03-01 11:55:00 UTC\n"
        "Tags: prod db\n"
        "\n"
        "Output:\n"
        f"{OUTPUT}\n"
        "\n"
        f"Acknowledge: {ACK_URL}"
    )


def test_a_reminder_says_the_same_under_its_own_title() -> None:
    assert nag().text() == down().text().replace(down().title, nag().title)


def test_a_recovery_says_how_long_it_was_down_and_links_the_incident_only() -> None:
    text = up().text()
    assert text == (
        "nightly-backup is UP again\n"
        "\n"
        "Check: nightly-backup\n"
        "Down for: 1h30m\n"
        "Last ping: 2026-03-01 11:00:00 UTC\n"
        "Tags: prod db\n"
        "\n"
        f"Incident: {INCIDENT_URL}"
    )


def test_a_recovery_shows_no_output_expected_time_or_acknowledge_link_even_if_given() -> None:
    text = up(ack_url=ACK_URL).text()
    assert "Output" not in text
    assert "Expected" not in text
    assert "Acknowledge" not in text
    assert f"Incident: {INCIDENT_URL}" in text


def test_a_recovery_without_a_known_downtime_gives_the_cause_instead() -> None:
    assert ("Cause", "Exited with status 12") in up(downtime=None).facts()


def test_a_test_notification_has_no_incident() -> None:
    assert trial().text() == (
        "Test notification from Tocsin for a test check\n"
        "\n"
        "Check: a test check\n"
        "Cause: This is a test notification.\n"
        "Last ping: never"
    )


def test_facts_leave_out_what_is_empty() -> None:
    message = down(cause_detail="", tags="", expected_at=None, body_excerpt="", ack_url="")
    assert message.facts() == [
        ("Check", "nightly-backup"),
        ("Last ping", "2026-03-01 11:00:00 UTC"),
    ]
    assert message.text().splitlines()[-1] == f"Incident: {INCIDENT_URL}"


def test_a_downtime_is_spelled_like_every_duration() -> None:
    assert ("Down for", "1d2h3m") in up(downtime=timedelta(days=1, minutes=123)).facts()


def test_each_message_has_its_own_notification_key_unless_given() -> None:
    assert down().notification_key != down().notification_key
    assert down(notification_key="n-1").notification_key == "n-1"
