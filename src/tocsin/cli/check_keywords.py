"""`tocsin check keywords <check>`: a check's keyword rules shown, or changed and shown.

Only the options given change; with none, the rules are printed in plain words.
"""

import json
from dataclasses import replace
from typing import TYPE_CHECKING

import sqlalchemy as sa
import typer

from tocsin.cli.check_lookup import check_gone, find_check
from tocsin.cli.common import act, console, fail_on_errors, load_settings, reading
from tocsin.domain.keywords import KeywordRules, as_plain_names, describe_rules, with_plain_names
from tocsin.domain.records import CheckDetails, NewCheck
from tocsin.store import checks as check_store

if TYPE_CHECKING:
    from tocsin.services.context import Context

KEYWORDS_HELP = "Comma-separated, case-sensitive keywords (one pattern with --regex)"


def keywords_command(
    check: str = typer.Argument(..., help="The check's uuid, slug or name."),
    failure: str | None = typer.Option(None, metavar="KEYWORDS", help=f"{KEYWORDS_HELP}: failure."),
    success: str | None = typer.Option(None, metavar="KEYWORDS", help=f"{KEYWORDS_HELP}: success."),
    start: str | None = typer.Option(None, metavar="KEYWORDS", help=f"{KEYWORDS_HELP}: a start."),
    regex: bool | None = typer.Option(
        None, "--regex/--plain", help="Each of the three is one RE2 regular expression."
    ),
    http_body: bool | None = typer.Option(
        None, "--http-body/--no-http-body", help="Read HTTP ping bodies (over the URL's action)."
    ),
    email_subject: bool | None = typer.Option(
        None, "--email-subject/--no-email-subject", help="Read email pings' subjects."
    ),
    email_body: bool | None = typer.Option(
        None, "--email-body/--no-email-body", help="Read email pings' bodies."
    ),
    default_fail: bool | None = typer.Option(
        None, "--default-fail/--default-ignore", help="A body matching nothing fails."
    ),
    off: bool = typer.Option(False, "--off", help="Turn every rule off (the keywords stay)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Show a check's keyword rules, or change them: failure keywords first, then
    success, then start; a body matching none is ignored (or a failure)."""
    changes: dict[str, str | bool | None] = {
        "failure": failure,
        "success": success,
        "start": start,
        "regex": regex,
        "http_body": http_body,
        "email_subject": email_subject,
        "email_body": email_body,
        "default_fail": default_fail,
    }
    with fail_on_errors():
        settings = load_settings()
        if off or any(value is not None for value in changes.values()):
            details = act(settings, lambda services: change_rules(services, check, changes, off))
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
    services: "Context", check: str, changes: dict[str, str | bool | None], off: bool
) -> CheckDetails:
    from tocsin.services import checks as check_service

    details = await services.database.read_with(check_details, check)

    def changed(current: NewCheck) -> NewCheck:
        rules = with_plain_names(current.keywords, changes)
        if off:
            rules = replace(rules, filter_http_body=False, filter_subject=False, filter_body=False)
        return replace(current, keywords=rules)

    with check_gone(details.record):
        return await check_service.update_check(
            services, details.record.project_id, details.record.id, changed
        )
