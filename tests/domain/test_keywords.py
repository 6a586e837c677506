"""Keyword rules: Healthchecks' order and semantics, the email variant, regular
expressions on RE2 (bounded in time), the words a verdict gives and the preview."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.checks import Action, CheckState, PingEvent, Status, apply_ping
from tocsin.domain.keywords import (
    MAX_KEYWORDS_LENGTH,
    KeywordRules,
    Verdict,
    classify_email,
    classify_http,
    describe_rules,
    judged,
    match_keywords,
    pattern_error,
    rules_error,
)
from tocsin.domain.schedule import Period

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ON = KeywordRules(
    start_kw="starting", success_kw="OK, done", failure_kw="ERROR,FAIL", filter_http_body=True
)


def healthchecks_action(rules: KeywordRules, action: Action, body: str) -> Action:
    """Healthchecks' ping view, transcribed: the oracle the rules must agree with."""

    def matches(keywords: str) -> bool:
        return any(s.strip() and s.strip() in body for s in keywords.split(","))

    if action == Action.IGNORED or not rules.filter_http_body:
        return action
    if rules.failure_kw and matches(rules.failure_kw):
        return Action.FAIL
    if rules.success_kw and matches(rules.success_kw):
        return Action.SUCCESS
    if rules.start_kw and matches(rules.start_kw):
        return Action.START
    return Action.FAIL if rules.filter_default_fail else Action.IGNORED


def action_of(rules: KeywordRules, action: Action, body: bytes) -> Action:
    verdict = classify_http(rules, action, body)
    return action if verdict is None else verdict.action


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"backup OK", Action.SUCCESS),
        (b"backup done", Action.SUCCESS),
        (b"ERROR: disk full", Action.FAIL),
        (b"OK until a FAIL", Action.FAIL),  # failure keywords are tried first
        (b"starting the backup", Action.START),
        (b"starting, then done", Action.SUCCESS),  # success before start
        (b"error in lower case", Action.IGNORED),  # case-sensitive
        (b"", Action.IGNORED),
    ],
)
def test_failure_then_success_then_start_else_ignored(body: bytes, expected: Action) -> None:
    assert action_of(ON, Action.SUCCESS, body) == expected


def test_a_body_matching_nothing_fails_when_default_fail_is_on() -> None:
    rules = KeywordRules(success_kw="OK", filter_http_body=True, filter_default_fail=True)
    assert action_of(rules, Action.SUCCESS, b"who knows") == Action.FAIL


@pytest.mark.parametrize("action", [Action.SUCCESS, Action.FAIL, Action.START, Action.LOG])
def test_the_body_overrides_every_url_action(action: Action) -> None:
    assert action_of(ON, action, b"all OK") == Action.SUCCESS
    assert action_of(ON, action, b"ERROR") == Action.FAIL
    assert action_of(ON, action, b"nothing") == Action.IGNORED


def test_an_ignored_ping_stays_ignored() -> None:
    assert classify_http(ON, Action.IGNORED, b"ERROR") is None


def test_without_the_http_body_filter_the_url_decides() -> None:
    email_only = KeywordRules(failure_kw="ERROR", filter_subject=True, filter_body=True)
    assert classify_http(email_only, Action.SUCCESS, b"ERROR") is None
    assert classify_http(None, Action.SUCCESS, b"ERROR") is None


def test_empty_keywords_match_nothing() -> None:
    assert match_keywords("anything", "") is None
    assert match_keywords("anything", " , ,") is None
    assert match_keywords("a b", "x, b ,") == "b"


def test_a_body_that_is_not_utf8_is_still_read() -> None:
    assert action_of(ON, Action.SUCCESS, b"\xff\xfe ERROR \xc3") == Action.FAIL


def test_the_verdict_names_the_keyword_that_decided() -> None:
    verdict = classify_http(ON, Action.SUCCESS, b"x FAIL y ERROR")
    assert verdict == Verdict(Action.FAIL, "failure", "ERROR", "body")
    assert verdict.words == "body matched failure keyword 'ERROR'"
    unmatched = classify_http(ON, Action.SUCCESS, b"quiet")
    assert unmatched is not None
    assert unmatched.words == "body matched no keyword, so ignored"


def test_a_long_keyword_is_quoted_short_enough_for_a_flip_reason() -> None:
    long = "E" * MAX_KEYWORDS_LENGTH
    verdict = classify_http(
        KeywordRules(failure_kw=long, filter_http_body=True), Action.LOG, long.encode()
    )
    assert verdict is not None
    assert len("failed: " + verdict.words) < 200


def test_a_failure_by_keyword_says_which_in_its_flip() -> None:
    state = CheckState(Period(timedelta(hours=1)), timedelta(minutes=5), Status.UP, last_ping=T0)
    event = judged(PingEvent(Action.SUCCESS, T0), ON, b"disk ERROR")
    outcome = apply_ping(state, event)
    assert outcome.action == Action.FAIL
    assert outcome.flip is not None
    assert outcome.flip.reason == "failed: body matched failure keyword 'ERROR'"


def test_a_ping_the_rules_leave_alone_is_the_same_ping() -> None:
    event = PingEvent(Action.SUCCESS, T0)
    assert judged(event, None, b"ERROR") is event


# Email pings


def test_email_rules_read_the_subject_the_body_or_both() -> None:
    subject_only = KeywordRules(success_kw="[ok]", failure_kw="[bad]", filter_subject=True)
    assert classify_email(subject_only, "[ok] backup", "[bad] inside") == Verdict(
        Action.SUCCESS, "success", "[ok]", "subject"
    )
    both = KeywordRules(failure_kw="[bad]", filter_subject=True, filter_body=True)
    verdict = classify_email(both, "backup", "[bad] inside")
    assert verdict is not None
    assert (verdict.action, verdict.where) == (Action.FAIL, "email")


def test_an_email_without_subject_or_body_filters_is_a_plain_success() -> None:
    assert classify_email(KeywordRules(failure_kw="x", filter_http_body=True), "x", "x") is None


# Regular expressions


def test_a_pattern_matches_anywhere_and_is_named_as_a_pattern() -> None:
    rules = KeywordRules(failure_kw=r"exit (code )?[1-9]\d*", filter_http_body=True, regex=True)
    verdict = classify_http(rules, Action.SUCCESS, b"job ended: exit code 3")
    assert verdict is not None
    assert verdict.action == Action.FAIL
    assert verdict.words == r"body matched failure pattern 'exit (code )?[1-9]\d*'"
    assert action_of(rules, Action.SUCCESS, b"exit 0") == Action.IGNORED


def test_a_pathological_pattern_on_a_100_kb_body_finishes() -> None:
    # Python's backtracking `re` would take longer than the age of the universe here
    # (2^100000 ways to split the run of a's); RE2 reads the body once. No clock is
    # read: the test finishing is the proof, and the suite's own run bounds it.
    rules = KeywordRules(
        failure_kw="(a+)+$", success_kw="(x|x)*y", filter_http_body=True, regex=True
    )
    body = b"a" * 100_000 + b"!" + b"x" * 1000
    verdict = classify_http(rules, Action.SUCCESS, body)
    assert verdict == Verdict(Action.IGNORED, "none", "", "body", regex=True)


@pytest.mark.parametrize("pattern", [r"(a)\1", r"(?<=x)y", "(unclosed", "[z-a]"])
def test_patterns_re2_cannot_run_are_refused_in_words(pattern: str) -> None:
    problem = pattern_error(pattern)
    assert problem is not None
    assert problem.startswith("not a regular expression RE2 accepts")
    rules = KeywordRules(success_kw=pattern, regex=True)
    assert rules_error(rules) == f"success_kw is {problem}"
    assert rules_error(KeywordRules(success_kw=pattern)) is None  # a keyword, not a pattern


def test_keywords_longer_than_healthchecks_allows_are_refused() -> None:
    assert rules_error(KeywordRules(start_kw="x" * 201)) == (
        "start_kw is too long (at most 200 characters)"
    )


# The preview


def test_the_preview_says_the_rules_in_plain_words() -> None:
    rules = KeywordRules(success_kw="OK", failure_kw="ERROR, FAIL", filter_http_body=True)
    assert describe_rules(rules) == (
        "A body containing ERROR or FAIL is a failure; one containing OK is a success; "
        "any other body is ignored."
    )
    failing = KeywordRules(start_kw="go", filter_http_body=True, filter_default_fail=True)
    assert describe_rules(failing) == (
        "A body containing go is the start of a run; any other body is a failure."
    )
    assert (
        describe_rules(KeywordRules(filter_subject=True)) == "Any other email subject is ignored."
    )
    assert describe_rules(None).startswith("Keyword rules are off")


# Invariants

keyword = st.text(alphabet="abcXYZ ,", min_size=0, max_size=8)
bodies = st.text(alphabet="abcXYZ ,\n", max_size=40)
rules_strategy = st.builds(
    KeywordRules,
    start_kw=keyword,
    success_kw=keyword,
    failure_kw=keyword,
    filter_http_body=st.booleans(),
    filter_default_fail=st.booleans(),
)
actions = st.sampled_from(list(Action))


@settings(max_examples=400, deadline=None)
@given(rules_strategy, actions, bodies)
def test_it_acts_exactly_as_healthchecks_does(
    rules: KeywordRules, action: Action, body: str
) -> None:
    assert action_of(rules, action, body.encode()) == healthchecks_action(rules, action, body)


@settings(max_examples=300, deadline=None)
@given(rules_strategy, actions, bodies)
def test_a_matched_keyword_is_in_the_body_and_in_its_list(
    rules: KeywordRules, action: Action, body: str
) -> None:
    verdict = classify_http(rules, action, body.encode())
    if verdict is None or verdict.rule == "none":
        return
    listed = {"failure": rules.failure_kw, "success": rules.success_kw, "start": rules.start_kw}
    assert verdict.matched in body
    assert verdict.matched in [k.strip() for k in listed[verdict.rule].split(",")]


@settings(max_examples=300, deadline=None)
@given(rules_strategy, st.sampled_from([a for a in Action if a != Action.IGNORED]), bodies)
def test_with_the_filter_on_the_url_action_never_matters(
    rules: KeywordRules, action: Action, body: str
) -> None:
    on = replace(rules, filter_http_body=True)
    assert classify_http(on, action, body.encode()) == classify_http(on, Action.LOG, body.encode())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="abc.*+?()[]", min_size=1, max_size=6), bodies)
def test_an_escaped_keyword_as_a_pattern_matches_as_the_keyword_does(word: str, body: str) -> None:
    as_keyword = KeywordRules(failure_kw=word.replace(",", ""), filter_http_body=True)
    as_pattern = KeywordRules(
        failure_kw=re.escape(word.replace(",", "")), filter_http_body=True, regex=True
    )
    expected = action_of(as_keyword, Action.SUCCESS, body.encode())
    assert action_of(as_pattern, Action.SUCCESS, body.encode()) == expected


@settings(max_examples=300, deadline=None)
@given(rules_strategy, actions, bodies, st.sampled_from([Status.NEW, Status.UP, Status.DOWN]))
def test_on_the_ping_path_only_a_verdict_changes_what_a_ping_does(
    rules: KeywordRules, action: Action, body: str, current: Status
) -> None:
    state = CheckState(Period(timedelta(hours=1)), timedelta(minutes=5), current, last_ping=T0)
    event = PingEvent(action, T0 + timedelta(minutes=1))
    judged_event = judged(event, rules, body.encode())
    verdict = classify_http(rules, action, body.encode())
    if verdict is None:
        assert apply_ping(state, judged_event) == apply_ping(state, event)
        return
    outcome = apply_ping(state, judged_event)
    assert outcome.action == verdict.action
    if outcome.flip is not None and outcome.action == Action.FAIL:
        assert outcome.flip.reason == f"failed: {verdict.words}"
