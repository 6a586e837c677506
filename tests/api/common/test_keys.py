"""`tocsin key`: keys are shown once, kept only as hashes, listed and revoked; and the
whole way from a new key to the API, over HTTP against the real server."""

import asyncio
import re
from datetime import UTC, datetime

import httpx
import sqlalchemy as sa
from typer.testing import CliRunner

from tests.conftest import Server
from tests.helpers import run_ok
from tocsin.cli import app
from tocsin.config import Settings
from tocsin.store.database import Database
from tocsin.store.keys import create_key, hash_key
from tocsin.store.projects import default_project
from tocsin.store.tables import api_keys

KEY = re.compile(r"\b(tc[wr]_[A-Za-z0-9]{28})\b")


def created_key(output: str) -> str:
    found = KEY.search(output)
    assert found, output
    return found.group(1)


def run_fails(cli: CliRunner, *args: str) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    return result.output


async def stored_hashes(database_url: str) -> list[str]:
    database = Database(Settings.from_env({}, database_url=database_url))
    try:
        async with database.read() as connection:
            return list(await connection.scalars(sa.select(api_keys.c.key_hash)))
    finally:
        await database.close()


def test_a_key_is_shown_once_and_kept_only_as_its_hash(cli: CliRunner, database_url: str) -> None:
    output = run_ok(cli, "key", "create", "--name", "terraform")
    key = created_key(output)
    assert key.startswith("tcw_")
    assert "cannot show it again" in output
    assert asyncio.run(stored_hashes(database_url)) == [hash_key(key)]
    listed = run_ok(cli, "key", "list")
    assert key not in listed
    for expected in ("terraform", "read-write", key[:8], "never", "no", "Ping key"):
        assert expected in listed


def test_read_only_keys_say_so(cli: CliRunner) -> None:
    key = created_key(run_ok(cli, "key", "create", "--read-only"))
    assert key.startswith("tcr_")
    assert "read-only" in run_ok(cli, "key", "list")


def test_revoking_is_recorded_and_said_once(cli: CliRunner) -> None:
    run_ok(cli, "key", "create", "--name", "old")
    assert "Revoked API key 1" in run_ok(cli, "key", "revoke", "1")
    assert "already revoked" in run_ok(cli, "key", "revoke", "1")
    row = next(line for line in run_ok(cli, "key", "list").splitlines() if "old" in line)
    assert row.count(" UTC") == 2  # created and revoked; never used
    assert "no API key has the id 7" in run_fails(cli, "key", "revoke", "7")
    assert "no API key has the id" in run_fails(cli, "key", "revoke", str(10**12))


def test_an_unknown_project_is_an_error_naming_the_known_ones(cli: CliRunner) -> None:
    run_ok(cli, "key", "list")  # makes the default project
    assert "no project named 'nope' (projects: 'Default')" in run_fails(
        cli, "key", "create", "--project", "nope"
    )
    assert "tcw_" in run_ok(cli, "key", "create", "--project", "Default")
    assert "tcw_" in run_ok(cli, "key", "create", "--project", "1")


async def make_key(database: Database) -> str:
    def work(connection: sa.Connection) -> str:
        now = datetime.now(UTC)
        return create_key(connection, default_project(connection, now), "", False, now)[1]

    async with database.write() as connection:
        return await connection.run_sync(work)


async def test_the_api_over_http_on_the_real_server(
    server: Server, server_database: Database
) -> None:
    key = await make_key(server_database)
    headers = {"X-Api-Key": key}
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as client:
        created = await client.post("/api/v3/checks/", json={"name": "over http", "timeout": 60})
        check = created.json()
        assert created.status_code == 201
        assert check["ping_url"] == f"{server.url}/ping/{check['uuid']}"
        assert (await client.get(check["ping_url"])).status_code == 200
        seen = await client.get(check["update_url"])
        assert (seen.json()["status"], seen.json()["n_pings"]) == ("up", 1)
        pings = await client.get(f"{check['update_url']}/pings/")
        assert [p["type"] for p in pings.json()["pings"]] == ["success"]
        refused = await client.get("/api/v3/checks/", headers={"X-Api-Key": "x" * 32})
        assert (refused.status_code, refused.json()) == (401, {"error": "wrong api key"})
