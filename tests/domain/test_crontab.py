"""Reading a crontab as cron reads it, and rewriting its jobs to run under `tocsin run`
(the corpus of real crontab lines is in tests/job/test_crontab.py)."""

import shlex

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tocsin.domain.crontab import CronJob, parse_crontab, rewritten, slug_for, wrapped_line


def only_job(text: str) -> CronJob:
    [job] = parse_crontab(text).jobs
    return job


@pytest.mark.parametrize(
    ("line", "zone"),
    [
        ('CRON_TZ="Asia/Tokyo"', "Asia/Tokyo"),
        ("CRON_TZ='Asia/Tokyo'", "Asia/Tokyo"),
        ("  CRON_TZ = Asia/Tokyo  ", "Asia/Tokyo"),
        ("CRON_TZ=", "UTC"),
        ('CRON_TZ=""', "UTC"),
        ("TZ=Asia/Tokyo", "UTC"),  # the job's environment, not the schedule's zone
    ],
)
def test_cron_tz_sets_the_zone_of_the_jobs_after_it(line: str, zone: str) -> None:
    crontab = parse_crontab(f"0 1 * * * before\n{line}\n0 2 * * * after\n")
    assert [job.tz for job in crontab.jobs] == ["UTC", zone]


@pytest.mark.parametrize(
    ("macro", "expression"),
    [
        ("@yearly", "0 0 1 1 *"),
        ("@annually", "0 0 1 1 *"),
        ("@monthly", "0 0 1 * *"),
        ("@weekly", "0 0 * * 0"),
        ("@daily", "0 0 * * *"),
        ("@midnight", "0 0 * * *"),
        ("@hourly", "0 * * * *"),
    ],
)
def test_macros_are_expanded(macro: str, expression: str) -> None:
    assert only_job(f"{macro} /bin/job\n").expression == expression


def test_fields_are_kept_as_written_with_single_spaces() -> None:
    job = only_job("  */5\t9-17  *  jan,jul   mon-fri   /bin/job --x\n")
    assert job.expression == "*/5 9-17 * jan,jul mon-fri"
    assert job.command == "/bin/job --x"


def test_lines_that_are_not_jobs_are_skipped_with_their_number() -> None:
    crontab = parse_crontab("# a comment\n\n0 2 * *\n@every 5m /bin/job\n@reboot /bin/agent\n")
    assert crontab.jobs == []
    assert crontab.skipped == [
        "line 3: not a job line",
        "line 4: @every has no schedule to watch",
        "line 5: @reboot has no schedule to watch",
    ]


@pytest.mark.parametrize(
    ("command", "slug"),
    [
        ("/usr/local/bin/backup.sh --full > /dev/null", "backup-sh"),
        ("FOO=1 BAR=2 /opt/x/My_Job.PY --x", "my-job-py"),
        ("cd /srv/app && ./manage.py clearsessions", "cd"),
        ("python3 -m app.tasks", "python3"),
        ('"/opt/my tools/run it.sh" now', "run-it-sh"),
        ("mail -s 'hi' root%body%more", "mail"),
        ("echo 'unbalanced", "echo"),
        ("FOO=1", "job"),
        ("___", "job"),
        ("/opt/" + "x" * 60, "x" * 40),
    ],
)
def test_a_check_slug_is_made_from_the_program_name(command: str, slug: str) -> None:
    assert slug_for(command) == slug


def test_jobs_of_the_same_program_get_numbered_slugs() -> None:
    crontab = parse_crontab("0 1 * * * backup.sh a\n0 2 * * * backup.sh b\n0 3 * * * backup.sh c\n")
    assert [job.slug for job in crontab.jobs] == ["backup-sh", "backup-sh-2", "backup-sh-3"]


@pytest.mark.parametrize(
    "command",
    [
        "tocsin run --check nightly -- /bin/job",
        "/usr/local/bin/tocsin run --check=nightly -- /bin/job",
        "tocsin run --server https://t --check nightly -- /bin/job",
    ],
)
def test_a_job_already_under_tocsin_run_keeps_its_check_and_its_line(command: str) -> None:
    line = f"0 2 * * * {command}"
    job = only_job(line + "\n")
    assert job.slug == "nightly"
    assert wrapped_line(line, job, "/opt/tocsin") == line


def test_a_slug_comment_applies_to_the_next_job_only() -> None:
    crontab = parse_crontab(
        "# tocsin: slug=nightly\n0 2 * * * backup.sh\n0 3 * * * backup.sh\n"
        "#  tocsin:slug = weekly  \n0 4 * * 0 backup.sh\n"
    )
    assert [job.slug for job in crontab.jobs] == ["nightly", "backup-sh", "weekly"]


def test_a_wrapped_job_runs_its_command_through_sh_with_stdin_left_to_cron() -> None:
    line = '30 4 * * *  mail -s "it\'s late" root%Dear root,%it is 100\\% late'
    job = only_job(line + "\n")
    assert wrapped_line(line, job, "/opt/tocsin") == (
        "30 4 * * *  /opt/tocsin run --check mail -- "
        "sh -c 'mail -s \"it'\"'\"'s late\" root'%Dear root,%it is 100\\% late"
    )


# Cron ends a line at \n only; str.splitlines() also at these.
OTHER_LINE_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


@pytest.mark.parametrize("character", OTHER_LINE_BREAKS)
def test_only_a_newline_ends_a_crontab_line(character: str) -> None:
    line = f"0 2 * * * printf 'a{character}b' > /var/out"
    crontab = parse_crontab(line + "\n")
    assert crontab.skipped == []
    assert rewritten(crontab, "tocsin", {}) == [
        "0 2 * * * tocsin run --check printf -- "
        f"sh -c 'printf '\"'\"'a{character}b'\"'\"' > /var/out'"
    ]


def test_a_crontab_saved_on_windows_reads_as_the_same_lines() -> None:
    text = "SHELL=/bin/sh\n\n0 2 * * * backup.sh\n"
    crontab = parse_crontab(text.replace("\n", "\r\n"))
    assert crontab == parse_crontab(text)
    assert crontab.lines == ["SHELL=/bin/sh", "", "0 2 * * * backup.sh"]


@given(
    st.text(
        st.characters(codec="utf-8", exclude_characters="%\n\r\x00"),
        min_size=1,
        max_size=60,
    ).filter(lambda text: text.strip() and not text[0].isspace())
)
def test_the_shell_gets_back_exactly_the_command_cron_would_have_run(command: str) -> None:
    line = f"0 2 * * * {command}"
    crontab = parse_crontab(line)
    if not crontab.jobs:  # a line the job pattern cannot take apart is skipped, not mangled
        return
    job = crontab.jobs[0]
    if "tocsin run" in job.command:
        return
    wrapped = wrapped_line(line, job, "tocsin")
    assert wrapped.startswith("0 2 * * * tocsin run --check ")
    words = shlex.split(wrapped[len("0 2 * * * ") :])
    assert words == ["tocsin", "run", "--check", job.slug, "--", "sh", "-c", command.rstrip()]


def test_the_variables_tocsin_run_reads_go_above_the_first_job_unless_already_set() -> None:
    crontab = parse_crontab("SHELL=/bin/bash\nTOCSIN_PING_KEY=kept\n\n0 2 * * * job\n")
    lines = rewritten(crontab, "tocsin", {"TOCSIN_RUN_SERVER": "https://t", "TOCSIN_PING_KEY": "x"})
    assert lines == [
        "SHELL=/bin/bash",
        "TOCSIN_PING_KEY=kept",
        "",
        "TOCSIN_RUN_SERVER=https://t",
        "0 2 * * * tocsin run --check job -- sh -c job",
    ]


def test_a_crontab_without_jobs_gets_the_variables_at_its_end() -> None:
    crontab = parse_crontab("# nothing yet\n@reboot agent\n")
    assert rewritten(crontab, "tocsin", {"TOCSIN_RUN_SERVER": "https://t"}) == [
        "# nothing yet",
        "@reboot agent",
        "TOCSIN_RUN_SERVER=https://t",
    ]
