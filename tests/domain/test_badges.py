"""Status badges: the unguessable URLs and their signatures, the combined status of
several checks, and the drawing as SVG, JSON and Shields.io JSON."""

import json
import re
from urllib.parse import unquote, urlsplit
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain import badges

SECRET = "instance-secret"
PING_KEY = "k3y0fth1spr0j3ct00000a"
BASE = "https://tocsin.example"


def test_a_project_badge_key_is_sixteen_hex_characters_from_the_secret_and_ping_key() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    assert re.fullmatch(r"[0-9a-f]{16}", key)
    assert badges.project_badge_key(SECRET, PING_KEY) == key
    assert badges.project_badge_key("another secret", PING_KEY) != key
    assert badges.project_badge_key(SECRET, "another0ping0key0000000a") != key


def test_a_tag_signature_is_eight_characters_and_two_state_badges_say_so() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    three = badges.tag_signature(SECRET, key, "db", with_late=True)
    two = badges.tag_signature(SECRET, key, "db", with_late=False)
    assert re.fullmatch(r"[0-9a-f]{8}", three)
    assert two == f"{three}-2"


def test_a_signature_is_for_one_tag_of_one_project() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    other = badges.project_badge_key(SECRET, "another0ping0key0000000a")
    db = badges.tag_signature(SECRET, key, "db", with_late=True)
    assert badges.is_tag_signature(SECRET, key, "db", db)
    assert not badges.is_tag_signature(SECRET, key, "web", db)
    assert not badges.is_tag_signature(SECRET, other, "db", db)
    assert not badges.is_tag_signature("another secret", key, "db", db)
    assert not badges.is_tag_signature(SECRET, key, "db", db.upper())
    assert not badges.is_tag_signature(SECRET, key, "db", "")


def test_both_signatures_of_a_tag_are_accepted() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    for with_late in (True, False):
        signature = badges.tag_signature(SECRET, key, "db", with_late=with_late)
        assert badges.is_tag_signature(SECRET, key, "db", signature)


def test_a_tag_has_six_urls_two_and_three_state_in_each_format() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    urls = badges.tag_badge_urls(BASE, SECRET, key, "db")
    three = badges.tag_signature(SECRET, key, "db", with_late=True)
    assert urls == {
        "svg": f"{BASE}/badge/{key}/{three}-2/db.svg",
        "svg3": f"{BASE}/badge/{key}/{three}/db.svg",
        "json": f"{BASE}/badge/{key}/{three}-2/db.json",
        "json3": f"{BASE}/badge/{key}/{three}/db.json",
        "shields": f"{BASE}/badge/{key}/{three}-2/db.shields",
        "shields3": f"{BASE}/badge/{key}/{three}/db.shields",
    }


def test_the_all_checks_badge_has_no_tag_in_its_url() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    url = badges.tag_badge_url(BASE, SECRET, key, badges.ALL_CHECKS, "svg", with_late=True)
    signature = badges.tag_signature(SECRET, key, badges.ALL_CHECKS, with_late=True)
    assert url == f"{BASE}/badge/{key}/{signature}.svg"


def test_a_tag_is_quoted_whole_in_its_url() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    url = badges.tag_badge_url(BASE, SECRET, key, "a/b c?d", "json", with_late=False)
    assert url.endswith("/a%2Fb%20c%3Fd.json")


@given(
    st.text(min_size=1, max_size=30).filter(lambda tag: tag != badges.ALL_CHECKS),
    st.sampled_from(badges.FORMATS),
    st.booleans(),
)
def test_a_tag_url_reads_back_to_its_tag_format_and_a_valid_signature(
    tag: str, fmt: str, with_late: bool
) -> None:
    """What the `/badge/<key>/<signature>/<tag>.<fmt>` route takes apart, piece by piece."""
    key = badges.project_badge_key(SECRET, PING_KEY)
    url = badges.tag_badge_url(BASE, SECRET, key, tag, fmt, with_late=with_late)
    path = unquote(urlsplit(url).path)
    prefix = f"/badge/{key}/"
    assert path.startswith(prefix)
    signature, _, rest = path.removeprefix(prefix).partition("/")
    assert badges.split_format(rest) == (tag, fmt)
    assert badges.is_tag_signature(SECRET, key, tag, signature)
    assert signature.endswith("-2") is not with_late


def test_a_check_badge_url_is_the_project_key_then_the_checks_key() -> None:
    key = badges.project_badge_key(SECRET, PING_KEY)
    url = badges.check_badge_url(BASE, key, "u9Kd2x")
    assert url == f"{BASE}/b/2/{key}u9Kd2x.svg"
    assert badges.split_check_badge_key(f"{key}u9Kd2x") == (key, "u9Kd2x")


@pytest.mark.parametrize(
    ("name", "parsed"),
    [
        ("backups.svg", ("backups", "svg")),
        ("backups.json", ("backups", "json")),
        ("backups.shields", ("backups", "shields")),
        ("v1.2.svg", ("v1.2", "svg")),
        (".svg", ("", "svg")),
        ("backups.png", None),
        ("backups", None),
        ("backups.SVG", None),
        ("backups.svg.", None),
    ],
)
def test_only_the_formats_tocsin_draws_are_split_off(
    name: str, parsed: tuple[str, str] | None
) -> None:
    assert badges.split_format(name) == parsed


# The status of several checks


@pytest.mark.parametrize(
    ("statuses", "with_late", "status"),
    [
        ([], True, "up"),
        (["up", "new", "paused", "started"], True, "up"),
        (["up", "grace"], True, "late"),
        (["up", "grace"], False, "up"),
        (["grace", "down"], True, "down"),
        (["down"], False, "down"),
    ],
)
def test_any_down_makes_the_badge_down_else_any_late_late_on_three_state_badges(
    statuses: list[str], with_late: bool, status: str
) -> None:
    assert badges.combined(statuses, with_late=with_late)["status"] == status


def test_the_summary_counts_the_checks() -> None:
    summary = badges.combined(iter(["up", "grace", "down", "down", "new"]), with_late=True)
    assert summary == {"status": "down", "total": 5, "grace": 1, "down": 2}


# The drawing


def test_the_json_badge_is_the_summary() -> None:
    summary = badges.combined(["up", "grace"], with_late=True)
    body, media_type = badges.render("json", "db", summary)
    assert media_type == "application/json"
    assert json.loads(body) == {"status": "late", "total": 2, "grace": 1, "down": 0}


@pytest.mark.parametrize(
    ("status", "color"), [("up", "success"), ("late", "important"), ("down", "critical")]
)
def test_the_shields_badge_is_shields_io_endpoint_json(status: str, color: str) -> None:
    body, media_type = badges.render("shields", "db", {"status": status})
    assert media_type == "application/json"
    assert json.loads(body) == {
        "schemaVersion": 1,
        "label": "db",
        "message": status,
        "color": color,
    }


@pytest.mark.parametrize(
    ("status", "color"), [("up", "#4c1"), ("late", "#fe7d37"), ("down", "#e05d44")]
)
def test_the_svg_badge_shows_the_label_and_the_status_in_its_colour(
    status: str, color: str
) -> None:
    body, media_type = badges.render("svg", "tocsin", {"status": status})
    assert media_type == "image/svg+xml"
    svg = ElementTree.fromstring(body)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    assert svg.get("aria-label") == f"tocsin: {status}"
    assert svg.findtext("svg:title", namespaces=ns) == f"tocsin: {status}"
    assert [t.text for t in svg.iterfind(".//svg:text", ns)] == ["tocsin", status]
    label, value = svg.findall("svg:rect", ns)
    assert label.get("fill") == "#555"
    assert value.get("fill") == color
    assert int(svg.get("width", "0")) == int(label.get("width", "0")) + int(value.get("width", "0"))
    assert value.get("x") == label.get("width")


def test_a_longer_label_makes_a_wider_badge() -> None:
    short = ElementTree.fromstring(badges.svg("db", "up"))
    long = ElementTree.fromstring(badges.svg("database backups", "up"))
    assert int(long.get("width", "0")) > int(short.get("width", "0"))


# XML 1.0 cannot carry control characters at all, nor U+FFFE and U+FFFF.
XML_TEXT = st.text(
    st.characters(exclude_categories=["Cc", "Cs"], exclude_characters="\ufffe\uffff"),
    max_size=40,
)


@given(XML_TEXT)
def test_any_label_makes_well_formed_svg_showing_it(label: str) -> None:
    svg = ElementTree.fromstring(badges.svg(label, "down"))
    texts = [t.text or "" for t in svg.iterfind(".//{http://www.w3.org/2000/svg}text")]
    assert texts == [label, "down"]


def test_a_label_is_escaped_in_the_svg() -> None:
    body = badges.svg('<script>alert("x")</script> & co', "up")
    assert "<script>" not in body
    assert "&lt;script&gt;" in body
    assert 'aria-label="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co: up"' in body
