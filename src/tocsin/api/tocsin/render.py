"""Tocsin's own API answers built from the store's records, and the pure step from a
create or update request to a check's new settings."""

import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TypeVar

from tocsin.api.tocsin.models import (
    ChannelOut,
    CheckFields,
    CheckOut,
    EventOut,
    FlipOut,
    HoursOut,
    IncidentOut,
    KeywordRulesFields,
    KeywordRulesOut,
    PingOut,
    PolicyOut,
    StepOut,
    TargetOut,
)
from tocsin.api.tocsin.run_rules import rules_after, rules_out
from tocsin.domain.checks import grace_start, status, streak
from tocsin.domain.escalation import Policy, Step
from tocsin.domain.keywords import KeywordRules, as_plain_names, with_plain_names
from tocsin.domain.naming import slugify, unique_key
from tocsin.domain.people import Method, Target
from tocsin.domain.records import (
    ChannelRow,
    CheckDetails,
    Event,
    FlipRecord,
    Incident,
    NewCheck,
    Ping,
    new_check_defaults,
)
from tocsin.domain.schedule import Calendar, Cron, OnCalendar, Period, rescheduled

ValueT = TypeVar("ValueT")

# What people set on a check: the ETag covers these, so a ping does not change it.
SETTINGS = {
    "name",
    "slug",
    "tags",
    "description",
    "period",
    "cron",
    "oncalendar",
    "tz",
    "grace",
    "manual_resume",
    "post_only",
    "channels",
    "policy",
    "parents",
    "rules",
    "keywords",
}


def kept(current: ValueT, sent: ValueT | None) -> ValueT:
    return current if sent is None else sent


def joined_tags(tags: list[str]) -> str:
    return " ".join(dict.fromkeys(tags))


def settings_after(current: NewCheck, sent: CheckFields) -> NewCheck:
    """A check's settings once the fields sent are applied; the rest stay."""
    tz = kept(current.tz, sent.tz)
    methods = None if sent.post_only is None else ("POST" if sent.post_only else "")
    return NewCheck(
        schedule=rescheduled(
            current.schedule, cron=sent.cron, oncalendar=sent.oncalendar, period=sent.period, tz=tz
        ),
        grace=kept(current.grace, sent.grace),
        name=kept(current.name, sent.name),
        slug=kept(current.slug, sent.slug),
        tags=current.tags if sent.tags is None else joined_tags(sent.tags),
        description=kept(current.description, sent.description),
        manual_resume=kept(current.manual_resume, sent.manual_resume),
        methods=kept(current.methods, methods),
        tz=tz,
        maintenance=current.maintenance,  # Better Stack's window: not a field here, kept
        rules=rules_after(current.rules, sent.rules),
        keywords=keywords_after(current.keywords, sent.keywords),
    )


def keywords_after(current: KeywordRules, sent: KeywordRulesFields | None) -> KeywordRules:
    return current if sent is None else with_plain_names(current, sent.model_dump())


def new_settings(sent: CheckFields) -> NewCheck:
    """A new check's settings: the defaults, then what was sent; the slug follows the
    name unless one is sent."""
    created = settings_after(new_check_defaults(), sent)
    if sent.slug is None and sent.name:
        created = replace(created, slug=slugify(sent.name))
    return created


def seconds(delta: timedelta) -> int:
    return round(delta.total_seconds())


def check_out(
    details: CheckDetails,
    channels: list[uuid.UUID],
    policy: int | None,
    now: datetime,
    base_url: str,
    secret: bool,
) -> CheckOut:
    """A check as the API shows it; `secret` (a read-write key) adds its ping URL."""
    record, spec = details.record, details.spec
    state = record.state
    duration = state.last_duration
    return CheckOut(
        id=unique_key(record.uuid),
        uuid=record.uuid if secret else None,
        ping_url=f"{base_url}/ping/{record.uuid}" if secret else None,
        name=spec.name,
        slug=spec.slug,
        tags=spec.tags.split(),
        description=spec.description,
        period=seconds(spec.schedule.period) if isinstance(spec.schedule, Period) else None,
        cron=spec.schedule.expression if isinstance(spec.schedule, Cron) else None,
        oncalendar=spec.schedule.expression if isinstance(spec.schedule, OnCalendar) else None,
        tz=spec.schedule.tz if isinstance(spec.schedule, Calendar) else spec.tz,
        grace=seconds(spec.grace),
        manual_resume=spec.manual_resume,
        post_only=spec.methods == "POST",
        channels=sorted(channels, key=str),
        policy=policy,
        keywords=KeywordRulesOut(**as_plain_names(spec.keywords)),  # type: ignore[arg-type]
        status=status(state, now).value,
        started=state.last_start is not None,
        n_pings=record.n_pings,
        last_ping=state.last_ping,
        next_due=grace_start(state),
        last_duration=None if duration is None else duration.total_seconds(),
        created=record.created,
        rules=rules_out(spec.rules),
        streak=streak(state),
    )


def ping_out(ping: Ping) -> PingOut:
    return PingOut(
        n=ping.n,
        kind=ping.kind,  # type: ignore[arg-type]  # the column holds only these
        created=ping.created,
        exit_status=ping.exit_status,
        rid=ping.rid,
        duration=ping.duration,
        method=ping.method,
        scheme=ping.scheme,
        remote_addr=ping.remote_addr,
        ua=ping.ua,
        body_size=ping.body_size,
        body_truncated=ping.body_truncated,
    )


def flip_out(record: FlipRecord) -> FlipOut:
    flip = record.flip
    return FlipOut(
        at=flip.at,
        old_status=flip.old_status.value,
        new_status=flip.new_status.value,
        reason=flip.reason,
    )


def incident_out(
    incident: Incident,
    check_uuid: uuid.UUID,
    check_name: str,
    holds: tuple[str | None, list[str]] = (None, []),
) -> IncidentOut:
    """`holds`: the parent holding it, and the checks its check holds (by name)."""
    return IncidentOut(
        id=incident.id,
        check=unique_key(check_uuid),
        check_name=check_name,
        status=incident.status,  # type: ignore[arg-type]  # the column holds only these
        cause=incident.cause,
        cause_detail=incident.cause_detail,
        expected_at=incident.expected_at,
        last_ping=incident.last_ping,
        exit_status=incident.exit_status,
        body_excerpt=incident.body_excerpt,
        opened_at=incident.opened_at,
        acknowledged_at=incident.acknowledged_at,
        acknowledged_by=incident.acknowledged_by,
        resolved_at=incident.resolved_at,
        resolved_by=incident.resolved_by,
        held_by=holds[0],
        holding=holds[1],
    )


def event_out(event: Event, channel_uuids: dict[int, uuid.UUID]) -> EventOut:
    return EventOut(
        at=event.created,
        kind=event.kind,
        actor=event.actor,
        message=event.message,
        channel=None if event.channel_id is None else channel_uuids.get(event.channel_id),
        attempt=event.attempt,
    )


def channel_out(channel: ChannelRow) -> ChannelOut:
    return ChannelOut(
        id=channel.uuid,
        name=channel.name,
        label=channel.label,
        kind=channel.kind,
        disabled=channel.disabled,
        created=channel.created,
        last_notified=channel.last_notified,
        last_error=channel.last_error,
        last_error_at=channel.last_error_at,
    )


def policy_out(
    policy_id: int,
    name: str,
    policy: Policy,
    channel_uuids: dict[int, uuid.UUID],
    emails: dict[int, str] | None = None,
) -> PolicyOut:
    """The policy as the API shows it; people by their email (`emails`, by user id)."""
    steps = [step_out(step, channel_uuids, emails or {}) for step in policy.steps]
    nag = policy.nag_interval
    return PolicyOut(
        id=policy_id,
        name=name,
        steps=steps,
        repeat_count=policy.repeat_count,
        repeat_delay=seconds(policy.repeat_delay),
        nag_interval=None if nag is None else seconds(nag),
    )


def step_out(step: Step, channel_uuids: dict[int, uuid.UUID], emails: dict[int, str]) -> StepOut:
    reach = step.reach
    hours = reach.hours
    return StepOut(
        wait=seconds(step.wait_before),
        channels=[channel_uuids[c] for c in step.channel_ids],
        targets=[target_out(target, emails) for target in reach.targets],
        methods=[m.value for m in Method if m in reach.methods],
        hours=None
        if hours is None
        else HoursOut(start=f"{hours.start:%H:%M}", end=f"{hours.end:%H:%M}", zone=hours.zone),
    )


def target_out(target: Target, emails: dict[int, str]) -> TargetOut:
    def named(user_id: int) -> str:
        return emails.get(user_id, str(user_id))

    return TargetOut(
        type=target.kind.value,
        member=None if target.user_id is None else named(target.user_id),
        calendar=target.calendar_id,
        members=[named(u) for u in target.user_ids],
        channel_kind=target.channel_kind or None,
        policy=target.policy_id,
    )
