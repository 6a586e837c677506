"""On-call calendars through `services.oncall`, on a real database: calendars and the
project's default, rotations and overrides of members only, what a calendar shows,
the feed, and people leaving a project."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.services.conftest import Projects, Recorder
from tocsin.domain.accounts import Role
from tocsin.domain.records import Membership
from tocsin.services import accounts as account_service
from tocsin.services import oncall
from tocsin.services.errors import ConflictError, InvalidError, NotFoundError
from tocsin.services.oncall import RotationSpec
from tocsin.store.users import add_membership, insert_user

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday
MONDAY_NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def person(context: Recorder, email: str, *project_ids: int, role: str = "member") -> int:
    def work(connection: sa.Connection) -> int:
        user_id = insert_user(connection, email, "x", False, NOW)
        for project_id in project_ids:
            add_membership(connection, user_id, project_id, role)
        return user_id

    return await context.database.write_with(work)


@pytest.fixture
def clock_now(context: Recorder) -> datetime:
    context.clock.current = NOW
    return NOW


async def test_the_first_calendar_is_the_default_and_names_are_unique(
    context: Recorder, projects: Projects
) -> None:
    first = await oncall.create_calendar(context, projects.ours, " Ops ")
    second = await oncall.create_calendar(context, projects.ours, "Nights")
    assert (first.name, first.is_default, second.is_default) == ("Ops", True, False)
    with pytest.raises(ConflictError, match="exists already"):
        await oncall.create_calendar(context, projects.ours, "Ops")
    with pytest.raises(InvalidError, match="1 to 100"):
        await oncall.create_calendar(context, projects.ours, " ")
    await oncall.make_default(context, projects.ours, second.id)
    assert [c.name for c in await oncall.list_calendars(context, projects.ours)] == [
        "Nights",
        "Ops",
    ]
    await oncall.delete_calendar(context, projects.ours, second.id)
    [left] = await oncall.list_calendars(context, projects.ours)
    assert (left.name, left.is_default) == ("Ops", True)
    await oncall.rename_calendar(context, projects.ours, left.id, "Operations")
    assert (await oncall.default_calendar(context, projects.ours)).name == "Operations"


async def test_a_default_calendar_is_made_when_asked_for_and_none_exists(
    context: Recorder, projects: Projects
) -> None:
    made = await oncall.default_calendar(context, projects.theirs)
    assert (made.name, made.is_default) == ("Primary", True)
    assert (await oncall.default_calendar(context, projects.theirs)).id == made.id


async def test_another_projects_calendar_is_not_found(
    context: Recorder, projects: Projects
) -> None:
    theirs = await oncall.create_calendar(context, projects.theirs, "Ops")
    with pytest.raises(NotFoundError):
        await oncall.calendar_view(context, projects.ours, theirs.id)
    with pytest.raises(NotFoundError):
        await oncall.rename_calendar(context, projects.ours, theirs.id, "Mine")
    with pytest.raises(NotFoundError):
        await oncall.delete_calendar(context, projects.ours, theirs.id)
    spec = RotationSpec("Days", [], MONDAY_NINE)
    with pytest.raises(NotFoundError):
        await oncall.add_rotation(context, projects.ours, theirs.id, spec)


async def test_only_members_of_the_project_can_be_put_on_call(
    context: Recorder, projects: Projects
) -> None:
    await person(context, "ours@example.com", projects.ours)
    outsider = await person(context, "theirs@example.com", projects.theirs)
    calendar = await oncall.create_calendar(context, projects.ours, "Ops")

    async def rotation(*members: int | str, **fields: object) -> None:
        spec = RotationSpec("Days", list(members), MONDAY_NINE, **fields)  # type: ignore[arg-type]
        await oncall.add_rotation(context, projects.ours, calendar.id, spec)

    with pytest.raises(InvalidError, match=r"theirs@example\.com is not a member"):
        await rotation("ours@example.com", "Theirs@Example.com")
    with pytest.raises(InvalidError, match=f"user {outsider} is not a member"):
        await rotation(outsider)
    with pytest.raises(InvalidError, match="neither a user id nor an email"):
        await rotation("bob")
    with pytest.raises(InvalidError, match="at least one member"):
        await rotation()
    with pytest.raises(InvalidError, match="unknown time zone") as refused:
        await rotation("ours@example.com", zone="Mars/Olympus")
    assert refused.value.field == "zone"
    with pytest.raises(InvalidError, match="length"):
        await rotation("ours@example.com", length=0)
    with pytest.raises(InvalidError, match="not a member"):
        await oncall.add_override(
            context, projects.ours, calendar.id, outsider, NOW, NOW + timedelta(hours=1)
        )
    with pytest.raises(InvalidError, match="end after"):
        await oncall.add_override(context, projects.ours, calendar.id, "ours@example.com", NOW, NOW)


async def test_a_calendar_shows_who_is_on_call_now_and_next_and_its_gaps(
    context: Recorder, projects: Projects, clock_now: datetime
) -> None:
    day = await person(context, "day@example.com", projects.ours)
    night = await person(context, "night@example.com", projects.ours)
    cover = await person(context, "cover@example.com", projects.ours)
    calendar = await oncall.create_calendar(context, projects.ours, "Ops")
    await oncall.add_rotation(
        context, projects.ours, calendar.id,
        RotationSpec("Days", ["day@example.com"], MONDAY_NINE, "Europe/Berlin", 1, "week",
                     restriction=oncall.restriction("08:00-20:00", "mon-fri")),
    )  # fmt: skip
    await oncall.add_rotation(
        context, projects.ours, calendar.id,
        RotationSpec("Nights", [night], MONDAY_NINE, "Europe/Berlin", layer=1,
                     restriction=oncall.restriction("20:00-08:00", "mon-thu")),
    )  # fmt: skip
    start = NOW + timedelta(hours=2)
    override = await oncall.add_override(
        context, projects.ours, calendar.id, cover, start, start + timedelta(hours=1)
    )
    view = await oncall.calendar_view(context, projects.ours, None)
    assert (view.now.current, view.now.next, view.now.handoff) == (day, cover, start)
    assert view.emails[cover] == "cover@example.com"
    assert [o.id for o in view.overrides] == [override.id]
    # Friday 20:00 to Monday 08:00 in Berlin is nobody's.
    assert (datetime(2026, 3, 6, 19, 0, tzinfo=UTC), datetime(2026, 3, 9, 7, 0, tzinfo=UTC)) in (
        view.gaps
    )
    await oncall.delete_override(context, projects.ours, override.id)
    view = await oncall.calendar_view(context, projects.ours, calendar.id)
    assert (view.now.next, view.now.handoff) == (night, datetime(2026, 3, 2, 19, 0, tzinfo=UTC))


async def test_a_window_is_checked(context: Recorder, projects: Projects) -> None:
    calendar = await oncall.create_calendar(context, projects.ours, "Ops")
    with pytest.raises(InvalidError, match="after its start"):
        await oncall.calendar_view(context, projects.ours, calendar.id, NOW, NOW)
    with pytest.raises(InvalidError, match="a year"):
        await oncall.calendar_view(context, projects.ours, calendar.id, NOW, NOW + timedelta(400))


async def test_rotations_are_replaced_and_deleted_within_their_project(
    context: Recorder, projects: Projects, clock_now: datetime
) -> None:
    a = await person(context, "a@example.com", projects.ours)
    b = await person(context, "b@example.com", projects.ours)
    calendar = await oncall.create_calendar(context, projects.ours, "Ops")
    added = await oncall.add_rotation(
        context, projects.ours, calendar.id, RotationSpec("Days", [a], MONDAY_NINE)
    )
    await oncall.replace_rotation(
        context, projects.ours, added.id, RotationSpec("Days", [b, a], MONDAY_NINE)
    )
    assert (await oncall.calendar_view(context, projects.ours, None)).now.current == b
    with pytest.raises(NotFoundError):
        await oncall.delete_rotation(context, projects.theirs, added.id)
    await oncall.delete_rotation(context, projects.ours, added.id)
    view = await oncall.calendar_view(context, projects.ours, None)
    assert view.rotations == []
    assert view.now.current is None


async def test_the_feed_lists_shifts_by_email_and_a_new_token_retires_the_old_one(
    context: Recorder, projects: Projects, clock_now: datetime
) -> None:
    await person(context, "a@example.com", projects.ours)
    calendar = await oncall.create_calendar(context, projects.ours, "Ops")
    await oncall.add_rotation(
        context, projects.ours, calendar.id, RotationSpec("Days", ["a@example.com"], MONDAY_NINE)
    )
    text = await oncall.feed(context, calendar.feed_token)
    assert text is not None
    assert "SUMMARY:On call: a@example.com\r\n" in text
    assert "DTSTART:20260302T090000Z\r\n" in text
    token = await oncall.rotate_feed_token(context, projects.ours, calendar.id)
    assert await oncall.feed(context, calendar.feed_token) is None
    assert await oncall.feed(context, token) is not None


async def test_a_member_removed_from_the_project_leaves_its_rotations_with_a_warning(
    context: Recorder, projects: Projects, clock_now: datetime
) -> None:
    owner_id = await person(context, "owner@example.com", projects.ours, role=Role.OWNER)
    leaver = await person(context, "leaver@example.com", projects.ours, projects.theirs)
    calendar = await oncall.create_calendar(context, projects.ours, "Ops")
    elsewhere = await oncall.create_calendar(context, projects.theirs, "Ops")
    for project_id, calendar_id in ((projects.ours, calendar.id), (projects.theirs, elsewhere.id)):
        await oncall.add_rotation(
            context, project_id, calendar_id, RotationSpec("Nights", [leaver], MONDAY_NINE)
        )
    await oncall.add_rotation(
        context, projects.ours, calendar.id, RotationSpec("Days", [owner_id, leaver], MONDAY_NINE)
    )
    owner = Membership(projects.ours, "Default", Role.OWNER)
    await account_service.change_member(context, owner, leaver, None)

    view = await oncall.calendar_view(context, projects.ours, calendar.id)
    assert [r.rotation.members for r in view.rotations] == [(), (owner_id,)]
    assert [w.message for w in view.warnings] == [
        "leaver@example.com was removed from the project and taken out of rotations Nights, Days"
    ]
    still = await oncall.calendar_view(context, projects.theirs, elsewhere.id)
    assert [r.rotation.members for r in still.rotations] == [(leaver,)]
    assert still.warnings == []
    await oncall.dismiss_warnings(context, projects.ours, calendar.id)
    assert (await oncall.calendar_view(context, projects.ours, calendar.id)).warnings == []
