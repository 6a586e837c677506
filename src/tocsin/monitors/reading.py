"""Reading a monitors file (YAML). Every problem is found before any is reported, each
as `FILE:LINE: PATH: what is wrong`, so one run shows a person all there is to fix.
Pure, but for the environment variables it is handed for `${NAME}` references.

PyYAML's node tree (`yaml.compose`) is read rather than the plain values `safe_load`
gives, because only the nodes know the line each value came from."""

import difflib
import re
from collections.abc import Callable, Mapping
from datetime import datetime, time, timedelta
from typing import Any, TypeVar

import yaml
from pydantic import ValidationError

from tocsin.domain import windows as rules
from tocsin.domain.checks import is_slug
from tocsin.domain.durations import DurationError, format_duration, parse_duration
from tocsin.domain.keywords import (
    MAX_KEYWORDS_LENGTH,
    KeywordRules,
    plain_name,
    rules_problem,
    with_plain_names,
)
from tocsin.domain.keywords import NO_RULES as NO_KEYWORDS
from tocsin.domain.monitors import ChannelSpec, CheckSpec, Monitors, PolicySpec, Step, WindowSpec
from tocsin.domain.records import NewCheck
from tocsin.domain.run_rules import MAX_THRESHOLD, NO_RULES, RunRules, RunRulesError, checked
from tocsin.domain.schedule import (
    Maintenance,
    Period,
    Schedule,
    ScheduleError,
    clock_time,
    cron_schedule,
    oncalendar_schedule,
    period_schedule,
    validate_grace,
    validate_timezone,
    weekdays,
)
from tocsin.notify.base import Kind, config_problems
from tocsin.notify.kinds import KINDS, UnknownKindError, kind_named

T = TypeVar("T")
SECTIONS = ("checks", "channels", "policies", "maintenance")
CHECK_FIELDS = (
    "name",
    "tags",
    "description",
    "period",
    "cron",
    "oncalendar",
    "tz",
    "grace",
    "maintenance",
    "methods",
    "manual_resume",
    "paused",
    "channels",
    "policy",
    "depends_on",
    "runs",
    "keywords",
)
NO_SCHEDULE = "needs a schedule: a period, a cron expression or OnCalendar expressions"
REFERENCED = {"channel": "channels", "policy": "policies", "check": "checks"}
MAINTENANCE_FIELDS = ("days", "from", "to", "tz")
WINDOW_FIELDS = ("check", "tag", *MAINTENANCE_FIELDS, "start", "end")
RUNS_FIELDS = (
    "min_duration",
    "max_duration",
    "min_interval",
    "interval_from",
    "failure_threshold",
    "recovery_threshold",
)
KEYWORD_TEXTS = ("failure", "success", "start")
KEYWORD_FLAGS = ("regex", "http_body", "email_subject", "email_body", "default_fail")
POLICY_FIELDS = ("steps", "repeat_count", "repeat_delay", "nag_interval")
STEP_FIELDS = ("wait", "channels")
DEFAULT_GRACE = timedelta(hours=1)
MAX_NAME = 100  # the columns' lengths
MAX_TAGS = 500
MAX_REPEAT = 100
NULL = "tag:yaml.org,2002:null"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
# `${NAME}` is the variable's value; `$${NAME}` is the text `${NAME}` itself.
VARIABLE = re.compile(r"\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}")


class MonitorsError(Exception):
    """A monitors file that cannot be applied: one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_monitors(text: str, filename: str, environ: Mapping[str, str]) -> Monitors:
    reader = Reader(filename, environ)
    monitors = reader.monitors(compose(text, filename))
    if reader.problems:
        # In the file's order, whichever pass found them (references are checked last).
        ordered = sorted(reader.problems, key=lambda problem: problem[0])
        raise MonitorsError([text for _line, text in ordered])
    return monitors


def compose(text: str, filename: str) -> yaml.Node | None:
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{filename}:{mark.line + 1}" if mark is not None else filename
        raise MonitorsError([f"{where}: {error.problem or error.context}"]) from None
    except yaml.YAMLError as error:  # bytes that are not text, for one
        raise MonitorsError([f"{filename}: {error}"]) from None


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def unknown_key(key: str, known: tuple[str, ...]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"
    return f"unknown key {key!r}; {hint}"


def locate(node: yaml.Node, loc: tuple[str | int, ...]) -> yaml.Node:
    """The node a pydantic error's location points at, or the nearest one above it."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            found = node.value[part : part + 1]
        else:
            found = []
        if not found:
            return node
        node = found[0]
    return node


def integer(node: yaml.Node) -> int | None:
    """A YAML integer as Python writes them (0x10 and 1_000 too); None for anything
    else. YAML 1.1's other integers (017, octal; 1:30, base 60) are None: int()
    refuses them, and each would read as a number the person did not mean."""
    if node.tag != INT:
        return None
    try:
        return int(node.value, 0)
    except ValueError:  # also for more digits than int() reads
        return None


class Reader:
    def __init__(self, filename: str, environ: Mapping[str, str]) -> None:
        self.filename = filename
        self.environ = environ
        self.problems: list[tuple[int, str]] = []
        # Names used as references, checked once every channel and policy is known.
        self.references: list[tuple[yaml.Node, str, str, str]] = []
        # The keys of each section, those with problems of their own included: a
        # reference to one is no second problem.
        self.keys: dict[str, set[str]] = {section: set() for section in SECTIONS}
        self.loader = yaml.SafeLoader("")

    def problem(self, node: yaml.Node, path: str, message: str) -> None:
        line = node.start_mark.line + 1
        self.problems.append((line, f"{self.filename}:{line}: {path}: {message}"))

    def attempt(self, node: yaml.Node, path: str, work: Callable[[], T]) -> T | None:
        """The domain's own validators, their messages placed at the node."""
        try:
            return work()
        except (
            DurationError,
            ScheduleError,
            UnknownKindError,
            rules.WindowError,
            RunRulesError,
        ) as error:
            self.problem(node, path, str(error))
            return None

    # The file

    def monitors(self, root: yaml.Node | None) -> Monitors:
        if root is None:
            return Monitors()
        sections = self.fields(root, "", SECTIONS)
        monitors = Monitors(
            checks=self.section(sections.get("checks"), "checks", self.check),
            channels=self.section(sections.get("channels"), "channels", self.channel),
            policies=self.section(sections.get("policies"), "policies", self.policy),
            windows=self.section(sections.get("maintenance"), "maintenance", self.window),
        )
        self.check_references()
        return monitors

    def section(
        self,
        node: yaml.Node | None,
        path: str,
        read: Callable[[str, yaml.Node, yaml.Node, str], T | None],
    ) -> dict[str, T]:
        found: dict[str, T] = {}
        if node is None:
            return found
        for key, (key_node, value_node) in self.mapping(node, path).items():
            self.keys[path].add(key)
            item = read(key, key_node, value_node, join(path, key))
            if item is not None:
                found[key] = item
        return found

    def check_references(self) -> None:
        for node, path, what, name in self.references:
            if name not in self.keys[REFERENCED[what]]:
                self.problem(node, path, f"no {what} named {name!r} in this file")

    # Checks

    def check(self, key: str, key_node: yaml.Node, node: yaml.Node, path: str) -> CheckSpec | None:
        before = len(self.problems)
        if not is_slug(key) or len(key) > MAX_NAME:
            self.problem(
                key_node, path, "a check's key is its slug: lower-case letters, digits, - and _"
            )
        fields = self.fields(node, path, CHECK_FIELDS)
        tz = self.text(fields.get("tz"), join(path, "tz"), "UTC")
        schedule = self.schedule(key_node, path, fields, tz)
        grace = self.grace(fields.get("grace"), join(path, "grace"))
        tags = " ".join(self.words(fields.get("tags"), join(path, "tags")))
        if len(tags) > MAX_TAGS:
            self.problem(fields["tags"], join(path, "tags"), f"longer than {MAX_TAGS} characters")
        settings = NewCheck(
            schedule or Period(timedelta(days=1)),
            DEFAULT_GRACE if grace is None else grace,  # 0s is a grace: none at all
            name=self.text(fields.get("name"), join(path, "name"), key, MAX_NAME),
            slug=key,
            tags=tags,
            description=self.text(fields.get("description"), join(path, "description"), ""),
            manual_resume=self.flag(fields.get("manual_resume"), join(path, "manual_resume")),
            methods=self.methods(fields.get("methods"), join(path, "methods")),
            tz=tz,
            maintenance=self.maintenance(fields.get("maintenance"), join(path, "maintenance"), tz),
            rules=self.run_rules(fields.get("runs"), join(path, "runs")),
            keywords=self.keywords(fields.get("keywords"), join(path, "keywords")),
        )
        check = CheckSpec(
            settings,
            paused=self.flag(fields.get("paused"), join(path, "paused")),
            channels=self.references_to("channel", fields.get("channels"), join(path, "channels")),
            policy=self.policy_reference(fields.get("policy"), join(path, "policy")),
            depends_on=self.references_to(
                "check", fields.get("depends_on"), join(path, "depends_on")
            )
            or (),
        )
        return None if len(self.problems) > before else check

    def grace(self, node: yaml.Node | None, path: str) -> timedelta | None:
        grace = self.duration(node, path, DEFAULT_GRACE)
        if node is None or grace is None:
            return grace
        return self.attempt(node, path, lambda: validate_grace(grace))

    def maintenance(self, node: yaml.Node | None, path: str, check_tz: str) -> Maintenance | None:
        """A daily window, as the API has it: `days`, `from` and `to` (local times), and
        `tz`, the check's own unless given. Left out (or null), no window."""
        if node is None or node.tag == NULL:
            return None
        if not isinstance(node, yaml.MappingNode):
            self.mapping(node, path)  # the one problem: not a mapping
            return None
        return self.daily_window(node, self.fields(node, path, MAINTENANCE_FIELDS), path, check_tz)

    def daily_window(
        self, node: yaml.Node, fields: dict[str, yaml.Node], path: str, default_tz: str
    ) -> Maintenance | None:
        days = self.days(node, fields.get("days"), join(path, "days"))
        start = self.time_of_day(node, fields.get("from"), join(path, "from"))
        end = self.time_of_day(node, fields.get("to"), join(path, "to"))
        tz = self.text(fields.get("tz"), join(path, "tz"), default_tz)
        if "tz" in fields:
            self.attempt(fields["tz"], join(path, "tz"), lambda: validate_timezone(tz))
        if not days or start is None or end is None:
            return None
        return Maintenance(days, start, end, tz)

    def run_rules(self, node: yaml.Node | None, path: str) -> RunRules:
        """Rules on runs: durations (none: no limit), `interval_from` (`successes` or
        `starts`) and the two thresholds (default 1). Left out (or null), none."""
        if node is None or node.tag == NULL:
            return NO_RULES
        fields = self.fields(node, path, RUNS_FIELDS)
        limits = {
            name: self.duration(fields.get(name), join(path, name), None)
            for name in RUNS_FIELDS[:3]
        }
        between = self.text(fields.get("interval_from"), join(path, "interval_from"), "successes")
        if between not in ("successes", "starts"):
            self.problem(
                fields["interval_from"], join(path, "interval_from"), "successes or starts"
            )
        rules = RunRules(
            limits["min_duration"],
            limits["max_duration"],
            limits["min_interval"],
            between == "starts",
            self.threshold(fields.get("failure_threshold"), join(path, "failure_threshold")),
            self.threshold(fields.get("recovery_threshold"), join(path, "recovery_threshold")),
        )
        return self.attempt(node, path, lambda: checked(rules)) or NO_RULES

    def threshold(self, node: yaml.Node | None, path: str) -> int:
        if node is None:
            return 1
        value = integer(node)
        if value is None or not 1 <= value <= MAX_THRESHOLD:
            self.problem(node, path, f"must be a whole number from 1 to {MAX_THRESHOLD}")
            return 1
        return value

    def keywords(self, node: yaml.Node | None, path: str) -> KeywordRules:
        """Keyword rules under Tocsin's names (domain.keywords.PLAIN_NAMES); left out
        (or null), none."""
        if node is None or node.tag == NULL:
            return NO_KEYWORDS
        fields = self.fields(node, path, KEYWORD_TEXTS + KEYWORD_FLAGS)
        changes: dict[str, str | bool | None] = {
            name: self.text(fields.get(name), join(path, name), "", MAX_KEYWORDS_LENGTH)
            for name in KEYWORD_TEXTS
        }
        changes |= {name: self.flag(fields.get(name), join(path, name)) for name in KEYWORD_FLAGS}
        rules = with_plain_names(NO_KEYWORDS, changes)
        found = rules_problem(rules) if rules.regex else None
        if found is not None:
            name = plain_name(found[0])
            self.problem(fields.get(name, node), join(path, name), found[1])
        return rules

    def days(self, parent: yaml.Node, node: yaml.Node | None, path: str) -> frozenset[int] | None:
        names = self.words(node, path)
        if not names:
            self.problem(node or parent, path, "needs at least one weekday, e.g. [sat, sun]")
            return None
        return self.attempt(node or parent, path, lambda: weekdays(names))

    def time_of_day(self, parent: yaml.Node, node: yaml.Node | None, path: str) -> time | None:
        if node is None:
            self.problem(parent, path, "needs a time of day, e.g. 01:30")
            return None
        # The text as written: YAML 1.1 reads an unquoted 10:30 as the number 630.
        text = self.text(node, path, "")
        value = self.attempt(node, path, lambda: clock_time(text))
        if value is not None and value.microsecond:
            self.problem(node, path, f"{text} is not a whole number of seconds")
            return None
        return value

    def schedule(
        self, node: yaml.Node, path: str, fields: dict[str, yaml.Node], tz: str
    ) -> Schedule | None:
        if "tz" in fields and not self.attempt(
            fields["tz"], join(path, "tz"), lambda: validate_timezone(tz)
        ):
            return None
        given = [name for name in ("period", "cron", "oncalendar") if name in fields]
        if len(given) > 1:
            first, second = given[:2]
            self.problem(
                fields[second], join(path, second), f"give either {first} or {second}, not both"
            )
        elif "oncalendar" in fields:
            return self.oncalendar(fields["oncalendar"], join(path, "oncalendar"), tz)
        elif "cron" in fields:
            expression = self.text(fields["cron"], join(path, "cron"), "")
            return self.attempt(
                fields["cron"], join(path, "cron"), lambda: cron_schedule(expression, tz)
            )
        elif "period" in fields:
            period = self.duration(fields["period"], join(path, "period"), None)
            if fields["period"].tag == NULL:
                self.problem(fields["period"], join(path, "period"), "needs a duration, e.g. 1d")
            elif period is not None:
                return self.attempt(
                    fields["period"], join(path, "period"), lambda: period_schedule(period)
                )
        else:
            self.problem(node, path, NO_SCHEDULE)
        return None

    def oncalendar(self, node: yaml.Node, path: str, tz: str) -> Schedule | None:
        """OnCalendar expressions: a list of them, or text with one a line."""
        known = len(self.problems)
        if isinstance(node, yaml.SequenceNode):
            lines = [self.text(item, join(path, i), "") for i, item in enumerate(node.value)]
        else:
            lines = [self.text(node, path, "")]
        if len(self.problems) > known:  # not text: that is the one problem to tell
            return None
        expression = "\n".join(lines)
        return self.attempt(node, path, lambda: oncalendar_schedule(expression, tz))

    def methods(self, node: yaml.Node | None, path: str) -> str:
        methods = self.text(node, path, "")
        if node is not None and methods not in ("", "POST"):
            self.problem(
                node, path, f"must be POST (ignore GET and HEAD pings) or empty, not {methods!r}"
            )
        return methods

    def policy_reference(self, node: yaml.Node | None, path: str) -> str | None:
        name = self.text(node, path, "")
        if node is None or not name:
            return None
        self.references.append((node, path, "policy", name))
        return name

    # Maintenance windows

    def window(
        self, key: str, key_node: yaml.Node, node: yaml.Node, path: str
    ) -> WindowSpec | None:
        """Recurring (`days`, `from`, `to`, `tz`) or one-off (`start`, `end`: instants
        with a zone); of a `check` (its key), a `tag`, or neither: the whole project."""
        before = len(self.problems)
        if not key.strip() or len(key) > rules.MAX_NAME:
            self.problem(key_node, path, f"a window's name is 1 to {rules.MAX_NAME} characters")
        fields = self.fields(node, path, WINDOW_FIELDS)
        check = self.text(fields.get("check"), join(path, "check"), "") or None
        if check is not None:
            self.references.append((fields["check"], join(path, "check"), "check", check))
        tag = self.text(fields.get("tag"), join(path, "tag"), "") or None
        self.attempt(node, path, lambda: rules.check_scope(None if check is None else 0, tag))
        when = self.window_when(node, fields, path)
        if len(self.problems) > before or when is None:
            return None
        return WindowSpec(when, check, tag)

    def window_when(
        self, node: yaml.Node, fields: dict[str, yaml.Node], path: str
    ) -> rules.When | None:
        once = [name for name in ("start", "end") if name in fields]
        if not once:
            return self.daily_window(node, fields, path, "UTC")
        if any(name in fields for name in MAINTENANCE_FIELDS):
            self.problem(node, path, "give start and end, or days, from and to: not both")
            return None
        starts = self.instant(node, fields.get("start"), join(path, "start"))
        ends = self.instant(node, fields.get("end"), join(path, "end"))
        if starts is None or ends is None:
            return None
        return self.attempt(node, path, lambda: rules.one_off(starts, ends))

    def instant(self, parent: yaml.Node, node: yaml.Node | None, path: str) -> datetime | None:
        if node is None:
            self.problem(parent, path, "needs an instant, e.g. 2030-01-31T02:00:00Z")
            return None
        text = self.text(node, path, "")
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            self.problem(node, path, f"not an instant: {text!r} (e.g. 2030-01-31T02:00:00Z)")
            return None

    # Channels

    def channel(
        self, key: str, key_node: yaml.Node, node: yaml.Node, path: str
    ) -> ChannelSpec | None:
        before = len(self.problems)
        if len(key) > MAX_NAME:
            self.problem(key_node, path, f"a channel's name is at most {MAX_NAME} characters")
        found = self.mapping(node, path)
        if "kind" not in found:
            self.problem(key_node, path, f"needs a kind, one of: {', '.join(sorted(KINDS))}")
            return None
        kind_node = found.pop("kind")[1]
        name = self.text(kind_node, join(path, "kind"), "")
        kind = self.attempt(kind_node, join(path, "kind"), lambda: kind_named(name))
        if kind is None:
            return None
        known = tuple(kind.config.model_fields)
        config: dict[str, Any] = {}
        for setting, (setting_node, value_node) in found.items():
            if setting not in known:
                self.problem(setting_node, join(path, setting), unknown_key(setting, known))
            else:
                config[setting] = self.setting(value_node, join(path, setting))
        if len(self.problems) > before or not self.validate(kind, config, key_node, node, path):
            return None
        return ChannelSpec(kind.name, config)

    def validate(
        self, kind: Kind, config: dict[str, Any], key_node: yaml.Node, node: yaml.Node, path: str
    ) -> bool:
        """The kind's own validation, each problem at the setting it names."""
        try:
            kind.config.model_validate(config)
        except ValidationError as error:
            for loc, message in config_problems(error):
                where = path
                for part in loc:
                    where = join(where, part)
                target = locate(node, loc)
                self.problem(key_node if target is node else target, where, message)
            return False
        return True

    def setting(self, node: yaml.Node, path: str) -> Any:
        """A channel setting as plain values, with `${NAME}` replaced in text."""
        if isinstance(node, yaml.MappingNode):
            return {k.value: self.setting(v, join(path, k.value)) for k, v in node.value}
        if isinstance(node, yaml.SequenceNode):
            return [self.setting(item, join(path, i)) for i, item in enumerate(node.value)]
        value = self.loader.construct_object(node)
        return self.substitute(value, node, path) if isinstance(value, str) else value

    def substitute(self, text: str, node: yaml.Node, path: str) -> str:
        def replace(match: re.Match[str]) -> str:
            escaped, name = match.groups()
            if escaped:
                return "${" + name + "}"
            if name not in self.environ:
                self.problem(node, path, f"environment variable {name} is not set")
                return ""
            return self.environ[name]

        return VARIABLE.sub(replace, text)

    # Policies

    def policy(
        self, key: str, key_node: yaml.Node, node: yaml.Node, path: str
    ) -> PolicySpec | None:
        before = len(self.problems)
        if not key or len(key) > MAX_NAME:
            self.problem(key_node, path, f"a policy's name is 1 to {MAX_NAME} characters")
        fields = self.fields(node, path, POLICY_FIELDS)
        steps = self.steps(fields.get("steps"), join(path, "steps"))
        repeat_count = self.count(fields.get("repeat_count"), join(path, "repeat_count"))
        repeat_delay = self.duration(
            fields.get("repeat_delay"), join(path, "repeat_delay"), timedelta(0)
        )
        nag = self.duration(fields.get("nag_interval"), join(path, "nag_interval"), None)
        if nag is not None and nag <= timedelta(0):
            self.problem(
                fields["nag_interval"], join(path, "nag_interval"), "must be longer than 0s"
            )
        if len(self.problems) > before or repeat_delay is None:
            return None
        return PolicySpec(steps, repeat_count, repeat_delay, nag)

    def steps(self, node: yaml.Node | None, path: str) -> tuple[Step, ...]:
        steps: list[Step] = []
        for index, item in enumerate(self.sequence(node, path)):
            where = join(path, index)
            fields = self.fields(item, where, STEP_FIELDS)
            wait = self.duration(fields.get("wait"), join(where, "wait"), timedelta(0))
            channels = self.references_to(
                "channel", fields.get("channels"), join(where, "channels")
            )
            steps.append((wait or timedelta(0), channels or ()))
        return tuple(steps)

    def count(self, node: yaml.Node | None, path: str) -> int:
        if node is None:
            return 0
        value = integer(node)
        if value is None or not 0 <= value <= MAX_REPEAT:
            self.problem(node, path, f"must be a whole number from 0 to {MAX_REPEAT}")
            return 0
        return value

    # Values

    def fields(self, node: yaml.Node, path: str, known: tuple[str, ...]) -> dict[str, yaml.Node]:
        """A mapping's values by key; keys it does not know are problems."""
        fields = {}
        for key, (key_node, value_node) in self.mapping(node, path).items():
            if key in known:
                fields[key] = value_node
            else:
                self.problem(key_node, join(path, key), unknown_key(key, known))
        return fields

    def mapping(self, node: yaml.Node, path: str) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        if node.tag == NULL:  # `checks:` with nothing under it
            return {}
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path or "the file", "expected a mapping of keys to values")
            return {}
        found: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                self.problem(key_node, path, "keys must be plain text")
            elif key in found:
                self.problem(key_node, join(path, key), "duplicate key")
            else:
                found[key] = (key_node, value_node)
        return found

    def sequence(self, node: yaml.Node | None, path: str) -> list[yaml.Node]:
        if node is None or node.tag == NULL:
            return []
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, path, "expected a list")
            return []
        return list(node.value)

    def text(self, node: yaml.Node | None, path: str, default: str, limit: int = 0) -> str:
        if node is None:
            return default
        if node.tag == NULL:
            return ""
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, path, "expected text")
            return default
        if limit and len(node.value) > limit:
            self.problem(node, path, f"longer than {limit} characters")
        return str(node.value)

    def words(self, node: yaml.Node | None, path: str) -> list[str]:
        """Tags: a list, or words separated by spaces."""
        if isinstance(node, yaml.SequenceNode):
            return [self.text(item, join(path, i), "") for i, item in enumerate(node.value)]
        return self.text(node, path, "").split()

    def flag(self, node: yaml.Node | None, path: str) -> bool:
        if node is None:
            return False
        if node.tag != BOOL:
            self.problem(node, path, f"expected true or false, not {self.text(node, path, '')!r}")
            return False
        return bool(self.loader.construct_object(node))

    def duration(
        self, node: yaml.Node | None, path: str, default: timedelta | None
    ) -> timedelta | None:
        if node is None or node.tag == NULL:
            return default
        text = self.text(node, path, "")
        value = self.attempt(node, path, lambda: parse_duration(text))
        if value is not None and value.microseconds:
            self.problem(node, path, f"{format_duration(value)} is not a whole number of seconds")
            return None
        return value

    def references_to(self, what: str, node: yaml.Node | None, path: str) -> tuple[str, ...] | None:
        if node is None:
            return None
        names = []
        for index, item in enumerate(self.sequence(node, path)):
            name = self.text(item, join(path, index), "")
            self.references.append((item, join(path, index), what, name))
            names.append(name)
        return tuple(names)
