"""The checks table as people read it: one row per check with its status in words and
an icon, filtered by tag, status and text and sorted, all on the server. Pure."""

from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from tocsin.domain.checks import Status, due_at, status, streak
from tocsin.domain.describe import relative, schedule_words
from tocsin.domain.records import CheckDetails, RecentPing
from tocsin.domain.schedule import NEVER

ICONS = {
    Status.NEW: "○",
    Status.UP: "✔",
    Status.LATE: "◔",
    Status.DOWN: "✖",
    Status.PAUSED: "‖",  # not ⏸: many systems draw it from an emoji font they lack
    Status.STARTED: "▶",
}
# Trouble first: the order of the status sort.
SEVERITY = [Status.DOWN, Status.LATE, Status.STARTED, Status.UP, Status.NEW, Status.PAUSED]
# The history strip: each ping's kind in words (its colour comes from the stylesheet).
PING_WORDS = {
    "success": "success",
    "fail": "failure",
    "start": "start",
    "log": "log",
    "ign": "ignored",
}
SORTS = {"name": "name", "status": "status", "last_ping": "last ping", "next": "next expected"}


@dataclass(frozen=True, slots=True)
class CheckRow:
    uuid: str
    name: str
    tags: list[str]
    status: Status
    schedule: str
    last_ping: datetime | None
    last_ping_words: str
    next_due: datetime | None
    next_due_words: str
    history: list[RecentPing]  # newest first
    streak: str = ""  # `failing (2 of 3)` while a threshold is counted

    @property
    def icon(self) -> str:
        return ICONS[self.status]

    def strip(self) -> Markup:
        """The recent pings, oldest first as the strip reads left to right: a coloured mark
        each, titled in words, and the kinds in one sentence for screen readers. Built
        here, not in the template: a thousand rows of ten marks is the page's bulk."""
        pings = self.history[::-1]
        if not pings:
            return Markup('<span class="muted">none</span>')
        marks = "".join(
            f'<i class="ping {escape(ping.kind)}" title="{escape(ping_words(ping))}"></i>'
            for ping in pings
        )
        spoken = ", ".join(PING_WORDS.get(ping.kind, ping.kind) for ping in pings)
        hidden = (
            f'<span class="visually-hidden">Recent pings, oldest first: {escape(spoken)}</span>'
        )
        return Markup(f'<span class="strip">{marks}</span>{hidden}')


def ping_words(ping: RecentPing) -> str:
    words = PING_WORDS.get(ping.kind, ping.kind)
    if ping.exit_status:
        words += f" (exit status {ping.exit_status})"
    return f"#{ping.n} {words}, {ping.created.isoformat(' ', 'minutes')[:16]} UTC"


@dataclass(frozen=True, slots=True)
class Filters:
    tag: str = ""
    status: str = ""
    text: str = ""
    sort: str = "name"

    def keeps(self, row: CheckRow) -> bool:
        return (
            (not self.tag or self.tag in row.tags)
            and (not self.status or self.status == row.status)
            and (not self.text or self.text.lower() in f"{row.name} {row.uuid}".lower())
        )


def check_row(details: CheckDetails, now: datetime, history: list[RecentPing]) -> CheckRow:
    state = details.record.state
    current = status(state, now)
    due = due_at(state) if current not in (Status.NEW, Status.PAUSED) else None
    last = state.last_ping
    return CheckRow(
        uuid=str(details.record.uuid),
        name=details.record.label,
        tags=details.spec.tags.split(),
        status=current,
        schedule=schedule_words(state.schedule),
        last_ping=last,
        last_ping_words="never" if last is None else relative(last, now),
        next_due=due,
        next_due_words=expected_words(current, due, now),
        history=history,
        streak=streak(state),
    )


def expected_words(current: Status, due: datetime | None, now: datetime) -> str:
    if current == Status.NEW:
        return "after the first ping"
    if current == Status.PAUSED:
        return "paused"
    if due == NEVER:  # an OnCalendar schedule past its last time
        return "never"
    return "-" if due is None else relative(due, now)


def sort_key(sort: str, row: CheckRow) -> tuple[object, ...]:
    name = row.name.lower()
    if sort == "status":
        return (SEVERITY.index(row.status), name)
    if sort == "last_ping":  # most recent first, never-pinged last
        return (row.last_ping is None, -(row.last_ping.timestamp() if row.last_ping else 0), name)
    if sort == "next":
        return (row.next_due is None, row.next_due.timestamp() if row.next_due else 0, name)
    return (name,)


def table(
    found: list[CheckDetails],
    filters: Filters,
    now: datetime,
    histories: dict[int, list[RecentPing]],
) -> list[CheckRow]:
    built = (check_row(d, now, histories.get(d.record.id, [])) for d in found)
    rows = [row for row in built if filters.keeps(row)]
    sort = filters.sort if filters.sort in SORTS else "name"
    return sorted(rows, key=lambda row: sort_key(sort, row))


def all_tags(found: list[CheckDetails]) -> list[str]:
    return sorted({tag for d in found for tag in d.spec.tags.split()})
