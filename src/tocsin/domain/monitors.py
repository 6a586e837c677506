"""What a monitors file describes: a project's checks, channels and escalation policies,
each under its key, and the references between them by key. Pure data."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from tocsin.domain.records import NewCheck
from tocsin.domain.windows import When

Step = tuple[timedelta, tuple[str, ...]]  # wait before the step, channels by key


@dataclass(frozen=True, slots=True)
class CheckSpec:
    settings: NewCheck
    paused: bool = False
    # None: every channel of the file, as a new check uses every channel of its project.
    channels: tuple[str, ...] | None = None
    policy: str | None = None  # None: the default, every channel at once
    depends_on: tuple[str, ...] = ()  # parent checks, by key (domain.dependencies)


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    kind: str
    config: dict[str, Any]  # as stored: validated by the kind, ${VARIABLES} replaced


@dataclass(frozen=True, slots=True)
class PolicySpec:
    steps: tuple[Step, ...] = ()
    repeat_count: int = 0
    repeat_delay: timedelta = timedelta(0)
    nag_interval: timedelta | None = None


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A maintenance window: of one check (by its key), every check with a tag, or
    (neither) the whole project."""

    when: When
    check: str | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Monitors:
    """Checks by slug; channels, policies and maintenance windows by name (an object
    whose slug or name is empty or shared is keyed by its uuid, a window by its
    number); dicts keep the file's order."""

    checks: dict[str, CheckSpec] = field(default_factory=dict)
    channels: dict[str, ChannelSpec] = field(default_factory=dict)
    policies: dict[str, PolicySpec] = field(default_factory=dict)
    windows: dict[str, WindowSpec] = field(default_factory=dict)  # by name

    def channels_of(self, check: CheckSpec) -> tuple[str, ...]:
        return tuple(self.channels) if check.channels is None else check.channels
