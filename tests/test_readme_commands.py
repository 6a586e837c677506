"""Every shell command of README.md, run as a reader runs it, in order, against a
running `tocsin serve`: `.venv/bin` first on the PATH, the TOCSIN_* settings of the
test's server, a working directory and a home of the test's own. The README is read,
not copied, so a command added to it is run by default, and one that stops working
fails here.

Between the README and what runs stand only these tables, each entry of which must
still match a README command (a stale one fails `test_every_table_entry_matches_the_readme`):

- SKIPPED: commands that cannot run here, by their exact text, each with the reason.
- SUBSTITUTIONS: the README's example values and placeholders (a uuid, an API key, the
  site's URL, a Slack hook …) and what stands for them here: the test's server and local
  receivers, or a value an earlier command printed (CAPTURES).
- BEFORE: what must have happened for a command to mean something (an open incident to
  acknowledge), done just before it.
- EXPECTED: what a command must print (the essential part of its `# …` comment in the
  README), and exit or HTTP statuses other than success.

A command must exit 0 and write nothing on stderr; every curl reports its HTTP status
(through a curlrc of the test's home), which must be 2xx. Crontab lines run without
their schedule; `NAME=value` lines set a variable for the commands after them, as in a
crontab.
"""

import asyncio
import os
import re
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import Server, settings_for, start_server, stop_server
from tests.helpers import eventually
from tests.receivers import HttpReceiver, SmtpReceiver
from tocsin.store.database import Database
from tocsin.store.tables import incidents

ROOT = Path(__file__).parent.parent
SHELL_FENCE = re.compile(r"^```(?:sh|bash|shell|console)\s*$")
CRONTAB_SCHEDULE = re.compile(r"^(?:[\d*/,-]+\s+){5}")
ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=\S*$")
HTTP_STATUS = re.compile(r"^curl-http-status: (\d{3})$", re.M)
T = TypeVar("T")
COMMAND_TIMEOUT = 120  # seconds; a CLI command takes a few, a hung one fails the test

RESTORE = "a restore stops the server: tests/e2e/test_backup.py restores one and serves it"
ONCALL_MEMBERS = (
    "needs people in the project, which the README's fresh server has none of: "
    "tests/cli/test_oncall.py runs them with alice, bob and carol in the project"
)
PG_BACKUP = "needs the README's PostgreSQL: tests/e2e/test_backup.py runs pg_dump, pg_restore"

# Commands that cannot run here, by their text without the comment, and why.
SKIPPED = {
    "make run": "the test starts `tocsin migrate` and `tocsin serve` itself",
    "make run &": "the test starts `tocsin migrate` and `tocsin serve` itself",
    "make test": "this is the test suite",
    "tocsin serve": "the test's server is running already",
    "tocsin oncall rotation Primary --member alice@example.com --member bob@example.com "
    "--starts 2026-12-07T09:00 --zone Europe/Berlin --every 1w": ONCALL_MEMBERS,
    "tocsin oncall rotation Primary --member carol@example.com --starts 2026-12-07T09:00 "
    "--zone Europe/Berlin --every 1w --layer 1 --hours 20:00-08:00 --name Nights": ONCALL_MEMBERS,
    "tocsin oncall override Primary --member bob@example.com --from 2026-12-24T18:00 "
    "--to 2026-12-27T09:00 --zone Europe/Berlin": ONCALL_MEMBERS,
    "rm -f data/tocsin.db-wal data/tocsin.db-shm": RESTORE,
    "cp /var/backups/tocsin/tocsin-2026-12-07.db data/tocsin.db": RESTORE,
    "pg_dump --format=custom --file=tocsin-$(date +%F).dump 'postgresql://tocsin@db/tocsin'": (
        PG_BACKUP
    ),
    "pg_restore --clean --if-exists --no-owner --dbname='postgresql://tocsin@db/tocsin' "
    "tocsin-2026-12-07.dump": PG_BACKUP,
    "curl https://api.telegram.org/bot<token>/setWebhook "
    "-d url=https://<your Tocsin>/integrations/telegram/<channel id> "
    "-d secret_token=<the secret> -d 'allowed_updates=[\"callback_query\"]'": (
        "it sets a bot's webhook on Telegram's own servers"
    ),
}

# README text → what stands for it here: `{server}` (the test server's URL),
# `{receiver}` (a local HTTP receiver for outside services), `{workdir}` (the working
# directory, with stand-ins for the README's job scripts) or a captured value.
SUBSTITUTIONS = [
    ("http://127.0.0.1:8000", "{server}"),
    ("https://tocsin.example", "{server}"),
    ("5533ecb8-c474-4ea5-81a4-cf1ff9615f33", "{uuid}"),
    ("<uuid>", "{uuid}"),
    ("tcw_4Xb…", "{key}"),
    ("<ping-key>", "{ping_key}"),
    ("https://hooks.slack.com/services/…", "{receiver}/slack"),
    ("https://example.com/hook", "{receiver}/hook"),
    ("/usr/local/bin/backup.sh", "{workdir}/backup.sh"),
    ("-- sync.sh", "-- {workdir}/sync.sh"),
    ("tocsin incident ack 12", "tocsin incident ack {incident}"),
    ("tocsin key revoke 3", "tocsin key revoke {spare_key}"),
    ("heartbeats/7", "heartbeats/{heartbeat}"),
    ("/var/backups/tocsin", "{workdir}"),
]

# name ← (a command containing this text, the pattern whose group 1 in its output is
# the value).
CAPTURES = {
    "uuid": ("tocsin check create", r"/ping/([0-9a-f-]{36})\b"),
    "key": ("tocsin key create", r"\b(tcw_\w+)"),
    "incident": ("tocsin incident list", r"^\W*(\d+)\s"),
    "heartbeat": ("/api/v2/heartbeats ", r'"id":\s*"(\d+)"'),
}


@dataclass(frozen=True)
class Expect:
    prints: tuple[str, ...] = ()  # patterns the output must match (re.search)
    exit_status: int = 0
    http: tuple[int, ...] = ()  # the statuses curl must report, in order; else 2xx


# A command containing this text → what it must do.
EXPECTED = {
    "tocsin check create": Expect(
        prints=(r"ping URL:\s+http://", r"Better Stack URL:", r"slug URL:\s+http://\S+/db-backup$")
    ),
    "tocsin check list": Expect(prints=(r"db backup\s.*\bup\b",)),
    "tocsin check edit": Expect(prints=(r"^Updated 'db backup'\.$", r"Grace:\s+2h$")),
    "tocsin channel add email": Expect(prints=(r"Added email channel 'ops'",)),
    "tocsin channel add webhook": Expect(prints=(r"Added webhook channel 'pager'",)),
    "tocsin channel test ops": Expect(prints=(r"Test message sent to 'ops'",)),
    "tocsin check set-policy": Expect(prints=(r"now follows the 'night' policy",)),
    "tocsin incident ack": Expect(prints=(r"Acknowledged incident \d+",)),
    "tocsin key create": Expect(prints=(r"tcw_\w+", r"Copy it now")),
    "tocsin oncall create": Expect(
        prints=(r"Created calendar \d+ 'Primary' \(the project's default\)",)
    ),
    # The quick start made "db backup": the README's "200 (updated) after".
    '"unique": ["name"]': Expect(http=(200,)),
    "tocsin key revoke": Expect(prints=(r"Revoked API key",)),
    '"period": 86400': Expect(prints=(r'"status":\s*"pending"',)),
    "tocsin backup": Expect(prints=(r"^Backed up \S+ to \S+/tocsin-\d{4}-\d\d-\d\d\.db ",)),
}


@dataclass(frozen=True)
class Command:
    text: str  # as written, continuation lines and all, without its trailing comment
    comment: str  # that comment, without its `#`
    line: int  # where it starts in README.md

    @property
    def key(self) -> str:
        """The command on one line, spaces collapsed: how the tables name it."""
        return " ".join(self.text.replace("\\\n", " ").split())


def shell_blocks(markdown: str) -> Iterator[list[tuple[int, str]]]:
    """The numbered lines of each ```sh (bash, shell, console) block."""
    block: list[tuple[int, str]] | None = None
    for number, line in enumerate(markdown.splitlines(), start=1):
        if block is None:
            if SHELL_FENCE.match(line):
                block = []
        elif line.startswith("```"):
            yield block
            block = None
        else:
            block.append((number, line))


def scan(text: str) -> tuple[bool, int | None]:
    """Whether a quote is left open at the end of `text`, and where a comment (a `#`
    beginning a word outside quotes) starts, as the shell reads them."""
    quote = ""
    index = 0
    while index < len(text):
        char = text[index]
        if quote == "'":
            quote = "" if char == "'" else quote
        elif char == "\\":
            index += 1  # escapes the next character, in double quotes too
        elif quote == '"':
            quote = "" if char == '"' else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or text[index - 1].isspace()):
            return False, index
        index += 1
    return bool(quote), None


def commands_of(block: list[tuple[int, str]]) -> Iterator[Command]:
    """The block's commands; lines that are only comments show what the command
    before them printed."""
    pending: list[str] = []
    start = 0
    for number, line in block:
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        start = start if pending else number
        pending.append(line)
        text = "\n".join(pending)
        open_quote, comment_at = scan(text)
        body = text if comment_at is None else text[:comment_at]
        if open_quote or (comment_at is None and body.rstrip().endswith("\\")):
            continue
        comment = "" if comment_at is None else text[comment_at + 1 :].strip()
        yield Command(body.strip(), comment, start)
        pending = []
    assert not pending, f"README.md line {start}: the command does not end"


def readme_commands(markdown: str) -> list[Command]:
    return [command for block in shell_blocks(markdown) for command in commands_of(block)]


def test_commands_are_read_as_the_shell_reads_them() -> None:
    markdown = "\n".join(
        [
            "```sh",
            "make run &   # leave it running",
            "#   shown: output",
            "",
            "curl -s http://x/a \\",
            '    --data \'{"a": 1,',
            '     "b": "# not a comment"}\'   # 201',
            'echo "a # b" x#y \\# \'it\'"s"',
            "```",
            "```python",
            "print('not shell')",
            "```",
        ]
    )
    assert readme_commands(markdown) == [
        Command("make run &", "leave it running", 2),
        Command(
            'curl -s http://x/a \\\n    --data \'{"a": 1,\n     "b": "# not a comment"}\'',
            "201",
            5,
        ),
        Command('echo "a # b" x#y \\# \'it\'"s"', "", 8),
    ]
    assert readme_commands(markdown)[1].key.startswith('curl -s http://x/a --data \'{"a": 1, "b"')


def test_every_table_entry_matches_the_readme() -> None:
    """So a table cannot hide a command: an entry whose command left the README goes."""
    commands = readme_commands((ROOT / "README.md").read_text())
    keys = {command.key for command in commands}
    texts = "\n".join(command.text for command in commands)
    assert sorted(set(SKIPPED) - keys) == []
    assert [old for old, _ in SUBSTITUTIONS if old not in texts] == []
    for table in (EXPECTED, BEFORE, {text: name for name, (text, _) in CAPTURES.items()}):
        assert [text for text in table if not any(text in key for key in keys)] == []


@dataclass(frozen=True)
class Finished:
    status: int
    stdout: str
    stderr: str


@dataclass
class Session:
    """The reader's shell: where commands run, the variables set so far, and the values
    the README's examples stand for."""

    workdir: Path
    environment: dict[str, str]
    values: dict[str, str]
    server: Server

    async def run(self, script: str) -> Finished:
        process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script,
            cwd=self.workdir,
            env=self.environment,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own group, to stop all of it if it hangs
        )
        try:
            stdout, stderr = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT)
        except TimeoutError:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
            raise AssertionError(f"still running after {COMMAND_TIMEOUT}s: {script}") from None
        assert process.returncode is not None
        return Finished(process.returncode, stdout.decode(errors="replace"), stderr.decode())

    async def capture(self, name: str, script: str, pattern: str) -> None:
        finished = await self.run(script)
        assert finished.status == 0, finished
        self.values[name] = found(pattern, finished.stdout, script)


def found(pattern: str, output: str, where: str) -> str:
    match = re.search(pattern, output, re.M)
    assert match is not None, f"{pattern!r} not in the output of {where}:\n{output}"
    return match.group(1)


async def fail_the_check(session: Session) -> None:
    """The quick start's check fails, and its incident opens."""
    url = f"{session.server.url}/ping/{session.values['uuid']}/fail"
    async with httpx.AsyncClient() as client:
        assert (await client.post(url, content=b"backup.sh: disk full")).status_code == 200
    database = Database(settings_for(session.server.database_url))
    try:

        async def incident_open() -> bool:
            async with database.read() as connection:
                query = sa.select(incidents.c.id).where(incidents.c.resolved_at.is_(None))
                return (await connection.scalar(query)) is not None

        assert await eventually(incident_open, limit=30)
    finally:
        await database.close()


async def read_the_ping_key(session: Session) -> None:
    """As the README's comment says: `tocsin key list` shows it."""
    await session.capture("ping_key", "tocsin key list", r"Ping key for slug URLs .*: (\S+)")


async def make_a_spare_key(session: Session) -> None:
    """A key to revoke other than the one the later examples use."""
    await session.capture("spare_key", "tocsin key create --name spare", r"API key (\d+)")


# A command containing this text → what is done first.
BEFORE: dict[str, Callable[[Session], Awaitable[None]]] = {
    "tocsin incident list": fail_the_check,
    "TOCSIN_PING_KEY=": read_the_ping_key,
    "tocsin key revoke": make_a_spare_key,
}


def substituted(command: Command, values: dict[str, str]) -> str:
    text = CRONTAB_SCHEDULE.sub("", command.text)
    for old, new in SUBSTITUTIONS:
        if old in text:
            try:
                text = text.replace(old, new.format_map(values))
            except KeyError as error:
                raise AssertionError(
                    f"README.md line {command.line}: {old!r} stands for {error}, "
                    "which no command before it printed"
                ) from None
    return text


def entries_for(command: Command, table: Mapping[str, T]) -> list[T]:
    """The entries of a table whose text is in the command."""
    return [entry for text, entry in table.items() if text in command.key]


async def run_command(session: Session, command: Command) -> None:
    for before in entries_for(command, BEFORE):
        await before(session)
    script = substituted(command, session.values)
    if assignment := ASSIGNMENT.match(script):
        name = assignment.group(1)
        script += f'\nprintf %s "${name}"'
    finished = await session.run(script)
    print(f"$ {script}\n{finished.stdout}{finished.stderr}")  # shown when the test fails
    where = f"README.md line {command.line}: {command.key}"
    check_result(command, finished, where)
    if assignment:
        session.environment[assignment.group(1)] = finished.stdout
    for name, (text, pattern) in CAPTURES.items():
        if text in command.key:
            session.values[name] = found(pattern, finished.stdout, where)


def check_result(command: Command, finished: Finished, where: str) -> None:
    expect = next(iter(entries_for(command, EXPECTED)), Expect())
    assert (finished.status, finished.stderr) == (expect.exit_status, ""), (where, finished)
    statuses = [int(code) for code in HTTP_STATUS.findall(finished.stdout)]
    if expect.http:
        assert statuses == list(expect.http), (where, finished.stdout)
    else:
        assert all(200 <= code < 300 for code in statuses), (where, finished.stdout)
    for pattern in expect.prints:
        assert re.search(pattern, finished.stdout, re.M), (where, pattern, finished.stdout)


def shell_environment(home: Path, server: Server, extra: dict[str, str]) -> dict[str, str]:
    """The reader's environment: the virtual environment's bin first on the PATH, and
    no setting of the machine's (its TOCSIN_* variables, files found through HOME or
    XDG_*), only the server's."""
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TOCSIN_", "XDG_"))  # no settings but these
    }
    return {
        **inherited,
        "PATH": f"{Path(sys.prefix) / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "HOME": str(home),
        "CURL_HOME": str(home),
        "COLUMNS": "200",  # tables as wide as a terminal's, not cut to 80
        "TOCSIN_DATABASE_URL": server.database_url,
        "TOCSIN_HOST": "127.0.0.1",
        "TOCSIN_PORT": server.url.rsplit(":", 1)[1],
        **extra,
    }


def prepare_workdir(tmp_path: Path) -> Path:
    """A working directory where `.venv/bin/tocsin` is Tocsin's, and stand-ins for the
    README's job scripts."""
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(sys.prefix)
    for script in ("backup.sh", "sync.sh"):
        path = workdir / script
        path.write_text('#!/bin/sh\necho "$0 $*: done"\n')
        path.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    # Every curl also prints the HTTP status it got, which a bare `curl -s` hides.
    (home / ".curlrc").write_text('write-out = "\\ncurl-http-status: %{http_code}\\n"\n')
    return workdir


@pytest.mark.e2e
async def test_every_readme_command_works_against_a_running_server(
    tmp_path: Path, receiver: HttpReceiver, smtp: SmtpReceiver
) -> None:
    workdir = prepare_workdir(tmp_path)
    settings = {
        "TOCSIN_ALLOW_PRIVATE_WEBHOOKS": "true",  # the receiver stands in for Slack
        "TOCSIN_SMTP_HOST": "127.0.0.1",
        "TOCSIN_SMTP_PORT": str(smtp.port),
        "TOCSIN_SMTP_SECURITY": "none",
    }
    database_url = f"sqlite:///{tmp_path / 'tocsin.db'}"
    migrate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tocsin",
        "migrate",
        env={**os.environ, "TOCSIN_DATABASE_URL": database_url},
    )
    assert await migrate.wait() == 0
    server = await asyncio.to_thread(
        start_server, database_url, tmp_path / "server.log", **settings
    )
    try:
        environment = shell_environment(tmp_path / "home", server, settings)
        values = {"server": server.url, "receiver": receiver.url, "workdir": str(workdir)}
        session = Session(workdir, environment, values, server)
        commands = readme_commands((ROOT / "README.md").read_text())
        for command in commands:
            if command.key not in SKIPPED:
                await run_command(session, command)
        await check_deliveries(session, receiver, smtp)
    finally:
        await asyncio.to_thread(stop_server, server)


async def check_deliveries(session: Session, receiver: HttpReceiver, smtp: SmtpReceiver) -> None:
    """What the README's channels promise arrives: the test message by email, the
    incident's first step (ops and Slack) at once, and the webhook's body, JSON."""
    await smtp.wait_for(2, limit=30)
    assert {tuple(mail.recipients) for mail in smtp.mail} == {("ops@example.com",)}
    await receiver.wait_for(1, "/slack", limit=30)
    sent = await session.run("tocsin channel test pager")
    assert sent.status == 0, sent
    await receiver.wait_for(1, "/hook", limit=30)
    [hook] = receiver.on("/hook")
    assert sorted(hook.json()) == ["ack", "check", "status"]
