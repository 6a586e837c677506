"""Ready-to-paste ways for a job to report to its check: a crontab line with curl, a
bash script with `/start` and the exit status, Python with `tocsin.monitor`, PowerShell
with `Invoke-RestMethod`, a crontab line under `tocsin run`, and for a check on OnCalendar
expressions a systemd timer that runs the job at those times. Pure."""

from dataclasses import dataclass

from tocsin.domain.schedule import Cron, OnCalendar, Schedule, iana_zones

EXAMPLE_TIME = "0 2 * * *"  # a period check's crontab lines get an example time to adjust
CURL = "curl -fsS -m 10 --retry 5"


@dataclass(frozen=True, slots=True)
class Snippet:
    key: str
    title: str
    text: str


def cron_time(schedule: Schedule) -> str:
    return schedule.expression if isinstance(schedule, Cron) else EXAMPLE_TIME


def snippets(schedule: Schedule, base_url: str, check_uuid: str, ping_url: str) -> list[Snippet]:
    when = cron_time(schedule)
    made = [
        Snippet("crontab", "crontab with curl", crontab_line(when, ping_url)),
        Snippet("bash", "bash", bash_script(ping_url)),
        Snippet("python", "Python", python_block(base_url, check_uuid)),
        Snippet("powershell", "PowerShell", powershell_script(ping_url)),
        Snippet("run", "tocsin run", run_line(when, base_url, check_uuid)),
    ]
    if isinstance(schedule, OnCalendar):
        made.append(Snippet("timer", "systemd timer", timer_units(schedule, base_url, check_uuid)))
    return made


def crontab_line(when: str, url: str) -> str:
    return f"{when} /path/to/job.sh && {CURL} -o /dev/null {url}"


def bash_script(url: str) -> str:
    return (
        "#!/usr/bin/env bash\n"
        f"url={url}\n"
        f'{CURL} -o /dev/null "$url/start"\n'
        "output=$(/path/to/job.sh 2>&1)\n"
        "status=$?\n"
        f'{CURL} -o /dev/null --data-raw "$output" "$url/$status"\n'
    )


def python_block(base_url: str, check_uuid: str) -> str:
    return (
        "import tocsin\n\n"
        f'with tocsin.monitor("{check_uuid}", "{base_url}"):\n'
        "    run_job()  # a start ping now, success or the traceback at the end\n"
    )


def powershell_script(url: str) -> str:
    return (
        f'$url = "{url}"\n'
        'Invoke-RestMethod -Uri "$url/start" -TimeoutSec 10 | Out-Null\n'
        "$output = & C:\\path\\to\\job.exe 2>&1 | Out-String\n"
        'Invoke-RestMethod -Uri "$url/$LASTEXITCODE" -Method Post -Body $output '
        "-TimeoutSec 10 | Out-Null\n"
    )


def run_line(when: str, base_url: str, check_uuid: str) -> str:
    return f"{when} tocsin run --server {base_url} --check {check_uuid} -- /path/to/job.sh"


def timer_units(schedule: OnCalendar, base_url: str, check_uuid: str) -> str:
    """A service running the job under `tocsin run`, and its timer at the check's own
    expressions, each in the check's zone unless it names one."""
    calendars = "".join(
        f"OnCalendar={zoned(line, schedule.tz)}\n" for line in schedule.expression.split("\n")
    )
    return (
        "# /etc/systemd/system/job.service\n"
        "[Service]\n"
        "Type=oneshot\n"
        f"ExecStart=/usr/local/bin/tocsin run --server {base_url} --check {check_uuid}"
        " -- /path/to/job.sh\n"
        "\n"
        "# /etc/systemd/system/job.timer (then: systemctl enable --now job.timer)\n"
        "[Timer]\n"
        f"{calendars}"
        "\n"
        "[Install]\n"
        "WantedBy=timers.target\n"
    )


def zoned(line: str, tz: str) -> str:
    if tz == "UTC" or line.rsplit(" ", 1)[-1] in iana_zones():
        return line
    return f"{line} {tz}"
