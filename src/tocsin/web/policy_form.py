"""The escalation policy form: a name, ordered steps (each a wait, the channels it
notifies, the people it reaches with the methods it uses, the policies it hands the
incident over to, and its hours), repeats and
reminders, read into a `PolicySpec` with an error beside each
field that is wrong. Adding, removing or moving a step up is the same form sent back
with its steps rearranged. Pure."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from tocsin.domain.durations import DurationError, format_duration, parse_duration
from tocsin.domain.numbers import whole_number
from tocsin.domain.people import (
    DEFAULT_METHODS,
    ActiveHours,
    Method,
    Reach,
    TargetKind,
    parse_hours,
    parse_methods,
)
from tocsin.domain.records import PolicyRow

MAX_NAME = 100
MAX_STEPS = 20
MAX_REPEAT = 100
LONGEST = timedelta(days=30)


@dataclass
class StepValues:
    wait: str = "0s"
    channels: set[str] = field(default_factory=set)  # channel uuids
    members: set[str] = field(default_factory=set)  # user ids
    # `on_call`, `entire_team`, `round_robin`: the people targets without a value.
    people: set[str] = field(default_factory=set)
    every: set[str] = field(default_factory=set)  # channel kinds: every channel of each
    calendar: str = ""  # the on-call calendar's id; "": the project's default
    methods: set[str] = field(default_factory=lambda: {m.value for m in DEFAULT_METHODS})
    start: str = ""
    end: str = ""
    zone: str = ""
    rotation: set[str] = field(default_factory=set)  # the round robin's members; none: all
    policies: set[str] = field(default_factory=set)  # ids of policies handed over to
    # The stored order of the targets and of the round robin's members (`target_key`s
    # and user ids, space-separated), so that saving a step unchanged keeps it as it was.
    order: str = ""
    rotation_order: str = ""


# The people targets a box in the form stands for, without a value.
PEOPLE_BOXES = (TargetKind.ON_CALL, TargetKind.ENTIRE_TEAM, TargetKind.ROUND_ROBIN)
# The targets the form names with their value in a step's order.
VALUED = (TargetKind.MEMBER, TargetKind.CHANNELS_OF_KIND, TargetKind.POLICY)


@dataclass(frozen=True, slots=True)
class StepReach:
    """What a step reaches besides its channels, as the form says it: targets (each
    with a member's id, a calendar's id or a channel kind, else ""), methods and hours."""

    targets: tuple[tuple[TargetKind, str], ...] = ()
    methods: frozenset[Method] = DEFAULT_METHODS
    hours: ActiveHours | None = None
    rotation: tuple[str, ...] = ()  # the round robin's members by id, in turn; none: all


@dataclass
class PolicyForm:
    name: str = ""
    repeat: str = "0"
    repeat_delay: str = "0s"
    nag: str = ""
    steps: list[StepValues] = field(default_factory=lambda: [StepValues()])
    errors: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PolicySpec:
    name: str
    steps: list[tuple[timedelta, list[uuid.UUID]]]
    repeat_count: int
    repeat_delay: timedelta
    nag_interval: timedelta | None
    reaches: list[StepReach] = field(default_factory=list)


def form_of(policy: PolicyRow[uuid.UUID]) -> PolicyForm:
    """The form filled in with a stored policy, to edit it."""
    return PolicyForm(
        name=policy.name,
        repeat=str(policy.repeat_count),
        repeat_delay=format_duration(policy.repeat_delay),
        nag=format_duration(policy.nag_interval) if policy.nag_interval else "",
        steps=[
            step_values(wait, chosen, reach)
            for (wait, chosen), reach in zip(
                policy.steps, policy.reaches or [Reach()] * len(policy.steps), strict=True
            )
        ],
    )


def target_key(kind: TargetKind, value: str) -> str:
    """How the form names a target in a step's order: its kind, with its value if it
    has one (`member:3`, `every:slack`, `policy:2`)."""
    words = {TargetKind.CHANNELS_OF_KIND: "every"}
    return f"{words.get(kind, kind.value)}:{value}" if value else kind.value


def step_values(wait: timedelta, chosen: list[uuid.UUID], reach: Reach) -> StepValues:
    values = StepValues(format_duration(wait), {str(c) for c in chosen})
    keys = []
    for target in reach.targets:
        value = ""
        if target.kind == TargetKind.MEMBER:
            value = str(target.user_id)
            values.members.add(value)
        elif target.kind == TargetKind.CHANNELS_OF_KIND:
            value = target.channel_kind
            values.every.add(value)
        elif target.kind == TargetKind.POLICY:
            value = str(target.policy_id)
            values.policies.add(value)
        else:
            values.people.add(target.kind.value)
        if target.kind == TargetKind.ON_CALL and target.calendar_id is not None:
            values.calendar = str(target.calendar_id)
        if target.kind == TargetKind.ROUND_ROBIN:
            values.rotation = {str(u) for u in target.user_ids}
            values.rotation_order = " ".join(str(u) for u in target.user_ids)
        keys.append(target_key(target.kind, value))
    values.order = " ".join(keys)
    values.methods = {m.value for m in reach.methods}
    if reach.hours is not None:
        values.start, values.end = f"{reach.hours.start:%H:%M}", f"{reach.hours.end:%H:%M}"
        values.zone = reach.hours.zone
    return values


def in_order(keys: list[str], order: str) -> list[str]:
    """`keys` in the order `order` names them; the others after, as they were."""
    place = {key: n for n, key in enumerate(order.split())}
    return sorted(keys, key=lambda key: place.get(key, len(place)))


def rearranged(form: PolicyForm, action: str) -> bool:
    """Apply `add`, `remove:<n>` or `up:<n>` (swap step n with the one before) to the
    steps; False for any other action (saving)."""
    if action == "add":
        if len(form.steps) < MAX_STEPS:
            form.steps.append(StepValues())
        return True
    command, _, number = action.partition(":")
    at = whole_number(number)
    if command not in ("remove", "up") or at is None:
        return False
    if command == "remove" and at < len(form.steps):
        del form.steps[at]
    elif command == "up" and 0 < at < len(form.steps):
        form.steps[at - 1], form.steps[at] = form.steps[at], form.steps[at - 1]
    return True


def duration_in(form: PolicyForm, name: str, text: str) -> timedelta | None:
    try:
        value = parse_duration(text)
    except DurationError as error:
        form.errors[name] = str(error)
        return None
    if value < timedelta(0) or value > LONGEST:
        form.errors[name] = "between 0s and 30d"
        return None
    return value


def read_policy_form(form: PolicyForm, known: set[str]) -> PolicySpec | None:
    """The policy the form describes, or None with errors noted; `known` holds the
    uuids of the project's channels, the only ones a step may name."""
    name = " ".join(form.name.split())
    if not name or len(name) > MAX_NAME:
        form.errors["name"] = f"a name has 1 to {MAX_NAME} characters"
    repeat = whole_number(form.repeat)
    if repeat is None or repeat > MAX_REPEAT:
        form.errors["repeat"] = f"a whole number from 0 to {MAX_REPEAT}"
    delay = duration_in(form, "repeat_delay", form.repeat_delay)
    nag = duration_in(form, "nag", form.nag) if form.nag.strip() else None
    if nag is not None and nag <= timedelta(0):
        form.errors["nag"] = "longer than 0s, or empty for no reminders"
    steps = [read_step(form, n, step, known) for n, step in enumerate(form.steps)]
    reaches = [read_reach(form, n, step) for n, step in enumerate(form.steps)]
    if form.errors or delay is None or repeat is None:
        return None
    chosen = [step for step in steps if step is not None]
    return PolicySpec(name, chosen, repeat, delay, nag, [r for r in reaches if r is not None])


def read_reach(form: PolicyForm, n: int, step: StepValues) -> StepReach | None:
    """The step's people, methods and hours; None with an error noted."""
    targets: list[tuple[TargetKind, str]] = [
        (kind, step.calendar if kind == TargetKind.ON_CALL else "")
        for kind in PEOPLE_BOXES
        if kind.value in step.people
    ]
    targets += [(TargetKind.MEMBER, member) for member in sorted(step.members, key=int_key)]
    targets += [(TargetKind.CHANNELS_OF_KIND, kind) for kind in sorted(step.every)]
    targets += [(TargetKind.POLICY, policy) for policy in sorted(step.policies, key=int_key)]
    keyed = {
        target_key(kind, value if kind in VALUED else ""): (kind, value) for kind, value in targets
    }
    targets = [keyed[key] for key in in_order(list(keyed), step.order)]
    try:
        methods = parse_methods(",".join(sorted(step.methods)))
    except ValueError as error:
        form.errors[f"step-{n}-methods"] = str(error)
        return None
    if not methods and any(
        kind in PEOPLE_BOXES or kind == TargetKind.MEMBER for kind, _ in targets
    ):
        form.errors[f"step-{n}-methods"] = "choose how the step reaches people"
        return None
    hours = None
    if step.start or step.end:
        try:
            hours = parse_hours(f"{step.start}-{step.end}", step.zone.strip() or "UTC")
        except ValueError as error:
            form.errors[f"step-{n}-hours"] = str(error)
            return None
    rotation = in_order(sorted(step.rotation, key=int_key), step.rotation_order)
    return StepReach(tuple(targets), methods, hours, tuple(rotation))


def int_key(text: str) -> int:
    return whole_number(text) or 0


def read_step(
    form: PolicyForm, n: int, step: StepValues, known: set[str]
) -> tuple[timedelta, list[uuid.UUID]] | None:
    wait = duration_in(form, f"step-{n}-wait", step.wait)
    if step.channels - known:
        form.errors[f"step-{n}-channels"] = "a chosen channel no longer exists"
    if wait is None:
        return None
    return wait, sorted(uuid.UUID(c) for c in step.channels & known)
