"""Settings, read once from `TOCSIN_*` environment variables into a frozen object.

`SETTINGS` is the single declarative list: the parser, the README table and the
test that keeps them in step all read it. Secrets may also come from a file named
by `<NAME>_FILE`, so they can live in Docker or systemd credentials.
"""

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tocsin.domain.durations import DurationError, parse_duration

PREFIX = "TOCSIN_"


class ConfigError(ValueError):
    """Bad configuration; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Setting:
    name: str
    default: str
    help: str
    secret: bool = False

    @property
    def variable(self) -> str:
        return PREFIX + self.name.upper()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database_url",
        "sqlite:///./data/tocsin.db",
        "Where Tocsin keeps its data: `sqlite:///path`, `sqlite+aiosqlite:///path`, "
        "`postgresql://user:pass@host/db` or `postgresql+asyncpg://…`.",
        secret=True,
    ),
    Setting("host", "127.0.0.1", "Address `tocsin serve` listens on."),
    Setting("port", "8000", "Port `tocsin serve` listens on."),
    Setting(
        "site_url",
        "",
        "Public base URL used in printed ping URLs, API answers and badge links; defaults "
        "to `http://<host>:<port>`.",
    ),
    Setting(
        "ping_body_limit",
        "100000",
        "Bytes of each ping's request body to keep; longer bodies are truncated and "
        "marked, never rejected.",
    ),
    Setting(
        "trusted_proxy_header",
        "",
        "Header a reverse proxy sets to the client address (e.g. `X-Forwarded-For`); "
        "its first entry is recorded as the ping's remote address. Empty: use the peer.",
    ),
    Setting(
        "fast_pings",
        "true",
        "Answer ping URLs inside the HTTP server's protocol, below ASGI, which is faster; "
        "`false` routes them through the ASGI app like every other request.",
    ),
    Setting(
        "request_timeout",
        "30s",
        "Longest a client may take to send a whole request, counted from the moment its "
        "connection opened or its last answer was sent; the connection is then closed "
        "(with 408 if a request had begun). Idle keep-alive connections close after 5 s.",
    ),
    Setting(
        "max_connections",
        "auto",
        "Open client connections in all; past it, a new connection replaces the oldest one "
        "waiting on its client at the busiest address. `auto`: the open-file limit "
        "(`ulimit -n`) less 128 descriptors kept for the database, the notifier and logs, "
        "at most 4096.",
    ),
    Setting(
        "max_connections_per_address",
        "256",
        "Open connections from one client address; past it, a new one replaces that "
        "address's oldest connection waiting on its client. Behind a reverse proxy every "
        "client has the proxy's address: raise it above the proxy's connections, or `0` "
        "for no cap.",
    ),
    Setting(
        "watcher",
        "true",
        "Run the deadline watcher inside `tocsin serve` (`false` when it runs as "
        "`tocsin watcher` elsewhere).",
    ),
    Setting(
        "watcher_recheck",
        "500ms",
        "Longest the watcher sleeps before re-reading the earliest deadline, which bounds "
        "how late it sees deadlines set by other processes.",
    ),
    Setting(
        "sqlite_synchronous",
        "FULL",
        "SQLite durability: `FULL` makes every acknowledged ping survive power loss (each "
        "batch of pings is fdatasynced to a small log, `<database>-pinglog`, before it is "
        "answered, and replayed from it at start if the database lost it); `NORMAL` "
        "survives a process crash only.",
    ),
    Setting(
        "sqlite_wal_limit",
        "64MB",
        "Size past which SQLite's write-ahead log (`<database>-wal`) is copied back into "
        "the database and written again from its beginning, and to which its file is cut "
        "back (`KB`, `MB`, `GB`: powers of 1024). Larger spaces out the short pauses of "
        "intake this takes under heavy load; at least 1MB.",
    ),
    Setting("db_pool_size", "10", "Database connections per process (PostgreSQL)."),
    Setting(
        "secret_key",
        "",
        "Key for signed links (acknowledge from an alert). Empty: one is made on first "
        "start and kept in the database.",
        secret=True,
    ),
    Setting(
        "notifier",
        "true",
        "Deliver notifications from `tocsin serve` (`false` when `tocsin notifier` runs "
        "elsewhere).",
    ),
    Setting("notify_timeout", "10s", "Longest wait for one channel to accept a notification."),
    Setting(
        "notify_max_age",
        "24h",
        "How long a notification that cannot be delivered is retried (with backoff, up to "
        "10 minutes apart) before it is given up; the channel then shows as failing.",
    ),
    Setting(
        "allow_private_webhooks",
        "false",
        "Let channels send to private, loopback and link-local addresses. Off, a webhook "
        "cannot be used to probe the internal network.",
    ),
    Setting("ack_link_ttl", "7d", "How long the acknowledge link in an alert stays valid."),
    Setting("smtp_host", "", "SMTP server for email channels; empty disables email."),
    Setting("smtp_port", "587", "SMTP port."),
    Setting("smtp_security", "starttls", "`starttls`, `tls` (implicit, port 465) or `none`."),
    Setting("smtp_username", "", "SMTP user name, if the server wants one."),
    Setting("smtp_password", "", "SMTP password.", secret=True),
    Setting("smtp_from", "tocsin@localhost", "Sender address of alert emails."),
    Setting("log_level", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
    Setting(
        "admin_email",
        "",
        "Email of the first administrator, made by `tocsin serve` on its first start "
        "(with `TOCSIN_ADMIN_PASSWORD`) while no user exists. Empty: the banner prints a "
        "one-time setup link instead.",
    ),
    Setting("admin_password", "", "Password of that first administrator.", secret=True),
    Setting(
        "registration_open",
        "false",
        "Let anyone sign up on `/signup`, each getting a project of their own.",
    ),
    Setting("session_ttl", "14d", "How long a sign-in to the web app lasts."),
    Setting("setup_link_ttl", "1d", "How long the setup link in the first banner stays valid."),
    Setting(
        "keep_pings",
        "100",
        "Pings kept per check, the newest; older ones are deleted (a check's ping count "
        "still counts them). `0` keeps every ping.",
    ),
    Setting(
        "keep_incidents",
        "400d",
        "How long a resolved incident is kept, with its timeline and notifications, after "
        "it was resolved. Open incidents are never deleted.",
    ),
    Setting(
        "keep_flips",
        "400d",
        "How long a check's status changes are kept; its newest is always kept.",
    ),
    Setting(
        "keep_notifications",
        "30d",
        "How long a notification is kept once delivered or given up; undelivered ones are "
        "never deleted.",
    ),
    Setting(
        "prune_interval",
        "5m",
        "How often the process running the deadline watcher deletes what has aged out, in "
        "short transactions that pings never wait long behind.",
    ),
)


def read_int(text: str) -> int:
    return int(text)


def read_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, not {text!r}")


def read_duration(text: str) -> timedelta:
    try:
        return parse_duration(text)
    except DurationError as error:
        raise ValueError(str(error)) from None


def read_synchronous(text: str) -> str:
    value = text.strip().upper()
    if value not in ("FULL", "NORMAL", "EXTRA"):
        raise ValueError(f"expected FULL, NORMAL or EXTRA, not {text!r}")
    return value


SIZE_UNITS = {"": 1, "B": 1, "KB": 1 << 10, "MB": 1 << 20, "GB": 1 << 30}


def read_size(text: str) -> int:
    """Bytes, from `65536`, `512KB`, `64MB` or `1GB` (powers of 1024)."""
    found = re.fullmatch(r"\s*(\d+)\s*([a-zA-Z]*)\s*", text)
    unit = found.group(2).upper() if found else ""
    if found is None or unit not in SIZE_UNITS:
        raise ValueError(f"expected a size such as 64MB, not {text!r}")
    return int(found.group(1)) * SIZE_UNITS[unit]


def read_log_level(text: str) -> str:
    value = text.strip().upper()
    if value not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError(f"expected DEBUG, INFO, WARNING or ERROR, not {text!r}")
    return value


def read_connection_cap(text: str) -> int:
    """A number of connections, or 0 for `auto`."""
    value = text.strip().lower()
    if value == "auto":
        return 0
    cap = int(value)
    if cap < 1:
        raise ValueError(f"expected auto or a positive number, not {text!r}")
    return cap


def read_text(text: str) -> str:
    return text.strip()


def read_smtp_security(text: str) -> str:
    value = text.strip().lower()
    if value not in ("starttls", "tls", "none"):
        raise ValueError(f"expected starttls, tls or none, not {text!r}")
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "port": read_int,
    "smtp_port": read_int,
    "notifier": read_bool,
    "allow_private_webhooks": read_bool,
    "notify_timeout": read_duration,
    "notify_max_age": read_duration,
    "ack_link_ttl": read_duration,
    "smtp_security": read_smtp_security,
    "ping_body_limit": read_int,
    "db_pool_size": read_int,
    "watcher": read_bool,
    "fast_pings": read_bool,
    "request_timeout": read_duration,
    "max_connections": read_connection_cap,
    "max_connections_per_address": read_int,
    "watcher_recheck": read_duration,
    "sqlite_synchronous": read_synchronous,
    "sqlite_wal_limit": read_size,
    "log_level": read_log_level,
    "registration_open": read_bool,
    "session_ttl": read_duration,
    "setup_link_ttl": read_duration,
    "keep_pings": read_int,
    "keep_incidents": read_duration,
    "keep_flips": read_duration,
    "keep_notifications": read_duration,
    "prune_interval": read_duration,
}


@dataclass(frozen=True, slots=True)
class Settings:
    """Parsed settings; build with `Settings.from_env`, which applies the defaults."""

    database_url: str
    host: str
    port: int
    site_url: str
    ping_body_limit: int
    trusted_proxy_header: str
    fast_pings: bool
    request_timeout: timedelta
    max_connections: int  # 0: derived from the open-file limit
    max_connections_per_address: int  # 0: no cap
    watcher: bool
    watcher_recheck: timedelta
    sqlite_synchronous: str
    sqlite_wal_limit: int
    db_pool_size: int
    secret_key: str
    notifier: bool
    notify_timeout: timedelta
    notify_max_age: timedelta
    allow_private_webhooks: bool
    ack_link_ttl: timedelta
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    smtp_from: str
    log_level: str
    admin_email: str
    admin_password: str
    registration_open: bool
    session_ttl: timedelta
    setup_link_ttl: timedelta
    keep_pings: int  # 0: every ping
    keep_incidents: timedelta
    keep_flips: timedelta
    keep_notifications: timedelta
    prune_interval: timedelta

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return (self.site_url or f"http://{host}:{self.port}").rstrip("/")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        env = os.environ if environ is None else environ
        values = {s.name: parse_setting(s, raw_value(s, env)) for s in SETTINGS}
        values.update(overrides)
        settings = cls(**values)
        validate(settings)
        return settings


def raw_value(setting: Setting, env: Mapping[str, str]) -> str:
    file_variable = setting.variable + "_FILE"
    if setting.secret and env.get(file_variable):
        try:
            return Path(env[file_variable]).read_text().strip()
        except OSError as error:
            message = f"{file_variable}: cannot read {error.filename}: {error.strerror}"
            raise ConfigError(message) from None
    return env.get(setting.variable, setting.default)


def parse_setting(setting: Setting, raw: str) -> Any:
    parser = PARSERS.get(setting.name, read_text)
    try:
        return parser(raw)
    except ValueError as error:
        raise ConfigError(f"{setting.variable}: {error}") from None


def validate(settings: Settings) -> None:
    if not 0 < settings.port < 65536:
        raise ConfigError(f"{PREFIX}PORT: {settings.port} is not a TCP port")
    if settings.ping_body_limit < 0:
        raise ConfigError(f"{PREFIX}PING_BODY_LIMIT: must not be negative")
    if settings.sqlite_wal_limit < SIZE_UNITS["MB"]:
        raise ConfigError(f"{PREFIX}SQLITE_WAL_LIMIT: must be at least 1MB")
    if settings.db_pool_size < 1:
        raise ConfigError(f"{PREFIX}DB_POOL_SIZE: must be at least 1")
    if settings.request_timeout <= timedelta(0):
        raise ConfigError(f"{PREFIX}REQUEST_TIMEOUT: must be positive")
    if settings.max_connections_per_address < 0:
        raise ConfigError(f"{PREFIX}MAX_CONNECTIONS_PER_ADDRESS: must not be negative")
    if settings.watcher_recheck <= timedelta(0):
        raise ConfigError(f"{PREFIX}WATCHER_RECHECK: must be positive")
    if settings.notify_timeout <= timedelta(0):
        raise ConfigError(f"{PREFIX}NOTIFY_TIMEOUT: must be positive")
    if settings.notify_max_age <= timedelta(0):
        raise ConfigError(f"{PREFIX}NOTIFY_MAX_AGE: must be positive")
    if settings.keep_pings < 0:
        raise ConfigError(f"{PREFIX}KEEP_PINGS: must not be negative")
    for name in (
        "session_ttl",
        "setup_link_ttl",
        "keep_incidents",
        "keep_flips",
        "keep_notifications",
        "prune_interval",
    ):
        if getattr(settings, name) <= timedelta(0):
            raise ConfigError(f"{PREFIX}{name.upper()}: must be positive")
    if bool(settings.admin_email) != bool(settings.admin_password):
        raise ConfigError(f"{PREFIX}ADMIN_EMAIL and {PREFIX}ADMIN_PASSWORD: set both, or neither")


def settings_table() -> str:
    """The README's configuration table, generated so the two cannot drift apart."""
    lines = ["| Variable | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        name = f"`{setting.variable}`" + (" (or `_FILE`)" if setting.secret else "")
        default = f"`{setting.default}`" if setting.default else "(empty)"
        lines.append(f"| {name} | {default} | {setting.help} |")
    return "\n".join(lines)
