"""OnCalendar schedules in Tocsin's API: the `oncalendar` field beside `period` and
`cron`, validated with an error that names the wrong expression."""

from typing import Any

from tests.api.conftest import Api
from tocsin.api.tocsin.http import PREFIX


async def call(api: Api, method: str, path: str, body: Any = None) -> Any:
    headers = {"Authorization": f"Bearer {api.key}"}
    return await api.client.request(method, PREFIX + path, json=body, headers=headers)


async def test_a_check_on_oncalendar_expressions_is_created_and_read(api: Api) -> None:
    body = {"name": "backup", "oncalendar": "Mon..Fri 02:00\nSat 04:00", "tz": "Europe/Berlin"}
    made = await call(api, "POST", "/checks", body)
    assert made.status_code == 201, made.text
    created = made.json()
    assert {k: created[k] for k in ("oncalendar", "cron", "period", "tz")} == {
        "oncalendar": "Mon..Fri 02:00\nSat 04:00",
        "cron": None,
        "period": None,
        "tz": "Europe/Berlin",
    }
    assert (await call(api, "GET", f"/checks/{created['id']}")).json() == created


async def test_an_update_moves_a_check_to_oncalendar_and_back_to_a_period(api: Api) -> None:
    created = (await call(api, "POST", "/checks", {"name": "job", "period": 3600})).json()
    path = f"/checks/{created['id']}"
    moved = await call(api, "PATCH", path, {"oncalendar": "hourly"})
    assert moved.status_code == 200, moved.text
    assert (moved.json()["oncalendar"], moved.json()["period"]) == ("hourly", None)
    back = (await call(api, "PATCH", path, {"period": 600})).json()
    assert (back["oncalendar"], back["period"]) == (None, 600)


async def test_bad_oncalendar_input_is_a_4xx_that_says_what_is_wrong(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"oncalendar": "Mon 25:00"}, "invalid OnCalendar expression 'Mon 25:00': Bad hour"),
        ({"oncalendar": "daily", "cron": "0 2 * * *"}, "send either cron or oncalendar"),
        ({"oncalendar": "daily", "period": 60}, "send either period or oncalendar"),
        ({"oncalendar": "x" * 101}, "100"),
        ({"oncalendar": ""}, "at least 1"),
    ]
    for body, words in cases:
        response = await call(api, "POST", "/checks", {"name": "bad", **body})
        assert 400 <= response.status_code < 500, response.text
        assert words in response.json()["error"]["message"], (body, response.text)


async def test_past_its_last_occurrence_next_due_is_null(api: Api) -> None:
    made = (await call(api, "POST", "/checks", {"name": "y2k1", "oncalendar": "2001-01-01"})).json()
    pinged = await api.client.post(f"/ping/{made['uuid']}")
    assert pinged.status_code == 200, pinged.text
    shown = (await call(api, "GET", f"/checks/{made['id']}")).json()
    assert (shown["status"], shown["next_due"]) == ("up", None)
