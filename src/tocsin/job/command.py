"""`tocsin run`: run a job's command and report its start, exit status and output.

Parsed with argparse, not Typer, so that the command starts without loading the
server's stack. Whatever happens to the pings, the command runs and the wrapper
exits with the command's own status.
"""

import argparse
import os
import sys
import threading
import uuid
from collections.abc import Sequence

from tocsin.domain.durations import DurationError, parse_duration
from tocsin.domain.numbers import whole_number
from tocsin.job.client import FINISH_WITHIN, START_WITHIN, Pinger, TargetError, pinger_for
from tocsin.job.run import Outcome, OutputTail, run_command, start_helper

DEFAULT_OUTPUT_LIMIT = 10_000
DEFAULT_KILL_GRACE = 10.0
DEFAULT_LOG_EVERY = 300.0
NOTE_PREFIX = "[tocsin run] "
USAGE_ERROR = 2

DESCRIPTION = """\
Run COMMAND and report it to a Tocsin check: a start ping, then its exit status with
the last part of its output. The command's input, output and exit status are its own,
and it runs even when the server cannot be reached."""

EPILOG = """\
environment: TOCSIN_RUN_CHECK, TOCSIN_RUN_SERVER and TOCSIN_PING_KEY stand in for
--check, --server and --ping-key.
example: tocsin run --check db-backup -- /usr/local/bin/backup.sh --full"""


def seconds(text: str) -> float:
    try:
        return parse_duration(text).total_seconds()
    except DurationError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def byte_count(text: str) -> int:
    count = whole_number(text)
    if count is None:
        raise argparse.ArgumentTypeError(f"invalid byte count {text!r}: use a whole number")
    return count


def parser() -> argparse.ArgumentParser:
    env = os.environ.get
    p = argparse.ArgumentParser(
        prog="tocsin run",
        usage="tocsin run [options] -- COMMAND [ARGS …]",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--check", default=env("TOCSIN_RUN_CHECK"), help="uuid, slug or ping URL")
    p.add_argument("--server", default=env("TOCSIN_RUN_SERVER"), help="e.g. https://tocsin.example")
    p.add_argument("--ping-key", default=env("TOCSIN_PING_KEY"), help="project ping key, for slugs")
    p.add_argument("--timeout", type=seconds, help="stop the command after this long (e.g. 2h)")
    p.add_argument(
        "--kill-grace",
        type=seconds,
        default=DEFAULT_KILL_GRACE,
        metavar="DURATION",
        help="after the timeout's SIGTERM, wait this long before SIGKILL (10s)",
    )
    p.add_argument(
        "--output-limit",
        type=byte_count,
        default=DEFAULT_OUTPUT_LIMIT,
        metavar="BYTES",
        help="send the last BYTES of the output (10000)",
    )
    p.add_argument("--no-start", action="store_true", help="send no start ping")
    p.add_argument(
        "--log-only",
        action="store_true",
        help="send /log pings with the output, no start or exit status (for workers)",
    )
    p.add_argument(
        "--log-every",
        type=seconds,
        metavar="DURATION",
        help="while the command runs, send a /log ping with its new output this often "
        "(5m with --log-only)",
    )
    p.add_argument(
        "--start-retry",
        type=seconds,
        default=START_WITHIN,
        metavar="DURATION",
        help="keep trying the start ping this long, beside the command (3s)",
    )
    p.add_argument(
        "--finish-retry",
        type=seconds,
        default=FINISH_WITHIN,
        metavar="DURATION",
        help="keep trying the finish ping this long (10s)",
    )
    p.add_argument("--quiet", action="store_true", help="say nothing of the pings on stderr")
    p.add_argument("command", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return p


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Options before `--` (or before the first word that is not an option), the command after."""
    p = parser()
    if "--" in argv:
        at = list(argv).index("--")
        options = p.parse_args(argv[:at])
        options.command = list(argv[at + 1 :])
    else:
        options = p.parse_args(argv)
    if not options.command:
        p.error("the command to run is missing: tocsin run [options] -- COMMAND [ARGS …]")
    if options.log_every is None and options.log_only:
        options.log_every = DEFAULT_LOG_EVERY
    if options.log_every is not None and options.log_every <= 0:
        p.error("--log-every must be longer than nothing")
    return options


class Reporter:
    """The pings of one run, paired by a fresh run id; failures become warnings."""

    def __init__(self, pinger: Pinger | None, options: argparse.Namespace) -> None:
        self.pinger, self.options = pinger, options
        self.rid = uuid.uuid4()
        self.starting: threading.Thread | None = None
        self.logging: threading.Thread | None = None
        self.finished = threading.Event()
        self.logged = 0  # how much of the output the log pings have sent

    def start(self) -> None:
        if self.pinger is None or self.options.no_start or self.options.log_only:
            return
        # Beside the command, not before it: an unreachable server must not delay the job.
        self.starting = threading.Thread(target=self.send, args=("start", b""), daemon=True)
        start_helper(self.starting)

    def log_periodically(self, tail: OutputTail) -> None:
        """A /log ping with the output's news every `--log-every`, beside the command."""
        if self.pinger is None or self.options.log_every is None:
            return
        self.logging = threading.Thread(target=self.log_until_finished, args=(tail,), daemon=True)
        start_helper(self.logging)

    def log_until_finished(self, tail: OutputTail) -> None:
        while not self.finished.wait(self.options.log_every):
            news, self.logged = tail.since(self.logged)
            self.send("log", news)

    def finish(self, outcome: Outcome, tail: OutputTail) -> None:
        self.finished.set()
        for thread in (self.starting, self.logging):
            if thread is not None:  # the start must arrive before the finish it pairs with
                thread.join()
        if self.pinger is None:
            return
        log_only = self.options.log_only
        if log_only and self.logging is not None:
            outcome.output, self.logged = tail.since(self.logged)  # the rest, once
        self.send(finish_suffix(outcome, log_only), report_body(outcome, log_only))

    def send(self, suffix: str, body: bytes) -> None:
        assert self.pinger is not None
        within = self.options.start_retry if suffix == "start" else self.options.finish_retry
        problem = self.pinger.send(suffix, self.rid, body, within)
        if problem:
            which = suffix if suffix in ("start", "log") else "finish"
            warn(
                f"could not send the {which} ping of {self.options.check}: {problem}",
                self.options.quiet,
            )


def finish_suffix(outcome: Outcome, log_only: bool) -> str:
    if log_only:
        return "log"
    if outcome.interrupted and outcome.exit_status == 0:
        return "fail"  # stopped on purpose, yet it exited 0: still not a successful run
    return str(outcome.exit_status)


def report_body(outcome: Outcome, log_only: bool) -> bytes:
    """The output's tail, then what the wrapper saw, if anything, one line each."""
    body = outcome.output
    notes = [*outcome.notes, f"exit status {outcome.exit_status}"] if log_only else outcome.notes
    if not notes:
        return body
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return body + "".join(f"{NOTE_PREFIX}{note}\n" for note in notes).encode()


def warn(message: str, quiet: bool = False) -> None:
    if not quiet:
        sys.stderr.write(f"tocsin run: {message}\n")
        sys.stderr.flush()


def resolve(options: argparse.Namespace) -> Pinger | None:
    """The check to ping, or None (with a warning): the job runs regardless."""
    if not options.check:
        warn("no check given (--check or TOCSIN_RUN_CHECK): running without pings", options.quiet)
        return None
    try:
        return pinger_for(options.check, options.server, options.ping_key)
    except TargetError as error:
        warn(f"{error}: running without pings", options.quiet)
        return None


def main(argv: Sequence[str]) -> int:
    """Run the command under `tocsin run`'s options; the command's exit status."""
    options = parse(argv)
    reporter = Reporter(resolve(options), options)
    tail = OutputTail(options.output_limit)
    reporter.start()
    reporter.log_periodically(tail)
    outcome = run_command(options.command, tail, options.timeout, options.kill_grace)
    for note in outcome.notes:
        warn(note, options.quiet)
    reporter.finish(outcome, tail)
    return outcome.exit_status
