"""Running a job's command as a shell would, keeping the last part of its output.

The command inherits stdin; its stdout and stderr go through pipes that are copied
byte for byte to this process's own, so the terminal (or cron's mail) sees exactly
what it would without the wrapper, while the tail of both streams is kept for the
finish ping. Signals sent to the wrapper are forwarded to the command and what it
started; a command that runs past its timeout gets SIGTERM, then SIGKILL after a grace.
"""

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
CHUNK = 65536
NOT_FOUND = 127  # what shells answer for a command they cannot find
NOT_EXECUTABLE = 126
DRAIN_IDLE = 1.0  # seconds without output before giving up on pipes a child's child holds


@dataclass(slots=True)
class Outcome:
    """How a command ended: its exit status as a shell reports it, and why it failed."""

    exit_status: int
    output: bytes
    notes: list[str] = field(default_factory=list)
    interrupted: bool = False  # by a forwarded signal or the timeout: failed whatever the status


class OutputTail:
    """The last `limit` bytes of everything written to it, from several threads."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.data = bytearray()
        self.total = 0  # bytes ever added, so a reader can ask for what came since
        self.lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self.lock:
            self.total += len(chunk)
            self.data += chunk
            if len(self.data) > 2 * self.limit:  # trim now and then, not on every chunk
                del self.data[: len(self.data) - self.limit]

    def value(self) -> bytes:
        with self.lock:
            return bytes(self.data[-self.limit :]) if self.limit else b""

    def since(self, mark: int) -> tuple[bytes, int]:
        """What was added after `mark` (a `total` read before), at most `limit` bytes of
        its end, and the mark to ask from next time."""
        with self.lock:
            fresh = min(self.total - mark, len(self.data), self.limit)
            return (bytes(self.data[len(self.data) - fresh :]) if fresh else b""), self.total


def start_helper(thread: threading.Thread) -> None:
    """Start a thread that never takes the signals we forward.

    Python runs signal handlers in the main thread only. Were the kernel to hand a
    SIGTERM to a helper thread instead, the main thread would sleep on in waitpid, and
    the command would never hear of it. Threads inherit the signal mask they start
    with, so the signals are blocked around the start (one arriving meanwhile waits,
    and is delivered to the main thread once unblocked)."""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED_SIGNALS)
    try:
        thread.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


class Copier(threading.Thread):
    """Copies one of the command's pipes to one of our file descriptors, and to the tail."""

    def __init__(self, source: IO[bytes], target_fd: int, tail: OutputTail) -> None:
        super().__init__(daemon=True)
        self.source, self.target_fd, self.tail = source, target_fd, tail
        self.moved = 0
        self.target_open = True

    def run(self) -> None:
        fd = self.source.fileno()
        while chunk := os.read(fd, CHUNK):
            self.moved += len(chunk)
            self.tail.add(chunk)
            self.write(chunk)

    def write(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view and self.target_open:
            try:
                view = view[os.write(self.target_fd, view) :]
            except BrokenPipeError:
                self.target_open = False  # keep draining, so the command is not blocked
            except InterruptedError:
                continue

    def drain(self) -> None:
        """Wait for the end of the pipe unless a leftover background process holds it idle."""
        while self.is_alive():
            before = self.moved
            self.join(DRAIN_IDLE)
            if self.moved == before and self.is_alive():
                return  # left open: this thread may still read it
        self.source.close()


class Supervisor:
    """Forwards our signals to the command and enforces its timeout.

    Unless it may need the terminal, the command runs in a process group of its own,
    and signals go to the whole group, as coreutils' `timeout` does: a shell script's
    children (the `pg_dump` of a backup script, say) stop with it instead of running
    on after the run was reported. A command started from an interactive terminal
    stays in ours, so it can still read the terminal; signals then reach only it.
    """

    def __init__(self, own_group: bool) -> None:
        self.own_group = own_group
        self.process: subprocess.Popen[bytes] | None = None
        self.received: list[int] = []
        self.previous: dict[int, object] = {}

    def install(self) -> None:
        for signum in FORWARDED_SIGNALS:
            self.previous[signum] = signal.signal(signum, self.forward)

    def restore(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]

    def forward(self, signum: int, _frame: FrameType | None) -> None:
        self.received.append(signum)
        if self.process is not None and self.process.returncode is None:
            self.signal(signum)

    def started(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        for signum in self.received:  # arrived between install() and the start
            self.signal(signum)

    def signal(self, signum: int) -> None:
        assert self.process is not None
        if not self.own_group:
            self.process.send_signal(signum)
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group has gone
            os.killpg(self.process.pid, signum)

    def wait(self, timeout: float | None, kill_grace: float) -> bool:
        """Wait for the command; True when it had to be stopped for running too long."""
        assert self.process is not None
        with Waiter(self.process) as waiter:
            if waiter.ended_within(timeout):
                return False
            self.signal(signal.SIGTERM)
            if not waiter.ended_within(kill_grace):
                self.signal(signal.SIGKILL)
                waiter.ended_within(None)
        return True


class Waiter:
    """Waits for a process without missing a signal that arrives meanwhile.

    A signal's Python handler runs only between bytecodes of the main thread. One that
    lands after the last such point before a blocking `waitpid` would wait for the
    command to end by itself: a SIGTERM to a wrapped `sleep 30` forwarded 30 s late. So
    the waiting happens in a helper thread, and the main thread sleeps in `select` on a
    pipe that both that thread and the signal machinery (its wakeup fd) write to: a byte
    already there when `select` is entered wakes it at once.
    """

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.ended = threading.Event()
        self.read_end, self.write_end = os.pipe()
        os.set_blocking(self.write_end, False)  # the signal machinery must never block
        self.helper = threading.Thread(target=self.wait_for_exit, daemon=True)

    def __enter__(self) -> "Waiter":
        self.previous_wakeup = signal.set_wakeup_fd(self.write_end, warn_on_full_buffer=False)
        start_helper(self.helper)
        return self

    def __exit__(self, *_exc: object) -> None:
        signal.set_wakeup_fd(self.previous_wakeup)
        if self.ended.is_set():  # else an error is on its way out, and the helper may still write
            self.helper.join()  # only its last write is left
            os.close(self.read_end)
            os.close(self.write_end)

    def wait_for_exit(self) -> None:
        self.process.wait()
        self.ended.set()
        with contextlib.suppress(BlockingIOError):
            os.write(self.write_end, b"\0")

    def ended_within(self, timeout: float | None) -> bool:
        give_up = None if timeout is None else time.monotonic() + timeout
        while not self.ended.is_set():
            left = None if give_up is None else give_up - time.monotonic()
            if left is not None and left <= 0:
                return False
            if select.select([self.read_end], [], [], left)[0]:
                os.read(self.read_end, 512)  # the handlers have run before the next select
        return True


def run_command(
    argv: Sequence[str],
    tail: OutputTail,
    timeout: float | None = None,
    kill_grace: float = 10,
) -> Outcome:
    supervisor = Supervisor(own_group=not stdin_is_terminal())
    supervisor.install()
    try:
        try:
            process = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                process_group=0 if supervisor.own_group else None,
            )
        except OSError as error:
            return not_started(argv, error)
        supervisor.started(process)
        copiers = [Copier(process.stdout, 1, tail), Copier(process.stderr, 2, tail)]  # type: ignore[arg-type]
        for copier in copiers:
            start_helper(copier)
        timed_out = supervisor.wait(timeout, kill_grace)
        for copier in copiers:
            copier.drain()
        return outcome(process.returncode, tail.value(), supervisor.received, timed_out)
    finally:
        supervisor.restore()


def stdin_is_terminal() -> bool:
    try:
        return os.isatty(0)
    except OSError:
        return False


def not_started(argv: Sequence[str], error: OSError) -> Outcome:
    status = NOT_FOUND if isinstance(error, FileNotFoundError) else NOT_EXECUTABLE
    note = f"could not start {argv[0]!r}: {error.strerror or error}"
    return Outcome(status, b"", [note], interrupted=False)


def outcome(returncode: int, output: bytes, received: list[int], timed_out: bool) -> Outcome:
    status = 128 - returncode if returncode < 0 else returncode
    notes = ["timed out: the command ran too long and was stopped"] if timed_out else []
    notes += [
        f"received {signal_name(s)}, forwarded to the command" for s in dict.fromkeys(received)
    ]
    if returncode < 0:
        notes.append(f"the command was killed by {signal_name(-returncode)}")
    return Outcome(status, output, notes, interrupted=timed_out or bool(received))


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
