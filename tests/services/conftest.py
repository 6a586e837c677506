"""An action's context over the test's real database, with a clock the test moves and
a record of what the actions told the workers."""

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from tests.conftest import settings_for
from tests.helpers import FakeClock, make_projects
from tocsin.config import Settings
from tocsin.store.database import Database


@dataclass
class Recorder:
    """A `services.context.Context` that remembers the deadlines it heard of and how
    often it was asked to wake the notifier."""

    settings: Settings
    clock: FakeClock
    database: Database
    secret: str = "a test secret"
    deadlines: list[datetime | None] = field(default_factory=list)
    wakes: int = 0

    def deadline_moved(self, deadline: datetime | None) -> None:
        self.deadlines.append(deadline)

    def wake_notifier(self) -> None:
        self.wakes += 1


@dataclass(frozen=True)
class Projects:
    ours: int
    theirs: int


@pytest.fixture
async def context(database_url: str, database: Database) -> Recorder:
    """Channels may reach the tests' local receivers."""
    settings = settings_for(database_url, allow_private_webhooks=True)
    return Recorder(settings, FakeClock(), database)


@pytest.fixture
async def projects(context: Recorder) -> Projects:
    """The default project and another one."""
    return Projects(*await make_projects(context.database, context.clock.now()))
