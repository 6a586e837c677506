"""`tocsin run` as the Typer app knows it, for `tocsin --help` and in-process callers.

The `tocsin` executable sends `run` to `tocsin.job.command` before Typer is even
imported (see `tocsin.launcher`); this command hands its arguments to the same parser.
"""

import typer

CONTEXT = {"allow_extra_args": True, "ignore_unknown_options": True}


def run(ctx: typer.Context) -> None:
    """Run a command and report its start, exit status and output to a check."""
    from tocsin.job.command import main as run_job  # its HTTP client: not for other commands

    raise typer.Exit(run_job(ctx.args))
