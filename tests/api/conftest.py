"""The application in-process, driven over ASGI with a clock the test moves, and a
project with a read-write and a read-only key (plus a second project and its key)."""

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import settings_for
from tests.helpers import FakeClock, make_projects
from tocsin.server.app import TocsinApp, create_app
from tocsin.store.database import Database
from tocsin.store.keys import create_key, revoke_key

SITE = "https://tocsin.example"


@dataclass
class Api:
    """A client of the running app, and the keys of its two projects."""

    client: httpx.AsyncClient
    app: TocsinApp
    clock: FakeClock
    database: Database
    project_id: int
    key: str
    read_key: str
    other_project_id: int
    other_key: str

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"X-Api-Key": self.key if key is None else key}

    async def get(self, path: str, key: str | None = None, **kwargs: Any) -> httpx.Response:
        return await self.client.get(path, headers=self.headers(key), **kwargs)

    async def post(
        self, path: str, body: Any = None, key: str | None = None, **kwargs: Any
    ) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers(key), **kwargs)

    async def delete(self, path: str, key: str | None = None) -> httpx.Response:
        return await self.client.delete(path, headers=self.headers(key))

    async def create(self, **fields: Any) -> dict[str, Any]:
        response = await self.post("/api/v3/checks/", fields)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def ping(self, check: dict[str, Any], suffix: str = "", **kwargs: Any) -> None:
        response = await self.client.post(f"/ping/{check['uuid']}{suffix}", **kwargs)
        assert response.status_code == 200, response.text

    async def new_key(self, project_id: int, *, read_only: bool = False) -> str:
        async with self.database.write() as connection:
            _key, secret = await connection.run_sync(
                create_key, project_id, "", read_only, self.clock.now()
            )
        return secret

    async def revoke(self, secret: str) -> None:
        async with self.database.write() as connection:
            key_id = await connection.scalar(
                sa.text("SELECT id FROM api_keys WHERE prefix = :prefix"),
                {"prefix": secret[:8]},
            )
            await connection.run_sync(revoke_key, key_id, self.clock.now())

    async def run(self, query: str, **params: Any) -> Any:
        async with self.database.write() as connection:
            return await connection.scalar(sa.text(query), params)


@contextlib.asynccontextmanager
async def running_api(
    database_url: str, *, run_watcher: bool = False, **settings: Any
) -> AsyncIterator[Api]:
    clock = FakeClock()
    app = create_app(
        settings_for(database_url, site_url=SITE, **settings),
        clock,
        run_watcher=run_watcher,
        run_notifier=False,
    )
    async with app.web.router.lifespan_context(app.web):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=SITE) as client:
            database = app.web.state.services.database
            project_id, other_id = await make_projects(database, clock.now())
            api = Api(client, app, clock, database, project_id, "", "", other_id, "")
            api.key = await api.new_key(project_id)
            api.read_key = await api.new_key(project_id, read_only=True)
            api.other_key = await api.new_key(other_id)
            yield api


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    async with running_api(database_url) as running:
        yield running
