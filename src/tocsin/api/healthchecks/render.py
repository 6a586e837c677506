"""Checks, pings, flips and channels in the JSON shapes of Healthchecks' API. Pure.

Tocsin's statuses in Healthchecks' words: `late` is `grace`; `started` is a status only
in v1, while v2 and v3 report the status the check would have without the run (and
`started: true`). Keyword rules under Healthchecks' names; the deprecated `subject`
and `subject_fail` are the success and failure keywords while `filter_subject` is on,
else empty, as Healthchecks gives them.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tocsin.domain.badges import check_badge_url
from tocsin.domain.checks import Status, grace_start
from tocsin.domain.keywords import KeywordRules
from tocsin.domain.naming import status_word, unique_key
from tocsin.domain.records import ChannelRow, CheckDetails, FlipRecord, Ping
from tocsin.domain.schedule import Calendar, Period


def keyword_fields(rules: KeywordRules) -> dict[str, Any]:
    """Healthchecks' keyword fields of a check, in its order."""
    return {
        "subject": rules.success_kw if rules.filter_subject else "",
        "subject_fail": rules.failure_kw if rules.filter_subject else "",
        "start_kw": rules.start_kw,
        "success_kw": rules.success_kw,
        "failure_kw": rules.failure_kw,
        "filter_subject": rules.filter_subject,
        "filter_body": rules.filter_body,
        "filter_http_body": rules.filter_http_body,
        "filter_default_fail": rules.filter_default_fail,
    }


def isostring(moment: datetime | None) -> str | None:
    """Whole seconds with the UTC offset, as Healthchecks writes check times."""
    return None if moment is None else moment.replace(microsecond=0).isoformat()


@dataclass(frozen=True, slots=True)
class Presenter:
    """Renders for one request: the API version, the kind of key and the moment."""

    base_url: str
    version: int
    read_only: bool
    now: datetime
    badge_key: str  # the project's

    def api_url(self, check_uuid: uuid.UUID) -> str:
        return f"{self.base_url}/api/v{self.version}/checks/{check_uuid}"

    def check(self, details: CheckDetails, channels: list[uuid.UUID]) -> dict[str, Any]:
        record, spec = details.record, details.spec
        state = record.state
        result: dict[str, Any] = {
            "name": spec.name,
            "slug": spec.slug,
            "tags": spec.tags,
            "desc": spec.description,
            "grace": round(spec.grace.total_seconds()),
            "n_pings": record.n_pings,
            "status": status_word(state, self.now, self.version),
            "started": state.last_start is not None,
            "last_ping": isostring(state.last_ping),
            "next_ping": isostring(grace_start(state)),
            "manual_resume": spec.manual_resume,
            "methods": spec.methods,
            **keyword_fields(spec.keywords),
            "badge_url": check_badge_url(self.base_url, self.badge_key, unique_key(record.uuid)),
        }
        if state.last_duration:
            result["last_duration"] = int(state.last_duration.total_seconds())
        result.update(self.identity(record.uuid, channels))
        if isinstance(spec.schedule, Period):
            result["timeout"] = round(spec.schedule.period.total_seconds())
        if isinstance(spec.schedule, Calendar):
            result["schedule"] = spec.schedule.expression
            result["tz"] = spec.schedule.tz
        return result

    def identity(self, check_uuid: uuid.UUID, channels: list[uuid.UUID]) -> dict[str, Any]:
        """A read-only key sees a unique key; a read-write key the uuid and URLs."""
        if self.read_only:
            return {"unique_key": unique_key(check_uuid)}
        update_url = self.api_url(check_uuid)
        return {
            "uuid": str(check_uuid),
            "ping_url": f"{self.base_url}/ping/{check_uuid}",
            "update_url": update_url,
            "pause_url": f"{update_url}/pause",
            "resume_url": f"{update_url}/resume",
            "channels": ",".join(sorted(str(c) for c in channels)),
        }

    def ping(self, check_uuid: uuid.UUID, ping: Ping) -> dict[str, Any]:
        body_url = f"{self.api_url(check_uuid)}/pings/{ping.n}/body"
        result: dict[str, Any] = {
            "type": ping.kind,
            "date": ping.created.isoformat(),
            "n": ping.n,
            "scheme": ping.scheme,
            "remote_addr": ping.remote_addr,
            "method": ping.method,
            "ua": ping.ua,
            "rid": None if ping.rid is None else str(ping.rid),
            "body_url": body_url if ping.body_size else None,
        }
        if ping.duration is not None:
            result["duration"] = ping.duration
        return result


def flip_json(record: FlipRecord) -> dict[str, Any]:
    return {
        "timestamp": isostring(record.flip.at),
        "up": 1 if record.flip.new_status == Status.UP else 0,
    }


def channel_json(channel: ChannelRow) -> dict[str, Any]:
    return {"id": str(channel.uuid), "name": channel.label, "kind": channel.kind}
