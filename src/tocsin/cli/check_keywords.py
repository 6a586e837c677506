"""`tocsin check keywords <check>`: a check's keyword rules shown, or changed and shown.

Only the options given change; with none, the rules are printed in plain words.
"""

import json
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import sqlalchemy as sa
import typer

from tocsin.cli.check_lookup import check_gone, find_check
from tocsin.cli.common import act, console, fail_on_errors, load_settings, reading
from tocsin.cli.option_groups import option, option_group, with_option_groups
from tocsin.domain.keywords import (
    PLAIN_NAMES,
    KeywordRules,
    as_plain_names,
    describe_rules,
    with_plain_names,
)
from tocsin.domain.records import CheckDetails, NewCheck
from tocsin.store import checks as check_store

if TYPE_CHECKING:
    from tocsin.services.context import Context

KEYWORDS_HELP = "Comma-separated, case-sensitive keywords (one pattern with --regex)"


@option_group
@dataclass(frozen=True, slots=True)
class KeywordOptions:
    """The keyword rules' options, under Tocsin's names for the rules (`PLAIN_NAMES`)."""

    failure: str | None = option(
        typer.Option(None, metavar="KEYWORDS", help=f"{KEYWORDS_HELP}: failure.")
    )
    success: str | None = option(
        typer.Option(None, metavar="KEYWORDS", help=f"{KEYWORDS_HELP}: success.")
    )
    start: str | None = option(
        typer.Option(None, metavar="KEYWORDS", help=f"{KEYWORDS_HELP}: a start.")
    )
    regex: bool | None = option(
        typer.Option(
            None, "--regex/--plain", help="Each of the three is one RE2 regular expression."
        )
    )
    http_body: bool | None = option(
        typer.Option(
            None,
            "--http-body/--no-http-body",
            help="Keyword rules read HTTP ping bodies (over the URL's action).",
        )
    )
    email_subject: bool | None = option(
        typer.Option(
            None, "--email-subject/--no-email-subject", help="Keyword rules read email subjects."
        )
    )
    email_body: bool | None = option(
        typer.Option(
            None, "--email-body/--no-email-body", help="Keyword rules read email pings' bodies."
        )
    )
    default_fail: bool | None = option(
        typer.Option(
            None,
            "--default-fail/--default-ignore",
            help="A body matching no keyword is a failure (else ignored).",
        )
    )

    @property
    def given(self) -> bool:
        return any(getattr(self, name) is not None for name in PLAIN_NAMES)


def read_keywords(given: KeywordOptions, current: KeywordRules) -> KeywordRules:
    """The rules with the options given; the rest stay."""
    changes = {name: getattr(given, name) for name in PLAIN_NAMES}
    return with_plain_names(current, changes)


@with_option_groups
def keywords_command(
    check: str = typer.Argument(..., help="The check's uuid, slug or name."),
    *,
    keywords: KeywordOptions,
    off: bool = typer.Option(False, "--off", help="Turn every rule off (the keywords stay)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Show a check's keyword rules, or change them: failure keywords first, then
    success, then start; a body matching none is ignored (or a failure)."""
    with fail_on_errors():
        settings = load_settings()
        if off or keywords.given:
            details = act(settings, lambda services: change_rules(services, check, keywords, off))
        else:
            details = reading(settings, lambda connection: check_details(connection, check))
    rules = details.spec.keywords
    if as_json:
        console.print_json(json.dumps(as_plain_names(rules)))
        return
    print_rules(details.record.label, rules)


def print_rules(label: str, rules: KeywordRules) -> None:
    console.print(f"{label}: {describe_rules(rules)}", highlight=False, markup=False)
    for name, value in as_plain_names(rules).items():
        if isinstance(value, str) and value:
            console.print(f"  {name + ':':<10} {value}", highlight=False, markup=False)


def check_details(connection: sa.Connection, identifier: str) -> CheckDetails:
    record = find_check(connection, identifier)
    found = check_store.details_by_uuid(connection, record.uuid)
    assert found is not None  # read in the same transaction
    return found


async def change_rules(
    services: "Context", check: str, keywords: KeywordOptions, off: bool
) -> CheckDetails:
    from tocsin.services import checks as check_service

    details = await services.database.read_with(check_details, check)

    def changed(current: NewCheck) -> NewCheck:
        rules = read_keywords(keywords, current.keywords)
        if off:
            rules = replace(rules, filter_http_body=False, filter_subject=False, filter_body=False)
        return replace(current, keywords=rules)

    with check_gone(details.record):
        return await check_service.update_check(
            services, details.record.project_id, details.record.id, changed
        )
