"""On-call calendars in the store: rotations and overrides read back as they were
written, and `on_call_user` answering escalation from them."""

from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa

from tests.helpers import T0, make_projects
from tocsin.domain.oncall import Override, Restriction, Rotation
from tocsin.store import oncall as store
from tocsin.store.database import Database
from tocsin.store.users import add_membership, insert_user

MONDAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Berlin
NIGHTS = Restriction(time(20), time(8), frozenset({0, 1, 2, 3, 4}))


def people(connection: sa.Connection, project_id: int, *emails: str) -> list[int]:
    ids = [insert_user(connection, email, "x", False, T0) for email in emails]
    for user_id in ids:
        add_membership(connection, user_id, project_id, "member")
    return ids


async def test_rotations_read_back_with_their_members_in_order_and_restriction(
    database: Database,
) -> None:
    ours, _ = await make_projects(database, T0)

    def work(connection: sa.Connection) -> tuple[list[int], list[Rotation]]:
        a, b, c = people(connection, ours, "a@example.com", "b@example.com", "c@example.com")
        calendar_id = store.insert_calendar(connection, ours, "Ops", "token1", T0)
        ends = MONDAY + timedelta(days=30)
        night = Rotation((c, b), MONDAY, "Europe/Berlin", 2, "day", 1, NIGHTS, ends)
        store.insert_rotation(connection, calendar_id, "Days", Rotation((b, a), MONDAY, "UTC"), T0)
        night_id = store.insert_rotation(connection, calendar_id, "Nights", night, T0)
        changed = Rotation((c, a, b), MONDAY, "Europe/Berlin", 2, "day", 1, NIGHTS, ends)
        store.replace_rotation(connection, night_id, "Nights", changed)
        return [a, b, c], [
            record.rotation for record in store.rotations_of(connection, calendar_id)
        ]

    (a, b, c), (days, night) = await database.write_with(work)
    assert days.members == (b, a)
    assert night.members == (c, a, b)
    assert night.restriction == NIGHTS
    assert (night.zone, night.length, night.unit, night.layer) == ("Europe/Berlin", 2, "day", 1)
    assert night.ends == MONDAY + timedelta(days=30)
    assert days.restriction is None


async def test_on_call_user_follows_layers_and_overrides_in_the_default_calendar(
    database: Database,
) -> None:
    ours, theirs = await make_projects(database, T0)

    def work(connection: sa.Connection) -> list[int | None]:
        day, night, cover = people(connection, ours, "d@example.com", "n@example.com", "c@e.com")
        calendar_id = store.insert_calendar(connection, ours, "Ops", "token2", T0)
        store.make_default(connection, ours, calendar_id)
        store.insert_rotation(connection, calendar_id, "Days", Rotation((day,), MONDAY, "UTC"), T0)
        nights = Rotation((night,), MONDAY, "Europe/Berlin", layer=1, restriction=NIGHTS)
        store.insert_rotation(connection, calendar_id, "Nights", nights, T0)
        noon, midnight = MONDAY + timedelta(hours=4), MONDAY + timedelta(hours=16)
        store.insert_override(
            connection, calendar_id, Override(cover, noon, noon + timedelta(hours=2)), T0
        )
        return [
            store.on_call_user(connection, ours, None, MONDAY + timedelta(hours=1)),
            store.on_call_user(connection, ours, calendar_id, midnight - timedelta(hours=2)),
            store.on_call_user(connection, ours, None, noon + timedelta(hours=1)),
            store.on_call_user(connection, ours, None, MONDAY - timedelta(hours=1)),
            store.on_call_user(connection, theirs, None, noon),
            store.on_call_user(connection, theirs, calendar_id, noon),
            day, night, cover,
        ]  # fmt: skip

    (
        at_nine,
        at_ten_pm,
        covered,
        before,
        other,
        other_by_id,
        day,
        night,
        cover,
    ) = await database.write_with(work)
    assert (at_nine, at_ten_pm, covered) == (day, night, cover)
    assert (before, other, other_by_id) == (None, None, None)


async def test_removing_a_member_takes_them_out_of_rotations_and_overrides_only_there(
    database: Database,
) -> None:
    ours, theirs = await make_projects(database, T0)

    def work(connection: sa.Connection) -> tuple[dict[int, list[str]], list[tuple[int, ...]]]:
        a, b = people(connection, ours, "a@example.com", "b@example.com")
        add_membership(connection, a, theirs, "member")
        mine = store.insert_calendar(connection, ours, "Ops", "token3", T0)
        elsewhere = store.insert_calendar(connection, theirs, "Ops", "token4", T0)
        store.insert_rotation(connection, mine, "Days", Rotation((a, b), MONDAY, "UTC"), T0)
        store.insert_rotation(connection, elsewhere, "Days", Rotation((a,), MONDAY, "UTC"), T0)
        store.insert_override(connection, mine, Override(a, MONDAY, MONDAY + timedelta(1)), T0)
        places = store.calendars_with_member(connection, ours, a)
        store.remove_member(connection, ours, a)
        left = [
            r.rotation.members for c in (mine, elsewhere) for r in store.rotations_of(connection, c)
        ]
        assert store.overrides_of(connection, mine, MONDAY, MONDAY + timedelta(2)) == []
        return places, left

    places, left = await database.write_with(work)
    assert list(places.values()) == [["Days"]]
    assert len(left) == 2
    assert len(left[0]) == 1
    assert len(left[1]) == 1
    assert left[0] != left[1]


async def test_only_the_newest_warnings_are_kept(database: Database) -> None:
    ours, _ = await make_projects(database, T0)

    def work(connection: sa.Connection) -> list[str]:
        calendar_id = store.insert_calendar(connection, ours, "Ops", "token5", T0)
        for n in range(store.WARNINGS_KEPT + 3):
            store.add_warning(connection, calendar_id, f"warning {n}", T0)
        return [w.message for w in store.warnings_of(connection, calendar_id)]

    found = await database.write_with(work)
    assert found[0] == f"warning {store.WARNINGS_KEPT + 2}"
    assert len(found) == store.WARNINGS_KEPT


async def test_one_default_per_project_and_feed_tokens_find_their_calendar(
    database: Database,
) -> None:
    ours, _ = await make_projects(database, T0)

    def work(connection: sa.Connection) -> tuple[list[bool], str | None]:
        first = store.insert_calendar(connection, ours, "A", "tokenA", T0)
        second = store.insert_calendar(connection, ours, "B", "tokenB", T0)
        store.make_default(connection, ours, first)
        store.make_default(connection, ours, second)
        found = store.calendar_by_feed_token(connection, "tokenB")
        flags = [c.is_default for c in store.calendars_of(connection, ours)]
        return flags, None if found is None else found.name

    flags, name = await database.write_with(work)
    assert flags == [True, False]
    assert name == "B"


async def test_on_call_user_asks_the_database_four_small_questions(database: Database) -> None:
    ours, _ = await make_projects(database, T0)
    statements: list[str] = []

    def work(connection: sa.Connection) -> int | None:
        [person] = people(connection, ours, "a@example.com")
        calendar_id = store.insert_calendar(connection, ours, "Ops", "token6", T0)
        store.make_default(connection, ours, calendar_id)
        for layer in range(3):
            rotation = Rotation((person,), MONDAY, "UTC", layer=layer)
            store.insert_rotation(connection, calendar_id, f"Layer {layer}", rotation, T0)
        sa.event.listen(
            connection, "before_cursor_execute", lambda *args: statements.append(args[2])
        )
        return store.on_call_user(connection, ours, None, MONDAY + timedelta(hours=1))

    assert await database.write_with(work) is not None
    assert len(statements) == 4
