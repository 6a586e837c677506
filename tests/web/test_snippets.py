"""The ready-to-paste ways a job reports to its check: crontab with curl, bash, Python,
PowerShell and `tocsin run`, with the check's own schedule, server and URL."""

import shlex
from datetime import timedelta

from tocsin.domain.schedule import Cron, OnCalendar, Period
from tocsin.web.snippets import Snippet, snippets

BASE = "https://tocsin.example"
CHECK = "0b6ab4e3-3b5a-4e0c-9a2a-2f6a1a1a1a1a"
PING = f"{BASE}/ping/{CHECK}"
NIGHTLY = Cron("30 2 * * 1-5", "Europe/Berlin")
HOURLY = Period(timedelta(hours=1))


def by_key(schedule: Cron | Period) -> dict[str, Snippet]:
    return {s.key: s for s in snippets(schedule, BASE, CHECK, PING)}


def test_there_are_five_snippets_in_a_fixed_order_with_titles() -> None:
    assert [(s.key, s.title) for s in snippets(NIGHTLY, BASE, CHECK, PING)] == [
        ("crontab", "crontab with curl"),
        ("bash", "bash"),
        ("python", "Python"),
        ("powershell", "PowerShell"),
        ("run", "tocsin run"),
    ]


def test_the_crontab_line_runs_at_the_checks_own_cron_time_and_pings_on_success() -> None:
    assert by_key(NIGHTLY)["crontab"].text == (
        f"30 2 * * 1-5 /path/to/job.sh && curl -fsS -m 10 --retry 5 -o /dev/null {PING}"
    )


def test_a_period_check_gets_an_example_time_to_adjust() -> None:
    assert by_key(HOURLY)["crontab"].text.startswith("0 2 * * * /path/to/job.sh && ")
    assert by_key(HOURLY)["run"].text.startswith("0 2 * * * tocsin run ")


def test_the_bash_script_pings_start_then_the_exit_status_with_the_output() -> None:
    script = by_key(NIGHTLY)["bash"].text
    assert script.splitlines() == [
        "#!/usr/bin/env bash",
        f"url={PING}",
        'curl -fsS -m 10 --retry 5 -o /dev/null "$url/start"',
        "output=$(/path/to/job.sh 2>&1)",
        "status=$?",
        'curl -fsS -m 10 --retry 5 -o /dev/null --data-raw "$output" "$url/$status"',
    ]
    # Every line is one a shell can split: no unbalanced quotes.
    for line in script.splitlines():
        shlex.split(line)


def test_the_python_block_monitors_the_check_on_the_server() -> None:
    block = by_key(NIGHTLY)["python"].text
    assert block.startswith("import tocsin\n\n")
    assert f'with tocsin.monitor("{CHECK}", "{BASE}"):\n' in block
    compile(block, "snippet.py", "exec")  # valid Python as pasted


def test_the_powershell_script_pings_start_then_the_exit_code_with_the_output() -> None:
    script = by_key(NIGHTLY)["powershell"].text
    assert script.splitlines()[0] == f'$url = "{PING}"'
    assert 'Invoke-RestMethod -Uri "$url/start" -TimeoutSec 10 | Out-Null' in script
    assert '-Uri "$url/$LASTEXITCODE" -Method Post -Body $output' in script


def test_the_run_line_wraps_the_job_in_tocsin_run_for_this_check() -> None:
    assert by_key(NIGHTLY)["run"].text == (
        f"30 2 * * 1-5 tocsin run --server {BASE} --check {CHECK} -- /path/to/job.sh"
    )


def test_a_slug_ping_url_is_used_as_given() -> None:
    slug_url = f"{BASE}/ping/k3y/nightly-backup"
    texts = [s.text for s in snippets(NIGHTLY, BASE, CHECK, slug_url)]
    assert slug_url in texts[0]
    assert f"url={slug_url}" in texts[1]
    assert f'$url = "{slug_url}"' in texts[3]


def test_an_oncalendar_check_also_gets_a_systemd_timer_at_its_own_times() -> None:
    schedule = OnCalendar("Mon..Fri 02:00\nSat 04:00 Asia/Tokyo", "Europe/Berlin")
    made = {s.key: s for s in snippets(schedule, BASE, CHECK, PING)}
    assert made["timer"].title == "systemd timer"
    assert made["timer"].text.splitlines() == [
        "# /etc/systemd/system/job.service",
        "[Service]",
        "Type=oneshot",
        f"ExecStart=/usr/local/bin/tocsin run --server {BASE} --check {CHECK} -- /path/to/job.sh",
        "",
        "# /etc/systemd/system/job.timer (then: systemctl enable --now job.timer)",
        "[Timer]",
        "OnCalendar=Mon..Fri 02:00 Europe/Berlin",
        "OnCalendar=Sat 04:00 Asia/Tokyo",
        "",
        "[Install]",
        "WantedBy=timers.target",
    ]
    in_utc = {s.key: s for s in snippets(OnCalendar("daily"), BASE, CHECK, PING)}
    assert "OnCalendar=daily\n" in in_utc["timer"].text
    assert "timer" not in by_key(NIGHTLY)
