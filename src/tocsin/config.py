"""Settings, read once into a frozen object: from a TOML config file, overridden by
`TOCSIN_*` environment variables.

`SETTINGS` is the single declarative list: the parser, the README table and the
test that keeps them in step all read it. Secrets may also come from a file named
by `<NAME>_FILE`, so they can live in Docker or systemd credentials.

The server and every CLI command read the same file, found by one search path
(`config_search_path`), so a command run from any directory sees the server's
database and mail settings. A relative SQLite path in the file is anchored at the
file's directory; with no file, the database lives in the user's data directory.
Neither ever depends on the working directory.
"""

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from tocsin.domain.durations import DurationError, parse_duration

PREFIX = "TOCSIN_"
CONFIG_VARIABLE = "TOCSIN_CONFIG"
CONFIG_NAME = "tocsin.toml"
SYSTEM_CONFIG = Path("/etc/tocsin") / CONFIG_NAME
DEFAULT = "default"


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
        "",
        "Where Tocsin keeps its data: `sqlite:////absolute/path.db` (in the config file "
        "also `sqlite:///path.db`, relative to the file's directory), "
        "`postgresql://user:pass@host/db` or `postgresql+asyncpg://…`. Empty: "
        "`tocsin.db` in `$XDG_DATA_HOME/tocsin` (`~/.local/share/tocsin`).",
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
        "dependency_settle",
        "1m",
        "How long every parent of a check must have been up before the check's held "
        "incident, if it is still down, is released and alerts.",
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
    Setting(
        "slack_signing_secret",
        "",
        "The Slack app's signing secret (Basic Information → App Credentials): Tocsin "
        "checks it on every press of an Acknowledge button (`/integrations/slack`). Empty: "
        "those requests are refused.",
        secret=True,
    ),
    Setting(
        "telegram_webhook_secret",
        "",
        "The `secret_token` given to Telegram's `setWebhook` for a bot pointed at "
        "`/integrations/telegram/<channel uuid>`, so Tocsin knows the presses of its "
        "Acknowledge buttons come from Telegram (1-256 of `A-Z a-z 0-9 _ -`). Empty: "
        "those requests are refused.",
        secret=True,
    ),
    Setting(
        "twilio_account_sid",
        "",
        "The Twilio account (`AC…`) that sends SMS and calls for people's phone numbers; "
        "a `twilio` channel carries its own.",
    ),
    Setting(
        "twilio_auth_token",
        "",
        "That account's auth token: it signs Twilio's requests back to Tocsin, too.",
        secret=True,
    ),
    Setting("twilio_from", "", "The number SMS and calls come from, as `+15551234567`."),
    Setting(
        "twilio_api_url",
        "https://api.twilio.com",
        "Twilio's API, or a compatible one (SignalWire, a local fake).",
    ),
    Setting("smtp_host", "", "SMTP server for email channels; empty disables email."),
    Setting("smtp_port", "587", "SMTP port."),
    Setting("smtp_security", "starttls", "`starttls`, `tls` (implicit, port 465) or `none`."),
    Setting("smtp_username", "", "SMTP user name, if the server wants one."),
    Setting("smtp_password", "", "SMTP password.", secret=True),
    Setting("smtp_from", "tocsin@localhost", "Sender address of alert emails."),
    Setting(
        "pushover_app_token",
        "",
        "The Pushover application's token, for people who give a Pushover user key as a "
        "contact method. Empty: those methods are not used.",
        secret=True,
    ),
    Setting(
        "telegram_bot_token",
        "",
        "Token of the Telegram bot that messages people who give a Telegram chat id as a "
        "contact method. Empty: those methods are not used.",
        secret=True,
    ),
    Setting(
        "slack_bot_token",
        "",
        "Token of the Slack bot (`xoxb-…`, with `chat:write`) that sends direct messages "
        "to people who give a Slack member id as a contact method. Empty: not used.",
        secret=True,
    ),
    Setting(
        "ntfy_url",
        "https://ntfy.sh",
        "The ntfy server that people's ntfy topics (a contact method) live on.",
    ),
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


SQLITE_URL = re.compile(r"(?P<scheme>sqlite(?:\+\w+)?):///(?P<path>[^?]*)(?P<query>\?.*)?", re.S)


def sqlite_path(database_url: str) -> str | None:
    """The file of a `sqlite:///…` URL, as written; None for other databases."""
    found = SQLITE_URL.fullmatch(database_url.strip())
    if found is None or found.group("path") in ("", ":memory:"):
        return None
    return found.group("path")


def read_database_url(text: str) -> str:
    """A database URL; a relative SQLite path is refused, since here it could only be
    read against the working directory (the config file anchors its own)."""
    url = text.strip()
    path = sqlite_path(url)
    if path is not None and not path.startswith("/"):
        raise ValueError(
            f"the SQLite path {path!r} is relative; write it absolute "
            f"(sqlite:////var/lib/tocsin/tocsin.db), or put it in the config file, "
            "where it is relative to the file"
        )
    return url


def anchored(database_url: str, directory: Path) -> str:
    """`database_url` with a relative SQLite path made absolute under `directory`."""
    path = sqlite_path(database_url)
    if path is None or path.startswith("/"):
        return database_url
    found = SQLITE_URL.fullmatch(database_url.strip())
    assert found is not None  # sqlite_path matched it
    absolute = (directory / path).resolve()
    return f"{found.group('scheme')}:///{absolute}{found.group('query') or ''}"


def masked_url(database_url: str) -> str:
    """A database URL fit to print: its password replaced by `***`."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", database_url)


def read_smtp_security(text: str) -> str:
    value = text.strip().lower()
    if value not in ("starttls", "tls", "none"):
        raise ValueError(f"expected starttls, tls or none, not {text!r}")
    return value


PARSERS: dict[str, Callable[[str], Any]] = {
    "database_url": read_database_url,
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
    "dependency_settle": read_duration,
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
    dependency_settle: timedelta
    sqlite_synchronous: str
    sqlite_wal_limit: int
    db_pool_size: int
    secret_key: str
    notifier: bool
    notify_timeout: timedelta
    notify_max_age: timedelta
    allow_private_webhooks: bool
    ack_link_ttl: timedelta
    slack_signing_secret: str
    telegram_webhook_secret: str
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from: str
    twilio_api_url: str
    smtp_host: str
    smtp_port: int
    smtp_security: str
    smtp_username: str
    smtp_password: str
    smtp_from: str
    pushover_app_token: str
    telegram_bot_token: str
    slack_bot_token: str
    ntfy_url: str
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
        """Settings from the environment alone (no config file): for tests and embedding.
        Processes use `load`, which reads the config file too."""
        env = os.environ if environ is None else environ
        return resolve(env, None, overrides).settings


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file read: each setting's text, relative SQLite paths anchored."""

    path: Path
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class Loaded:
    """The effective settings, each setting's text and where it came from: `default`,
    the config file's path, the environment variable or `command line`."""

    settings: Settings
    texts: dict[str, str]
    origins: dict[str, str]
    file: Path | None


def load(environ: Mapping[str, str] | None = None, **overrides: Any) -> Loaded:
    """What every Tocsin process runs on: the config file (if one is found), the
    environment over it, and `overrides` (command-line options) over both."""
    env = os.environ if environ is None else environ
    found = find_config_file(env)
    return resolve(env, read_config_file(found) if found else None, overrides)


def resolve(env: Mapping[str, str], file: ConfigFile | None, overrides: dict[str, Any]) -> Loaded:
    texts, origins = {}, {}
    for setting in SETTINGS:
        texts[setting.name], origins[setting.name] = raw_value(setting, env, file)
    values = {s.name: parse_setting(s, texts[s.name], origins[s.name]) for s in SETTINGS}
    if not values["database_url"]:
        values["database_url"] = texts["database_url"] = default_database_url(env)
    values.update(overrides)
    for name, value in overrides.items():
        texts[name], origins[name] = str(value), "command line"
    settings = Settings(**values)
    try:
        validate(settings)
    except ConfigError as error:
        raise reworded(error, origins) from None
    return Loaded(settings, texts, origins, file.path if file else None)


def raw_value(setting: Setting, env: Mapping[str, str], file: ConfigFile | None) -> tuple[str, str]:
    """A setting's text and its origin; the environment wins over the file."""
    file_variable = setting.variable + "_FILE"
    if setting.secret and env.get(file_variable):
        return read_secret(Path(env[file_variable]), file_variable), file_variable
    if setting.variable in env:
        return env[setting.variable], setting.variable
    if file is not None and setting.name in file.values:
        return file.values[setting.name], str(file.path)
    return setting.default, DEFAULT


def read_secret(path: Path, where: str) -> str:
    try:
        return path.read_text().strip()
    except OSError as error:
        raise ConfigError(f"{where}: cannot read {error.filename}: {error.strerror}") from None


def parse_setting(setting: Setting, raw: str, origin: str = DEFAULT) -> Any:
    parser = PARSERS.get(setting.name, read_text)
    try:
        return parser(raw)
    except ValueError as error:
        raise ConfigError(f"{where_set(setting, origin)}: {error}") from None


def where_set(setting: Setting, origin: str) -> str:
    """How an error names a setting: by its variable, or by file and key (a file's
    origin is its absolute path)."""
    return f"{origin}: {setting.name}" if origin.startswith("/") else setting.variable


def reworded(error: ConfigError, origins: dict[str, str]) -> ConfigError:
    """A validation error (worded `TOCSIN_NAME: problem`) naming the config file and key
    instead when the setting came from the file."""
    variable, _, problem = str(error).partition(": ")
    for setting in SETTINGS:
        if setting.variable == variable and problem:
            return ConfigError(f"{where_set(setting, origins[setting.name])}: {problem}")
    return error


# --- the config file -------------------------------------------------------------------


def directory_from(env: Mapping[str, str], variable: str, under_home: str) -> Path:
    """An XDG base directory: the variable if it holds an absolute path (the spec
    ignores relative ones), else its default under the home directory."""
    value = env.get(variable, "")
    if value and Path(value).is_absolute():
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / under_home


def default_database_url(env: Mapping[str, str]) -> str:
    data = directory_from(env, "XDG_DATA_HOME", ".local/share") / "tocsin"
    return f"sqlite:///{data / 'tocsin.db'}"


def config_search_path(env: Mapping[str, str]) -> list[Path]:
    """Where a config file is looked for when `TOCSIN_CONFIG` is not set, first first."""
    user = directory_from(env, "XDG_CONFIG_HOME", ".config") / "tocsin" / CONFIG_NAME
    return [user, SYSTEM_CONFIG]


def find_config_file(env: Mapping[str, str]) -> Path | None:
    """`TOCSIN_CONFIG` names the file (set but empty: none), else the first of the
    search path that exists."""
    if CONFIG_VARIABLE in env:
        named = env[CONFIG_VARIABLE].strip()
        if not named:
            return None
        path = Path(named).expanduser().absolute()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_VARIABLE}: no config file at {path}")
        return path
    return next((path for path in config_search_path(env) if path.is_file()), None)


def read_config_file(path: Path) -> ConfigFile:
    try:
        document = tomllib.loads(path.read_text())
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    values = {}
    for key, value in document.items():
        name, text = file_entry(path, key, value)
        values[name] = text
    return ConfigFile(path, values)


SECRETS = {setting.name for setting in SETTINGS if setting.secret}


def file_entry(path: Path, key: str, value: object) -> tuple[str, str]:
    """One `key = value` line of the file as a setting's name and text; `<secret>_file`
    reads the secret from that file, a relative path being relative to the config file."""
    known = {setting.name for setting in SETTINGS}
    name = key.removesuffix("_file") if key.removesuffix("_file") in SECRETS else key
    if name not in known:
        raise ConfigError(f"{path}: unknown setting {key!r}{suggestion(key, known)}")
    text = toml_text(path, key, value)
    if PARSERS.get(name) is read_duration and type(value) in (int, float):
        # A TOML number is typed, as a number in the API's JSON is: seconds. Text needs
        # its unit, as everywhere ("90" could be any).
        text += "s"
    if name != key:
        text = read_secret(path.parent / text, f"{path}: {key}")
    if name == "database_url":
        text = anchored(text, path.parent)
    return name, text


def toml_text(path: Path, key: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    kind = type(value).__name__
    raise ConfigError(f"{path}: {key}: expected a string, a number or true/false, not a {kind}")


def suggestion(key: str, known: set[str]) -> str:
    import difflib  # only on this error path

    # `TOCSIN_PORT = 1` is the variable's name where the file wants the key, `port`.
    close = difflib.get_close_matches(key.lower().removeprefix("tocsin_"), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else "; `tocsin config` lists the settings"


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
    if settings.dependency_settle < timedelta(0):
        raise ConfigError(f"{PREFIX}DEPENDENCY_SETTLE: must not be negative")
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
    lines = ["| Key in the file, variable | Default | Meaning |", "|---|---|---|"]
    for setting in SETTINGS:
        also = " (or `_FILE`)" if setting.secret else ""
        name = f"`{setting.name}`, `{setting.variable}`{also}"
        default = f"`{setting.default}`" if setting.default else "(empty)"
        lines.append(f"| {name} | {default} | {setting.help} |")
    return "\n".join(lines)
