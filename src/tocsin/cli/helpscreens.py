"""Help screens that say what an option takes (`DURATION`, `NAME`), not Python's type
names: Typer labels every option with its annotation (`<str>`, and `<bool>` even beside
a flag such as `--json` or `--help`, which takes no value). Every `typer.Typer` of the
command line is made with `cls=Group`."""

# Typer carries its own copy of click; its commands and options are of that copy's types.
from typer._click.core import Command, Context, Parameter
from typer.core import TyperGroup, TyperOption


class Group(TyperGroup):
    """A command group whose commands, subgroups and own options show metavars."""

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


def name_values(params: list[Parameter]) -> None:
    """A flag shows no value; any other option without a metavar of its own shows its
    name in capitals (`--limit LIMIT`)."""
    for param in params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = "" if param.is_flag else (param.name or "value").upper()
