"""Settings from the TOML config file: where it is found, what it may say, and how the
environment overrides it."""

from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.config import SYSTEM_CONFIG, ConfigError, config_search_path, load


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_the_file_is_looked_for_in_the_user_config_dir_then_etc(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "conf")}
    assert config_search_path(env) == [tmp_path / "conf" / "tocsin" / "tocsin.toml", SYSTEM_CONFIG]
    assert config_search_path({"HOME": "/home/ann"})[0] == Path(
        "/home/ann/.config/tocsin/tocsin.toml"
    )
    # The XDG spec ignores a relative directory.
    assert config_search_path({"XDG_CONFIG_HOME": "conf", "HOME": "/home/ann"})[0] == Path(
        "/home/ann/.config/tocsin/tocsin.toml"
    )


def test_the_user_file_is_read_when_tocsin_config_is_unset(tmp_path: Path) -> None:
    found = write(tmp_path / "conf" / "tocsin" / "tocsin.toml", "port = 9001\n")
    loaded = load({"XDG_CONFIG_HOME": str(tmp_path / "conf")})
    assert (loaded.file, loaded.settings.port, loaded.origins["port"]) == (
        found,
        9001,
        str(found),
    )


def test_tocsin_config_names_the_file_and_wins_over_the_search_path(tmp_path: Path) -> None:
    write(tmp_path / "conf" / "tocsin" / "tocsin.toml", "port = 9001\n")
    named = write(tmp_path / "elsewhere.toml", "port = 9002\n")
    env = {"XDG_CONFIG_HOME": str(tmp_path / "conf"), "TOCSIN_CONFIG": str(named)}
    assert load(env).settings.port == 9002


def test_an_empty_tocsin_config_reads_no_file(tmp_path: Path) -> None:
    write(tmp_path / "conf" / "tocsin" / "tocsin.toml", "port = 9001\n")
    loaded = load({"XDG_CONFIG_HOME": str(tmp_path / "conf"), "TOCSIN_CONFIG": ""})
    assert (loaded.file, loaded.settings.port, loaded.origins["port"]) == (None, 8000, "default")


def test_no_file_anywhere_gives_the_defaults(tmp_path: Path) -> None:
    if SYSTEM_CONFIG.exists():
        pytest.skip(f"{SYSTEM_CONFIG} exists on this machine")
    loaded = load({"XDG_CONFIG_HOME": str(tmp_path), "HOME": str(tmp_path)})
    assert loaded.file is None
    assert set(loaded.origins.values()) == {"default"}


def test_a_missing_named_file_is_an_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=rf"^TOCSIN_CONFIG: no config file at {missing}$"):
        load({"TOCSIN_CONFIG": str(missing)})


def test_values_may_be_toml_strings_numbers_and_booleans(tmp_path: Path) -> None:
    named = write(
        tmp_path / "t.toml",
        'port = 9000\nfast_pings = false\nwatcher_recheck = 0.25\nnotify_timeout = "3s"\n'
        'smtp_host = "mail.example"\n',
    )
    settings = load({"TOCSIN_CONFIG": str(named)}).settings
    assert (settings.port, settings.fast_pings, settings.smtp_host) == (9000, False, "mail.example")
    assert settings.watcher_recheck == timedelta(milliseconds=250)
    assert settings.notify_timeout == timedelta(seconds=3)


def test_the_environment_overrides_the_file_and_options_override_both(tmp_path: Path) -> None:
    named = write(tmp_path / "t.toml", 'port = 9000\nhost = "10.0.0.1"\nsmtp_host = "a"\n')
    env = {"TOCSIN_CONFIG": str(named), "TOCSIN_PORT": "9100", "TOCSIN_HOST": "10.0.0.2"}
    loaded = load(env, host="10.0.0.3")
    assert (loaded.settings.port, loaded.settings.host, loaded.settings.smtp_host) == (
        9100,
        "10.0.0.3",
        "a",
    )
    assert loaded.origins["port"] == "TOCSIN_PORT"
    assert loaded.origins["host"] == "command line"
    assert loaded.origins["smtp_host"] == str(named)
    assert loaded.origins["log_level"] == "default"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("databse_url = 'x'\n", "unknown setting 'databse_url' (did you mean 'database_url'?)"),
        ("TOCSIN_PORT = 1\n", "unknown setting 'TOCSIN_PORT' (did you mean 'port'?)"),
        ("[server]\nport = 1\n", "unknown setting 'server'"),
        ("port = 'http'\n", "port: invalid literal for int()"),
        ("port = 0\n", "port: 0 is not a TCP port"),
        ("watcher_recheck = '0s'\n", "watcher_recheck: must be positive"),
        ("log_level = 'loud'\n", "log_level: expected DEBUG, INFO, WARNING or ERROR, not 'loud'"),
        ("host = ['a', 'b']\n", "host: expected a string, a number or true/false, not a list"),
        ("port = \n", "not valid TOML"),
    ],
)
def test_a_mistake_in_the_file_is_an_error_naming_the_file_and_key(
    tmp_path: Path, text: str, problem: str
) -> None:
    named = write(tmp_path / "t.toml", text)
    with pytest.raises(ConfigError) as caught:
        load({"TOCSIN_CONFIG": str(named)})
    assert str(caught.value).startswith(f"{named}: ")
    assert problem in str(caught.value)


def test_a_mistake_in_the_environment_still_names_the_variable(tmp_path: Path) -> None:
    named = write(tmp_path / "t.toml", "port = 9000\n")
    with pytest.raises(ConfigError, match=r"^TOCSIN_PORT: 0 is not a TCP port$"):
        load({"TOCSIN_CONFIG": str(named), "TOCSIN_PORT": "0"})


def test_a_relative_database_path_is_relative_to_the_file_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    named = write(tmp_path / "etc" / "t.toml", 'database_url = "sqlite:///data/t.db"\n')
    monkeypatch.chdir(tmp_path)
    loaded = load({"TOCSIN_CONFIG": str(named)})
    assert loaded.settings.database_url == f"sqlite:///{tmp_path}/etc/data/t.db"
    dotted = write(tmp_path / "etc" / "u.toml", 'database_url = "sqlite+aiosqlite:///../u.db"\n')
    assert load({"TOCSIN_CONFIG": str(dotted)}).settings.database_url == (
        f"sqlite+aiosqlite:///{tmp_path}/u.db"
    )


def test_absolute_and_postgresql_urls_in_the_file_are_kept_as_written(tmp_path: Path) -> None:
    for url in ("sqlite:////srv/t.db", "postgresql://tocsin:pw@db/tocsin"):
        named = write(tmp_path / "t.toml", f'database_url = "{url}"\n')
        assert load({"TOCSIN_CONFIG": str(named)}).settings.database_url == url


def test_without_a_database_url_the_database_is_in_the_user_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "share"
    env = {"TOCSIN_CONFIG": "", "XDG_DATA_HOME": str(data)}
    assert load(env).settings.database_url == f"sqlite:///{data}/tocsin/tocsin.db"
    assert load({"TOCSIN_CONFIG": "", "HOME": "/home/ann"}).settings.database_url == (
        "sqlite:////home/ann/.local/share/tocsin/tocsin.db"
    )


def test_a_secret_may_be_read_from_a_file_named_relative_to_the_config(tmp_path: Path) -> None:
    write(tmp_path / "secrets" / "smtp", "s3cret\n")
    named = write(tmp_path / "t.toml", 'smtp_password_file = "secrets/smtp"\n')
    loaded = load({"TOCSIN_CONFIG": str(named)})
    assert loaded.settings.smtp_password == "s3cret"
    assert loaded.origins["smtp_password"] == str(named)


def test_only_secrets_have_a_file_key(tmp_path: Path) -> None:
    named = write(tmp_path / "t.toml", 'port_file = "p"\n')
    with pytest.raises(ConfigError, match="unknown setting 'port_file'"):
        load({"TOCSIN_CONFIG": str(named)})


def test_a_duration_as_text_needs_its_unit(tmp_path: Path) -> None:
    named = write(tmp_path / "t.toml", 'notify_timeout = "90"\n')
    with pytest.raises(ConfigError, match="notify_timeout: invalid duration '90': a unit is"):
        load({"TOCSIN_CONFIG": str(named)})
