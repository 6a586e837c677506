"""Keyword rules in monitors files: read under Tocsin's names, problems at their line,
written only when set, and read back the same."""

from datetime import timedelta
from textwrap import dedent

import pytest

from tocsin.domain.keywords import NO_RULES, KeywordRules
from tocsin.domain.monitors import CheckSpec, Monitors
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Period
from tocsin.monitors.reading import MonitorsError, read_monitors
from tocsin.monitors.writing import write_monitors

FILE = "monitors.yaml"
RULES = KeywordRules(
    start_kw="starting",
    success_kw="backup OK",
    failure_kw="ERROR, FAIL",
    filter_http_body=True,
    filter_default_fail=True,
)


def read(text: str) -> Monitors:
    return read_monitors(dedent(text), FILE, {})


def test_keyword_rules_are_read_under_tocsins_names() -> None:
    monitors = read(
        """\
        checks:
          backup:
            period: 1d
            keywords:
              failure: ERROR, FAIL
              success: backup OK
              start: starting
              http_body: true
              default_fail: true
        """
    )
    assert monitors.checks["backup"].settings.keywords == RULES


def test_a_check_without_keywords_has_no_rules() -> None:
    assert read("checks:\n  backup:\n    period: 1d\n").checks["backup"].settings.keywords == (
        NO_RULES
    )


@pytest.mark.parametrize(
    ("keywords", "expected"),
    [
        ("      fail: ERROR", "monitors.yaml:4: checks.backup.keywords.fail: unknown key"),
        ("      http_body: yes please", "checks.backup.keywords.http_body: expected true or false"),
        ("      failure: " + "E" * 201, "checks.backup.keywords.failure: longer than 200"),
        (
            "      regex: true\n      success: (?=x)",
            "monitors.yaml:5: checks.backup.keywords.success: not a regular expression RE2",
        ),
    ],
)
def test_a_bad_rule_is_reported_at_its_line(keywords: str, expected: str) -> None:
    text = "checks:\n  backup:\n    keywords:\n" + keywords + "\n    period: 1d\n"
    with pytest.raises(MonitorsError) as caught:
        read(text)
    assert any(
        problem.startswith(expected) or expected in problem for problem in caught.value.problems
    ), caught.value.problems


def test_rules_are_written_when_set_and_read_back_the_same() -> None:
    settings = NewCheck(
        Period(timedelta(days=1)), timedelta(hours=1), name="backup", slug="backup", keywords=RULES
    )
    plain = NewCheck(Period(timedelta(days=1)), timedelta(hours=1), name="plain", slug="plain")
    monitors = Monitors(checks={"backup": CheckSpec(settings), "plain": CheckSpec(plain)})
    written = write_monitors(monitors)
    assert "keywords:" in written
    assert written.count("keywords:") == 1
    assert "regex" not in written  # only what is set
    read_back = read_monitors(written, "exported.yaml", {})
    assert {key: c.settings for key, c in read_back.checks.items()} == {
        "backup": settings,
        "plain": plain,
    }
