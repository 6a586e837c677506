"""`tocsin run` against a real server: the job's own exit status and output, and the
pings it leaves (paired by run id, so the finish carries the run's duration)."""

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import Server
from tests.helpers import make_check, ping_key, pings_of, stored_body
from tests.job.conftest import start_wrapper, tocsin_run
from tocsin.domain.records import Ping
from tocsin.job.run import FORWARDED_SIGNALS, OutputTail, run_command, start_helper
from tocsin.store.checks import checks_where
from tocsin.store.database import Database
from tocsin.store.tables import checks


def summary(pings: list[Ping]) -> list[tuple[str, int | None]]:
    return [(p.kind, p.exit_status) for p in pings]


def assert_paired(pings: list[Ping]) -> None:
    start, finish = pings
    assert start.rid is not None
    assert finish.rid == start.rid
    assert finish.duration is not None
    assert finish.duration >= 0


async def test_a_succeeding_command_pings_start_then_success_with_its_output(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    script = "echo to stdout; sleep 0.3; echo to stderr >&2"
    done = tocsin_run("--check", str(record.uuid), "--server", server.url, "--", "sh", "-c", script)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"to stdout\n", b"to stderr\n")
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("success", 0)]
    assert_paired(pings)
    assert pings[1].duration is not None
    # The start ping goes out beside the command, so on a loaded machine it may land well
    # into the command's 0.3 s: only the order of the two is certain.
    assert pings[1].duration > 0
    assert await stored_body(server_database, record, pings[1].n) == b"to stdout\nto stderr\n"


async def test_a_failing_command_keeps_its_exit_status_and_reports_it(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    script = "echo 'disk full' >&2; exit 3"
    done = tocsin_run("--check", str(record.uuid), "--server", server.url, "--", "sh", "-c", script)
    assert (done.returncode, done.stdout, done.stderr) == (3, b"", b"disk full\n")
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", 3)]
    assert_paired(pings)
    assert await stored_body(server_database, record, pings[1].n) == b"disk full\n"


async def test_megabytes_of_binary_output_pass_through_exactly_and_the_tail_is_sent(
    server: Server, server_database: Database, tmp_path: Path
) -> None:
    record = await make_check(server_database)
    data = os.urandom(3_000_000) + bytes(range(256)) * 1000
    (tmp_path / "blob").write_bytes(data)
    done = tocsin_run(
        "--check", str(record.uuid), "--server", server.url, "--", "cat", str(tmp_path / "blob")
    )
    assert done.returncode == 0
    assert done.stdout == data
    pings = await pings_of(server_database, record)
    assert await stored_body(server_database, record, pings[1].n) == data[-10_000:]


async def test_output_limit_chooses_how_much_of_the_tail_is_sent(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    done = tocsin_run(
        *("--check", str(record.uuid), "--server", server.url, "--output-limit", "5"),
        *("--", "printf", "0123456789"),
    )
    assert done.stdout == b"0123456789"
    pings = await pings_of(server_database, record)
    assert await stored_body(server_database, record, pings[1].n) == b"56789"


async def test_a_command_past_its_timeout_is_stopped_and_reported_failed(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    began = time.monotonic()
    done = tocsin_run(
        *("--check", str(record.uuid), "--server", server.url, "--timeout", "500ms"),
        *("--", "sh", "-c", "echo working; exec sleep 30"),
    )
    assert time.monotonic() - began < 10
    assert (done.returncode, done.stdout) == (128 + signal.SIGTERM, b"working\n")
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", 143)]
    body = await stored_body(server_database, record, pings[1].n)
    assert body is not None
    assert body.startswith(b"working\n[tocsin run] timed out")
    assert b"killed by SIGTERM" in body


async def test_a_command_ignoring_the_timeouts_sigterm_is_killed_after_the_grace(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    done = tocsin_run(
        *("--check", str(record.uuid), "--server", server.url),
        *("--timeout", "300ms", "--kill-grace", "300ms"),
        *("--", "sh", "-c", "trap '' TERM; sleep 30"),
    )
    assert done.returncode == 128 + signal.SIGKILL
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", 137)]


async def test_sigterm_to_the_wrapper_reaches_the_command_and_the_run_is_failed(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    wrapper = start_wrapper(
        *("--check", str(record.uuid), "--server", server.url),
        *("--", "sh", "-c", "echo ready; exec sleep 30"),
    )
    assert wrapper.stdout is not None
    assert wrapper.stdout.readline() == b"ready\n"
    wrapper.send_signal(signal.SIGTERM)
    stdout, stderr = wrapper.communicate(timeout=20)
    assert (wrapper.returncode, stdout) == (128 + signal.SIGTERM, b"")
    assert b"received SIGTERM" in stderr
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", 143)]
    body = await stored_body(server_database, record, pings[1].n)
    assert body == (
        b"ready\n[tocsin run] received SIGTERM, forwarded to the command\n"
        b"[tocsin run] the command was killed by SIGTERM\n"
    )


async def test_a_command_that_exits_0_after_a_forwarded_signal_is_still_failed(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    script = "trap 'echo cleaned up; exit 0' TERM; echo ready; while :; do sleep 0.05; done"
    wrapper = start_wrapper(
        *("--check", str(record.uuid), "--server", server.url, "--quiet"),
        *("--", "sh", "-c", script),
    )
    assert wrapper.stdout is not None
    assert wrapper.stdout.readline() == b"ready\n"
    wrapper.send_signal(signal.SIGTERM)
    stdout, stderr = wrapper.communicate(timeout=20)
    assert (wrapper.returncode, stdout) == (0, b"cleaned up\n")
    # --quiet: nothing from the wrapper (the shell may report its sleep terminated, as
    # the signal reached the sleep too).
    assert b"[tocsin run]" not in stderr
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", None)]


async def test_a_missing_command_is_127_as_in_a_shell_and_reported(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    done = tocsin_run("--check", str(record.uuid), "--server", server.url, "--", "no-such-cmd")
    assert done.returncode == 127
    assert b"could not start 'no-such-cmd'" in done.stderr
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("start", None), ("fail", 127)]


async def test_slug_key_and_server_come_from_the_environment(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database, slug="nightly-backup")
    env = {
        **os.environ,
        "TOCSIN_RUN_CHECK": "nightly-backup",
        "TOCSIN_RUN_SERVER": server.url,
        "TOCSIN_PING_KEY": await ping_key(server_database),
    }
    done = tocsin_run("true", env=env)
    assert (done.returncode, done.stderr) == (0, b"")
    assert summary(await pings_of(server_database, record)) == [("start", None), ("success", 0)]


async def test_a_full_ping_url_is_used_as_it_is(server: Server, server_database: Database) -> None:
    record = await make_check(server_database)
    done = tocsin_run("--check", f"{server.url}/ping/{record.uuid}", "--no-start", "--", "true")
    assert done.returncode == 0
    assert summary(await pings_of(server_database, record)) == [("success", 0)]


async def test_log_only_sends_a_log_ping_with_the_output_and_exit_status(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    done = tocsin_run(
        *("--check", str(record.uuid), "--server", server.url, "--log-only"),
        *("--", "sh", "-c", "echo processed 12 jobs; exit 1"),
    )
    assert done.returncode == 1
    pings = await pings_of(server_database, record)
    assert summary(pings) == [("log", None)]
    body = await stored_body(server_database, record, pings[0].n)
    assert body == b"processed 12 jobs\n[tocsin run] exit status 1\n"


async def test_a_long_running_worker_sends_its_new_output_every_log_interval(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    worker = "for n in 1 2 3; do echo batch $n; sleep 0.6; done"
    done = tocsin_run(
        *("--check", str(record.uuid), "--server", server.url, "--log-only"),
        *("--log-every", "250ms", "--", "sh", "-c", worker),
    )
    assert (done.returncode, done.stdout) == (0, b"batch 1\nbatch 2\nbatch 3\n")
    pings = await pings_of(server_database, record)
    assert {p.kind for p in pings} == {"log"}
    assert len(pings) >= 4  # every 250 ms over about 1.8 s, then the last one
    bodies = [await stored_body(server_database, record, p.n) or b"" for p in pings]
    # Each piece of output is sent once, in order, and the exit status comes last.
    assert b"".join(bodies) == b"batch 1\nbatch 2\nbatch 3\n[tocsin run] exit status 0\n"


def test_a_log_interval_must_be_a_duration() -> None:
    done = tocsin_run("--log-every", "soon", "--", "true")
    assert done.returncode == 2
    assert b"--log-every" in done.stderr


@pytest.mark.parametrize("check", ["nightly-backup", "not a check!"])
def test_a_check_that_cannot_be_reached_still_runs_the_command(check: str) -> None:
    done = tocsin_run("--check", check, "--", "sh", "-c", "echo still ran; exit 5")
    assert (done.returncode, done.stdout) == (5, b"still ran\n")
    assert done.stderr.startswith(b"tocsin run: ")
    assert done.stderr.endswith(b": running without pings\n")


async def test_a_slug_url_with_create_provisions_the_check_on_its_first_run(
    server: Server, server_database: Database
) -> None:
    url = f"{server.url}/ping/{await ping_key(server_database)}/new-job?create=1"
    done = tocsin_run("--check", url, "--", "sh", "-c", "exit 2")
    assert (done.returncode, done.stderr) == (2, b"")
    async with server_database.read() as connection:
        [record] = await connection.run_sync(checks_where, checks.c.slug == "new-job")
    assert summary(await pings_of(server_database, record)) == [("start", None), ("fail", 2)]


async def test_a_better_stack_heartbeat_url_works_too(
    server: Server, server_database: Database
) -> None:
    record = await make_check(server_database)
    url = f"{server.url}/api/v1/heartbeat/{record.token}"
    done = tocsin_run("--check", url, "--", "sh", "-c", "exit 4")
    assert (done.returncode, done.stderr) == (4, b"")
    assert summary(await pings_of(server_database, record)) == [("start", None), ("fail", 4)]


def is_gone(pid: int) -> bool:
    """Exited: no such process, or a zombie its new parent has not reaped yet."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def assert_gone_soon(pid_file: Path, why: str) -> None:
    """The process whose id the command wrote must end within seconds (and is killed
    if it does not, so a failing test leaves nothing running)."""
    pid = int(pid_file.read_text())
    give_up = time.monotonic() + 5
    try:
        while not is_gone(pid):
            assert time.monotonic() < give_up, f"the command's child outlived {why}"
            time.sleep(0.02)
    finally:
        if not is_gone(pid):
            os.kill(pid, signal.SIGKILL)


async def test_the_timeout_stops_what_the_command_started_too(
    server: Server, server_database: Database, tmp_path: Path
) -> None:
    record = await make_check(server_database)
    pid_file = tmp_path / "child.pid"
    done = tocsin_run(
        *("--check", str(record.uuid), "--server", server.url, "--timeout", "500ms"),
        # The shell's child is a process of its own that outlives a TERM sent to the
        # shell alone (the shell waits in `wait`; sleep would run on for 30 s).
        *("--", "sh", "-c", f"sleep 30 & echo $! > {pid_file}; wait"),
    )
    assert done.returncode == 128 + signal.SIGTERM
    assert_gone_soon(pid_file, "the timeout")


async def test_a_signal_to_the_wrapper_reaches_what_the_command_started(
    server: Server, server_database: Database, tmp_path: Path
) -> None:
    record = await make_check(server_database)
    pid_file = tmp_path / "child.pid"
    wrapper = start_wrapper(
        *("--check", str(record.uuid), "--server", server.url),
        *("--", "sh", "-c", f"sleep 30 & echo $! > {pid_file}; echo started; wait"),
    )
    assert wrapper.stdout is not None
    assert wrapper.stdout.readline() == b"started\n"
    wrapper.send_signal(signal.SIGTERM)
    wrapper.communicate(timeout=20)
    assert_gone_soon(pid_file, "the signal")


def test_helper_threads_leave_the_forwarded_signals_to_the_main_thread() -> None:
    seen: list[set[int | signal.Signals]] = []
    before = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    helper = threading.Thread(
        target=lambda: seen.append(signal.pthread_sigmask(signal.SIG_BLOCK, []))
    )
    start_helper(helper)
    helper.join()
    assert set(FORWARDED_SIGNALS) <= seen[0]
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == before


def test_a_signal_taken_by_another_thread_is_still_forwarded_at_once() -> None:
    """The C-level handler may run while the main thread already sleeps in a system call
    (here it runs in another thread, which is how the race looks to the main thread): a
    wait that only an interrupted call would wake would sleep on for the command's 30 s."""
    tail = OutputTail(100)

    def signal_from_here_once_started() -> None:
        while b"ready" not in tail.value():
            time.sleep(0.01)
        time.sleep(0.2)  # the main thread is waiting by now
        signal.pthread_kill(threading.get_ident(), signal.SIGTERM)

    sender = threading.Thread(target=signal_from_here_once_started, daemon=True)
    sender.start()
    began = time.monotonic()
    outcome = run_command(["sh", "-c", "echo ready; exec sleep 30"], tail)
    sender.join()
    assert time.monotonic() - began < 10
    assert (outcome.exit_status, outcome.interrupted) == (128 + signal.SIGTERM, True)
