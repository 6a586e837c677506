"""A calendar's iCalendar feed at its secret URL: shifts for calendar apps, 404 otherwise."""

from datetime import timedelta

import sqlalchemy as sa

from tests.web.conftest import Web
from tocsin.domain.oncall import Rotation
from tocsin.services.oncall import feed_url
from tocsin.store import oncall as oncall_store


async def test_the_feed_answers_text_calendar_with_the_shifts(web: Web) -> None:
    user_id = await web.user("day@example.com", "member")
    now = web.clock.now()

    def work(connection: sa.Connection) -> None:
        calendar_id = oncall_store.insert_calendar(connection, web.project_id, "Ops", "s3cret", now)
        rotation = Rotation((user_id,), now - timedelta(days=1), "Europe/Berlin", 1, "day")
        oncall_store.insert_rotation(connection, calendar_id, "Days", rotation, now)

    await web.database.write_with(work)
    response = await web.client().get(feed_url("", "s3cret"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.text.startswith("BEGIN:VCALENDAR\r\n")
    assert "SUMMARY:On call: day@example.com\r\n" in response.text


async def test_an_unknown_token_is_not_found(web: Web) -> None:
    response = await web.client().get(feed_url("", "nothing-here"))
    assert response.status_code == 404
    assert response.text == "not found"
