"""The on-call iCalendar feed: structure, UTC times, escaping and folding, read back."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.ical import FeedShift, escape, feed, fold

STAMP = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
START = datetime(2024, 6, 3, 7, 0, tzinfo=UTC)


def unfold(text: str) -> list[str]:
    """Content lines as RFC 5545 §3.1 reads them back."""
    assert text.endswith("\r\n")
    return text[:-2].replace("\r\n ", "").split("\r\n")


def properties(text: str) -> list[tuple[str, str]]:
    return [(line.partition(":")[0], line.partition(":")[2]) for line in unfold(text)]


def unescape(value: str) -> str:
    out, chars = "", iter(value)
    for char in chars:
        if char == "\\":
            following = next(chars)
            out += "\n" if following in "nN" else following
        else:
            out += char
    return out


def test_each_shift_is_an_event_in_utc_with_the_person_in_the_summary() -> None:
    shifts = [
        FeedShift("alice@example.com", START, START + timedelta(days=1)),
        FeedShift("bob@example.com", START + timedelta(days=1), START + timedelta(days=2), True),
    ]
    found = properties(feed(7, "Ops", shifts, STAMP))
    assert found[0] == ("BEGIN", "VCALENDAR")
    assert found[-1] == ("END", "VCALENDAR")
    assert [v for k, v in found if k == "DTSTART"] == ["20240603T070000Z", "20240604T070000Z"]
    assert [v for k, v in found if k == "DTEND"] == ["20240604T070000Z", "20240605T070000Z"]
    assert [unescape(v) for k, v in found if k == "SUMMARY"] == [
        "On call: alice@example.com",
        "On call: bob@example.com (override)",
    ]
    assert [v for k, v in found if k == "DTSTAMP"] == ["20240601T120000Z"] * 2


def test_uids_are_stable_and_distinct() -> None:
    shifts = [FeedShift("a@example.com", START + timedelta(days=d), START) for d in range(3)]
    first = [v for k, v in properties(feed(1, "x", shifts, STAMP)) if k == "UID"]
    again = [
        v for k, v in properties(feed(1, "x", shifts, STAMP + timedelta(hours=1))) if k == "UID"
    ]
    assert first == again
    assert len(set(first)) == 3


def test_every_line_ends_with_crlf_and_none_is_longer_than_75_octets() -> None:
    text = feed(1, "Ünïcødé " * 30, [], STAMP)
    lines = text.split("\r\n")
    assert "\n" not in "".join(lines)
    assert max(len(line.encode()) for line in lines) <= 75


def test_text_is_escaped() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


@given(st.text(min_size=0, max_size=400))
def test_folding_unfolds_to_the_same_line_without_splitting_characters(text: str) -> None:
    line = "X-WR-CALNAME:" + escape(text)
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line
    assert unescape(line.partition(":")[2]) == text.replace("\r\n", "\n").replace("\r", "\n")
