"""A calendar's week laid out on the server: seven days in a zone, each cut into the
blocks of who is on call, with the share of the day each takes, so the page draws the
week as columns (a phone stacks them by day) with no script. Pure.

A day is the calendar day in the zone shown, so a day of a DST change is 23 or 25
hours long and its blocks are sized by real time."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tocsin.domain.oncall import Shift

# Each person keeps their colour through the week; there are this many colours.
COLOURS = 8
# The years a week can be shown from: dates far beyond them have no next week.
YEARS = range(1971, 9000)
# A block under this share of a day (in percent, about 2h) is drawn on one line.
SHORT = 8.5


@dataclass(frozen=True, slots=True)
class Block:
    """Part of a day: who is on call (None: nobody) from `starts` to `ends` (local
    HH:MM, the end of the day as 24:00), and where it sits: `top` and `height` are
    percentages of the day."""

    user_id: int | None
    who: str
    colour: int | None
    override: bool
    starts: str
    ends: str
    top: float
    height: float

    @property
    def short(self) -> bool:
        """Too short a block for two lines: the page puts it on one."""
        return self.height < SHORT

    @property
    def label(self) -> str:
        kind = " (override)" if self.override else ""
        return f"{self.starts}-{self.ends} {self.who}{kind}"


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    today: bool
    blocks: list[Block]

    @property
    def name(self) -> str:
        return self.day.strftime("%a %-d %b")


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    zone: str
    days: list[Day]

    @property
    def people(self) -> list[int]:
        """Who is on call at some time in the week, in the order of their colours."""
        found = {b.user_id: b.colour for d in self.days for b in d.blocks if b.user_id is not None}
        return sorted(found, key=lambda user_id: (found[user_id], user_id))

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def title(self) -> str:
        sunday = self.monday + timedelta(days=6)
        return f"{self.monday.strftime('%-d %b')} - {sunday.strftime('%-d %b %Y')}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def parse_week(text: str, today: date) -> date:
    """The Monday of the week a `week=` value names (any day of it, YYYY-MM-DD);
    this week's for an empty or unreadable value, or one beyond `YEARS`."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return monday_of(today)
    return monday_of(day if day.year in YEARS else today)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def week_window(monday: date, zone: str) -> tuple[datetime, datetime]:
    """The week as UTC instants: from Monday's midnight to the next Monday's, in `zone`."""
    where = ZoneInfo(zone)
    return midnight(monday, where), midnight(monday + timedelta(days=7), where)


def colours_of(user_ids: list[int]) -> dict[int, int]:
    """A colour for each person, in the order given (members by email)."""
    return {user_id: n % COLOURS for n, user_id in enumerate(user_ids)}


def week_view(
    shifts: list[Shift],
    monday: date,
    zone: str,
    emails: dict[int, str],
    colours: dict[int, int],
    today: date,
) -> Week:
    """The week from `shifts`, which must cover `week_window(monday, zone)`."""
    where = ZoneInfo(zone)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        opens, closes = midnight(day, where), midnight(day + timedelta(days=1), where)
        blocks = [
            block(shift, opens, closes, where, emails, colours)
            for shift in shifts
            if shift.start < closes and shift.end > opens
        ]
        days.append(Day(day, day == today, blocks))
    return Week(monday, zone, days)


def block(
    shift: Shift,
    opens: datetime,
    closes: datetime,
    zone: ZoneInfo,
    emails: dict[int, str],
    colours: dict[int, int],
) -> Block:
    start, end = max(shift.start, opens), min(shift.end, closes)
    length = (closes - opens).total_seconds()
    who = "nobody" if shift.user_id is None else emails.get(shift.user_id, f"user {shift.user_id}")
    colour = None if shift.user_id is None else colours.get(shift.user_id, COLOURS - 1)
    return Block(
        shift.user_id,
        who,
        colour,
        shift.override,
        start.astimezone(zone).strftime("%H:%M"),
        "24:00" if end == closes else end.astimezone(zone).strftime("%H:%M"),
        round(100 * (start - opens).total_seconds() / length, 3),
        round(100 * (end - start).total_seconds() / length, 3),
    )
