"""Schemathesis drives Tocsin's API from its own OpenAPI document, against a real
server, with a real key: no answer may be a 500, and every answer must match the
document (status codes, content types, headers and bodies)."""

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Server, settings_for
from tocsin.store.database import Database
from tocsin.store.keys import create_key
from tocsin.store.projects import default_project

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 12


def new_key(connection: sa.Connection) -> str:
    now = datetime.now(UTC)
    _key, secret = create_key(connection, default_project(connection, now), "", False, now)
    return secret


async def make_key(database_url: str) -> str:
    database = Database(settings_for(database_url))
    try:
        async with database.write() as connection:
            return await connection.run_sync(new_key)
    finally:
        await database.close()


def exercise(
    operation: schemathesis.APIOperation[Any, Any, Any, Any], headers: dict[str, str]
) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def run(case: schemathesis.Case[Any]) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.mark.slow
def test_the_api_answers_as_its_document_says(server: Server) -> None:
    headers = {"Authorization": f"Bearer {asyncio.run(make_key(server.database_url))}"}
    schema = schemathesis.openapi.from_url(f"{server.url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 20
    for operation in operations:
        exercise(operation, headers)
