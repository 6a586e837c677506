"""How a check reads to people, on the command line and in the web app: its schedule in
words, times relative to now, when the next ping is expected, and its ping URLs. Pure."""

import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.checks import CheckState, Status, due_at
from tocsin.domain.durations import format_duration
from tocsin.domain.records import Incident, IncidentStatus
from tocsin.domain.schedule import NEVER, Calendar, Cron, Schedule, upcoming


def describe_schedule(state: CheckState) -> str:
    return f"{state.schedule.describe()}, grace {format_duration(state.grace)}"


def schedule_words(schedule: Schedule) -> str:
    """ "every 1 day", or a cron expression read aloud in its zone: "At 02:00 (Asia/Tokyo)"."""
    if isinstance(schedule, Cron):
        return f"{cron_words(schedule.expression)} ({schedule.tz})"
    return schedule.describe()


@functools.lru_cache(maxsize=4096)  # a page of 1,000 checks shares a few expressions
def cron_words(expression: str) -> str:
    """A valid cron expression read aloud: `*/15 9-17 * * 1-5` is "Every 15 minutes,
    between 09:00 and 17:59, Monday through Friday"."""
    # Imported here: a list of period checks (`tocsin check list`) never needs it.
    from cron_descriptor import (
        ExpressionDescriptor,
        FormatError,
        MissingFieldError,
        Options,
        WrongArgumentError,
    )

    options = Options()
    options.use_24hour_time_format = True
    options.verbose = False
    try:
        words: str = ExpressionDescriptor(expression, options).get_description()
    # cronsim reads a few forms the describer does not.
    except (FormatError, MissingFieldError, WrongArgumentError):
        return f"cron {expression}"
    return words


def upcoming_times(schedule: Calendar, now: datetime, count: int = 5) -> list[dict[str, str]]:
    """The next `count` due times of a valid cron or OnCalendar schedule (fewer if it
    ends first), in its zone and relative to now."""
    zone = ZoneInfo(schedule.tz)
    return [
        {
            "at": moment.isoformat(),
            "local": f"{moment.astimezone(zone):%a %Y-%m-%d %H:%M %Z}",
            "relative": relative(moment, now),
        }
        for moment in upcoming(schedule, now, count)
    ]


def stamp(moment: datetime | None) -> str:
    """`2026-11-26 02:00:00 UTC`, or "never"; isoformat, because strftime costs several
    times more and a burst of alerts formats thousands of these."""
    if moment is None:
        return "never"
    return moment.isoformat(sep=" ", timespec="seconds")[:19] + " UTC"


def when(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "never"
    return f"{stamp(moment)} ({relative(moment, now)})"


def relative(moment: datetime, now: datetime) -> str:
    """`5h10m ago`, `in 4d6h`: the two largest units are enough for people."""
    delta = now - moment
    later = delta < timedelta(0)
    text = format_duration(rounded(abs(delta)))
    return f"in {text}" if later else f"{text} ago"


def rounded(delta: timedelta) -> timedelta:
    """Rounded to the unit below its largest: 1d6h37m9s is 1d7h, 4m10s stays 4m10s."""
    seconds = round(delta.total_seconds())
    for unit in (604_800, 86_400, 3_600, 60):
        if seconds >= unit:
            step = {604_800: 86_400, 86_400: 3_600, 3_600: 60, 60: 1}[unit]
            return timedelta(seconds=round(seconds / step) * step)
    return timedelta(seconds=seconds)


def incident_span(incident: Incident, now: datetime) -> str:
    """How long the incident has lasted, in its status's words: `open for 3m`,
    `acknowledged, open for 1h2m`, `resolved after 3m`; never a "resolved: never"."""
    if incident.status == IncidentStatus.RESOLVED and incident.resolved_at is not None:
        return (
            f"resolved after {format_duration(rounded(incident.resolved_at - incident.opened_at))}"
        )
    lasted = format_duration(rounded(max(now - incident.opened_at, timedelta(0))))
    if incident.status == IncidentStatus.ACKNOWLEDGED:
        return f"acknowledged, open for {lasted}"
    return f"open for {lasted}"


def next_expected(state: CheckState, now: datetime) -> str:
    if state.status == Status.NEW:
        return "after the first ping"
    if state.status == Status.PAUSED:
        return "paused"
    due = due_at(state)
    if due == NEVER:  # an OnCalendar schedule past its last time
        return "never"
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


LONG_PERIOD = timedelta(days=1)
EXAMPLE_CRON = "0 2 * * *"


def schedule_hint(schedule: Schedule) -> str | None:
    """Advice for a check whose period is a day or more: a nightly job watched by a 1d
    period goes down only a day and its grace after its last run (up to 25 hours late
    with an hour's grace); on a cron schedule it goes down at its time plus grace."""
    if isinstance(schedule, Calendar) or schedule.period < LONG_PERIOD:
        return None
    every = format_duration(schedule.period)
    return (
        f"a job that runs every {every} is better watched with a schedule (a cron expression"
        f" such as '{EXAMPLE_CRON}' in its time zone), which notices a missed run at its"
        f" time plus grace, not {every} and grace after the last run"
    )
