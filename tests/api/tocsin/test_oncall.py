"""On-call calendars in Tocsin's own API: who is on call now and next, shifts, refusals."""

from datetime import timedelta

import sqlalchemy as sa

from tests.api.conftest import Api
from tocsin.api.tocsin.http import PREFIX
from tocsin.domain.oncall import Override, Rotation
from tocsin.store import oncall as oncall_store
from tocsin.store.users import add_membership, insert_user


async def calendar_with_people(api: Api) -> tuple[int, int, int]:
    now = api.clock.now()

    def work(connection: sa.Connection) -> tuple[int, int, int]:
        day = insert_user(connection, "day@example.com", "x", False, now)
        cover = insert_user(connection, "cover@example.com", "x", False, now)
        for user_id in (day, cover):
            add_membership(connection, user_id, api.project_id, "member")
        calendar_id = oncall_store.insert_calendar(connection, api.project_id, "Ops", "tok", now)
        oncall_store.make_default(connection, api.project_id, calendar_id)
        rotation = Rotation((day,), now - timedelta(days=1), "UTC", 1, "day")
        oncall_store.insert_rotation(connection, calendar_id, "Days", rotation, now)
        start = now + timedelta(hours=3)
        override = Override(cover, start, start + timedelta(hours=2))
        oncall_store.insert_override(connection, calendar_id, override, now)
        return calendar_id, day, cover

    return await api.database.write_with(work)


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def test_calendars_list_who_is_on_call_now_and_next(api: Api) -> None:
    calendar_id, day, cover = await calendar_with_people(api)
    response = await api.client.get(f"{PREFIX}/oncall", headers=bearer(api.read_key))
    assert response.status_code == 200, response.text
    [calendar] = response.json()
    assert calendar["id"] == calendar_id
    assert calendar["default"] is True
    assert calendar["on_call"] == {"id": day, "email": "day@example.com"}
    assert calendar["next_on_call"] == {"id": cover, "email": "cover@example.com"}
    assert calendar["gaps"] == []
    other = await api.client.get(f"{PREFIX}/oncall", headers=bearer(api.other_key))
    assert other.json() == []


async def test_one_calendar_has_its_shifts_in_a_window(api: Api) -> None:
    calendar_id, day, cover = await calendar_with_people(api)
    now = api.clock.now()
    window = {"from": now.isoformat(), "to": (now + timedelta(hours=6)).isoformat()}
    response = await api.client.get(
        f"{PREFIX}/oncall/{calendar_id}", params=window, headers=bearer(api.key)
    )
    assert response.status_code == 200, response.text
    shifts = response.json()["shifts"]
    assert [(s["person"]["id"], s["override"]) for s in shifts] == [
        (day, False),
        (cover, True),
        (day, False),
    ]


async def test_a_foreign_calendar_or_a_bad_window_is_refused(api: Api) -> None:
    calendar_id, _, _ = await calendar_with_people(api)
    foreign = await api.client.get(f"{PREFIX}/oncall/{calendar_id}", headers=bearer(api.other_key))
    assert (foreign.status_code, foreign.json()["error"]["code"]) == (404, "not_found")
    now = api.clock.now().isoformat()
    backwards = await api.client.get(
        f"{PREFIX}/oncall/{calendar_id}", params={"from": now, "to": now}, headers=bearer(api.key)
    )
    assert backwards.status_code == 422
    assert "after its start" in backwards.json()["error"]["fields"]["to"]
    naive = await api.client.get(
        f"{PREFIX}/oncall/{calendar_id}",
        params={"from": "2026-03-01T00:00"},
        headers=bearer(api.key),
    )
    assert naive.status_code == 422
