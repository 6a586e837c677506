"""Escalation policies in the web app: ordered steps with channels as checkboxes, steps
added and removed by sending the form back, edits and deletion; owners and admins only."""

import re
from datetime import time, timedelta
from html.parser import HTMLParser
from uuid import UUID

import pytest
import sqlalchemy as sa

from tests.web.conftest import Person, Web
from tocsin.domain.people import ActiveHours, Method, TargetKind
from tocsin.domain.records import ChannelRow, PolicyRow
from tocsin.services import policies as policy_service
from tocsin.services.context import Context
from tocsin.services.policies import NameScope, PolicyDraft, ReachSpec, TargetSpec
from tocsin.store import oncall as oncall_store
from tocsin.store.channels import insert_channel, project_policies


async def two_channels(web: Web) -> list[ChannelRow]:
    def work(connection: sa.Connection) -> list[ChannelRow]:
        return [
            insert_channel(
                connection,
                web.project_id,
                kind,
                kind,
                {"url": "https://x.example"},
                web.clock.now(),
                assign_to_all_checks=True,
            )
            for kind in ("slack", "discord")
        ]

    async with web.database.write() as connection:
        return await connection.run_sync(work)


async def policies(web: Web) -> list[PolicyRow[UUID]]:
    async with web.database.read() as connection:
        return await connection.run_sync(project_policies, web.project_id)


def fields(**values: str) -> dict[str, str]:
    return {"name": "night", "repeat": "0", "repeat_delay": "0s", "nag": "", **values}


async def save(person: Person, path: str, data: dict[str, str], channels: list[str]) -> int:
    sent: dict[str, str | list[str]] = {**data, "csrf_token": person.csrf}
    response = await person.client.post(path, data={**sent, "step-0-channel": channels})
    return response.status_code


async def test_a_policy_is_made_step_by_step_then_edited_and_deleted(web: Web) -> None:
    slack, discord = await two_channels(web)
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/policies"
    form = await owner.client.get(f"{base}/new")
    assert "Step 1" in form.text
    assert "Step 2" not in form.text
    grown = await owner.post(f"{base}/new", **fields(steps="1", action="add"))
    assert "Step 2" in grown.text
    assert 'value="night"' in grown.text
    shrunk = await owner.post(f"{base}/new", **fields(steps="2", action="remove:0"))
    assert "Step 2" not in shrunk.text
    reordered = await owner.post(
        f"{base}/new",
        **fields(steps="2", action="up:1"),
        **{"step-0-wait": "0s", "step-1-wait": "15m"},
    )
    waits = re.findall(r'name="step-\d-wait" value="([^"]*)"', reordered.text)
    assert waits == ["15m", "0s"]  # the second step is now the first
    assert "Move step 1 up" not in reordered.text
    data = fields(steps="2", action="save", nag="1h", repeat="2", repeat_delay="30m")
    data |= {"step-0-wait": "0s", "step-1-wait": "10m", "step-1-channel": str(discord.uuid)}
    assert await save(owner, f"{base}/new", data, [str(slack.uuid)]) == 303
    (policy,) = await policies(web)
    assert policy.steps == [
        (timedelta(0), [slack.uuid]),
        (timedelta(minutes=10), [discord.uuid]),
    ]
    assert (policy.repeat_count, policy.nag_interval) == (2, timedelta(hours=1))
    listing = await owner.client.get(base)
    assert "after 10m: discord" in listing.text

    edit = await owner.client.get(f"{base}/{policy.id}/edit")
    assert 'value="10m"' in edit.text
    data = fields(name="day", steps="1", action="save") | {"step-0-wait": "5m"}
    assert await save(owner, f"{base}/{policy.id}/edit", data, [str(discord.uuid)]) == 303
    (edited,) = await policies(web)
    assert (edited.name, edited.steps) == ("day", [(timedelta(minutes=5), [discord.uuid])])
    assert (await owner.post(f"{base}/{policy.id}/delete")).status_code == 400
    assert (await owner.post(f"{base}/{policy.id}/delete", confirm="yes")).status_code == 303
    assert await policies(web) == []


async def test_bad_values_are_shown_beside_their_fields(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/policies"
    bad = fields(name="", steps="1", repeat="many", nag="soon", action="save")
    bad |= {"step-0-wait": "-5m", "step-0-channel": "00000000-0000-0000-0000-000000000000"}
    response = await owner.post(f"{base}/new", **bad)
    assert response.status_code == 400
    for name in ("name", "repeat", "nag", "step-0-wait", "step-0-channels"):
        assert f'id="{name}-error"' in response.text
    assert await policies(web) == []
    ok = fields(steps="0", action="save")
    assert (await owner.post(f"{base}/new", **ok)).status_code == 303
    again = await owner.post(f"{base}/new", **ok)
    assert again.status_code == 400
    assert "another policy has this name" in again.text


@pytest.mark.parametrize("digits", ["\u00b2", "1" * 5000])
async def test_numbers_that_only_look_like_digits_are_no_error(web: Web, digits: str) -> None:
    # str.isdigit() takes both, int() neither: each was a 500.
    owner = await web.signed_in("ops@example.com")
    new = f"/projects/{web.project_id}/policies/new"
    repeat = await owner.post(new, **fields(steps="1", repeat=digits, action="save"))
    assert repeat.status_code == 400
    assert 'id="repeat-error"' in repeat.text
    for action in (f"remove:{digits}", f"up:{digits}"):
        unmoved = await owner.post(new, **fields(steps="2", action=action))
        assert (action, unmoved.status_code) == (action, 400)
        assert "Step 2" in unmoved.text
    no_steps = await owner.post(new, **fields(steps=digits, action="add"))
    assert no_steps.status_code == 200
    assert "Step 1" in no_steps.text
    assert "Step 2" not in no_steps.text
    assert await policies(web) == []


async def test_members_look_but_do_not_change(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    base = f"/projects/{web.project_id}/policies"
    await owner.post(f"{base}/new", **fields(steps="0", action="save"))
    (policy,) = await policies(web)
    member = await web.signed_in("ana@example.com", "member")
    page = await member.client.get(base)
    assert "night" in page.text
    assert "New policy" not in page.text
    for path in ("new", f"{policy.id}/edit", f"{policy.id}/delete"):
        response = await member.post(f"{base}/{path}", **fields(name="x", action="save"))
        assert (path, response.status_code) == (path, 403)
    assert [p.name for p in await policies(web)] == ["night"]


async def test_a_step_reaches_people_and_the_list_says_whom(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    ann = await web.user("ann@example.com", "member")
    base = f"/projects/{web.project_id}/policies"
    form = await owner.client.get(f"{base}/new")
    assert "Whoever is on call" in form.text
    assert "ann@example.com" in form.text
    data: dict[str, str | list[str]] = {
        **fields(steps="2", action="save"),
        "csrf_token": owner.csrf,
        "step-0-wait": "0s",
        "step-0-people": "on_call",
        "step-0-method": "email",
        "step-1-wait": "4s",
        "step-1-people": ["entire_team"],
        "step-1-member": str(ann),
        "step-1-every": "slack",
        "step-1-method": ["email", "push"],
        "step-1-start": "08:00",
        "step-1-end": "20:00",
        "step-1-zone": "Europe/Berlin",
    }
    saved = await owner.client.post(f"{base}/new", data=data)
    assert saved.status_code == 303, saved.text
    listed = (await owner.client.get(base)).text
    assert "after 0s: whoever is on call by email" in listed
    assert (
        "after 4s: the entire team, ann@example.com, every slack channel by email, push, "
        "08:00-20:00 Europe/Berlin only"
    ) in listed
    [policy] = await policies(web)
    edit = (await owner.client.get(f"{base}/{policy.id}/edit")).text
    assert f'name="step-1-member" value="{ann}" checked' in edit

    outsider = await web.user("out@example.com", "member", web.other_project_id)
    refused = await owner.client.post(
        f"{base}/new", data={**data, "name": "other", "step-1-member": str(outsider)}
    )
    assert refused.status_code == 400
    assert f"no member &#39;{outsider}&#39; in this project" in refused.text


async def test_an_on_call_step_names_one_of_the_project_calendars(web: Web) -> None:
    owner = await web.signed_in("ops@example.com")
    async with web.database.write() as connection:
        nights = await connection.run_sync(
            oncall_store.insert_calendar, web.project_id, "Nights", "feed", web.clock.now()
        )
    base = f"/projects/{web.project_id}/policies"
    form = (await owner.client.get(f"{base}/new")).text
    assert f'<option value="{nights}">Nights</option>' in form
    data: dict[str, str | list[str]] = {
        **fields(steps="1", action="save"),
        "csrf_token": owner.csrf,
        "step-0-wait": "0s",
        "step-0-people": "on_call",
        "step-0-calendar": str(nights),
        "step-0-method": "email",
    }
    assert (await owner.client.post(f"{base}/new", data=data)).status_code == 303
    assert "whoever is on call in Nights by email" in (await owner.client.get(base)).text
    [policy] = await policies(web)
    edit = (await owner.client.get(f"{base}/{policy.id}/edit")).text
    assert f'<option value="{nights}" selected>Nights</option>' in edit
    elsewhere = {**data, "name": "other", "step-0-calendar": "999"}
    refused = await owner.client.post(f"{base}/new", data=elsewhere)
    assert refused.status_code == 400
    assert "no on-call calendar 999 in this project" in refused.text


class FormFields(HTMLParser):
    """The fields a browser sends for the page's form, as it is shown: inputs (checked
    boxes only) and the selected option of each select; no button."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, str]] = []
        self.select = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "input" and "name" in found:
            if found.get("type") != "checkbox" or "checked" in found:
                self.sent.append((found["name"], found.get("value", "")))
        elif tag == "select":
            self.select = found["name"]
            self.sent.append((self.select, ""))
        elif tag == "option" and "selected" in found:
            self.sent = [(n, v) for n, v in self.sent if n != self.select]
            self.sent.append((self.select, found["value"]))


def sent_by(page: str) -> dict[str, list[str]]:
    parser = FormFields()
    parser.feed(page)
    sent: dict[str, list[str]] = {}
    for name, value in parser.sent:
        sent.setdefault(name, []).append(value)
    return sent


async def test_a_policy_saved_unchanged_through_the_form_is_kept_exactly(web: Web) -> None:
    slack, _discord = await two_channels(web)
    owner = await web.signed_in("ops@example.com")
    ann = await web.user("ann@example.com", "member")
    bob = await web.user("bob@example.com", "member")
    context: Context = web.app.web.state.services
    async with web.database.write() as connection:
        nights = await connection.run_sync(
            oncall_store.insert_calendar, web.project_id, "Nights", "feed", web.clock.now()
        )
    project, scope = web.project_id, NameScope.PROJECT
    berlin_nights = ActiveHours(time(20), time(8), "Europe/Berlin")
    team = await policy_service.create_policy(
        context,
        project,
        PolicyDraft(
            "team",
            [(timedelta(0), [str(slack.uuid)])],
            reaches=(
                ReachSpec(
                    (TargetSpec(TargetKind.ENTIRE_TEAM),), frozenset({Method.EMAIL}), berlin_nights
                ),
            ),
        ),
        scope=scope,
    )
    steps: list[tuple[timedelta, list[str]]] = [
        (timedelta(0), []),
        (timedelta(minutes=5), [str(slack.uuid)]),
        (timedelta(minutes=1), []),
        (timedelta(minutes=2), []),
        (timedelta(minutes=3), [str(slack.uuid)]),
    ]
    reaches = (
        ReachSpec(  # every kind with a value, in no order the form would choose
            (
                TargetSpec(TargetKind.CHANNELS_OF_KIND, channel_kind="webhook"),
                TargetSpec(TargetKind.MEMBER, member=str(bob)),
                TargetSpec(TargetKind.ON_CALL, calendar=nights),
                TargetSpec(TargetKind.MEMBER, member="ann@example.com"),
                TargetSpec(TargetKind.CHANNELS_OF_KIND, channel_kind="slack"),
            ),
            frozenset({Method.PUSH}),
        ),
        ReachSpec(
            (
                TargetSpec(TargetKind.POLICY, policy=team.id),
                TargetSpec(TargetKind.ROUND_ROBIN, members=(str(bob), str(ann))),
            ),
            frozenset({Method.SMS, Method.CALL}),
        ),
        ReachSpec((TargetSpec(TargetKind.ROUND_ROBIN), TargetSpec(TargetKind.ON_CALL))),
        ReachSpec((TargetSpec(TargetKind.POLICY, policy=team.id),), frozenset()),
    )
    everything = await policy_service.create_policy(
        context,
        project,
        PolicyDraft("everything", steps, 2, timedelta(minutes=10), timedelta(hours=1), reaches),
        scope=scope,
    )
    kinds = {t.kind for r in [*team.reaches, *everything.reaches] for t in r.targets}
    assert kinds == set(TargetKind)
    base = f"/projects/{web.project_id}/policies"
    before = await policies(web)
    for policy in before:
        page = await owner.client.get(f"{base}/{policy.id}/edit")
        sent = {**sent_by(page.text), "action": ["save"]}
        saved = await owner.client.post(f"{base}/{policy.id}/edit", data=sent)
        assert saved.status_code == 303, saved.text
    assert await policies(web) == before
    listed = (await owner.client.get(base)).text
    assert "hand over to policy team" in listed
    assert "the next of bob@example.com, ann@example.com in turn" in listed
