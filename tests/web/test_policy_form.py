"""The escalation policy form: filled in from a stored policy, its steps added, removed
and moved up, and read into a policy with an error beside each field that is wrong."""

import uuid
from datetime import time, timedelta

import pytest

from tocsin.domain.people import ActiveHours, Method, Reach, Target, TargetKind
from tocsin.domain.records import PolicyRow
from tocsin.web.policy_form import (
    PolicyForm,
    PolicySpec,
    StepReach,
    StepValues,
    form_of,
    read_policy_form,
    rearranged,
)

MAIL = uuid.UUID("00000000-0000-4000-8000-00000000000a")
PAGER = uuid.UUID("00000000-0000-4000-8000-00000000000b")
GONE = "00000000-0000-4000-8000-0000000000ff"
KNOWN = {str(MAIL), str(PAGER)}


def filled(**values: object) -> PolicyForm:
    form = PolicyForm(name="escalate", steps=[StepValues("0s", {str(MAIL)})])
    for name, value in values.items():
        setattr(form, name, value)
    return form


def test_a_filled_in_form_reads_into_a_policy() -> None:
    form = PolicyForm(
        name="  night   shift ",
        repeat="2",
        repeat_delay="30m",
        nag="1h",
        steps=[StepValues("0s", {str(PAGER), str(MAIL)}), StepValues("10m", {str(PAGER)})],
    )
    assert read_policy_form(form, KNOWN) == PolicySpec(
        name="night shift",
        steps=[(timedelta(0), [MAIL, PAGER]), (timedelta(minutes=10), [PAGER])],
        repeat_count=2,
        repeat_delay=timedelta(minutes=30),
        nag_interval=timedelta(hours=1),
        reaches=[StepReach(), StepReach()],
    )
    assert form.errors == {}


def test_a_new_form_is_one_immediate_step_with_no_repeats_or_reminders() -> None:
    spec = read_policy_form(PolicyForm(name="p"), KNOWN)
    assert spec == PolicySpec("p", [(timedelta(0), [])], 0, timedelta(0), None, [StepReach()])


@pytest.mark.parametrize("nag", ["", "   "])
def test_an_empty_reminder_means_none(nag: str) -> None:
    spec = read_policy_form(filled(nag=nag), KNOWN)
    assert spec is not None
    assert spec.nag_interval is None


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"name": ""}, {"name": "a name has 1 to 100 characters"}),
        ({"name": "   "}, {"name": "a name has 1 to 100 characters"}),
        ({"name": "n" * 101}, {"name": "a name has 1 to 100 characters"}),
        ({"repeat": "101"}, {"repeat": "a whole number from 0 to 100"}),
        ({"repeat": "-1"}, {"repeat": "a whole number from 0 to 100"}),
        ({"repeat": "two"}, {"repeat": "a whole number from 0 to 100"}),
        ({"repeat": ""}, {"repeat": "a whole number from 0 to 100"}),
        ({"repeat_delay": "31d"}, {"repeat_delay": "between 0s and 30d"}),
        (
            {"repeat_delay": "soon"},
            {
                "repeat_delay": "invalid duration 'soon': use a number with a unit, like 90s, "
                "15m, 1h30m or 1d"
            },
        ),
        ({"nag": "0s"}, {"nag": "longer than 0s, or empty for no reminders"}),
        ({"nag": "5w"}, {"nag": "between 0s and 30d"}),
        ({"steps": [StepValues("31d", {str(MAIL)})]}, {"step-0-wait": "between 0s and 30d"}),
        (
            {"steps": [StepValues("0s", {str(MAIL)}), StepValues("1m", {GONE, str(MAIL)})]},
            {"step-1-channels": "a chosen channel no longer exists"},
        ),
    ],
)
def test_each_error_is_noted_beside_its_field(
    values: dict[str, object], errors: dict[str, str]
) -> None:
    form = filled(**values)
    assert read_policy_form(form, KNOWN) is None
    assert form.errors == errors


def test_every_error_is_noted_at_once() -> None:
    form = PolicyForm(
        name="",
        repeat="x",
        repeat_delay="x",
        nag="0s",
        steps=[StepValues("x", set()), StepValues("1m", {GONE})],
    )
    assert read_policy_form(form, KNOWN) is None
    assert set(form.errors) == {
        "name",
        "repeat",
        "repeat_delay",
        "nag",
        "step-0-wait",
        "step-1-channels",
    }


def test_the_longest_waits_and_repeats_allowed_are_accepted() -> None:
    form = filled(repeat="100", repeat_delay="30d", nag="30d", name="n" * 100)
    spec = read_policy_form(form, KNOWN)
    assert spec is not None
    assert (spec.repeat_count, spec.repeat_delay, spec.nag_interval) == (
        100,
        timedelta(days=30),
        timedelta(days=30),
    )


@pytest.mark.parametrize("repeat", ["²", "1" * 5000])
def test_a_repeat_count_that_only_looks_like_digits_is_an_error(repeat: str) -> None:
    form = filled(repeat=repeat)
    assert read_policy_form(form, KNOWN) is None
    assert form.errors == {"repeat": "a whole number from 0 to 100"}


# Filling in a stored policy


def test_a_stored_policy_fills_in_the_form_it_was_saved_from() -> None:
    stored = PolicyRow(
        id=7,
        name="escalate",
        repeat_count=2,
        repeat_delay=timedelta(minutes=30),
        nag_interval=timedelta(hours=1),
        steps=[(timedelta(0), [MAIL]), (timedelta(minutes=90), [MAIL, PAGER])],
    )
    form = form_of(stored)
    assert form == PolicyForm(
        name="escalate",
        repeat="2",
        repeat_delay="30m",
        nag="1h",
        steps=[StepValues("0s", {str(MAIL)}), StepValues("1h30m", {str(MAIL), str(PAGER)})],
    )
    spec = read_policy_form(form, KNOWN)
    assert spec == PolicySpec(
        "escalate",
        stored.steps,
        stored.repeat_count,
        stored.repeat_delay,
        stored.nag_interval,
        [StepReach(), StepReach()],
    )


def test_a_stored_policy_without_reminders_leaves_the_field_empty() -> None:
    stored: PolicyRow[uuid.UUID] = PolicyRow(1, "p", 0, timedelta(0), None, [])
    assert form_of(stored) == PolicyForm(name="p", repeat="0", repeat_delay="0s", nag="", steps=[])


# Rearranging the steps


def three_steps() -> PolicyForm:
    return PolicyForm(name="p", steps=[StepValues("0s"), StepValues("1m"), StepValues("2m")])


def waits(form: PolicyForm) -> list[str]:
    return [step.wait for step in form.steps]


def test_add_appends_an_immediate_step() -> None:
    form = three_steps()
    assert rearranged(form, "add")
    assert waits(form) == ["0s", "1m", "2m", "0s"]
    assert form.steps[-1].channels == set()


def test_add_stops_at_twenty_steps() -> None:
    form = PolicyForm(name="p", steps=[StepValues(f"{n}m") for n in range(20)])
    assert rearranged(form, "add")
    assert len(form.steps) == 20


@pytest.mark.parametrize(
    ("action", "expected"),
    [
        ("remove:0", ["1m", "2m"]),
        ("remove:2", ["0s", "1m"]),
        ("remove:3", ["0s", "1m", "2m"]),
        ("up:1", ["1m", "0s", "2m"]),
        ("up:2", ["0s", "2m", "1m"]),
        ("up:0", ["0s", "1m", "2m"]),
        ("up:3", ["0s", "1m", "2m"]),
    ],
)
def test_remove_and_up_move_the_step_numbered_or_leave_the_steps_when_out_of_range(
    action: str, expected: list[str]
) -> None:
    form = three_steps()
    assert rearranged(form, action)
    assert waits(form) == expected


@pytest.mark.parametrize("action", ["", "save", "remove", "remove:", "remove:-1", "down:1", "up:x"])
def test_any_other_action_is_saving_and_changes_no_step(action: str) -> None:
    form = three_steps()
    assert not rearranged(form, action)
    assert waits(form) == ["0s", "1m", "2m"]


def test_moving_a_step_keeps_its_channels() -> None:
    form = PolicyForm(name="p", steps=[StepValues("0s", {str(MAIL)}), StepValues("5m", {GONE})])
    rearranged(form, "up:1")
    assert form.steps == [StepValues("5m", {GONE}), StepValues("0s", {str(MAIL)})]


def test_a_step_number_that_only_looks_like_digits_is_no_rearrangement() -> None:
    assert not rearranged(three_steps(), "remove:²")


def test_a_step_reaches_people_by_its_methods_within_its_hours() -> None:
    step = StepValues(
        "0s",
        members={"7", "3"},
        people={"on_call", "entire_team"},
        every={"slack"},
        methods={"email", "call"},
        start="20:00",
        end="08:00",
        zone="Europe/Berlin",
    )
    spec = read_policy_form(filled(steps=[step]), KNOWN)
    assert spec is not None
    assert spec.reaches == [
        StepReach(
            (
                (TargetKind.ON_CALL, ""),
                (TargetKind.ENTIRE_TEAM, ""),
                (TargetKind.MEMBER, "3"),
                (TargetKind.MEMBER, "7"),
                (TargetKind.CHANNELS_OF_KIND, "slack"),
            ),
            frozenset({Method.EMAIL, Method.CALL}),
            ActiveHours(time(20), time(8), "Europe/Berlin"),
        )
    ]


@pytest.mark.parametrize(
    ("step", "name", "message"),
    [
        (StepValues(people={"entire_team"}, methods=set()), "step-0-methods", "choose how"),
        (StepValues(methods={"fax"}), "step-0-methods", "unknown method 'fax'"),
        (StepValues(start="8", end="20:00"), "step-0-hours", "not a time of day"),
        (StepValues(start="08:00", end="20:00", zone="Mars/Base"), "step-0-hours", "time zone"),
    ],
)
def test_people_methods_and_hours_are_checked(step: StepValues, name: str, message: str) -> None:
    form = filled(steps=[step])
    assert read_policy_form(form, KNOWN) is None
    assert message in form.errors[name]


def test_a_stored_step_with_people_fills_the_form_back() -> None:
    reach = Reach(
        (Target(TargetKind.MEMBER, user_id=3), Target(TargetKind.ROUND_ROBIN)),
        frozenset({Method.PUSH}),
        ActiveHours(time(8), time(20), "UTC"),
    )
    stored: PolicyRow[uuid.UUID] = PolicyRow(
        1, "p", 0, timedelta(0), None, [(timedelta(0), [])], [reach]
    )
    [step] = form_of(stored).steps
    assert (step.members, step.people, step.methods) == ({"3"}, {"round_robin"}, {"push"})
    assert (step.start, step.end, step.zone) == ("08:00", "20:00", "UTC")
