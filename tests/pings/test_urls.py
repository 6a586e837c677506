"""Reading ping URLs: Healthchecks' UUID and slug forms and Better Stack's heartbeat form."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.checks import Action
from tocsin.pings.urls import (
    BySlug,
    ByToken,
    ByUuid,
    PingUrl,
    PingUrlError,
    is_ping_path,
    parse_ping_path,
    parse_rid,
)

CODE = "0b6ab4e3-3b5a-4e0c-9a2a-2f6a1a1a1a1a"
BY_CODE = ByUuid(uuid.UUID(CODE).hex)
KEY = "k3y0fth1spr0j3ct00000a"
BY_SLUG = BySlug(KEY, "nightly-backup")
TOKEN = "Ab3dE_f-9"
BY_TOKEN = ByToken(TOKEN)


def bad_url(path: str) -> str:
    with pytest.raises(PingUrlError) as caught:
        parse_ping_path(path)
    return str(caught.value)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/ping/{CODE}", PingUrl(BY_CODE, Action.SUCCESS)),
        (f"/ping/{CODE}/", PingUrl(BY_CODE, Action.SUCCESS)),
        (f"/ping/{CODE}/start", PingUrl(BY_CODE, Action.START)),
        (f"/ping/{CODE}/fail", PingUrl(BY_CODE, Action.FAIL)),
        (f"/ping/{CODE}/log", PingUrl(BY_CODE, Action.LOG)),
        (f"/ping/{CODE}/fail/", PingUrl(BY_CODE, Action.FAIL)),
        (f"/ping/{CODE}/0", PingUrl(BY_CODE, Action.SUCCESS, 0)),
        (f"/ping/{CODE}/1", PingUrl(BY_CODE, Action.FAIL, 1)),
        (f"/ping/{CODE}/255", PingUrl(BY_CODE, Action.FAIL, 255)),
        (f"/ping/{CODE}/007", PingUrl(BY_CODE, Action.FAIL, 7)),
        (f"/ping/{CODE}/3/", PingUrl(BY_CODE, Action.FAIL, 3)),
    ],
)
def test_it_reads_every_uuid_form(path: str, expected: PingUrl) -> None:
    assert parse_ping_path(path) == expected


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("", PingUrl(BY_SLUG, Action.SUCCESS)),
        ("/", PingUrl(BY_SLUG, Action.SUCCESS)),
        ("/start", PingUrl(BY_SLUG, Action.START)),
        ("/fail", PingUrl(BY_SLUG, Action.FAIL)),
        ("/log", PingUrl(BY_SLUG, Action.LOG)),
        ("/log/", PingUrl(BY_SLUG, Action.LOG)),
        ("/0", PingUrl(BY_SLUG, Action.SUCCESS, 0)),
        ("/42", PingUrl(BY_SLUG, Action.FAIL, 42)),
        ("/255", PingUrl(BY_SLUG, Action.FAIL, 255)),
    ],
)
def test_it_reads_every_slug_form(suffix: str, expected: PingUrl) -> None:
    assert parse_ping_path(f"/ping/{KEY}/nightly-backup{suffix}") == expected


@pytest.mark.parametrize(
    ("suffix", "expected"),
    [
        ("", PingUrl(BY_TOKEN, Action.SUCCESS)),
        ("/", PingUrl(BY_TOKEN, Action.SUCCESS)),
        ("/fail", PingUrl(BY_TOKEN, Action.FAIL)),
        ("/0", PingUrl(BY_TOKEN, Action.SUCCESS, 0)),
        ("/1", PingUrl(BY_TOKEN, Action.FAIL, 1)),
        ("/255", PingUrl(BY_TOKEN, Action.FAIL, 255)),
        ("/start", PingUrl(BY_TOKEN, Action.START)),
        ("/log", PingUrl(BY_TOKEN, Action.LOG)),
    ],
)
def test_it_reads_every_better_stack_form(suffix: str, expected: PingUrl) -> None:
    assert parse_ping_path(f"/api/v1/heartbeat/{TOKEN}{suffix}") == expected


def test_a_better_stack_token_may_be_a_uuid_or_sixty_four_characters() -> None:
    assert parse_ping_path(f"/api/v1/heartbeat/{CODE}").target == ByToken(CODE)
    assert parse_ping_path("/api/v1/heartbeat/" + "a" * 64).target == ByToken("a" * 64)


@pytest.mark.parametrize(
    "path",
    [
        f"/ping/{CODE}/256",
        f"/ping/{CODE}/1000",
        f"/ping/{KEY}/nightly-backup/256",
        f"/api/v1/heartbeat/{TOKEN}/256",
    ],
)
def test_an_exit_status_over_255_is_an_invalid_url(path: str) -> None:
    assert bad_url(path) == "invalid url format"


def test_an_upper_case_uuid_is_accepted() -> None:
    assert parse_ping_path(f"/ping/{CODE.upper()}/fail") == PingUrl(BY_CODE, Action.FAIL)


def test_an_upper_case_ping_key_is_accepted() -> None:
    url = parse_ping_path("/ping/AbC_-9/nightly-backup")
    assert url.target == BySlug("AbC_-9", "nightly-backup")


@pytest.mark.parametrize("slug", ["Nightly-backup", "NIGHTLY", "backup.daily", "ünïcode"])
def test_a_slug_that_is_not_lower_case_slug_text_is_rejected(slug: str) -> None:
    assert bad_url(f"/ping/{KEY}/{slug}") == "invalid url format"


def test_a_uuid_followed_by_a_word_is_a_slug_url_keyed_by_the_uuid_text() -> None:
    assert parse_ping_path(f"/ping/{CODE}/backup") == PingUrl(
        BySlug(CODE, "backup"), Action.SUCCESS
    )
    assert parse_ping_path(f"/ping/{CODE}/backup/fail") == PingUrl(
        BySlug(CODE, "backup"), Action.FAIL
    )
    assert parse_ping_path(f"/ping/{CODE.upper()}/backup").target == BySlug(CODE.upper(), "backup")


@pytest.mark.parametrize(
    "path",
    [
        "/ping/",
        "/ping//",
        "/ping//start",
        f"/ping/{CODE}//",
        f"/ping//{CODE}",
        f"/ping/{KEY}//nightly-backup",
        f"/ping/{KEY}/nightly-backup//",
        "/api/v1/heartbeat/",
        "/api/v1/heartbeat//fail",
        f"/api/v1/heartbeat/{TOKEN}//",
    ],
)
def test_an_empty_segment_is_an_invalid_url(path: str) -> None:
    assert bad_url(path) == "invalid url format"


@pytest.mark.parametrize(
    "path",
    [
        f"/ping/{CODE}/start/extra",
        f"/ping/{CODE}/fail/3",
        f"/ping/{CODE}/0/0",
        f"/ping/{KEY}/nightly-backup/fail/extra",
        f"/ping/{KEY}/nightly-backup/slug",
        f"/api/v1/heartbeat/{TOKEN}/fail/1",
        f"/api/v1/heartbeat/{TOKEN}/extra",
    ],
)
def test_too_many_or_unknown_segments_are_an_invalid_url(path: str) -> None:
    assert bad_url(path) == "invalid url format"


# Arabic-Indic three, fullwidth three, superscript two, a mix, N'Ko one.
@pytest.mark.parametrize("digits", ["\u0663", "\uff13", "\u00b2", "1\u0663", "\u07c1"])
@pytest.mark.parametrize(
    "prefix", [f"/ping/{CODE}/", f"/ping/{KEY}/nightly-backup/", f"/api/v1/heartbeat/{TOKEN}/"]
)
def test_non_ascii_digits_are_an_invalid_url(prefix: str, digits: str) -> None:
    assert bad_url(prefix + digits) == "invalid url format"


@pytest.mark.parametrize(
    "path",
    [
        "/ping/not-a-uuid",
        f"/ping/{CODE[:-1]}",
        f"/ping/{CODE}x",
        f"/ping/{CODE.replace('-', '')}",
        "/ping/key.with.dots/backup",
        "/ping/key/back up",
        "/api/v1/heartbeat/" + "a" * 65,
        "/api/v1/heartbeat/tok.en",
        "/api/v1/heartbeat/tök",
    ],
)
def test_a_malformed_target_is_an_invalid_url(path: str) -> None:
    assert bad_url(path) == "invalid url format"


def test_an_absurdly_long_exit_status_is_an_invalid_url() -> None:
    assert bad_url(f"/ping/{CODE}/" + "1" * 4301) == "invalid url format"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (f"/ping/{CODE}", True),
        ("/ping/", True),
        (f"/api/v1/heartbeat/{TOKEN}", True),
        ("/ping", False),
        ("/pings/x", False),
        ("/api/v1/heartbeat", False),
        ("/api/v3/checks/", False),
        ("/", False),
    ],
)
def test_is_ping_path_recognises_both_prefixes(path: str, expected: bool) -> None:
    assert is_ping_path(path) is expected


@pytest.mark.parametrize("rid", [CODE, CODE.upper()])
def test_parse_rid_reads_a_uuid_in_either_case(rid: str) -> None:
    assert parse_rid(rid) == uuid.UUID(CODE)


@pytest.mark.parametrize("rid", [None, ""])
def test_parse_rid_treats_a_missing_or_empty_rid_as_none(rid: str | None) -> None:
    assert parse_rid(rid) is None


@pytest.mark.parametrize(
    "rid",
    [
        "abc",
        CODE[:-1],
        CODE + "0",
        CODE.replace("-", ""),
        "{" + CODE + "}",
        "urn:uuid:" + CODE,
        " " + CODE,
        CODE + "\n",
        CODE.replace("a", "g", 1),
    ],
)
def test_parse_rid_rejects_anything_but_a_canonical_uuid(rid: str) -> None:
    with pytest.raises(PingUrlError) as caught:
        parse_rid(rid)
    assert str(caught.value) == "invalid uuid format"


# --- properties ------------------------------------------------------------------------

SEGMENTS = [
    *(CODE, CODE.upper(), KEY, "backup", "Backup", "start", "fail", "log"),
    *("0", "7", "255", "256", "٣", "", "-", "_", "a.b", "9" * 30),
]
paths = st.one_of(
    st.text(),
    st.text(alphabet="/-_.0123456789abcdefzABCDEF٣", max_size=80),
    st.lists(st.sampled_from(SEGMENTS), max_size=5).map("/".join),
)


def read_or_refuse(path: str) -> PingUrl | str:
    try:
        return parse_ping_path(path)
    except PingUrlError as error:
        return str(error)


def check_outcome(path: str) -> None:
    url = read_or_refuse(path)
    if isinstance(url, str):
        assert url == "invalid url format"
        return
    assert isinstance(url, PingUrl)
    if url.exit_status is not None:
        assert 0 <= url.exit_status <= 255
        assert url.action == (Action.FAIL if url.exit_status else Action.SUCCESS)


@settings(max_examples=200, deadline=None)
@given(paths)
def test_any_healthchecks_path_is_read_or_refused_as_an_invalid_url(rest: str) -> None:
    check_outcome("/ping/" + rest)


@settings(max_examples=100, deadline=None)
@given(paths)
def test_any_better_stack_path_is_read_or_refused_as_an_invalid_url(rest: str) -> None:
    check_outcome("/api/v1/heartbeat/" + rest)


def test_a_path_is_parsed_once_and_shared_unchangeable() -> None:
    path = f"/ping/{CODE}/fail"
    parsed = parse_ping_path(path)
    assert parse_ping_path(path) is parsed
    with pytest.raises(AttributeError):
        parsed.action = Action.SUCCESS  # type: ignore[misc]
    with pytest.raises(AttributeError):
        parsed.target.hex = "0" * 32  # type: ignore[misc, union-attr]


def test_a_malformed_path_is_refused_every_time() -> None:
    assert bad_url("/ping/not-a-uuid") == bad_url("/ping/not-a-uuid") == "invalid url format"
