"""The check form's keyword rules (`check_rules_keywords.html`): the fields filled in
from a check's rules, read back with an error beside each field that is wrong, and
the rules in plain words for the preview. Pure."""

from dataclasses import replace

from tocsin.domain.keywords import (
    NO_RULES,
    KeywordRules,
    describe_rules,
    plain_name,
    rules_problem,
)

# Text fields and checkboxes, named `kw_` and the rule's name in Tocsin's words.
TEXTS = ("kw_failure", "kw_success", "kw_start")
BOXES = ("kw_regex", "kw_http_body", "kw_email_subject", "kw_email_body", "kw_default_fail")
ON_BOXES = ("kw_http_body", "kw_email_subject", "kw_email_body")
FIELD_OF = {
    "failure": "failure_kw",
    "success": "success_kw",
    "start": "start_kw",
    "regex": "regex",
    "http_body": "filter_http_body",
    "email_subject": "filter_subject",
    "email_body": "filter_body",
    "default_fail": "filter_default_fail",
}


def keyword_values(rules: KeywordRules) -> dict[str, str]:
    """The form's values for a check's rules (a box ticked is "yes"); none for a check
    without rules, whose fields start empty anyway."""
    values: dict[str, str] = {}
    if rules == NO_RULES:
        return values
    for plain, name in FIELD_OF.items():
        value = getattr(rules, name)
        if isinstance(value, bool):
            values[f"kw_{plain}"] = "yes" if value else ""
        else:
            values[f"kw_{plain}"] = value
    return values


def rules_typed(values: dict[str, str]) -> KeywordRules:
    """The rules as typed, unchecked."""
    typed: dict[str, str | bool] = {}
    for plain, name in FIELD_OF.items():
        value = values.get(f"kw_{plain}", "")
        typed[name] = value == "yes" if f"kw_{plain}" in BOXES else value
    return replace(NO_RULES, **typed)  # type: ignore[arg-type]


def read_keywords(values: dict[str, str], errors: dict[str, str]) -> KeywordRules:
    """The rules typed; a mistake is noted beside its field in `errors`."""
    rules = rules_typed(values)
    found = rules_problem(rules)
    if found is not None:
        errors[f"kw_{plain_name(found[0])}"] = found[1]
    return rules


def keywords_on(values: dict[str, str]) -> bool:
    """Whether the form's rules read anything: the section then opens."""
    return any(values.get(box) == "yes" for box in ON_BOXES)


def preview(values: dict[str, str]) -> str:
    return describe_rules(rules_typed(values))
