"""A PostgreSQL server of the test's own, which the test may stop, start and freeze.

The shared server must never be stopped, so outage tests make their own cluster with
initdb and pg_ctl, as the `postgres` OS user (PostgreSQL refuses to run as root), in a
data directory outside pytest's temporary tree (which only its owner may enter), on a
free port of 127.0.0.1.
"""

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

BIN = Path(os.environ.get("TOCSIN_TEST_POSTGRES_BIN", "/usr/lib/postgresql/15/bin"))
OS_USER = "postgres"


def cluster_problem() -> str | None:
    """Why a private cluster cannot be made here, or None."""
    if not (BIN / "initdb").exists() or not (BIN / "pg_ctl").exists():
        return f"no initdb and pg_ctl in {BIN} (set TOCSIN_TEST_POSTGRES_BIN)"
    try:
        pwd.getpwnam(OS_USER)
    except KeyError:
        return f"no {OS_USER!r} OS user to run PostgreSQL as"
    if os.geteuid() != 0 and pwd.getpwuid(os.geteuid()).pw_name != OS_USER:
        return f"running PostgreSQL as {OS_USER!r} needs root or that user"
    return None


class PostgresCluster:
    """`create` (initdb), then `start`, `stop` (fast shutdown), `freeze` and `thaw`;
    `destroy` whatever happened."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.directory = Path(tempfile.mkdtemp(prefix="tocsin-pg-"))
        self.data = self.directory / "data"
        self.log_path = self.directory / "postgres.log"
        self.frozen: list[int] = []
        account = pwd.getpwnam(OS_USER)
        os.chown(self.directory, account.pw_uid, account.pw_gid)

    def create(self) -> None:
        self.as_postgres(BIN / "initdb", "-D", self.data, "-A", "trust", "-U", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories=''"
        self.pg_ctl("start", "-w", "-t", "60", "-l", self.log_path, "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`fast` ends the connections and shuts down cleanly; `immediate` goes as in a crash."""
        self.pg_ctl("stop", "-w", "-t", "60", "-m", mode)

    def freeze(self) -> None:
        """SIGSTOP the postmaster, then every process it started. PostgreSQL puts each
        child in a session of its own, so the postmaster's process group is not enough."""
        postmaster = self.postmaster_pid()
        os.kill(postmaster, signal.SIGSTOP)
        self.frozen = [postmaster, *children_of(postmaster)]
        for pid in self.frozen[1:]:
            os.kill(pid, signal.SIGSTOP)

    def thaw(self) -> None:
        for pid in reversed(self.frozen):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)
        self.frozen = []

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def is_running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        """Thaws and stops the server, whatever state the test left it in, and removes it."""
        self.thaw()
        if self.data.exists() and self.is_running():
            self.pg_ctl("stop", "-w", "-t", "60", "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)

    def pg_ctl(self, *args: object) -> None:
        self.as_postgres(BIN / "pg_ctl", "-D", self.data, *args)

    def as_postgres(self, *command: object) -> None:
        words = [str(word) for word in command]
        if os.geteuid() == 0:
            words = ["runuser", "-u", OS_USER, "--", *words]
        done = subprocess.run(
            words,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=self.directory,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(words)} failed:\n{done.stderr.decode(errors='replace')}")


def children_of(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # the process has gone
        # The command name, in parentheses, may hold spaces: the fields follow the last ")".
        if int(stat.rpartition(")")[2].split()[1]) == parent:
            found.append(int(entry.name))
    return found
