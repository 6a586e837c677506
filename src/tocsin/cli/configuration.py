"""`tocsin config`: the settings in effect, secrets masked, and where each came from."""

import os

from tocsin.cli.common import console, fail_on_errors, load_configuration
from tocsin.config import (
    CONFIG_VARIABLE,
    SETTINGS,
    Loaded,
    Setting,
    config_search_path,
    masked_url,
)

HIDDEN = "********"


def config_command() -> None:
    """Print the settings in effect, secrets masked, and where each one came from."""
    with fail_on_errors():
        loaded = load_configuration()
        console.print(f"Config file: {file_line(loaded)}", markup=False)
        rows = [(s.name, shown(s, loaded.texts[s.name]), loaded.origins[s.name]) for s in SETTINGS]
        for row in aligned(rows):
            console.print(row, markup=False)


def file_line(loaded: Loaded) -> str:
    if loaded.file is not None:
        return str(loaded.file)
    if CONFIG_VARIABLE in os.environ:
        return f"none ({CONFIG_VARIABLE} is set empty)"
    looked = ", ".join(str(path) for path in config_search_path(os.environ))
    return f"none (looked for {looked})"


def shown(setting: Setting, text: str) -> str:
    if not text:
        return "(empty)"
    if setting.name == "database_url":
        return masked_url(text)
    return HIDDEN if setting.secret else text


def aligned(rows: list[tuple[str, str, str]]) -> list[str]:
    header = ("setting", "value", "from")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in (0, 1)]
    return [
        f"{name:<{widths[0]}}  {value:<{widths[1]}}  {origin}".rstrip()
        for name, value, origin in [header, *rows]
    ]
