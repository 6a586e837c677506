"""The web app in-process over ASGI, with two projects and a way to sign people in."""

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import settings_for
from tests.helpers import FakeClock, incidents_of, make_projects
from tocsin.domain.accounts import hash_password
from tocsin.domain.records import CheckRecord, NewCheck
from tocsin.domain.schedule import Period
from tocsin.server.app import TocsinApp, create_app
from tocsin.store import checks as check_store
from tocsin.store import users as user_store
from tocsin.store.database import Database

SITE = "https://tocsin.example"
PASSWORD = "correct horse battery"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Web:
    app: TocsinApp
    clock: FakeClock
    database: Database
    project_id: int
    other_project_id: int
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def client(self) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app)
        client = httpx.AsyncClient(transport=transport, base_url=SITE)
        self.clients.append(client)
        return client

    async def user(self, email: str, role: str = "owner", project_id: int | None = None) -> int:
        return await add_user(self.database, email, role, project_id or self.project_id)

    async def user_in(self, email: str, project_id: int, role: str) -> None:
        def work(connection: sa.Connection) -> None:
            found = user_store.user_by_email(connection, email)
            assert found is not None
            user_store.add_membership(connection, found[0].id, project_id, role)

        async with self.database.write() as connection:
            await connection.run_sync(work)

    async def signed_in(
        self, email: str, role: str = "owner", project_id: int | None = None
    ) -> "Person":
        await self.user(email, role, project_id)
        return await self.sign_in(email)

    async def sign_in(self, email: str, password: str = PASSWORD) -> "Person":
        client = self.client()
        form = await client.get("/login")
        response = await client.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf_of(form)}
        )
        assert response.status_code == 303, response.text
        page = await client.get("/account/password")
        return Person(client, csrf_of(page))

    async def check(self, project_id: int | None = None, **fields: Any) -> CheckRecord:
        schedule = fields.pop("schedule", Period(timedelta(days=1)))
        spec = NewCheck(schedule=schedule, grace=timedelta(hours=1), **fields)
        async with self.database.write() as connection:
            return await connection.run_sync(
                check_store.insert_check, project_id or self.project_id, spec, self.clock.now()
            )

    async def incident(self, project_id: int | None = None, name: str = "db backup") -> int:
        """An open incident, opened as a job's failure would open it; its id."""
        record = await self.check(project_id, name=name)
        response = await self.client().post(f"/ping/{record.uuid}/fail", content=b"disk full")
        assert response.status_code == 200, response.text
        (found,) = await incidents_of(self.database, record)
        return found.id


@dataclass
class Person:
    """A signed-in browser: its cookies, and the CSRF token its forms carry."""

    client: httpx.AsyncClient
    csrf: str

    async def post(self, path: str, **data: str) -> httpx.Response:
        return await self.client.post(path, data={"csrf_token": self.csrf, **data})


def csrf_of(response: httpx.Response) -> str:
    found = CSRF.search(response.text)
    assert found, response.text
    return found.group(1)


async def add_user(database: Database, email: str, role: str, project_id: int) -> int:
    password_hash = hash_password(PASSWORD)

    def work(connection: sa.Connection) -> int:
        user_id = user_store.insert_user(connection, email, password_hash, False, datetime.now(UTC))
        user_store.add_membership(connection, user_id, project_id, role)
        return user_id

    async with database.write() as connection:
        return await connection.run_sync(work)


@contextlib.asynccontextmanager
async def running_web(database_url: str, **settings: Any) -> AsyncIterator[Web]:
    clock = FakeClock()
    app = create_app(
        settings_for(database_url, site_url=SITE, **settings),
        clock,
        run_watcher=False,
        run_notifier=False,
    )
    async with app.web.router.lifespan_context(app.web):
        database = app.web.state.services.database
        project_id, other_id = await make_projects(database, clock.now())
        web = Web(app, clock, database, project_id, other_id)
        try:
            yield web
        finally:
            for client in web.clients:
                await client.aclose()


@pytest.fixture
async def web(database_url: str) -> AsyncIterator[Web]:
    async with running_web(database_url) as running:
        yield running
