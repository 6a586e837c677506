"""How a check reads to people, on the command line and in the web app: its schedule in
words, times relative to now, when the next ping is expected, and its ping URLs. Pure."""

from datetime import datetime, timedelta

from tocsin.checks import CheckState, Status, due_at
from tocsin.durations import format_duration


def describe_schedule(state: CheckState) -> str:
    return f"{state.schedule.describe()}, grace {format_duration(state.grace)}"


def stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return f"{stamp(moment)} ({relative(moment, now)})"


def relative(moment: datetime, now: datetime) -> str:
    delta = now - moment
    later = delta < timedelta(0)
    text = format_duration(timedelta(seconds=round(abs(delta.total_seconds()))))
    return f"in {text}" if later else f"{text} ago"


def next_expected(state: CheckState, now: datetime) -> str:
    if state.status == Status.NEW:
        return "after the first ping"
    if state.status == Status.PAUSED:
        return "paused"
    due = due_at(state)
    return "-" if due is None else when(due, now)


def ping_urls(base_url: str, uuid: str, token: str, slug: str, ping_key: str) -> dict[str, str]:
    """A check's ping URLs in both dialects, and by slug when it has one."""
    urls = {
        "ping URL": f"{base_url}/ping/{uuid}",
        "Better Stack URL": f"{base_url}/api/v1/heartbeat/{token}",
    }
    if slug:
        urls["slug URL"] = f"{base_url}/ping/{ping_key}/{slug}"
    return urls
