"""The checks table's history strip: each row's last ten pings, oldest to newest, each
told by colour and in words, all fetched in one query whatever the number of checks."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from tests.web.conftest import Web

MARK = re.compile(r'<i class="ping (\w+)" title="([^"]+)"></i>')


def strip_of(page: str, check_uuid: object) -> list[tuple[str, str]]:
    row = page.split(f'data-uuid="{check_uuid}"', 1)[1].split("</tr>", 1)[0]
    marks: list[tuple[str, str]] = MARK.findall(row)
    return marks


@contextmanager
def statements(web: Web) -> Iterator[list[str]]:
    """The SQL the database runs meanwhile."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    engine = web.database.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


async def test_each_row_shows_its_last_ten_pings_by_kind_in_colour_and_words(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    busy = await web.check(name="busy")
    quiet = await web.check(name="quiet")
    silent = await web.check(name="silent")
    client = web.client()
    for path in ["/start", "", "/log", "/fail", "/1"] * 2 + ["", "/start", ""]:
        assert (await client.post(f"/ping/{busy.uuid}{path}")).status_code == 200
    await client.post(f"/ping/{quiet.uuid}/fail")
    page = (await person.client.get(f"/projects/{web.project_id}/checks")).text
    busy_strip = strip_of(page, busy.uuid)
    kinds = "fail fail start success log fail fail success start success"
    assert [kind for kind, _ in busy_strip] == kinds.split()  # #4 to #13
    assert busy_strip[0][1] == "#4 failure, 2026-03-01 12:00 UTC"
    assert busy_strip[1][1].startswith("#5 failure (exit status 1), ")
    assert busy_strip[4][1].startswith("#8 log, ")
    spoken = "failure, failure, start, success, log, failure, failure, success, start, success"
    assert f'<span class="visually-hidden">Recent pings, oldest first: {spoken}</span>' in page
    assert [kind for kind, _ in strip_of(page, quiet.uuid)] == ["fail"]
    assert strip_of(page, silent.uuid) == []


async def test_the_strips_of_every_row_come_from_one_query(web: Web) -> None:
    person = await web.signed_in("ops@example.com")
    client = web.client()
    for i in range(6):
        record = await web.check(name=f"job {i}")
        await client.post(f"/ping/{record.uuid}")
    with statements(web) as seen:
        page = await person.client.get(f"/projects/{web.project_id}/checks")
    assert page.text.count('class="ping success"') == 6
    assert len([s for s in seen if "FROM pings" in s]) == 1
