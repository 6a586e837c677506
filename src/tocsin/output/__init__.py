"""What the CLI prints, importable without Typer, so that the launcher's lane for
`tocsin check list` (tocsin.launcher) and the Typer command print it the same way."""
