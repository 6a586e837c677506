"""Writing a monitors file, as `tocsin export` does: only what differs from the defaults,
settings as stored with `${NAME}` escaped, and read back to the same monitors."""

from datetime import time, timedelta
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec
from tocsin.domain.monitors_plan import plan
from tocsin.domain.records import NewCheck
from tocsin.domain.run_rules import RunRules, checked
from tocsin.domain.schedule import Cron, Maintenance, Period
from tocsin.monitors.reading import read_monitors
from tocsin.monitors.writing import write_monitors

SLACK = ChannelSpec("slack", {"url": "https://hooks.slack.com/services/T0/B0/secret"})
MAIL = ChannelSpec("email", {"to": ["ops@example.com"]})
DAILY = Period(timedelta(days=1))


def round_trip(monitors: Monitors) -> Monitors:
    return read_monitors(write_monitors(monitors), "exported.yaml", {})


def check(
    schedule: Period | Cron = DAILY,
    *,
    paused: bool = False,
    channels: tuple[str, ...] | None = None,
    policy: str | None = None,
    **fields: Any,
) -> CheckSpec:
    """A check as the store gives it: a cron schedule's zone is the check's zone."""
    zone = {"tz": schedule.tz} if isinstance(schedule, Cron) else {}
    settings = NewCheck(schedule, timedelta(hours=1), **{**zone, **fields})
    return CheckSpec(settings, paused, channels, policy)


def test_a_project_is_written_channels_policies_then_checks_leaving_out_defaults() -> None:
    monitors = Monitors(
        checks={
            "db-backup": check(
                Cron("0 2 * * *", "Europe/Berlin"),
                name="DB backup",
                slug="db-backup",
                tags="db nightly",
                policy="escalate",
            ),
            "queue": check(
                Period(timedelta(minutes=15)),
                name="queue",
                slug="queue",
                methods="POST",
                manual_resume=True,
                paused=True,
                channels=("ops",),
            ),
        },
        channels={"ops": SLACK, "mail": MAIL},
        policies={
            "escalate": PolicySpec(
                steps=((timedelta(0), ("mail",)), (timedelta(minutes=10), ("ops",))),
                repeat_count=2,
                repeat_delay=timedelta(minutes=30),
                nag_interval=timedelta(hours=1),
            )
        },
    )
    assert write_monitors(monitors) == (
        "channels:\n"
        "  ops:\n"
        "    kind: slack\n"
        "    url: https://hooks.slack.com/services/T0/B0/secret\n"
        "  mail:\n"
        "    kind: email\n"
        "    to:\n"
        "    - ops@example.com\n"
        "policies:\n"
        "  escalate:\n"
        "    steps:\n"
        "    - wait: 0s\n"
        "      channels:\n"
        "      - mail\n"
        "    - wait: 10m\n"
        "      channels:\n"
        "      - ops\n"
        "    repeat_count: 2\n"
        "    repeat_delay: 30m\n"
        "    nag_interval: 1h\n"
        "checks:\n"
        "  db-backup:\n"
        "    name: DB backup\n"
        "    tags:\n"
        "    - db\n"
        "    - nightly\n"
        "    cron: 0 2 * * *\n"
        "    tz: Europe/Berlin\n"
        "    grace: 1h\n"
        "    policy: escalate\n"
        "  queue:\n"
        "    period: 15m\n"
        "    grace: 1h\n"
        "    methods: POST\n"
        "    manual_resume: true\n"
        "    paused: true\n"
        "    channels:\n"
        "    - ops\n"
    )


def test_an_empty_project_is_three_empty_sections() -> None:
    assert write_monitors(Monitors()) == "channels: {}\npolicies: {}\nchecks: {}\n"
    assert round_trip(Monitors()) == Monitors()


def test_a_check_on_every_channel_lists_none() -> None:
    monitors = Monitors(
        checks={"a": check(slug="a", name="a", channels=("mail", "ops"))},
        channels={"ops": SLACK, "mail": MAIL},
    )
    assert "channels" not in yaml.safe_load(write_monitors(monitors))["checks"]["a"]


def test_a_check_on_no_channel_lists_an_empty_list() -> None:
    monitors = Monitors(
        checks={"a": check(slug="a", name="a", channels=())}, channels={"ops": SLACK}
    )
    assert yaml.safe_load(write_monitors(monitors))["checks"]["a"]["channels"] == []
    assert round_trip(monitors).checks["a"].channels == ()


def test_a_check_without_a_name_keeps_it_empty_rather_than_taking_its_key() -> None:
    monitors = Monitors(checks={"a": check(slug="a", name="")})
    assert yaml.safe_load(write_monitors(monitors))["checks"]["a"]["name"] == ""
    assert round_trip(monitors).checks["a"].settings.name == ""


def test_a_period_schedule_in_another_zone_keeps_the_zone() -> None:
    monitors = Monitors(checks={"a": check(slug="a", name="a", tz="Asia/Tokyo")})
    assert yaml.safe_load(write_monitors(monitors))["checks"]["a"]["tz"] == "Asia/Tokyo"
    assert round_trip(monitors) == monitors


def test_settings_that_look_like_references_are_escaped_and_read_back_as_text() -> None:
    hook = ChannelSpec(
        "webhook",
        {
            "url": "https://example.com/${NOT_A_VARIABLE}",
            "headers": {"X-Literal": "${ALSO_NOT}", "X-Dollars": "$${TWICE}"},
            "body": "$NAME is $STATUS",
        },
    )
    written = yaml.safe_load(write_monitors(Monitors(channels={"hook": hook})))
    assert written["channels"]["hook"] == {
        "kind": "webhook",
        "url": "https://example.com/$${NOT_A_VARIABLE}",
        "headers": {"X-Literal": "$${ALSO_NOT}", "X-Dollars": "$$${TWICE}"},
        "body": "$NAME is $STATUS",
    }
    assert round_trip(Monitors(channels={"hook": hook})).channels["hook"] == hook


def test_secrets_are_written_as_stored() -> None:
    assert "T0/B0/secret" in write_monitors(Monitors(channels={"ops": SLACK}))


def test_text_yaml_would_read_as_something_else_is_quoted() -> None:
    monitors = Monitors(
        checks={
            "a": check(slug="a", name="yes", description="null", tags="1d true"),
            "b": check(slug="b", name="- [x]: #y", description="line one\nline two\n"),
        }
    )
    assert round_trip(monitors) == monitors


def test_a_maintenance_window_is_written_in_the_checks_zone_unless_it_has_its_own() -> None:
    window = Maintenance(frozenset({6, 5}), time(1), time(10, 30, 5), "Europe/Berlin")
    monitors = Monitors(
        checks={
            "a": check(slug="a", name="a", tz="Europe/Berlin", maintenance=window),
            "b": check(slug="b", name="b", maintenance=window),
        }
    )
    written = yaml.safe_load(write_monitors(monitors))["checks"]
    assert written["a"]["maintenance"] == {
        "days": ["sat", "sun"],
        "from": "01:00",
        "to": "10:30:05",
    }
    assert written["b"]["maintenance"] == {
        "days": ["sat", "sun"],
        "from": "01:00",
        "to": "10:30:05",
        "tz": "Europe/Berlin",
    }


def test_a_maintenance_window_survives_the_round_trip() -> None:
    window = Maintenance(frozenset({5, 6}), time(1), time(3), "Europe/Berlin")
    monitors = Monitors(checks={"a": check(slug="a", name="a", maintenance=window)})
    assert [str(c) for c in plan(round_trip(monitors), monitors, prune=True)] == [
        "unchanged check 'a'"
    ]


def test_a_next_line_character_survives_the_round_trip() -> None:
    monitors = Monitors(checks={"a": check(slug="a", name="DB\x85backup")})
    assert round_trip(monitors) == monitors


# Any project as stored reads back the same


def seconds(low: int, high: int) -> st.SearchStrategy[timedelta]:
    return st.integers(low, high).map(lambda n: timedelta(seconds=n))


DAY = 86_400
CHARACTER = st.characters(exclude_categories=["Cs"])
# Words without anything str.split() would split on.
WORD = st.text(st.characters(exclude_categories=("Z", "C")), min_size=1, max_size=12)
SLUG = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=30)
# Text with references, escaped ones and their pieces among the rest, to exercise escaping.
SETTING = (
    st.lists(
        st.sampled_from(["${A}", "$${B_1}", "$$", "${", "}"]) | st.text(CHARACTER, max_size=6),
        min_size=1,
        max_size=6,
    )
    .map("".join)
    .filter(bool)
)
ZONES = st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"])
TIMES = st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
WINDOWS = st.builds(Maintenance, st.frozensets(st.integers(0, 6), min_size=1), TIMES, TIMES, ZONES)
LIMITS = st.none() | seconds(1, 366 * DAY)
RULES = st.builds(
    RunRules, LIMITS, st.none(), LIMITS, st.booleans(), st.integers(1, 100), st.integers(1, 100)
).map(checked)
CRONS = st.sampled_from(["0 2 * * *", "*/15 9-17 * * 1-5", "30 4 1 jan,jul *", "@daily"])


@st.composite
def channels(draw: st.DrawFn) -> dict[str, ChannelSpec]:
    keys = draw(st.lists(st.text(CHARACTER, min_size=1, max_size=20), max_size=4, unique=True))
    found = {}
    for key in keys:
        if draw(st.booleans()):
            found[key] = ChannelSpec("slack", {"url": draw(SETTING)})
        else:
            headers = draw(
                st.dictionaries(st.text(CHARACTER, min_size=1, max_size=10), SETTING, max_size=3)
            )
            method = draw(st.sampled_from(["GET", "POST", "PUT"]))
            found[key] = ChannelSpec(
                "webhook", {"url": draw(SETTING), "method": method, "headers": headers}
            )
    return found


@st.composite
def policies(draw: st.DrawFn, channel_keys: list[str]) -> dict[str, PolicySpec]:
    keys = draw(st.lists(st.text(CHARACTER, min_size=1, max_size=20), max_size=3, unique=True))
    step = st.tuples(
        seconds(0, 30 * DAY),
        st.lists(st.sampled_from(channel_keys), unique=True).map(tuple)
        if channel_keys
        else st.just(()),
    )
    return {
        key: PolicySpec(
            tuple(draw(st.lists(step, max_size=3))),
            draw(st.integers(0, 100)),
            draw(seconds(0, 30 * DAY)),
            draw(st.none() | seconds(1, 30 * DAY)),
        )
        for key in keys
    }


@st.composite
def checks(
    draw: st.DrawFn, channel_keys: list[str], policy_keys: list[str]
) -> dict[str, CheckSpec]:
    keys = draw(st.lists(SLUG, max_size=4, unique=True))
    found = {}
    for key in keys:
        tz = draw(ZONES)
        if draw(st.booleans()):
            expression = draw(CRONS).replace("@daily", "0 0 * * *")
            schedule: Period | Cron = Cron(expression, tz)
        else:
            schedule = Period(draw(seconds(1, 365 * DAY)))
        linked = None
        if channel_keys:
            linked = draw(st.none() | st.lists(st.sampled_from(channel_keys), unique=True))
        # Every channel is written as no list, which reads back as None.
        if linked is not None and set(linked) == set(channel_keys):
            linked = None
        settings = NewCheck(
            schedule,
            draw(seconds(0, 365 * DAY)),
            name=draw(st.text(CHARACTER, max_size=100)),
            slug=key,
            tags=" ".join(draw(st.lists(WORD, max_size=5))),
            description=draw(st.text(CHARACTER, max_size=80)),
            manual_resume=draw(st.booleans()),
            methods=draw(st.sampled_from(["", "POST"])),
            tz=tz,
            maintenance=draw(st.none() | WINDOWS),
            rules=draw(RULES),
        )
        found[key] = CheckSpec(
            settings,
            paused=draw(st.booleans()),
            channels=None if linked is None else tuple(linked),
            policy=draw(st.none() | st.sampled_from(policy_keys)) if policy_keys else None,
        )
    return found


@st.composite
def projects(draw: st.DrawFn) -> Monitors:
    found_channels = draw(channels())
    found_policies = draw(policies(list(found_channels)))
    found_checks = draw(checks(list(found_channels), list(found_policies)))
    return Monitors(found_checks, found_channels, found_policies)


@settings(max_examples=100, deadline=None)
@given(projects())
def test_what_is_written_reads_back_the_same_so_applying_an_export_changes_nothing(
    monitors: Monitors,
) -> None:
    read_back = round_trip(monitors)
    assert read_back == monitors
    assert {change.verb for change in plan(read_back, monitors, prune=True)} <= {"unchanged"}
