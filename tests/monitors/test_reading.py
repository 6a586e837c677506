"""Reading a monitors file: what each field becomes, the defaults, `${NAME}` references,
and every problem reported at once as `FILE:LINE: PATH: what is wrong`."""

from collections.abc import Mapping
from datetime import time, timedelta
from textwrap import dedent

import pytest

from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec
from tocsin.domain.records import NewCheck
from tocsin.domain.schedule import Cron, Maintenance, Period
from tocsin.monitors.reading import MonitorsError, read_monitors

FILE = "monitors.yaml"
KINDS = (
    "apprise, discord, email, googlechat, gotify, matrix, mattermost, msteams, ntfy, "
    "opsgenie, pagerduty, pushover, slack, telegram, twilio, webhook"
)


def read(text: str, environ: Mapping[str, str] | None = None) -> Monitors:
    return read_monitors(dedent(text), FILE, environ or {})


def problems(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
    with pytest.raises(MonitorsError) as caught:
        read(text, environ)
    assert str(caught.value) == "\n".join(caught.value.problems)
    return caught.value.problems


# What a file becomes


@pytest.mark.parametrize("text", ["", "\n", "# nothing yet\n", "checks:\nchannels:\npolicies:\n"])
def test_an_empty_file_or_empty_sections_describe_nothing(text: str) -> None:
    assert read(text) == Monitors()


def test_every_check_field_is_read() -> None:
    monitors = read(
        """\
        channels:
          ops:
            kind: slack
            url: https://hooks.slack.com/services/T0/B0/x
        policies:
          loud:
            steps: []
        checks:
          db-backup:
            name: DB backup
            tags: [db, nightly]
            description: "Dumps every database\\nat two."
            cron: "0 2 * * *"
            tz: Europe/Berlin
            grace: 30m
            methods: POST
            manual_resume: true
            paused: true
            channels: [ops]
            policy: loud
        """
    )
    assert monitors.checks == {
        "db-backup": CheckSpec(
            NewCheck(
                Cron("0 2 * * *", "Europe/Berlin"),
                timedelta(minutes=30),
                name="DB backup",
                slug="db-backup",
                tags="db nightly",
                description="Dumps every database\nat two.",
                manual_resume=True,
                methods="POST",
                tz="Europe/Berlin",
            ),
            paused=True,
            channels=("ops",),
            policy="loud",
        )
    }


def test_a_check_with_only_a_period_takes_the_documented_defaults() -> None:
    check = read("checks:\n  queue:\n    period: 15m\n").checks["queue"]
    assert check == CheckSpec(
        NewCheck(Period(timedelta(minutes=15)), timedelta(hours=1), name="queue", slug="queue")
    )
    assert check.channels is None  # every channel of the file
    assert check.policy is None
    assert check.settings.tz == "UTC"


def test_a_period_schedule_keeps_its_zone_for_a_later_switch_to_cron() -> None:
    settings = read("checks:\n  a:\n    period: 1h\n    tz: Asia/Tokyo\n").checks["a"].settings
    assert settings.schedule == Period(timedelta(hours=1))
    assert settings.tz == "Asia/Tokyo"


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        ("[db, nightly]", "db nightly"),
        ("db nightly", "db nightly"),
        ("'  db    nightly '", "db nightly"),
        ("[]", ""),
        ("", ""),
    ],
)
def test_tags_are_a_list_or_words(tags: str, expected: str) -> None:
    check = read(f"checks:\n  a:\n    period: 1d\n    tags: {tags}\n").checks["a"]
    assert check.settings.tags == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90)), ("2w", timedelta(weeks=2))],
)
def test_durations_are_spelled_as_everywhere(value: str, expected: timedelta) -> None:
    check = read(f"checks:\n  a:\n    period: {value}\n    grace: {value}\n").checks["a"]
    assert check.settings.schedule == Period(expected)
    assert check.settings.grace == expected


def test_a_bare_number_is_refused_for_it_could_mean_any_unit() -> None:
    found = problems("checks:\n  a:\n    period: 90\n")
    assert len(found) == 1
    assert "checks.a.period" in found[0]
    assert "a unit is required, like 90s, 90m, 90h or 90d" in found[0]


def test_a_maintenance_window_is_in_the_checks_zone_unless_it_names_its_own() -> None:
    text = """\
        checks:
          a:
            cron: "0 2 * * *"
            tz: Europe/Berlin
            maintenance:
              days: [sat, sun]
              from: 01:00
              to: 10:30
          b:
            period: 1d
            maintenance:
              days: mon
              from: "23:00:30"
              to: "02:00"
              tz: Asia/Kolkata
        """
    checks = read(text).checks
    assert checks["a"].settings.maintenance == Maintenance(
        frozenset({5, 6}), time(1), time(10, 30), "Europe/Berlin"
    )
    assert checks["b"].settings.maintenance == Maintenance(
        frozenset({0}), time(23, 0, 30), time(2), "Asia/Kolkata"
    )


@pytest.mark.parametrize("window", ["", "    maintenance:\n"])
def test_no_maintenance_is_no_window(window: str) -> None:
    check = read(f"checks:\n  a:\n    period: 1d\n{window}").checks["a"]
    assert check.settings.maintenance is None


MAINTENANCE = "checks:\n  a:\n    period: 1d\n    maintenance:\n"


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (
            "      days: [sat, Sunday]\n      from: '01:00'\n      to: '02:00'\n",
            [
                "monitors.yaml:5: checks.a.maintenance.days: unknown weekday Sunday: use mon, tue, "
                "wed, thu, fri, sat, sun"
            ],
        ),
        (
            "      days: []\n      from: '01:00'\n      to: '02:00'\n",
            [
                "monitors.yaml:5: checks.a.maintenance.days: needs at least one weekday, e.g. "
                "[sat, sun]"
            ],
        ),
        (
            "      days: [sat]\n      from: 1:00\n      to: '02:00:00.5'\n",
            [
                "monitors.yaml:6: checks.a.maintenance.from: invalid time of day '1:00': use "
                "HH:MM:SS",
                "monitors.yaml:7: checks.a.maintenance.to: 02:00:00.5 is not a whole number of "
                "seconds",
            ],
        ),
        (
            "      days: [sat]\n",
            [
                "monitors.yaml:5: checks.a.maintenance.from: needs a time of day, e.g. 01:30",
                "monitors.yaml:5: checks.a.maintenance.to: needs a time of day, e.g. 01:30",
            ],
        ),
        (
            "      days: [sat]\n      from: '01:00'\n      to: '02:00'\n      tz: Mars\n",
            [
                "monitors.yaml:8: checks.a.maintenance.tz: unknown time zone 'Mars': use an IANA "
                "name such as Europe/Berlin or UTC"
            ],
        ),
        (
            "      days: [sat]\n      from: '01:00'\n      until: '02:00'\n",
            [
                "monitors.yaml:5: checks.a.maintenance.to: needs a time of day, e.g. 01:30",
                "monitors.yaml:7: checks.a.maintenance.until: unknown key 'until'; expected one "
                "of: days, from, to, tz",
            ],
        ),
        (
            "      sat\n",
            ["monitors.yaml:5: checks.a.maintenance: expected a mapping of keys to values"],
        ),
    ],
)
def test_a_bad_maintenance_window_is_reported_at_its_line(window: str, expected: list[str]) -> None:
    assert problems(MAINTENANCE + window) == expected


def test_a_cron_expression_is_kept_with_single_spaces() -> None:
    check = read("checks:\n  a:\n    cron: '*/5   9-17 * *  1-5'\n").checks["a"]
    assert check.settings.schedule == Cron("*/5 9-17 * * 1-5", "UTC")


def test_an_empty_channel_list_is_no_channel_not_every_channel() -> None:
    monitors = read(
        """\
        channels:
          ops: {kind: slack, url: "https://hooks.slack.com/x"}
        checks:
          quiet: {period: 1d, channels: []}
          loud: {period: 1d}
        """
    )
    assert monitors.channels_of(monitors.checks["quiet"]) == ()
    assert monitors.channels_of(monitors.checks["loud"]) == ("ops",)


def test_objects_keep_the_files_order() -> None:
    monitors = read(
        """\
        channels:
          zulu: {kind: slack, url: "https://hooks.slack.com/z"}
          alpha: {kind: slack, url: "https://hooks.slack.com/a"}
        policies:
          second: {}
          first: {}
        checks:
          c: {period: 1d}
          a: {period: 1d}
          b: {period: 1d}
        """
    )
    assert list(monitors.channels) == ["zulu", "alpha"]
    assert list(monitors.policies) == ["second", "first"]
    assert list(monitors.checks) == ["c", "a", "b"]


def test_a_channel_keeps_its_settings_as_written_and_typed() -> None:
    monitors = read(
        """\
        channels:
          phone:
            kind: ntfy
            url: https://ntfy.sh/backups
            priority: 4
          hook:
            kind: webhook
            url: https://example.com/hook
            headers: {X-Token: abc}
            down: {method: PUT, body: "$NAME is down"}
        """
    )
    assert monitors.channels == {
        "phone": ChannelSpec("ntfy", {"url": "https://ntfy.sh/backups", "priority": 4}),
        "hook": ChannelSpec(
            "webhook",
            {
                "url": "https://example.com/hook",
                "headers": {"X-Token": "abc"},
                "down": {"method": "PUT", "body": "$NAME is down"},
            },
        ),
    }


def test_variables_are_replaced_in_text_settings_at_any_depth() -> None:
    environ = {"HOOK": "https://example.com/h", "TOKEN": "s3cret", "ROOM": "ops"}
    monitors = read(
        """\
        channels:
          hook:
            kind: webhook
            url: ${HOOK}/${ROOM}?x=1
            headers: {Authorization: "Bearer ${TOKEN}"}
            up: {headers: {X-Room: "${ROOM}"}}
        """,
        environ,
    )
    assert monitors.channels["hook"].config == {
        "url": "https://example.com/h/ops?x=1",
        "headers": {"Authorization": "Bearer s3cret"},
        "up": {"headers": {"X-Room": "ops"}},
    }


def test_a_doubled_dollar_is_the_reference_as_text() -> None:
    monitors = read(
        "channels:\n  hook:\n    kind: webhook\n    url: https://example.com/$${HOOK}/${HOOK}\n",
        {"HOOK": "replaced"},
    )
    assert monitors.channels["hook"].config["url"] == "https://example.com/${HOOK}/replaced"


@pytest.mark.parametrize("text", ["$HOOK", "${1HOOK}", "${}", "$ {HOOK}", "{HOOK}"])
def test_text_that_is_not_a_reference_stays_as_it_is(text: str) -> None:
    monitors = read(f"channels:\n  hook:\n    kind: webhook\n    url: 'https://x/{text}'\n")
    assert monitors.channels["hook"].config["url"] == f"https://x/{text}"


def test_a_policy_is_read_with_its_steps_in_order() -> None:
    monitors = read(
        """\
        channels:
          mail: {kind: email, to: [ops@example.com]}
          pager: {kind: pagerduty, routing_key: abc}
        policies:
          escalate:
            steps:
              - channels: [mail]
              - wait: 10m
                channels: [pager, mail]
            repeat_count: 2
            repeat_delay: 30m
            nag_interval: 1h
          quiet: {}
        """
    )
    assert monitors.policies == {
        "escalate": PolicySpec(
            steps=((timedelta(0), ("mail",)), (timedelta(minutes=10), ("pager", "mail"))),
            repeat_count=2,
            repeat_delay=timedelta(minutes=30),
            nag_interval=timedelta(hours=1),
        ),
        "quiet": PolicySpec(),
    }


def test_a_step_without_channels_notifies_none() -> None:
    policy = read("policies:\n  p:\n    steps:\n      - wait: 5m\n").policies["p"]
    assert policy.steps == ((timedelta(minutes=5), ()),)


@pytest.mark.parametrize("count", ["0", "100", "0x10"])
def test_a_repeat_count_is_a_whole_number_yaml_spells(count: str) -> None:
    policy = read(f"policies:\n  p:\n    repeat_count: {count}\n").policies["p"]
    assert policy.repeat_count == int(count, 0)


@pytest.mark.parametrize(("word", "expected"), [("true", True), ("false", False), ("yes", True)])
def test_flags_are_yaml_booleans(word: str, expected: bool) -> None:
    check = read(f"checks:\n  a:\n    period: 1d\n    paused: {word}\n").checks["a"]
    assert check.paused is expected


# Problems, each at its line and path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "checks:\n  a:\n    period: 1d\n    cron: '0 2 * * *'\n",
            "monitors.yaml:4: checks.a.cron: give either period or cron, not both",
        ),
        (
            "checks:\n  a:\n    period:\n",
            "monitors.yaml:3: checks.a.period: needs a duration, e.g. 1d",
        ),
        (
            "checks:\n  a:\n    period: 0s\n",
            "monitors.yaml:3: checks.a.period: period must be between 1s and 52w1d, not 0s",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    grace: 400d\n",
            "monitors.yaml:4: checks.a.grace: grace must be between 0s and 52w1d, not 57w1d",
        ),
        (
            "checks:\n  a:\n    period: 1500ms\n",
            "monitors.yaml:3: checks.a.period: 1s500ms is not a whole number of seconds",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    grace: 1.5s\n",
            "monitors.yaml:4: checks.a.grace: 1s500ms is not a whole number of seconds",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    methods: GET\n",
            "monitors.yaml:4: checks.a.methods: must be POST (ignore GET and HEAD pings) or "
            "empty, not 'GET'",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    name: [x]\n",
            "monitors.yaml:4: checks.a.name: expected text",
        ),
        (
            f"checks:\n  a:\n    period: 1d\n    name: {'n' * 101}\n",
            "monitors.yaml:4: checks.a.name: longer than 100 characters",
        ),
        (
            f"checks:\n  a:\n    period: 1d\n    tags: {'t' * 501}\n",
            "monitors.yaml:4: checks.a.tags: longer than 500 characters",
        ),
        (
            f"checks:\n  {'a' * 101}:\n    period: 1d\n",
            f"monitors.yaml:2: checks.{'a' * 101}: a check's key is its slug: lower-case "
            "letters, digits, - and _",
        ),
        (
            "checks:\n  a:\n    cron: '0 2 * * *'\n    tz: Mars/Olympus\n",
            "monitors.yaml:4: checks.a.tz: unknown time zone 'Mars/Olympus': use an IANA name "
            "such as Europe/Berlin or UTC",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    manual_resume: 1\n",
            "monitors.yaml:4: checks.a.manual_resume: expected true or false, not '1'",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    bogus: 1\n",
            "monitors.yaml:4: checks.a.bogus: unknown key 'bogus'; expected one of: name, tags, "
            "description, period, cron, oncalendar, tz, grace, maintenance, methods, "
            "manual_resume, paused, channels, policy, depends_on, runs, keywords",
        ),
        (
            "checks:\n  a:\n    period: 1d\n    channel: []\n",
            "monitors.yaml:4: checks.a.channel: unknown key 'channel'; did you mean 'channels'?",
        ),
    ],
)
def test_a_bad_check_field_is_reported_at_its_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n", "monitors.yaml:1: the file: expected a mapping of keys to values"),
        ("checks: [a]\n", "monitors.yaml:1: checks: expected a mapping of keys to values"),
        ("checks:\n  ? [a]\n  : 1\n", "monitors.yaml:2: checks: keys must be plain text"),
        ("policies:\n  p:\n    steps: 5\n", "monitors.yaml:3: policies.p.steps: expected a list"),
        (
            "policies:\n  p:\n    steps:\n      - 5\n",
            "monitors.yaml:4: policies.p.steps[0]: expected a mapping of keys to values",
        ),
        (
            "policies:\n  p:\n    steps:\n      - wait: 1m\n        chanels: []\n",
            "monitors.yaml:5: policies.p.steps[0].chanels: unknown key 'chanels'; "
            "did you mean 'channels'?",
        ),
        (
            "policies:\n  p:\n    repeat_count: two\n",
            "monitors.yaml:3: policies.p.repeat_count: must be a whole number from 0 to 100",
        ),
        (
            "policies:\n  p:\n    repeat_count: -1\n",
            "monitors.yaml:3: policies.p.repeat_count: must be a whole number from 0 to 100",
        ),
        (
            "policies:\n  p:\n    repeat_count: 1.0\n",
            "monitors.yaml:3: policies.p.repeat_count: must be a whole number from 0 to 100",
        ),
        (
            "policies:\n  p:\n    repeat_delay: 1x\n",
            "monitors.yaml:3: policies.p.repeat_delay: invalid duration '1x': use a number with "
            "a unit, like 90s, 15m, 1h30m or 1d",
        ),
        (
            f"policies:\n  {'p' * 101}: {{}}\n",
            f"monitors.yaml:2: policies.{'p' * 101}: a policy's name is 1 to 100 characters",
        ),
        (
            "channels:\n  ops: {}\n",
            f"monitors.yaml:2: channels.ops: needs a kind, one of: {KINDS}",
        ),
        (
            f"channels:\n  {'c' * 101}:\n    kind: slack\n    url: https://x\n",
            f"monitors.yaml:2: channels.{'c' * 101}: a channel's name is at most 100 characters",
        ),
        (
            "channels:\n  ops:\n    kind: slack\n    url: https://x\n    channel: '#ops'\n",
            "monitors.yaml:5: channels.ops.channel: unknown key 'channel'; expected one of: "
            "url, interactive",
        ),
        (
            "channels:\n  hook:\n    kind: webhook\n    url: https://x\n    method: DELETE\n",
            "monitors.yaml:5: channels.hook.method: Input should be 'GET', 'POST' or 'PUT'",
        ),
        (
            "channels:\n  hook:\n    kind: webhook\n    url: https://x\n"
            "    down:\n      method: DELETE\n",
            "monitors.yaml:6: channels.hook.down.method: Input should be 'GET', 'POST' or 'PUT'",
        ),
        (
            "channels:\n  ops:\n    kind: slack\n    url: ${UNSET_IN_THIS_TEST}\n",
            "monitors.yaml:4: channels.ops.url: environment variable UNSET_IN_THIS_TEST is not set",
        ),
    ],
)
def test_a_bad_structure_or_setting_is_reported_at_its_line(text: str, expected: str) -> None:
    assert problems(text) == [expected]


def test_a_setting_the_kind_requires_is_reported_at_the_channel() -> None:
    assert problems("channels:\n  hook:\n    kind: webhook\n") == [
        "monitors.yaml:2: channels.hook.url: Field required"
    ]


def test_broken_yaml_is_reported_at_its_line() -> None:
    assert problems("checks:\n  a:\n    period: 1d\n   grace: 1h\n") == [
        "monitors.yaml:4: expected <block end>, but found '<block mapping start>'"
    ]


def test_text_that_yaml_refuses_is_reported_with_the_file_name() -> None:
    [problem] = problems("checks:\x00\n")
    assert problem.startswith("monitors.yaml: unacceptable character #x0000")


def test_the_file_name_given_is_the_one_reported() -> None:
    with pytest.raises(MonitorsError) as caught:
        read_monitors("checks:\n  a: {}\n", "deploy/prod.yml", {})
    assert caught.value.problems == [
        "deploy/prod.yml:2: checks.a: needs a schedule: a period, a cron expression "
        "or OnCalendar expressions"
    ]


def test_every_problem_is_reported_in_the_files_order() -> None:
    """References are checked after everything else, yet reported at their own lines."""
    text = """\
        checks:
          a:
            period: 1d
            channels: [nowhere]
          b:
            period: 1x
        policies:
          p:
            steps:
              - channels: [nowhere]
            repeat_count: 101
        """
    assert problems(text) == [
        "monitors.yaml:4: checks.a.channels[0]: no channel named 'nowhere' in this file",
        "monitors.yaml:6: checks.b.period: invalid duration '1x': use a number with a unit, "
        "like 90s, 15m, 1h30m or 1d",
        "monitors.yaml:10: policies.p.steps[0].channels[0]: no channel named 'nowhere' "
        "in this file",
        "monitors.yaml:11: policies.p.repeat_count: must be a whole number from 0 to 100",
    ]


def test_a_missing_policy_is_named() -> None:
    assert problems("checks:\n  a:\n    period: 1d\n    policy: loud\n") == [
        "monitors.yaml:4: checks.a.policy: no policy named 'loud' in this file"
    ]


def test_duplicate_keys_are_each_reported() -> None:
    text = "checks:\n  a: {period: 1d}\n  a: {period: 2d}\nchecks: {}\n"
    assert problems(text) == [
        "monitors.yaml:3: checks.a: duplicate key",
        "monitors.yaml:4: checks: duplicate key",
    ]


@pytest.mark.parametrize("count", ["017", "1:30", "1__0", "1" * 5000])
def test_a_repeat_count_in_a_yaml_integer_form_python_does_not_read_is_a_problem(
    count: str,
) -> None:
    # YAML 1.1 reads 017 as octal 15 and 1:30 as 90 (base 60): a surprise either way,
    # so a problem line, as is what int() cannot read at all.
    assert problems(f"policies:\n  p:\n    repeat_count: {count}\n") == [
        "monitors.yaml:3: policies.p.repeat_count: must be a whole number from 0 to 100"
    ]


def test_a_grace_of_nothing_is_kept() -> None:
    check = read("checks:\n  a:\n    period: 1d\n    grace: 0s\n").checks["a"]
    assert check.settings.grace == timedelta(0)


def test_a_reference_to_a_channel_or_policy_with_a_problem_is_not_reported_as_missing() -> None:
    text = """\
        channels:
          mail:
            kind: email
            to: [nobody]
        policies:
          loud:
            repeat_count: 500
            steps:
              - channels: [mail]
        checks:
          a:
            period: 1d
            channels: [mail]
            policy: loud
        """
    assert problems(text) == [
        "monitors.yaml:4: channels.mail.to: Value error, not an email address: nobody",
        "monitors.yaml:7: policies.loud.repeat_count: must be a whole number from 0 to 100",
    ]
