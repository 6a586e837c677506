"""Settings read from `TOCSIN_*` environment variables."""

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.config import SETTINGS, ConfigError, Settings


def test_an_empty_environment_gives_the_defaults() -> None:
    assert Settings.from_env({"HOME": "/home/ann"}) == Settings(
        database_url="sqlite:////home/ann/.local/share/tocsin/tocsin.db",
        host="127.0.0.1",
        port=8000,
        site_url="",
        ping_body_limit=100_000,
        trusted_proxy_header="",
        fast_pings=True,
        request_timeout=timedelta(seconds=30),
        max_connections=0,
        max_connections_per_address=256,
        watcher=True,
        watcher_recheck=timedelta(milliseconds=500),
        dependency_settle=timedelta(minutes=1),
        sqlite_synchronous="FULL",
        sqlite_wal_limit=64 << 20,
        db_pool_size=10,
        secret_key="",
        notifier=True,
        notify_timeout=timedelta(seconds=10),
        notify_max_age=timedelta(hours=24),
        allow_private_webhooks=False,
        ack_link_ttl=timedelta(days=7),
        slack_signing_secret="",
        telegram_webhook_secret="",
        twilio_account_sid="",
        twilio_auth_token="",
        twilio_from="",
        twilio_api_url="https://api.twilio.com",
        smtp_host="",
        smtp_port=587,
        smtp_security="starttls",
        smtp_username="",
        smtp_password="",
        smtp_from="tocsin@localhost",
        pushover_app_token="",
        telegram_bot_token="",
        slack_bot_token="",
        ntfy_url="https://ntfy.sh",
        log_level="INFO",
        admin_email="",
        admin_password="",
        registration_open=False,
        session_ttl=timedelta(days=14),
        setup_link_ttl=timedelta(days=1),
        keep_pings=100,
        keep_incidents=timedelta(days=400),
        keep_flips=timedelta(days=400),
        keep_notifications=timedelta(days=30),
        prune_interval=timedelta(minutes=5),
    )


def test_unrelated_variables_are_ignored() -> None:
    env = {"PORT": "1", "TOCSIN_PORTS": "2", "tocsin_port": "3", "TOCSIN_HOST_FILE": "/nope"}
    assert Settings.from_env(env) == Settings.from_env({})
    assert Settings.from_env({"TOCSIN_CONFIG": "/nope"}) == Settings.from_env({})


@pytest.mark.parametrize(
    ("variable", "value", "field", "expected"),
    [
        (
            "TOCSIN_DATABASE_URL",
            "postgresql://tocsin@db/tocsin",
            "database_url",
            "postgresql://tocsin@db/tocsin",
        ),
        ("TOCSIN_DATABASE_URL", "  sqlite:////tmp/t.db\n", "database_url", "sqlite:////tmp/t.db"),
        ("TOCSIN_HOST", "0.0.0.0", "host", "0.0.0.0"),
        ("TOCSIN_PORT", "9000", "port", 9000),
        ("TOCSIN_PORT", " 65535 ", "port", 65535),
        ("TOCSIN_SITE_URL", "https://tocsin.example.com", "site_url", "https://tocsin.example.com"),
        ("TOCSIN_PING_BODY_LIMIT", "0", "ping_body_limit", 0),
        ("TOCSIN_PING_BODY_LIMIT", "10000", "ping_body_limit", 10_000),
        (
            "TOCSIN_TRUSTED_PROXY_HEADER",
            "X-Forwarded-For",
            "trusted_proxy_header",
            "X-Forwarded-For",
        ),
        ("TOCSIN_WATCHER_RECHECK", "2s", "watcher_recheck", timedelta(seconds=2)),
        ("TOCSIN_WATCHER_RECHECK", "1h30m", "watcher_recheck", timedelta(minutes=90)),
        ("TOCSIN_WATCHER_RECHECK", "0.25s", "watcher_recheck", timedelta(milliseconds=250)),
        ("TOCSIN_DEPENDENCY_SETTLE", "30s", "dependency_settle", timedelta(seconds=30)),
        ("TOCSIN_DEPENDENCY_SETTLE", "0s", "dependency_settle", timedelta(0)),
        ("TOCSIN_SQLITE_SYNCHRONOUS", "normal", "sqlite_synchronous", "NORMAL"),
        ("TOCSIN_SQLITE_SYNCHRONOUS", " Extra ", "sqlite_synchronous", "EXTRA"),
        ("TOCSIN_SQLITE_SYNCHRONOUS", "FULL", "sqlite_synchronous", "FULL"),
        ("TOCSIN_SQLITE_WAL_LIMIT", "256MB", "sqlite_wal_limit", 256 << 20),
        ("TOCSIN_SQLITE_WAL_LIMIT", " 2 gb ", "sqlite_wal_limit", 2 << 30),
        ("TOCSIN_SQLITE_WAL_LIMIT", "4096KB", "sqlite_wal_limit", 4 << 20),
        ("TOCSIN_SQLITE_WAL_LIMIT", "1048576", "sqlite_wal_limit", 1 << 20),
        ("TOCSIN_DB_POOL_SIZE", "1", "db_pool_size", 1),
        ("TOCSIN_DB_POOL_SIZE", "25", "db_pool_size", 25),
        ("TOCSIN_LOG_LEVEL", "debug", "log_level", "DEBUG"),
        ("TOCSIN_LOG_LEVEL", "Warning", "log_level", "WARNING"),
        ("TOCSIN_LOG_LEVEL", "ERROR", "log_level", "ERROR"),
        ("TOCSIN_REGISTRATION_OPEN", "true", "registration_open", True),
        ("TOCSIN_SESSION_TTL", "8h", "session_ttl", timedelta(hours=8)),
        ("TOCSIN_SETUP_LINK_TTL", "30m", "setup_link_ttl", timedelta(minutes=30)),
        ("TOCSIN_KEEP_PINGS", "1000", "keep_pings", 1000),
        ("TOCSIN_KEEP_PINGS", "0", "keep_pings", 0),
        ("TOCSIN_KEEP_INCIDENTS", "730d", "keep_incidents", timedelta(days=730)),
        ("TOCSIN_KEEP_FLIPS", "93d", "keep_flips", timedelta(days=93)),
        ("TOCSIN_KEEP_NOTIFICATIONS", "2w", "keep_notifications", timedelta(days=14)),
        ("TOCSIN_PRUNE_INTERVAL", "1h", "prune_interval", timedelta(hours=1)),
    ],
)
def test_each_variable_is_parsed_into_its_field(
    variable: str, value: str, field: str, expected: object
) -> None:
    settings = Settings.from_env({variable: value})
    assert getattr(settings, field) == expected
    untouched = {f.name for f in dataclasses.fields(Settings)} - {field}
    defaults = Settings.from_env({})
    assert all(getattr(settings, name) == getattr(defaults, name) for name in untouched)


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "on", " True "])
def test_watcher_reads_true_words(value: str) -> None:
    assert Settings.from_env({"TOCSIN_WATCHER": value}).watcher is True


@pytest.mark.parametrize("value", ["0", "false", "False", "no", "OFF", ""])
def test_watcher_reads_false_words(value: str) -> None:
    assert Settings.from_env({"TOCSIN_WATCHER": value}).watcher is False


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        ("TOCSIN_PORT", "http", "invalid literal for int()"),
        ("TOCSIN_PORT", "", "invalid literal for int()"),
        ("TOCSIN_PORT", "80.5", "invalid literal for int()"),
        ("TOCSIN_PORT", "0", "0 is not a TCP port"),
        ("TOCSIN_PORT", "65536", "65536 is not a TCP port"),
        ("TOCSIN_PORT", "-1", "-1 is not a TCP port"),
        ("TOCSIN_PING_BODY_LIMIT", "10k", "invalid literal for int()"),
        ("TOCSIN_PING_BODY_LIMIT", "-1", "must not be negative"),
        ("TOCSIN_DB_POOL_SIZE", "many", "invalid literal for int()"),
        ("TOCSIN_DB_POOL_SIZE", "0", "must be at least 1"),
        ("TOCSIN_WATCHER", "maybe", "expected true or false, not 'maybe'"),
        ("TOCSIN_WATCHER", "2", "expected true or false, not '2'"),
        ("TOCSIN_WATCHER_RECHECK", "soon", "invalid duration 'soon'"),
        ("TOCSIN_WATCHER_RECHECK", "-1s", "invalid duration '-1s'"),
        ("TOCSIN_WATCHER_RECHECK", "0s", "must be positive"),
        ("TOCSIN_WATCHER_RECHECK", "0", "a unit is required, like 0s, 0m"),
        ("TOCSIN_SQLITE_SYNCHRONOUS", "OFF", "expected FULL, NORMAL or EXTRA, not 'OFF'"),
        ("TOCSIN_SQLITE_SYNCHRONOUS", "", "expected FULL, NORMAL or EXTRA, not ''"),
        ("TOCSIN_SQLITE_WAL_LIMIT", "64 megs", "expected a size such as 64MB, not '64 megs'"),
        ("TOCSIN_SQLITE_WAL_LIMIT", "1.5GB", "expected a size such as 64MB"),
        ("TOCSIN_SQLITE_WAL_LIMIT", "", "expected a size such as 64MB, not ''"),
        ("TOCSIN_SQLITE_WAL_LIMIT", "512KB", "must be at least 1MB"),
        ("TOCSIN_LOG_LEVEL", "TRACE", "expected DEBUG, INFO, WARNING or ERROR, not 'TRACE'"),
        ("TOCSIN_LOG_LEVEL", "warn", "expected DEBUG, INFO, WARNING or ERROR, not 'warn'"),
        ("TOCSIN_SESSION_TTL", "0s", "must be positive"),
        ("TOCSIN_REGISTRATION_OPEN", "perhaps", "expected true or false"),
        ("TOCSIN_KEEP_PINGS", "-1", "must not be negative"),
        ("TOCSIN_KEEP_PINGS", "all", "invalid literal for int()"),
        ("TOCSIN_KEEP_INCIDENTS", "0s", "must be positive"),
        ("TOCSIN_KEEP_FLIPS", "forever", "invalid duration 'forever'"),
        ("TOCSIN_KEEP_NOTIFICATIONS", "0s", "must be positive"),
        ("TOCSIN_PRUNE_INTERVAL", "0s", "must be positive"),
        ("TOCSIN_DATABASE_URL", "sqlite:///data/t.db", "the SQLite path 'data/t.db' is relative"),
        ("TOCSIN_DATABASE_URL", "sqlite:///./t.db", "the SQLite path './t.db' is relative"),
    ],
)
def test_a_bad_value_is_a_config_error_naming_the_variable(
    variable: str, value: str, problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({variable: value})
    message = str(caught.value)
    assert message.startswith(f"{variable}: ")
    assert problem in message


def test_a_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="TOCSIN_PORT"):
        Settings.from_env({"TOCSIN_PORT": "x"})


def test_a_duration_too_long_to_represent_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"^TOCSIN_WATCHER_RECHECK: "):
        Settings.from_env({"TOCSIN_WATCHER_RECHECK": "1000000000w"})


def test_overrides_replace_parsed_values_and_are_still_validated() -> None:
    settings = Settings.from_env({"TOCSIN_PORT": "9000"}, port=9100, watcher=False)
    assert (settings.port, settings.watcher) == (9100, False)
    with pytest.raises(ConfigError, match=r"^TOCSIN_PORT: 70000 is not a TCP port$"):
        Settings.from_env({}, port=70000)


# --- secrets from files ----------------------------------------------------------------


def test_the_database_url_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgresql://tocsin:s3cret@db/tocsin\n")
    settings = Settings.from_env({"TOCSIN_DATABASE_URL_FILE": str(secret)})
    assert settings.database_url == "postgresql://tocsin:s3cret@db/tocsin"


def test_the_file_wins_over_the_plain_variable(tmp_path: Path) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("sqlite:////srv/from-file.db")
    env = {
        "TOCSIN_DATABASE_URL": "sqlite:////srv/plain.db",
        "TOCSIN_DATABASE_URL_FILE": str(secret),
    }
    assert Settings.from_env(env).database_url == "sqlite:////srv/from-file.db"


def test_an_empty_file_variable_falls_back_to_the_plain_variable() -> None:
    env = {"TOCSIN_DATABASE_URL": "sqlite:////srv/plain.db", "TOCSIN_DATABASE_URL_FILE": ""}
    assert Settings.from_env(env).database_url == "sqlite:////srv/plain.db"


def test_a_missing_secret_file_is_a_config_error_naming_the_file_variable(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "database_url"
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"TOCSIN_DATABASE_URL_FILE": str(missing)})
    message = str(caught.value)
    assert message.startswith("TOCSIN_DATABASE_URL_FILE: cannot read ")
    assert str(missing) in message
    assert "No such file or directory" in message


def test_a_directory_as_secret_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^TOCSIN_DATABASE_URL_FILE: cannot read "):
        Settings.from_env({"TOCSIN_DATABASE_URL_FILE": str(tmp_path)})


def test_only_secret_settings_read_a_file(tmp_path: Path) -> None:
    port_file = tmp_path / "port"
    port_file.write_text("9999")
    assert Settings.from_env({"TOCSIN_PORT_FILE": str(port_file)}).port == 8000
    assert [setting.variable for setting in SETTINGS if setting.secret] == [
        "TOCSIN_DATABASE_URL",
        "TOCSIN_SECRET_KEY",
        "TOCSIN_SLACK_SIGNING_SECRET",
        "TOCSIN_TELEGRAM_WEBHOOK_SECRET",
        "TOCSIN_TWILIO_AUTH_TOKEN",
        "TOCSIN_SMTP_PASSWORD",
        "TOCSIN_PUSHOVER_APP_TOKEN",
        "TOCSIN_TELEGRAM_BOT_TOKEN",
        "TOCSIN_SLACK_BOT_TOKEN",
        "TOCSIN_ADMIN_PASSWORD",
    ]


# --- base URL --------------------------------------------------------------------------


def test_the_base_url_defaults_to_host_and_port() -> None:
    settings = Settings.from_env({"TOCSIN_HOST": "10.0.0.5", "TOCSIN_PORT": "8080"})
    assert settings.base_url == "http://10.0.0.5:8080"


def test_the_default_base_url_is_localhost_on_8000() -> None:
    assert Settings.from_env({}).base_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        ("https://tocsin.example.com", "https://tocsin.example.com"),
        ("https://tocsin.example.com/", "https://tocsin.example.com"),
        ("https://example.com/tocsin//", "https://example.com/tocsin"),
        (" https://tocsin.example.com/ ", "https://tocsin.example.com"),
    ],
)
def test_the_site_url_is_the_base_url_without_a_trailing_slash(
    site_url: str, expected: str
) -> None:
    settings = Settings.from_env({"TOCSIN_SITE_URL": site_url, "TOCSIN_PORT": "9000"})
    assert settings.base_url == expected


def test_the_default_base_url_brackets_an_ipv6_host() -> None:
    assert Settings.from_env({"TOCSIN_HOST": "::1"}).base_url == "http://[::1]:8000"


# --- the declarative list --------------------------------------------------------------


def test_every_setting_is_a_settings_field_and_every_field_a_setting() -> None:
    declared = [setting.name for setting in SETTINGS]
    fields = [field.name for field in dataclasses.fields(Settings)]
    assert sorted(declared) == sorted(fields)
    assert len(set(declared)) == len(declared)


def test_every_setting_has_a_tocsin_variable_and_help() -> None:
    for setting in SETTINGS:
        assert setting.variable == "TOCSIN_" + setting.name.upper()
        assert setting.help.strip()


def test_every_default_parses() -> None:
    defaults = {setting.variable: setting.default for setting in SETTINGS}
    assert Settings.from_env(defaults) == Settings.from_env({})


@pytest.mark.parametrize("variable", ["TOCSIN_ADMIN_EMAIL", "TOCSIN_ADMIN_PASSWORD"])
def test_the_first_admin_needs_both_email_and_password(variable: str) -> None:
    with pytest.raises(ConfigError, match="set both, or neither"):
        Settings.from_env({variable: "x"})
