"""The check form as a browser sends it back: a check with every rule set (rules on
runs, keyword rules, an OnCalendar schedule, its own daily window, parents), its edit
form read as shown and sent with only the name changed, keeps every rule."""

from dataclasses import replace
from datetime import time, timedelta
from html.parser import HTMLParser

import sqlalchemy as sa

from tests.web.conftest import Web
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.records import NewCheck
from tocsin.domain.run_rules import RunRules
from tocsin.domain.schedule import Maintenance, oncalendar_schedule
from tocsin.services.dependencies import parent_uuids
from tocsin.store import checks as check_store
from tocsin.store import dependencies as dependency_store


class FormReader(HTMLParser):
    """What a browser would send of the page's form whose action ends in `/edit`: text
    fields, ticked boxes and radios, selected options, textareas."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.inside = found.get("action", "").endswith("/edit")
        elif not self.inside:
            return
        elif tag == "input" and "name" in found:
            self.read_input(found)
        elif tag == "select":
            self.select, self.first_option, self.chosen = found["name"], None, False
        elif tag == "option" and self.select is not None:
            value = found.get("value", "")
            self.first_option = value if self.first_option is None else self.first_option
            if "selected" in found:
                self.fields.append((self.select, value))
                self.chosen = True
        elif tag == "textarea":
            self.textarea = found["name"]
            self.fields.append((self.textarea, ""))

    def read_input(self, found: dict[str, str]) -> None:
        kind = found.get("type", "text")
        if kind in ("checkbox", "radio") and "checked" not in found:
            return
        if kind not in ("submit", "button"):
            self.fields.append((found["name"], found.get("value", "on")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select is not None:
            if not self.chosen and self.first_option is not None:
                self.fields.append((self.select, self.first_option))
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def handle_data(self, data: str) -> None:
        if self.textarea is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)


def form_fields(page: str) -> list[tuple[str, str]]:
    reader = FormReader()
    reader.feed(page)
    return reader.fields


EVERY_RULE = NewCheck(
    schedule=oncalendar_schedule("Mon..Fri *-*-* 02:00\nSat *-*-* 04:00", "Europe/Paris"),
    grace=timedelta(minutes=30),
    name="backup",
    slug="backup",
    tags="nas nightly",
    description="Runs on db-1.",
    manual_resume=True,
    methods="POST",
    tz="Europe/Paris",
    maintenance=Maintenance(frozenset({6}), time(1), time(3, 30), "Europe/Paris"),
    rules=RunRules(
        min_duration=timedelta(minutes=5),
        max_duration=timedelta(hours=2),
        min_interval=timedelta(hours=20),
        interval_from_starts=True,
        failure_threshold=3,
        recovery_threshold=2,
    ),
    keywords=KeywordRules(
        start_kw="starting",
        success_kw="backup OK",
        failure_kw="ERROR, FAIL",
        filter_http_body=True,
        filter_default_fail=True,
    ),
)


async def settings_of(web: Web, check_id: int) -> tuple[NewCheck, list[str]]:
    def read(connection: sa.Connection) -> tuple[NewCheck, list[str]]:
        found = check_store.project_check(connection, web.project_id, check_id)
        assert found is not None
        return found.spec, sorted(str(uuid) for uuid in parent_uuids(connection, check_id))

    return await web.database.read_with(read)


async def test_editing_only_the_name_keeps_every_rule(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    nas = await web.check(name="nas")
    database = await web.check(name="database")
    async with web.database.write() as connection:
        check = await connection.run_sync(
            check_store.insert_check, web.project_id, EVERY_RULE, web.clock.now()
        )
        await connection.run_sync(dependency_store.set_parents, check.id, [nas.id, database.id])
    before, parents = await settings_of(web, check.id)
    assert before == EVERY_RULE
    assert len(parents) == 2

    path = f"/projects/{web.project_id}/checks/{check.uuid}/edit"
    fields = form_fields((await person.client.get(path)).text)
    sent: dict[str, list[str]] = {}
    for name, value in fields:
        sent.setdefault(name, []).append("nightly backup" if name == "name" else value)
    saved = await person.client.post(path, data=sent)
    assert saved.status_code == 303, saved.text

    after, after_parents = await settings_of(web, check.id)
    assert after == replace(EVERY_RULE, name="nightly backup")
    assert after_parents == parents
