"""What every notification says, whatever the channel: built once, rendered per kind."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from tocsin.domain.describe import stamp
from tocsin.domain.durations import format_duration


@dataclass(slots=True)
class Message:
    kind: str  # down | up | nag | ack | test (ack: only to kinds that act on it)
    check_name: str
    check_uuid: UUID
    tags: str
    cause: str
    cause_detail: str
    now: datetime
    exit_status: int | None = None
    last_ping: datetime | None = None
    expected_at: datetime | None = None
    opened_at: datetime | None = None
    downtime: timedelta | None = None
    body_excerpt: str = ""
    incident_id: int | None = None
    incident_url: str = ""
    ack_url: str = ""
    # The signed token in ack_url, for buttons that acknowledge without a browser
    # (Slack's, Telegram's): they carry the incident and the token back to Tocsin.
    ack_token: str = ""
    acknowledged_by: str = ""  # who acknowledged, for an "ack"
    site_url: str = ""  # Tocsin's own address, for callbacks (a call's keypress)
    channel_uuid: str = ""  # the channel it goes to, for callbacks that need its settings
    receipts: tuple[str, ...] = ()  # earlier alerts' receipts to cancel (Pushover)
    holding: tuple[str, ...] = ()  # checks whose alerts this one's being down holds
    # The notification's id, the same on every retry of it (one of its own for a test
    # sent directly), for receivers that drop repeats: delivery is at least once.
    notification_key: str = field(default_factory=lambda: str(uuid4()))

    @property
    def status(self) -> str:
        return "up" if self.kind == "up" else "down"

    @property
    def is_test(self) -> bool:
        return self.kind == "test"

    @property
    def title(self) -> str:
        if self.kind == "test":
            return f"Test notification from Tocsin for {self.check_name}"
        if self.kind == "up":
            return f"{self.check_name} is UP again"
        if self.kind == "nag":
            return f"Reminder: {self.check_name} is still DOWN"
        if self.kind == "ack":
            return f"{self.check_name} is DOWN, acknowledged{self.by}"
        return f"{self.check_name} is DOWN"

    @property
    def by(self) -> str:
        return f" by {self.acknowledged_by}" if self.acknowledged_by else ""

    def facts(self) -> list[tuple[str, str]]:
        """Labelled lines every channel shows: cause, last ping, expected, downtime."""
        lines = [("Check", self.check_name)]
        if self.kind == "up" and self.downtime is not None:
            lines.append(("Down for", format_duration(self.downtime)))
        elif self.cause_detail:
            lines.append(("Cause", self.cause_detail))
        lines.append(("Last ping", stamp(self.last_ping)))
        if self.expected_at is not None and self.kind != "up":
            lines.append(("Expected", stamp(self.expected_at)))
        if self.tags:
            lines.append(("Tags", self.tags))
        if self.holding and self.kind != "up":
            lines.append(
                ("Holding", f"{', '.join(self.holding)} (they depend on it: their alerts wait)")
            )
        return lines

    def text(self) -> str:
        """A plain-text rendering, for channels without richer formatting."""
        lines = [self.title, ""]
        lines += [f"{label}: {value}" for label, value in self.facts()]
        if self.body_excerpt and self.kind != "up":
            lines += ["", "Output:", self.body_excerpt]
        if self.ack_url and self.kind != "up":
            lines += ["", f"Acknowledge: {self.ack_url}"]
        elif self.incident_url:
            lines += ["", f"Incident: {self.incident_url}"]
        return "\n".join(lines)
