"""Options defined once as a group's fields, spread into each command that names the
group: in the command's order, reaching it as the group built from what was given."""

from dataclasses import dataclass

import pytest
import typer
from typer.testing import CliRunner

from tocsin.cli.option_groups import option, option_group, with_option_groups


@option_group
@dataclass(frozen=True, slots=True)
class Colours:
    colour: str | None = option(typer.Option(None, metavar="COLOUR", help="A colour."))
    shades: list[str] = option(typer.Option([], "--shade", help="Shades, repeated."))  # noqa: RUF009
    bright: bool | None = option(typer.Option(None, "--bright/--dull", help="Bright or dull."))


def app_with(command: typer.models.CommandFunctionType) -> typer.Typer:
    app = typer.Typer()
    app.command("paint")(command)
    app.command("other")(lambda: None)  # a group, so that the command is named
    return app


def test_a_group_reaches_the_command_built_from_what_was_given() -> None:
    seen: list[tuple[str, Colours, bool]] = []

    @with_option_groups
    def paint(
        wall: str = typer.Argument(...),
        *,
        colours: Colours,
        dry: bool = typer.Option(False, "--dry"),
    ) -> None:
        seen.append((wall, colours, dry))

    app = app_with(paint)
    runner = CliRunner()
    result = runner.invoke(
        app, ["paint", "north", "--colour", "red", "--shade", "a", "--shade", "b"]
    )
    assert result.exit_code == 0, result.output
    assert seen == [("north", Colours("red", ["a", "b"], None), False)]
    runner.invoke(app, ["paint", "south", "--dull", "--dry"])
    assert seen[-1] == ("south", Colours(None, [], False), True)


def test_the_options_are_listed_where_the_group_is_named() -> None:
    @with_option_groups
    def paint(*, first: bool = typer.Option(False, "--first"), colours: Colours) -> None:
        pass

    help_text = CliRunner().invoke(app_with(paint), ["paint", "--help"]).output
    places = [help_text.index(name) for name in ("--first", "--colour", "--shade", "--bright")]
    assert places == sorted(places)


def test_an_option_named_twice_is_a_mistake_found_at_once() -> None:
    def paint(*, colours: Colours, colour: str = typer.Option("")) -> None:
        pass

    with pytest.raises(AssertionError, match="named twice"):
        with_option_groups(paint)
