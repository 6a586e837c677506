"""On-call calendars in the web app: the list with who is on call now and next, a
calendar's week with its gaps and warnings, rotations and overrides made, edited and
deleted through forms that show every mistake beside its field, the secret feed; owners
and admins change, everyone in the project looks, nobody else sees anything."""

import re
from datetime import UTC, datetime

import pytest

from tests.web.conftest import Person, Web
from tocsin.domain.records import Membership
from tocsin.services import accounts as account_service
from tocsin.services import oncall as oncall_service
from tocsin.services.oncall import RotationSpec

MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def monday(web: Web) -> Web:
    web.clock.current = MONDAY
    return web


def base(web: Web) -> str:
    return f"/projects/{web.project_id}/calendars"


def rotation_fields(turns: dict[int, str], **values: str) -> dict[str, str]:
    fields = {
        "name": "Weekly",
        "start_date": "2026-03-02",
        "start_time": "09:00",
        "zone": "Europe/Berlin",
        "length": "1",
        "unit": "weeks",
        "layer": "0",
        "hours_from": "",
        "hours_to": "",
        **{f"day-{d}": "yes" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    }
    return fields | {f"turn-{user_id}": turn for user_id, turn in turns.items()} | values


async def team(web: Web) -> tuple[Person, int, int, int]:
    """An owner (who is also on call), a day member and a night member."""
    owner = await web.signed_in("ops@example.com")
    day = await web.user("day@example.com", "member")
    night = await web.user("night@example.com", "member")
    owner_id = await web.user("lead@example.com", "member")
    return owner, day, night, owner_id


async def calendar(owner: Person, web: Web, name: str = "Primary") -> str:
    made = await owner.post(f"{base(web)}/new", name=name)
    assert made.status_code == 303, made.text
    return str(made.headers["location"])


async def test_a_calendar_is_made_with_a_day_rotation_and_a_night_layer(monday: Web) -> None:
    web = monday
    owner, day, night, lead = await team(web)
    empty = await owner.client.get(base(web))
    assert "No calendars yet" in empty.text
    url = await calendar(owner, web)
    assert re.fullmatch(rf"{base(web)}/\d+", url)
    page = await owner.client.get(url)
    assert "No rotations yet" in page.text
    assert "Nobody is on call" in page.text  # the next two weeks are one gap

    weekly = rotation_fields({day: "1", lead: "2"})
    added = await owner.post(f"{url}/rotations/new", **weekly)
    assert added.status_code == 303, added.text
    nights = rotation_fields(
        {night: "1"}, name="Nights", unit="days", layer="1", hours_from="20:00", hours_to="08:00"
    )
    assert (await owner.post(f"{url}/rotations/new", **nights)).status_code == 303

    page = await owner.client.get(url)
    assert page.status_code == 200
    assert "Nobody is on call" not in page.text
    assert re.search(r'class="now">day@example.com<', page.text)  # 11:00 in Berlin
    assert "night@example.com from Mon 2 Mar 20:00" in page.text
    assert "Week of 2 Mar - 8 Mar 2026" in page.text
    days = re.findall(r'<section class="day[^"]*" aria-label="([^"]+)"', page.text)
    assert days == [
        "Mon 2 Mar", "Tue 3 Mar", "Wed 4 Mar", "Thu 5 Mar", "Fri 6 Mar", "Sat 7 Mar", "Sun 8 Mar"
    ]  # fmt: skip
    assert "20:00-24:00" in page.text
    assert "00:00-08:00" in page.text
    assert "every 1 week from 2026-03-02 09:00 Europe/Berlin" in page.text
    assert "20:00-08:00 every day" in page.text
    # Each person keeps one colour; the members are coloured in email order.
    found = re.findall(r'class="block (person-\d)[^"]*"[^>]*data-user="(\d+)"', page.text)
    assert {(int(user), colour) for colour, user in found} == {
        (day, "person-0"),
        (night, "person-2"),
    }

    listing = await owner.client.get(base(web))
    assert "day@example.com" in listing.text
    assert "default" in listing.text


async def test_the_week_before_the_first_handoff_shows_gaps_and_navigation_works(
    monday: Web,
) -> None:
    web = monday
    owner, day, _night, _lead = await team(web)
    url = await calendar(owner, web)
    await owner.post(f"{url}/rotations/new", **rotation_fields({day: "1"}))
    page = await owner.client.get(url)
    previous = re.search(r'href="([^"]+)" rel="prev"', page.text)
    assert previous is not None
    earlier = await owner.client.get(previous.group(1).replace("&amp;", "&"))
    assert "Week of 23 Feb - 1 Mar 2026" in earlier.text
    assert earlier.text.count('class="block nobody"') == 7  # nobody on call, every day
    later = await owner.client.get(f"{url}?week=2026-03-11&zone=UTC")
    assert "Week of 9 Mar - 15 Mar 2026" in later.text
    assert 'value="UTC"' in later.text
    fallback = await owner.client.get(f"{url}?week=not-a-date&zone=Mars/Olympus")
    assert fallback.status_code == 200
    assert "Week of 2 Mar - 8 Mar 2026" in fallback.text
    assert 'data-zone="Europe/Berlin"' in fallback.text
    far = await owner.client.get(f"{url}?week=9999-12-31")
    assert "Week of 2 Mar - 8 Mar 2026" in far.text


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"name": ""}, "name", "1 to 100 characters"),
        ({"zone": "Mars/Olympus"}, "zone", "Mars/Olympus"),
        ({"length": "0"}, "length", "from 1 to 1000"),
        ({"length": "many"}, "length", "from 1 to 1000"),
        ({"unit": "fortnights"}, "length", "hours, days or weeks"),
        ({"layer": "-1"}, "layer", "from 0 to 100"),
        ({"start_date": "2026-02-30"}, "start", "give a date and a time"),
        ({"start_time": ""}, "start", "give a date and a time"),
        ({"start_date": "9999-12-31"}, "start", "from 1971 to 8999"),
        ({"hours_from": "25:00", "hours_to": "08:00"}, "restriction", "HH:MM"),
        ({f"day-{d}": "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
         "restriction", "at least one day"),
    ],
)  # fmt: skip
async def test_every_rotation_mistake_is_shown_beside_its_field(
    monday: Web, change: dict[str, str], field: str, words: str
) -> None:
    web = monday
    owner, day, _night, _lead = await team(web)
    url = await calendar(owner, web)
    response = await owner.post(f"{url}/rotations/new", **rotation_fields({day: "1"}, **change))
    assert response.status_code == 400
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', response.text)
    assert found is not None, response.text
    assert words in found.group(1)
    assert 'aria-invalid="true"' in response.text


async def test_members_are_chosen_by_turn(monday: Web) -> None:
    web = monday
    owner, day, night, lead = await team(web)
    url = await calendar(owner, web)
    for turns, words in [
        ({}, "give at least one member a turn"),
        ({day: "1", night: "1"}, "two members have turn 1"),
        ({day: "9"}, "a turn is a number from 1 to 4"),
    ]:
        response = await owner.post(f"{url}/rotations/new", **rotation_fields(turns))
        assert response.status_code == 400
        assert words in response.text
    response = await owner.post(f"{url}/rotations/new", **rotation_fields({night: "1", day: "2"}))
    assert response.status_code == 303
    page = await owner.client.get(url)
    assert "night@example.com, day@example.com" in page.text
    # A member who left between showing the form and sending it: the service says so.
    edit = re.search(r'href="([^"]+/rotations/\d+/edit)"', page.text)
    assert edit is not None
    form = await owner.client.get(edit.group(1))
    assert re.search(rf'name="turn-{night}"[^>]*>\s*<option value="">not in it</option>\s*'
                     r'<option value="1" selected>', form.text)  # fmt: skip
    changed = rotation_fields({lead: "1", day: "2"}, name="Renamed")
    assert (await owner.post(edit.group(1), **changed)).status_code == 303
    page = await owner.client.get(url)
    assert "lead@example.com, day@example.com" in page.text
    assert "Renamed" in page.text
    rotation_id = edit.group(1).split("/")[-2]
    refused = await owner.post(f"{url}/rotations/{rotation_id}/delete")
    assert refused.status_code == 400
    deleted = await owner.post(f"{url}/rotations/{rotation_id}/delete", confirm="yes")
    assert deleted.status_code == 303
    assert "No rotations yet" in (await owner.client.get(url)).text


async def test_an_override_is_marked_in_the_week_and_deleted(monday: Web) -> None:
    web = monday
    owner, day, night, _lead = await team(web)
    url = await calendar(owner, web)
    await owner.post(f"{url}/rotations/new", **rotation_fields({day: "1"}))
    form = await owner.client.get(f"{url}/overrides/new")
    assert 'value="2026-03-02T12:00"' in form.text  # the next hour in Berlin
    data = {"member": str(night), "start": "2026-03-04T10:00", "end": "2026-03-04T18:00"}
    added = await owner.post(f"{url}/overrides/new", **data, zone="Europe/Berlin")
    assert added.status_code == 303
    assert added.headers["location"].endswith("?week=2026-03-04")
    page = await owner.client.get(url)
    assert "night@example.com</strong> covers Wed 4 Mar 10:00 to Wed 4 Mar 18:00" in page.text
    assert re.search(r'class="block person-\d override"', page.text)
    override_id = re.search(r'/overrides/(\d+)/delete"', page.text)
    assert override_id is not None
    gone = await owner.post(f"{url}/overrides/{override_id.group(1)}/delete", confirm="yes")
    assert gone.status_code == 303
    assert "No overrides" in (await owner.client.get(url)).text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member": ""}, "member"),
        ({"member": "999999"}, "member"),
        ({"start": "yesterday"}, "start"),
        ({"end": "2026-03-04T09:00"}, "end"),
        ({"zone": "Nowhere/Here"}, "zone"),
    ],
)
async def test_every_override_mistake_is_shown_beside_its_field(
    monday: Web, change: dict[str, str], field: str
) -> None:
    web = monday
    owner, day, _night, _lead = await team(web)
    url = await calendar(owner, web)
    data = {"member": str(day), "start": "2026-03-04T10:00", "end": "2026-03-04T10:00"}
    data |= {"end": "2026-03-04T18:00", "zone": "UTC"} | change
    response = await owner.post(f"{url}/overrides/new", **data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text


async def test_the_list_renames_makes_default_and_deletes(monday: Web) -> None:
    web = monday
    owner = await web.signed_in("ops@example.com")
    first = (await calendar(owner, web, "Primary")).rsplit("/", 1)[1]
    second = (await calendar(owner, web, "Database")).rsplit("/", 1)[1]
    taken = await owner.post(f"{base(web)}/new", name="Database")
    assert taken.status_code == 400
    assert 'id="new-error">a calendar named' in taken.text
    assert (await owner.post(f"{base(web)}/new", name="  ")).status_code == 400
    clash = await owner.post(f"{base(web)}/{second}/rename", name="Primary")
    assert clash.status_code == 400
    assert f'id="rename-{second}-error"' in clash.text
    assert (await owner.post(f"{base(web)}/{second}/rename", name="DB")).status_code == 303
    assert (await owner.post(f"{base(web)}/{second}/default")).status_code == 303
    listing = await owner.client.get(base(web))
    first_item = re.search(
        r'<li data-id="(\d+)">\s*<div class="heading">\s*<h2><a[^>]*>([^<]+)<', listing.text
    )
    assert first_item is not None
    assert first_item.groups() == (second, "DB")
    assert (await owner.post(f"{base(web)}/{second}/delete")).status_code == 400
    assert (await owner.post(f"{base(web)}/{second}/delete", confirm="yes")).status_code == 303
    listing = await owner.client.get(base(web))
    assert f'data-id="{first}"' in listing.text
    assert "DB" not in listing.text
    assert 'class="tag">default' in listing.text


async def test_the_feed_url_is_shown_and_a_new_secret_retires_the_old_one(monday: Web) -> None:
    web = monday
    owner, day, _night, _lead = await team(web)
    url = await calendar(owner, web)
    await owner.post(f"{url}/rotations/new", **rotation_fields({day: "1"}))
    page = await owner.client.get(url)
    found = re.search(r'id="feed-url">https://tocsin\.example(/oncall/feed/[^<]+\.ics)<', page.text)
    assert found is not None
    old = found.group(1)
    feed = await owner.client.get(old)
    assert feed.status_code == 200
    assert "BEGIN:VCALENDAR" in feed.text
    renewed = await owner.post(f"{url}/feed")
    assert renewed.status_code == 303
    assert (await owner.client.get(old)).status_code == 404
    assert old not in (await owner.client.get(url)).text


async def test_a_member_who_leaves_is_a_warning_on_the_calendar(monday: Web) -> None:
    web = monday
    owner, day, night, _lead = await team(web)
    url = await calendar(owner, web)
    calendar_id = int(url.rsplit("/", 1)[1])
    spec = RotationSpec("Weekly", [day, night], MONDAY)
    services = web.app.web.state.services
    await oncall_service.add_rotation(services, web.project_id, calendar_id, spec)
    membership = Membership(web.project_id, "Default", "owner")
    await account_service.change_member(services, membership, night, None)
    page = await owner.client.get(url)
    assert "night@example.com was removed from the project" in page.text
    assert (await owner.post(f"{url}/warnings/dismiss")).status_code == 303
    assert "was removed from the project" not in (await owner.client.get(url)).text


async def test_viewers_look_and_outsiders_see_nothing(monday: Web) -> None:
    web = monday
    owner, day, _night, _lead = await team(web)
    url = await calendar(owner, web)
    await owner.post(f"{url}/rotations/new", **rotation_fields({day: "1"}))
    viewer = await web.signed_in("look@example.com", "viewer")
    page = await viewer.client.get(url)
    assert page.status_code == 200
    assert "day@example.com" in page.text
    assert "Add a rotation" not in page.text
    assert "New secret" not in page.text
    assert "/rotations/" not in page.text
    assert "Create calendar" not in (await viewer.client.get(base(web))).text
    for path, data in [
        (f"{base(web)}/new", {"name": "Mine"}),
        (f"{url}/rotations/new", rotation_fields({day: "1"})),
        (f"{url}/feed", {}),
        (f"{url}/delete", {"confirm": "yes"}),
    ]:
        assert (await viewer.post(path, **data)).status_code == 403
    member = await web.signed_in("member@example.com", "member")
    assert (await member.post(f"{url}/feed")).status_code == 403

    outsider = await web.signed_in("them@example.com", "owner", web.other_project_id)
    assert (await outsider.client.get(url)).status_code == 404
    elsewhere = url.replace(f"/projects/{web.project_id}/", f"/projects/{web.other_project_id}/")
    assert (await outsider.client.get(elsewhere)).status_code == 404
    assert (await outsider.post(f"{elsewhere}/delete", confirm="yes")).status_code == 404
    assert (
        await outsider.post(f"{elsewhere}/rotations/new", **rotation_fields({}))
    ).status_code == 404
    for path in ("/x", "/99999999999", "/1/rotations/x/edit", "/1/overrides/x/delete"):
        response = await owner.client.get(f"{base(web)}{path}")
        assert response.status_code in (404, 405)


@pytest.mark.parametrize(
    "query",
    [
        "?zone=",
        "?zone=../../etc/passwd",
        "?zone=" + "A" * 500,
        "?zone=UTC%00",
        "?week=2026-W10",
        "?week=0001-01-01",
        "?week=" + "9" * 100,
        "?week=2026-03-02&week=2026-03-09",
    ],
)
async def test_odd_week_and_zone_values_show_a_week_never_an_error(monday: Web, query: str) -> None:
    web = monday
    owner = await web.signed_in("ops@example.com")
    url = await calendar(owner, web)
    response = await owner.client.get(url + query)
    assert response.status_code == 200
    assert "Week of" in response.text


@pytest.mark.parametrize(
    "change",
    [
        {"length": "9" * 30},
        {"layer": "9" * 30},
        {"turn": "9" * 30},
        {"start_time": "24:00"},
        {"zone": "A" * 300},
        {"name": "x" * 101},
    ],
)
async def test_outlandish_rotation_values_are_refused_on_the_form(
    monday: Web, change: dict[str, str]
) -> None:
    web = monday
    owner, day, _night, _lead = await team(web)
    url = await calendar(owner, web)
    turn = change.pop("turn", "1")
    response = await owner.post(f"{url}/rotations/new", **rotation_fields({day: turn}, **change))
    assert response.status_code == 400
    assert 'class="error"' in response.text
