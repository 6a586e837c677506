"""The consoles every command prints with: standard output and standard error."""

import sys

from rich.console import Console

# Piped output (scripts, tests) gets long lines instead of wrapping at 80 columns.
WIDTH = None if sys.stdout.isatty() else 200
console = Console(highlight=False, soft_wrap=True, width=WIDTH)
error_console = Console(stderr=True, highlight=False, soft_wrap=True, width=WIDTH)
