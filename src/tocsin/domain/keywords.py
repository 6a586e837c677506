"""Keyword rules: what a ping's body (or an email ping's subject and body) says decides
whether it is a success, a failure or a start, as Healthchecks' `filter_*` settings do.

Healthchecks' order and semantics, kept exactly: failure keywords are tried first,
then success, then start; a body matching none is ignored, or a failure when
`filter_default_fail` is on. Keywords are comma-separated, stripped, case-sensitive
substrings; an empty one matches nothing. On HTTP pings the rules apply only when
`filter_http_body` is on, and then they override the URL's action, even `/fail`,
`/log` or a failing exit status; only a ping already ignored stays ignored.

Tocsin adds one option: each field as one regular expression instead of keywords.
Patterns run on RE2 (`google-re2`), whose matching takes time linear in the body, so
a pattern like `(a+)+$` cannot hang the ping path on a 100 KB body, as it would with
Python's backtracking `re`. RE2 refuses what needs backtracking (backreferences,
lookaround), and `pattern_error` says so when the rules are set, never on a ping.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from tocsin.domain.checks import Action, PingEvent

MAX_KEYWORDS_LENGTH = 200
QUOTED_LIMIT = 60  # how much of a keyword a flip's reason quotes (reasons hold 200)


@dataclass(frozen=True, slots=True)
class KeywordRules:
    """A check's keyword rules, under Healthchecks' names; `regex` makes each of the
    three fields one regular expression rather than a comma-separated list."""

    start_kw: str = ""
    success_kw: str = ""
    failure_kw: str = ""
    filter_subject: bool = False
    filter_body: bool = False
    filter_http_body: bool = False
    filter_default_fail: bool = False
    regex: bool = False

    @property
    def is_on(self) -> bool:
        """Whether the rules can change any ping: one of the filters is on."""
        return self.filter_http_body or self.filter_subject or self.filter_body

    @property
    def in_words(self) -> str:
        return describe_rules(self)


NO_RULES = KeywordRules()

# Tocsin's own names for the rules (its API, command line and monitors files), each
# with its Healthchecks name, which `KeywordRules` keeps.
PLAIN_NAMES = {
    "start": "start_kw",
    "success": "success_kw",
    "failure": "failure_kw",
    "regex": "regex",
    "http_body": "filter_http_body",
    "email_subject": "filter_subject",
    "email_body": "filter_body",
    "default_fail": "filter_default_fail",
}


def with_plain_names(rules: KeywordRules, changes: dict[str, str | bool | None]) -> KeywordRules:
    """The rules with the changes given under Tocsin's names; None changes nothing."""
    sent: dict[str, Any] = {
        PLAIN_NAMES[name]: value for name, value in changes.items() if value is not None
    }
    return replace(rules, **sent) if sent else rules


def as_plain_names(rules: KeywordRules) -> dict[str, str | bool]:
    values: dict[str, str | bool] = {
        plain: getattr(rules, name) for plain, name in PLAIN_NAMES.items()
    }
    return values


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules made of a ping: its action, and which rule decided it
    (`failure`, `success` or `start` with the keyword or pattern that matched; `none`
    when nothing matched)."""

    action: Action
    rule: str
    matched: str = ""
    where: str = "body"
    regex: bool = False

    @property
    def words(self) -> str:
        """`body matched failure keyword 'ERROR'`, for the ping's flip and its alert."""
        if self.rule == "none":
            kind = "pattern" if self.regex else "keyword"
            ending = "a failure" if self.action == Action.FAIL else "ignored"
            return f"{self.where} matched no {kind}, so {ending}"
        kind = "pattern" if self.regex else "keyword"
        return f"{self.where} matched {self.rule} {kind} {quoted(self.matched)}"


def quoted(text: str) -> str:
    if len(text) > QUOTED_LIMIT:
        text = text[: QUOTED_LIMIT - 1] + "…"
    return f"'{text}'"


def classify_http(rules: KeywordRules | None, action: Action, body: bytes) -> Verdict | None:
    """The verdict on an HTTP ping's body, or None when the rules leave the URL's
    action alone (no `filter_http_body`, or a ping already ignored)."""
    if rules is None or not rules.filter_http_body or action == Action.IGNORED:
        return None
    # Healthchecks decodes strictly and fails on bytes that are not UTF-8 (a 500);
    # here such bytes become U+FFFD and the rest of the body is still read.
    return classify_text(rules, body.decode("utf-8", errors="replace"), "body")


def judged(event: PingEvent, rules: KeywordRules | None, body: bytes) -> PingEvent:
    """The ping as its body's keywords classify it, with why; the same ping when they
    do not apply."""
    verdict = classify_http(rules, event.action, body)
    if verdict is None:
        return event
    return PingEvent(
        verdict.action, event.at, event.method, event.rid, event.exit_status, verdict.words
    )


def classify_email(rules: KeywordRules | None, subject: str, body_text: str) -> Verdict | None:
    """The verdict on an email ping: its subject, its text, or both, as the rules ask;
    None (a plain success) when they ask for neither."""
    if rules is None or not (rules.filter_subject or rules.filter_body):
        return None
    parts = [subject] if rules.filter_subject else []
    parts += [body_text] if rules.filter_body else []
    where = "subject" if not rules.filter_body else "body" if not rules.filter_subject else "email"
    return classify_text(rules, "\n".join(parts), where)


def classify_text(rules: KeywordRules, text: str, where: str) -> Verdict:
    """Failure first, then success, then start; else ignored, or failed by default."""
    matcher = match_pattern if rules.regex else match_keywords
    for rule, keywords, action in (
        ("failure", rules.failure_kw, Action.FAIL),
        ("success", rules.success_kw, Action.SUCCESS),
        ("start", rules.start_kw, Action.START),
    ):
        matched = matcher(text, keywords)
        if matched is not None:
            return Verdict(action, rule, matched, where, rules.regex)
    fallback = Action.FAIL if rules.filter_default_fail else Action.IGNORED
    return Verdict(fallback, "none", "", where, rules.regex)


def match_keywords(text: str, keywords: str) -> str | None:
    """The first of the comma-separated keywords found in the text, as Healthchecks'
    `match_keywords` finds it; an empty keyword (`"a,,b"`, `" "`) matches nothing."""
    for keyword in keywords.split(","):
        keyword = keyword.strip()
        if keyword and keyword in text:
            return keyword
    return None


def match_pattern(text: str, pattern: str) -> str | None:
    """The pattern itself when it matches somewhere in the text; an empty pattern
    matches nothing, like an empty keyword list."""
    if not pattern:
        return None
    return pattern if compiled(pattern)(text) is not None else None


@lru_cache(maxsize=1024)
def compiled(pattern: str) -> Callable[[str], Any]:
    """The pattern's search function. RE2 is imported here, at the first pattern: the
    commands that only read records never load it."""
    search: Callable[[str], Any] = compile_re2(pattern).search
    return search


def compile_re2(pattern: str) -> Any:
    import re2

    options = re2.Options()
    options.log_errors = False  # a refused pattern is reported in words, not on stderr
    return re2.compile(pattern, options)


def pattern_error(pattern: str) -> str | None:
    """Why RE2 refuses the pattern, in words; None when it takes it."""
    if not pattern:
        return None
    import re2

    try:
        compile_re2(pattern)
    except re2.error as error:
        reason = error.args[0] if error.args else ""
        if isinstance(reason, bytes):
            reason = reason.decode("utf-8", errors="replace")
        return f"not a regular expression RE2 accepts: {reason}"
    return None


def rules_problem(rules: KeywordRules) -> tuple[str, str] | None:
    """The first field that is wrong, under Healthchecks' name, and what is wrong
    with it; None when nothing is."""
    for name in ("start_kw", "success_kw", "failure_kw"):
        value: str = getattr(rules, name)
        if len(value) > MAX_KEYWORDS_LENGTH:
            return name, f"too long (at most {MAX_KEYWORDS_LENGTH} characters)"
        problem = pattern_error(value) if rules.regex else None
        if problem is not None:
            return name, problem
    return None


def rules_error(rules: KeywordRules) -> str | None:
    """What is wrong with the rules in a sentence naming the field as Healthchecks
    does (`failure_kw is too long …`); None when nothing is."""
    found = rules_problem(rules)
    return None if found is None else f"{found[0]} is {found[1]}"


def plain_name(name: str) -> str:
    """A field's name in Tocsin's words, from its Healthchecks name."""
    return next(plain for plain, kept in PLAIN_NAMES.items() if kept == name)


def describe_rules(rules: KeywordRules | None) -> str:
    """The rules in plain words: `A body containing ERROR or FAIL is a failure; one
    containing OK is a success; any other body is ignored.`"""
    if rules is None or not rules.is_on:
        return "Keyword rules are off: each ping counts as its URL says."
    where = described_where(rules)
    sentences = []
    first = True
    for keywords, outcome in (
        (rules.failure_kw, "a failure"),
        (rules.success_kw, "a success"),
        (rules.start_kw, "the start of a run"),
    ):
        listed = listed_keywords(keywords, rules.regex)
        if listed:
            subject = f"A {where}" if first else "one"
            sentences.append(f"{subject} {listed} is {outcome}")
            first = False
    fallback = "a failure" if rules.filter_default_fail else "ignored"
    other = f"any other {where} is {fallback}"
    sentences.append(other[0].upper() + other[1:] if first else other)
    return "; ".join(sentences) + "."


def described_where(rules: KeywordRules) -> str:
    places = []
    if rules.filter_http_body:
        places.append("ping body")
    if rules.filter_subject:
        places.append("email subject")
    if rules.filter_body:
        places.append("email body")
    return " or ".join(places) if len(places) > 1 else places[0].replace("ping ", "")


def listed_keywords(keywords: str, regex: bool) -> str:
    if regex:
        return f"matching /{keywords}/" if keywords else ""
    found = [keyword.strip() for keyword in keywords.split(",") if keyword.strip()]
    if not found:
        return ""
    return "containing " + " or ".join(found)
