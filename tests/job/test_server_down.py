"""`tocsin run` with nobody listening: the job runs as if unwrapped, the wrapper gives up
on its pings within their time budgets and says so on stderr, once per ping."""

import time

from tests.conftest import free_port
from tests.job.conftest import tocsin_run

CHECK = "5533ecb8-c474-4ea5-81a4-cf1ff9615f33"


def closed_port_server() -> str:
    return f"http://127.0.0.1:{free_port()}"


def test_the_job_runs_with_its_own_output_and_status_when_the_server_is_down() -> None:
    began = time.monotonic()
    done = tocsin_run(
        *("--check", CHECK, "--server", closed_port_server(), "--quiet"),
        *("--start-retry", "500ms", "--finish-retry", "1s"),
        *("--", "sh", "-c", "printf 'out\\000put'; echo oops >&2; exit 3"),
    )
    assert (done.returncode, done.stdout, done.stderr) == (3, b"out\x00put", b"oops\n")
    # The budgets add up to 1.5 s; the bound only tells "gave up" from "kept trying",
    # with room for a loaded machine.
    assert time.monotonic() - began < 30


def test_each_ping_that_could_not_be_sent_is_one_warning() -> None:
    done = tocsin_run(
        *("--check", CHECK, "--server", closed_port_server()),
        *("--start-retry", "300ms", "--finish-retry", "300ms", "--", "true"),
    )
    assert done.returncode == 0
    warnings = [line.split(": ")[:2] for line in done.stderr.decode().splitlines()]
    assert warnings == [
        ["tocsin run", f"could not send the start ping of {CHECK}"],
        ["tocsin run", f"could not send the finish ping of {CHECK}"],
    ]


def test_the_finish_ping_keeps_trying_for_its_budget_then_gives_up() -> None:
    began = time.monotonic()
    done = tocsin_run(
        *("--check", CHECK, "--server", closed_port_server(), "--quiet", "--no-start"),
        *("--finish-retry", "1500ms", "--", "true"),
    )
    elapsed = time.monotonic() - began
    assert done.returncode == 0
    # At least most of the budget (never less), and far from the test's 60 s timeout.
    assert 1.2 < elapsed < 30


def test_the_command_starts_without_waiting_for_the_start_ping() -> None:
    launched = time.time()
    done = tocsin_run(
        *("--check", CHECK, "--server", closed_port_server(), "--quiet"),
        *("--start-retry", "8s", "--finish-retry", "0s"),
        *("--", "python3", "-c", "import time; print(time.time())"),
    )
    # Waiting for the start ping would start the command 8 s after the launch.
    assert float(done.stdout) - launched < 6
