"""Reading a crontab and rewriting its jobs to run under `tocsin run`. Pure.

Follows Vixie cron and cronie: `NAME=value` lines set the environment (`CRON_TZ` the
zone of the schedules after it), `@daily`-style macros, five fields with names
(`mon-fri`, `jan`), and a command whose first unescaped `%` starts the job's stdin.
A comment `# tocsin: slug=<slug>` names the check of the job line right after it.
"""

import re
import shlex
from dataclasses import dataclass

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_ENV = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*")
_FIELDS = re.compile(r"\s*((?:\S+\s+){4}\S+)\s+(\S.*)")
_MACRO = re.compile(r"\s*(@[a-z]+)\s+(\S.*)")
_WRAPPED = re.compile(r"(?:\S*/)?tocsin run\b.*?--check[ =](\S+)")
_PERCENT = re.compile(r"(?<!\\)%")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_SLUG_COMMENT = re.compile(r"\s*#\s*tocsin:\s*slug\s*=\s*(.*?)\s*")
_VALID_SLUG = re.compile(r"[a-z0-9_-]+")
MAX_SLUG = 40


@dataclass(frozen=True, slots=True)
class CronJob:
    """One job line: where it is, when it runs, and the command as written."""

    index: int  # the line's place in the crontab, from 0
    expression: str  # five fields, macros expanded
    tz: str
    command: str  # everything after the schedule, `%` parts included
    command_start: int  # where the command begins in the line
    slug: str  # of its check: from `--check` when already wrapped, else made up


@dataclass(frozen=True, slots=True)
class Crontab:
    lines: list[str]
    jobs: list[CronJob]
    skipped: list[str]  # lines Tocsin cannot watch, and why


def parse_crontab(text: str) -> Crontab:
    lines, jobs, skipped = crontab_lines(text), [], []
    tz, slugs = "UTC", set[str]()
    named: str | None = None  # from a `# tocsin: slug=…` comment, for the next job
    for index, line in enumerate(lines):
        if comment := _SLUG_COMMENT.fullmatch(line):
            named = comment[1]
            if not _VALID_SLUG.fullmatch(named):
                skipped.append(f"line {index + 1}: {named!r} is not a slug (a-z, 0-9, - and _)")
                named = None
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if env := _ENV.fullmatch(line):
            tz = unquote(env[2]) if env[1] == "CRON_TZ" else tz
            continue
        job = read_job(index, line, tz or "UTC", slugs, named)
        named = None
        if isinstance(job, str):
            skipped.append(f"line {index + 1}: {job}")
        else:
            jobs.append(job)
            slugs.add(job.slug)
    return Crontab(lines, jobs, skipped)


def crontab_lines(text: str) -> list[str]:
    """The lines as cron reads them: ended by \n only, where str.splitlines() also
    breaks at \v, \f, \x1c-\x1e, U+0085, U+2028 and U+2029 and would cut a command in
    two. A \r before the \n (a crontab saved on Windows) is no part of the line."""
    lines = text.split("\n")
    if lines[-1] == "":  # after the last \n, or an empty crontab
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def read_job(
    index: int, line: str, tz: str, taken: set[str], named: str | None = None
) -> CronJob | str:
    """The job on this line, or why it is not one Tocsin can watch."""
    match = _MACRO.fullmatch(line) or _FIELDS.fullmatch(line)
    if match is None:
        return "not a job line"
    when, command = match[1], match[2]
    if when.startswith("@"):
        if when not in MACROS:
            return f"{when} has no schedule to watch"
        when = MACROS[when]
    wrapped = _WRAPPED.search(command)
    slug = wrapped[1] if wrapped else named or unique(slug_for(command), taken)
    return CronJob(index, " ".join(when.split()), tz, command, match.start(2), slug)


def unquote(value: str) -> str:
    if len(value) > 1 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def slug_for(command: str) -> str:
    """`/usr/local/bin/backup.sh --full > /dev/null` → `backup-sh`."""
    words = shell_words(_PERCENT.split(command, 1)[0])
    program = next((w for w in words if "=" not in w), "job").rsplit("/", 1)[-1]
    return _NOT_SLUG.sub("-", program.lower()).strip("-")[:MAX_SLUG] or "job"


def shell_words(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # an unbalanced quote: good enough for a name
        return text.split()


def unique(slug: str, taken: set[str]) -> str:
    candidate, n = slug, 2
    while candidate in taken:
        candidate, n = f"{slug}-{n}", n + 1
    return candidate


def is_wrapped(job: CronJob) -> bool:
    return _WRAPPED.search(job.command) is not None


def wrapped_line(line: str, job: CronJob, tocsin: str) -> str:
    """The line with its command run by `tocsin run` through `sh -c`, as cron ran it.

    cron turns every unescaped `%` into a newline before the shell sees the line, even
    inside quotes, so the `%` part stays outside the quoted command, as stdin.
    """
    if is_wrapped(job):
        return line
    command, percent, stdin = split_stdin(job.command)
    quoted = shlex.quote(command.rstrip())
    run = f"{tocsin} run --check {job.slug} -- sh -c {quoted}"
    return f"{line[: job.command_start]}{run}{percent}{stdin}"


def split_stdin(command: str) -> tuple[str, str, str]:
    parts = _PERCENT.split(command, 1)
    return (parts[0], "%", parts[1]) if len(parts) == 2 else (command, "", "")


def rewritten(crontab: Crontab, tocsin: str, environment: dict[str, str]) -> list[str]:
    """Every job wrapped, and the variables `tocsin run` reads set above the first job."""
    lines = list(crontab.lines)
    for job in crontab.jobs:
        lines[job.index] = wrapped_line(lines[job.index], job, tocsin)
    present = {m[1] for line in lines if (m := _ENV.fullmatch(line))}
    missing = [f"{name}={value}" for name, value in environment.items() if name not in present]
    first = crontab.jobs[0].index if crontab.jobs else len(lines)
    return lines[:first] + missing + lines[first:]
