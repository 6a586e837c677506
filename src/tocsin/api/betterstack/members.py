"""An escalation step's `step_members` in Better Stack's words, to Tocsin's targets and
back. Pure.

Accepted types: `channel` (one of the project's channels, by uuid: Tocsin's own
"specific integration"), `current_on_call` (whoever is on call in the calendar `id`,
or the project's default calendar without one), `entire_team`, `user` (a member by
`id` or `email`), `policy` (hand the incident over to another policy of the project,
`id`), `round_robin` (Tocsin's own: the next of `user_ids`, or of every member, each
time), and `all_<kind>_integrations` for each channel kind Tocsin has (every channel
of that kind in the project when the step runs; Better Stack's
`all_microsoft_teams_integrations` is Tocsin's `msteams`, `all_google_chat_integrations`
its `googlechat`). Anything else is refused by naming the types accepted.
"""

from dataclasses import dataclass, field
from typing import Any

from tocsin.domain.people import Target, TargetKind
from tocsin.services.policies import TargetSpec

CHANNEL = "channel"
ON_CALL = "current_on_call"
TEAM = "entire_team"
USER = "user"
POLICY = "policy"
ROUND_ROBIN = "round_robin"
# Better Stack's names for Tocsin's channel kinds where they differ.
KIND_NAMES = {"msteams": "microsoft_teams", "googlechat": "google_chat"}


def all_of_kind(kind: str) -> str:
    return f"all_{KIND_NAMES.get(kind, kind)}_integrations"


def accepted_types(kinds: list[str]) -> list[str]:
    """Every `type` a step member may have, as the 422 lists them."""
    people = [CHANNEL, ON_CALL, TEAM, USER, POLICY, ROUND_ROBIN]
    return people + [all_of_kind(kind) for kind in kinds]


def kind_of(member_type: str, kinds: list[str]) -> str | None:
    """The channel kind an `all_…_integrations` type means, if any."""
    return next((kind for kind in kinds if all_of_kind(kind) == member_type), None)


@dataclass(slots=True)
class StepMembers:
    """One step's members sorted out: the channels by uuid, the people targets, and
    the place (`step_members.N`) of each target, for refusals."""

    channels: list[str] = field(default_factory=list)
    targets: list[TargetSpec] = field(default_factory=list)
    places: list[int] = field(default_factory=list)


class UnknownMemberError(Exception):
    def __init__(self, place: int, message: str) -> None:
        super().__init__(message)
        self.place = place
        self.message = message


def sort_members(members: list[dict[str, Any]], kinds: list[str]) -> StepMembers:
    """Each member as a channel or a people target; `UnknownMemberError` for a type
    Tocsin does not know or a member without what its type needs."""
    found = StepMembers()
    for place, member in enumerate(members):
        if member["type"] == CHANNEL:
            found.channels.append(required_text(member, place, "id").lower())
            continue
        found.targets.append(target_spec(member, place, kinds))
        found.places.append(place)
    return found


def target_spec(member: dict[str, Any], place: int, kinds: list[str]) -> TargetSpec:
    member_type = member["type"]
    ident = member.get("id")
    if member_type == ON_CALL:
        return TargetSpec(TargetKind.ON_CALL, calendar=number(ident, place))
    if member_type == TEAM:
        return TargetSpec(TargetKind.ENTIRE_TEAM)
    if member_type == USER:
        who = member.get("email") or ident
        if who is None:
            raise UnknownMemberError(place, "a user member needs an id or an email.")
        return TargetSpec(TargetKind.MEMBER, member=str(who))
    if member_type == POLICY:
        return TargetSpec(TargetKind.POLICY, policy=number(ident, place, required=True))
    if member_type == ROUND_ROBIN:
        users = member.get("user_ids") or []
        return TargetSpec(TargetKind.ROUND_ROBIN, members=tuple(str(u) for u in users))
    kind = kind_of(member_type, kinds)
    if kind is None:
        accepted = ", ".join(accepted_types(kinds))
        raise UnknownMemberError(place, f"Tocsin accepts the types {accepted}.")
    return TargetSpec(TargetKind.CHANNELS_OF_KIND, channel_kind=kind)


def required_text(member: dict[str, Any], place: int, name: str) -> str:
    value = member.get(name)
    if not isinstance(value, str) or not value:
        raise UnknownMemberError(place, f"a {member['type']} member needs its {name}.")
    return value


def number(value: Any, place: int, *, required: bool = False) -> int | None:
    """An id given as a number or numeric string; None when not given (and allowed)."""
    if value is None and not required:
        return None
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise UnknownMemberError(place, "must be the id of one of your objects.")
    return int(text)


def member_json(target: Target, emails: dict[int, str]) -> dict[str, Any]:
    """A stored target in Better Stack's words."""
    if target.kind == TargetKind.ON_CALL:
        return {"type": ON_CALL, "id": target.calendar_id}
    if target.kind == TargetKind.ENTIRE_TEAM:
        return {"type": TEAM, "id": None}
    if target.kind == TargetKind.MEMBER:
        user_id = target.user_id
        return {"type": USER, "id": user_id, "email": emails.get(user_id or 0)}
    if target.kind == TargetKind.POLICY:
        return {"type": POLICY, "id": target.policy_id}
    if target.kind == TargetKind.ROUND_ROBIN:
        return {"type": ROUND_ROBIN, "id": None, "user_ids": list(target.user_ids)}
    return {"type": all_of_kind(target.channel_kind), "id": None}
