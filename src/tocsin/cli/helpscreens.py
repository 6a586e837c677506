"""Help screens that say what a command takes (`--period DURATION`, `CHECK`), not
Python's type names: Typer labels every parameter with its annotation (`<str>`, and
`<bool>` even beside a flag such as `--json` or `--help`, which takes no value). Every
`typer.Typer` of the command line is made with `cls=Group`."""

# Typer carries its own copy of click; its commands and options are of that copy's types.
from typer._click.core import Command, Context, Parameter
from typer.core import TyperArgument, TyperGroup, TyperOption


class Group(TyperGroup):
    """A command group whose commands, subgroups and own options are named so."""

    def get_params(self, ctx: Context) -> list[Parameter]:
        params = super().get_params(ctx)
        name_values(params)
        return params

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            # get_params, not params: it includes the --help option, made on first use.
            name_values(command.get_params(ctx))
        return command


class Argument(TyperArgument):
    """An argument shown by its name alone (`CHECK`), with no type beside it."""

    def display_type_rich(self, ctx: Context) -> str | None:
        return None


def name_values(params: list[Parameter]) -> None:
    """A flag shows no value; any other option, or an argument, without a metavar of its
    own shows its name in capitals (`--limit LIMIT`, `CHECK`)."""
    for param in params:
        if isinstance(param, TyperArgument) and not isinstance(param, Argument):
            param.__class__ = Argument  # the same object, only shown differently
        if isinstance(param, TyperOption | TyperArgument) and param.metavar is None:
            flag = isinstance(param, TyperOption) and param.is_flag
            param.metavar = "" if flag else (param.name or "value").upper()
