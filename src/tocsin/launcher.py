"""The `tocsin` executable: `tocsin run` straight to `job.command`, the rest to `cli`.

Importing `tocsin.cli` loads the server's stack (FastAPI, SQLAlchemy, uvicorn …), over
a second of a crontab line's time; `tocsin run` needs none of it.
"""

import sys


def main() -> None:
    if sys.argv[1:2] == ["run"]:
        from tocsin.job.command import main as run

        sys.exit(run(sys.argv[2:]))
    from tocsin.cli import main as cli

    cli()
