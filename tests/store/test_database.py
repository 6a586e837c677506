import pytest

from tocsin.config import ConfigError
from tocsin.store.database import async_url


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///data/tocsin.db", "sqlite+aiosqlite"),
        ("sqlite+aiosqlite:////var/lib/tocsin.db", "sqlite+aiosqlite"),
        ("postgresql://tocsin:secret@db.internal/tocsin", "postgresql+asyncpg"),
        ("postgres://tocsin@db/tocsin", "postgresql+asyncpg"),
        ("postgresql+asyncpg://tocsin@db:5433/tocsin", "postgresql+asyncpg"),
    ],
)
def test_the_url_forms_people_write_pick_the_async_driver(given: str, driver: str) -> None:
    assert async_url(given).drivername == driver


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("mysql://root@localhost/tocsin", "unsupported database 'mysql'"),
        ("sqlite://", "SQLite needs a file path"),
        ("sqlite:///:memory:", "SQLite needs a file path"),
        ("not a url", "cannot parse"),
    ],
)
def test_unusable_urls_are_refused_with_the_variable_named(given: str, complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint) as error:
        async_url(given)
    assert str(error.value).startswith("TOCSIN_DATABASE_URL: ")
