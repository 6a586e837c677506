"""The schema, as SQLAlchemy Core tables. Alembic migrations must produce exactly this."""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from tocsin.store.rows import (
    from_epoch_microseconds,
    to_epoch_microseconds,
)

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def with_postgresql_conditions() -> None:
    """Give each partial index its condition on PostgreSQL too, the same as on SQLite.

    The tables name only `sqlite_where`: naming a `postgresql_` option at import would
    import SQLAlchemy's PostgreSQL dialect, a tenth of a second that a SQLite process
    (a short command above all) never needs. A PostgreSQL `Database` calls this, so the
    metadata Alembic compares there holds both. Calling it again changes nothing."""
    for table in metadata.tables.values():
        for index in table.indexes:
            where = index.dialect_options["sqlite"]["where"]
            if where is not None:
                index.dialect_kwargs["postgresql_where"] = where


# SQLite only knows 64-bit rowids as INTEGER PRIMARY KEY; PostgreSQL gets a real bigint.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, whatever the database keeps.

    PostgreSQL stores `timestamptz`. SQLite stores integer microseconds since the
    epoch: exact, ordered for the index scans, and about ten times cheaper to convert
    on the ping path than SQLAlchemy's text form (measured: docs/PERFORMANCE.md).
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        if dialect.name == "sqlite":
            return to_epoch_microseconds(value)
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return from_epoch_microseconds(value)
        assert isinstance(value, datetime)
        return value.astimezone(UTC)


projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("ping_key", sa.String(32), nullable=False, unique=True),
    sa.Column("created", UTCDateTime, nullable=False),
)

# Keys of the management API. Only a hash of each key is kept: the key is shown once,
# when it is made. Keys carry 166 random bits, so a plain SHA-256 cannot be reversed by
# guessing, and an index on it finds a key in one lookup.
api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("read_only", sa.Boolean, nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    # The first characters of the key, enough to tell keys apart in a list.
    sa.Column("prefix", sa.String(8), nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("last_used", UTCDateTime, nullable=True),
    sa.Column("revoked", UTCDateTime, nullable=True),
)

checks = sa.Table(
    "checks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("uuid", sa.Uuid, nullable=False, unique=True),
    # The secret in Better Stack-style ping URLs (/api/v1/heartbeat/<token>).
    sa.Column("token", sa.String(32), nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("slug", sa.String(100), nullable=False, server_default=""),
    sa.Column("tags", sa.String(500), nullable=False, server_default=""),
    sa.Column("description", sa.Text, nullable=False, server_default=""),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("period", sa.Integer, nullable=True),
    sa.Column("cron", sa.String(100), nullable=True),
    sa.Column("tz", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("grace", sa.Integer, nullable=False),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("last_ping", UTCDateTime, nullable=True),
    sa.Column("last_start", UTCDateTime, nullable=True),
    sa.Column("last_start_rid", sa.Uuid, nullable=True),
    sa.Column("last_duration", sa.Float, nullable=True),
    sa.Column("alert_after", UTCDateTime, nullable=True),
    sa.Column("n_pings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("manual_resume", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("methods", sa.String(10), nullable=False, server_default=""),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("updated", UTCDateTime, nullable=False),
    # A daily maintenance window (schedule.Maintenance): weekdays as "mon,tue", its
    # start and end in seconds after local midnight, and its zone. No days, no window.
    sa.Column("maintenance_days", sa.String(30), nullable=False, server_default=""),
    sa.Column("maintenance_from", sa.Integer, nullable=True),
    sa.Column("maintenance_to", sa.Integer, nullable=True),
    sa.Column("maintenance_tz", sa.String(64), nullable=False, server_default="UTC"),
    # Rules on runs (domain.run_rules.RunRules), durations in seconds, and the state
    # they count with: failures and successes in a row, the last slot missed under the
    # failure threshold, and the previous run "too often" measures from.
    sa.Column("run_min_duration", sa.Integer, nullable=True),
    sa.Column("run_max_duration", sa.Integer, nullable=True),
    sa.Column("run_min_interval", sa.Integer, nullable=True),
    sa.Column("run_interval_from_starts", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("failure_threshold", sa.Integer, nullable=False, server_default="1"),
    sa.Column("recovery_threshold", sa.Integer, nullable=False, server_default="1"),
    sa.Column("failure_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("success_streak", sa.Integer, nullable=False, server_default="0"),
    sa.Column("missed_due", UTCDateTime, nullable=True),
    sa.Column("last_run", UTCDateTime, nullable=True),
    # Keyword rules on ping bodies and email pings (domain.keywords.KeywordRules), under
    # Healthchecks' names; `kw_regex` makes each *_kw one regular expression.
    sa.Column("start_kw", sa.String(200), nullable=False, server_default=""),
    sa.Column("success_kw", sa.String(200), nullable=False, server_default=""),
    sa.Column("failure_kw", sa.String(200), nullable=False, server_default=""),
    sa.Column("filter_subject", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("filter_body", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("filter_http_body", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("filter_default_fail", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("kw_regex", sa.Boolean, nullable=False, server_default=sa.false()),
    # The escalation policy; none means the project's default: every channel of the
    # check at once, no escalation.
    sa.Column(
        "policy_id",
        sa.Integer,
        sa.ForeignKey("policies.id", ondelete="SET NULL"),
        nullable=True,
    ),
    # Slug ping URLs look checks up by project and slug. Slugs are not unique,
    # as in Healthchecks: duplicates answer "ambiguous slug".
    sa.Index("ix_checks_project_slug", "project_id", "slug"),
    # The deadline watcher's only query: "which deadlines have passed?" and
    # "when is the next one?" touch just the checks that have a deadline.
    sa.Index(
        "ix_checks_alert_after",
        "alert_after",
        sqlite_where=sa.text("alert_after IS NOT NULL"),
    ),
)

# Better Stack's heartbeat groups: a name, an order, and a pause that holds every
# heartbeat (check) in the group.
heartbeat_groups = sa.Table(
    "heartbeat_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("sort_index", sa.Integer, nullable=True),
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("updated", UTCDateTime, nullable=False),
)

# Where a check sits among Better Stack's heartbeats: its group and its place. A table
# of its own rather than columns of `checks`, which SQLite could only gain by copying
# the table (constraints cannot be added to a table there). No row: no group, no place.
heartbeat_places = sa.Table(
    "heartbeat_places",
    metadata,
    sa.Column(
        "check_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "group_id",
        sa.Integer,
        sa.ForeignKey("heartbeat_groups.id", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Column("sort_index", sa.Integer, nullable=True),
    sa.Index("ix_heartbeat_places_group_id", "group_id"),
)

# Better Stack's simple alerting of a heartbeat (`domain.records.AlertFlags`): how the
# person on call is reached when the check has no policy, and when the team is. No
# row: no method, so the check notifies only its channels.
heartbeat_alerts = sa.Table(
    "heartbeat_alerts",
    metadata,
    sa.Column(
        "check_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("email", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("sms", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("call", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("push", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("critical_alert", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("team_wait", sa.Integer, nullable=True),  # seconds; null: never the team
)

pings = sa.Table(
    "pings",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "check_id",
        sa.Integer,
        sa.ForeignKey("checks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(7), nullable=False),
    sa.Column("exit_status", sa.SmallInteger, nullable=True),
    sa.Column("rid", sa.Uuid, nullable=True),
    sa.Column("duration", sa.Float, nullable=True),
    sa.Column("method", sa.String(10), nullable=False, server_default=""),
    sa.Column("scheme", sa.String(10), nullable=False, server_default="http"),
    sa.Column("remote_addr", sa.String(64), nullable=True),
    sa.Column("ua", sa.String(200), nullable=False, server_default=""),
    sa.Column("body", sa.LargeBinary, nullable=True),
    sa.Column("body_size", sa.Integer, nullable=False, server_default="0"),
    sa.Column("body_truncated", sa.Boolean, nullable=False, server_default=sa.false()),
    # The ping log of one check, newest first.
    sa.Index("ix_pings_check_n", "check_id", "n"),
    # Finding the start of a run by its run id; only start pings with a rid pay for it.
    sa.Index(
        "ix_pings_run_starts",
        "check_id",
        "rid",
        sqlite_where=sa.text("kind = 'start' AND rid IS NOT NULL"),
    ),
)

flips = sa.Table(
    "flips",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "check_id",
        sa.Integer,
        sa.ForeignKey("checks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("old_status", sa.String(8), nullable=False),
    sa.Column("new_status", sa.String(8), nullable=False),
    sa.Column("reason", sa.String(200), nullable=False, server_default=""),
    # Set once the flip's consequences (incidents, notifications) are handled.
    sa.Column("processed", UTCDateTime, nullable=True),
    sa.Index("ix_flips_check_created", "check_id", "created"),
    # Retention (store.retention) deletes the oldest flips of every check together.
    sa.Index("ix_flips_created", "created"),
    sa.Index(
        "ix_flips_unprocessed",
        "id",
        sqlite_where=sa.text("processed IS NULL"),
    ),
)


# A deployment-wide secret for signed links, made on first start unless
# TOCSIN_SECRET_KEY gives one.
instance = sa.Table(
    "instance",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("secret_key", sa.String(128), nullable=False),
)

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("uuid", sa.Uuid, nullable=False, unique=True),
    sa.Column("name", sa.String(100), nullable=False, server_default=""),
    sa.Column("kind", sa.String(20), nullable=False),
    # The kind's settings as JSON (URL, address, token …), validated by its Config.
    sa.Column("config", sa.Text, nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("last_notified", UTCDateTime, nullable=True),
    # The error of the last failed delivery, and since when the channel has been
    # failing (its first failure after its last delivery); both cleared by a delivery.
    sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    sa.Column("last_error_at", UTCDateTime, nullable=True),
)

check_channels = sa.Table(
    "check_channels",
    metadata,
    sa.Column(
        "check_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "channel_id",
        sa.Integer,
        sa.ForeignKey("channels.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

policies = sa.Table(
    "policies",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(100), nullable=False),
    # After the last step, start over this many more times, repeat_delay seconds later.
    sa.Column("repeat_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("repeat_delay", sa.Integer, nullable=False, server_default="0"),
    # Re-notify every nag_interval seconds while the incident is unacknowledged.
    sa.Column("nag_interval", sa.Integer, nullable=True),
    sa.Column("created", UTCDateTime, nullable=False),
)

policy_steps = sa.Table(
    "policy_steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "policy_id", sa.Integer, sa.ForeignKey("policies.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer, nullable=False),
    # Seconds after the previous step (or the incident's opening, for the first).
    sa.Column("wait_before", sa.Integer, nullable=False, server_default="0"),
    # How the step reaches people (domain.people.Method, comma-separated), and the
    # hours it runs in: minutes after local midnight in a zone; no start, any hour.
    sa.Column("methods", sa.String(40), nullable=False, server_default="email,push"),
    sa.Column("active_from", sa.Integer, nullable=True),
    sa.Column("active_to", sa.Integer, nullable=True),
    sa.Column("active_tz", sa.String(64), nullable=False, server_default="UTC"),
    sa.UniqueConstraint("policy_id", "position"),
)

# Whom a step reaches beside its channels (domain.people.Target): a member, the entire
# team, whoever is on call in a calendar, the next person in turn, or every channel of
# a kind. A round robin counts its turns here (`last_index`, the last turn taken), so it
# moves on per step.
policy_step_targets = sa.Table(
    "policy_step_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "step_id", sa.Integer, sa.ForeignKey("policy_steps.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
    # A calendar's id; no foreign key, so a calendar's removal leaves the step falling
    # through to the next one with a timeline note rather than silently changing it.
    sa.Column("calendar_id", sa.Integer, nullable=True),
    # A round robin's members, as comma-separated user ids; empty: every member.
    sa.Column("user_ids", sa.String(1000), nullable=False, server_default=""),
    sa.Column("channel_kind", sa.String(20), nullable=False, server_default=""),
    sa.Column("last_index", sa.Integer, nullable=False, server_default="-1"),
    # The policy an incident is handed over to; no foreign key either, so a removed
    # policy leaves the step saying so on the timeline and falling through.
    sa.Column("policy_id", sa.Integer, nullable=True),
    sa.Index("ix_policy_step_targets_step", "step_id", "position"),
)

policy_step_channels = sa.Table(
    "policy_step_channels",
    metadata,
    sa.Column(
        "step_id",
        sa.Integer,
        sa.ForeignKey("policy_steps.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "channel_id",
        sa.Integer,
        sa.ForeignKey("channels.id", ondelete="CASCADE"),
        primary_key=True,
    ),
)

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "check_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("status", sa.String(12), nullable=False),
    sa.Column("cause", sa.String(40), nullable=False),
    sa.Column("cause_detail", sa.String(500), nullable=False, server_default=""),
    sa.Column("expected_at", UTCDateTime, nullable=True),
    sa.Column("last_ping", UTCDateTime, nullable=True),
    sa.Column("exit_status", sa.SmallInteger, nullable=True),
    sa.Column("body_excerpt", sa.Text, nullable=False, server_default=""),
    sa.Column("opened_at", UTCDateTime, nullable=False),
    sa.Column("acknowledged_at", UTCDateTime, nullable=True),
    sa.Column("acknowledged_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("resolved_at", UTCDateTime, nullable=True),
    sa.Column("resolved_by", sa.String(200), nullable=False, server_default=""),
    sa.Column(
        "policy_id", sa.Integer, sa.ForeignKey("policies.id", ondelete="SET NULL"), nullable=True
    ),
    # Escalation: the next step to run, in which round, and when; NULL when done.
    sa.Column("next_step", sa.Integer, nullable=False, server_default="0"),
    sa.Column("round", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_escalation_at", UTCDateTime, nullable=True),
    sa.Column("next_nag_at", UTCDateTime, nullable=True),
    # A held incident (domain.dependencies): the parent check holding it, and when the
    # watcher looks at it next to release it. No foreign key: a parent deleted since
    # reads as up, and the child is released.
    sa.Column("held_by", sa.Integer, nullable=True),
    sa.Column("release_at", UTCDateTime, nullable=True),
    # At most one open incident per check.
    sa.Index(
        "ix_incidents_open_check",
        "check_id",
        unique=True,
        sqlite_where=sa.text("status != 'resolved'"),
    ),
    sa.Index("ix_incidents_project_opened", "project_id", "opened_at"),
    # Retention (store.retention) deletes incidents resolved long ago, oldest first.
    sa.Index("ix_incidents_resolved_at", "resolved_at"),
    # The watcher's timers: escalation steps and nags that are due.
    sa.Index(
        "ix_incidents_next_escalation",
        "next_escalation_at",
        sqlite_where=sa.text("next_escalation_at IS NOT NULL"),
    ),
    sa.Index(
        "ix_incidents_next_nag",
        "next_nag_at",
        sqlite_where=sa.text("next_nag_at IS NOT NULL"),
    ),
    # A parent's recovery finds the incidents it holds; the watcher, those due a look.
    sa.Index("ix_incidents_held_by", "held_by", sqlite_where=sa.text("held_by IS NOT NULL")),
    sa.Index(
        "ix_incidents_release_at",
        "release_at",
        sqlite_where=sa.text("release_at IS NOT NULL"),
    ),
)

# Dependencies between checks of one project: a child is held while a parent is down.
check_dependencies = sa.Table(
    "check_dependencies",
    metadata,
    sa.Column(
        "child_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "parent_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True
    ),
    # A parent's children, for its page and its alerts.
    sa.Index("ix_check_dependencies_parent_id", "parent_id"),
)

incident_events = sa.Table(
    "incident_events",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "incident_id",
        sa.Integer,
        sa.ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column(
        "channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("attempt", sa.Integer, nullable=True),
    sa.Column("message", sa.Text, nullable=False, server_default=""),
    sa.Column("actor", sa.String(200), nullable=False, server_default=""),
    sa.Index("ix_incident_events_incident", "incident_id", "id"),
)

# The outbox: written in the transaction that decides a notification is needed,
# delivered afterwards by whichever notifier claims it.
notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", BigId, primary_key=True),
    sa.Column(
        "incident_id",
        sa.Integer,
        sa.ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=True,
    ),
    # A channel, or one of a person's contact methods: exactly one of the two.
    sa.Column(
        "channel_id", sa.Integer, sa.ForeignKey("channels.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column(
        "contact_id",
        sa.Integer,
        sa.ForeignKey("contact_methods.id", ondelete="CASCADE"),
        nullable=True,
    ),
    # Why a person was reached (`on call in Primary`), for the timeline.
    sa.Column("note", sa.String(200), nullable=False, server_default=""),
    # How a person's phone is reached: `sms` or `call`, as the step asked ("" else).
    sa.Column("method", sa.String(8), nullable=False, server_default=""),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", UTCDateTime, nullable=False),
    sa.Column("claimed_until", UTCDateTime, nullable=True),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("sent_at", UTCDateTime, nullable=True),
    sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    # What the service answered that a later notification needs: a Pushover emergency
    # alert's receipt, cancelled when the incident is acknowledged or resolved.
    sa.Column("receipt", sa.String(64), nullable=True),
    # The notifier's questions: which pending rows are due, and whose lease ran out.
    # Only those rows are indexed, however many were sent before.
    sa.Index(
        "ix_notifications_pending",
        "next_attempt_at",
        sqlite_where=sa.text("status = 'pending'"),
    ),
    sa.Index(
        "ix_notifications_leased",
        "claimed_until",
        sqlite_where=sa.text("status = 'sending'"),
    ),
    sa.Index("ix_notifications_incident", "incident_id"),
    # Removing a contact method (or its person) deletes its notifications through this.
    sa.Index(
        "ix_notifications_contact",
        "contact_id",
        sqlite_where=sa.text("contact_id IS NOT NULL"),
    ),
    # Retention (store.retention) deletes delivered notifications, oldest first.
    sa.Index("ix_notifications_created", "created"),
)


# SQLite uses a partial index only for a query that repeats the index's condition
# with the same literal values: a bound parameter never matches. Queries that want
# these indexes say their conditions through these functions.
def notification_is(status: str) -> sa.ColumnElement[bool]:
    """`status = 'pending'` or `'sending'`, the conditions of ix_notifications_pending
    and ix_notifications_leased."""
    assert status in ("pending", "sending")
    return notifications.c.status == sa.literal_column(f"'{status}'")


def incident_unresolved() -> sa.ColumnElement[bool]:
    """`status != 'resolved'`, the condition of ix_incidents_open_check."""
    return incidents.c.status != sa.literal_column("'resolved'")


EMAIL_LENGTH = 254  # the longest address SMTP allows
ADDRESS_LENGTH = 64  # an IPv6 address with its zone, with room to spare

# People who sign in to the web app. Emails are kept lower-cased, so the unique
# constraint is case-insensitive; only an argon2 hash of the password is kept.
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), nullable=False, unique=True),
    sa.Column("password_hash", sa.String(200), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("created", UTCDateTime, nullable=False),
)

# How each person can be reached (domain.people.ContactKind): an address, verified
# (an email by a signed link mailed to it; the others when added), and the hours of
# the day it may be used, as minutes after local midnight in a zone.
contact_methods = sa.Table(
    "contact_methods",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("uuid", sa.Uuid, nullable=False, unique=True),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("address", sa.String(EMAIL_LENGTH), nullable=False),
    sa.Column("verified", UTCDateTime, nullable=True),
    sa.Column("active_from", sa.Integer, nullable=True),
    sa.Column("active_to", sa.Integer, nullable=True),
    sa.Column("active_tz", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("last_error", sa.String(500), nullable=False, server_default=""),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.UniqueConstraint("user_id", "kind", "address"),
)

# Who may see a project, and what they may do there (owner, admin, member, viewer).
memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column(
        "user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "project_id",
        sa.Integer,
        sa.ForeignKey("projects.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("role", sa.String(10), nullable=False),
)

# Invitations to a project: the emailed link names one, which works once, until it
# expires or is revoked.
invitations = sa.Table(
    "invitations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("email", sa.String(EMAIL_LENGTH), nullable=False),
    sa.Column("role", sa.String(10), nullable=False),
    sa.Column("invited_by", sa.String(EMAIL_LENGTH), nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("expires", UTCDateTime, nullable=False),
    sa.Column("accepted", UTCDateTime, nullable=True),
    sa.Column("revoked", UTCDateTime, nullable=True),
    sa.Index("ix_invitations_project", "project_id"),
)

# Failed sign-ins of the last FAILURE_WINDOW (accounts.py), shared by every process.
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("email", sa.String(EMAIL_LENGTH), nullable=False),
    sa.Column("address", sa.String(ADDRESS_LENGTH), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_login_failures_who", "email", "address"),
    sa.Index("ix_login_failures_at", "at"),
)

# Server-side web sessions, found by the SHA-256 of the random token in the cookie,
# so a stolen database does not hand out live sessions. Each has its CSRF token.
web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Column("expires", UTCDateTime, nullable=False),
    # Signing out everywhere else (on a password change) finds a user's sessions.
    sa.Index("ix_web_sessions_user", "user_id"),
    # Retention (store.retention) deletes expired sessions.
    sa.Index("ix_web_sessions_expires", "expires"),
)

# The sequence number of the last batch from the SQLite ping log (store.fastpath.pinglog) that
# this database committed: the batches after it are replayed from the log at start.
# One row; unused on PostgreSQL.
ping_log = sa.Table(
    "ping_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
)

# On-call calendars (domain.oncall). The feed token is the secret in the calendar's
# iCalendar URL; it is kept as is, like a project's ping key, so the URL can be shown
# again. At most one calendar per project is its default (the partial unique index).
oncall_calendars = sa.Table(
    "oncall_calendars",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("is_default", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("feed_token", sa.String(32), nullable=False, unique=True),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.UniqueConstraint("project_id", "name"),
    sa.Index(
        "ix_oncall_calendars_default",
        "project_id",
        unique=True,
        sqlite_where=sa.text("is_default"),
    ),
)

# A rotation: its members (oncall_members) take turns of `length` `unit`s from
# `first_handoff`, in `zone`. `restrict_from`/`restrict_to` (minutes after midnight)
# and `restrict_days` (a bit per weekday, Monday the lowest) limit it to part of the
# day or week; NULL means always.
oncall_rotations = sa.Table(
    "oncall_rotations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "calendar_id",
        sa.Integer,
        sa.ForeignKey("oncall_calendars.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("layer", sa.Integer, nullable=False),
    sa.Column("first_handoff", UTCDateTime, nullable=False),
    sa.Column("zone", sa.String(64), nullable=False),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("unit", sa.String(5), nullable=False),
    sa.Column("restrict_from", sa.Integer, nullable=True),
    sa.Column("restrict_to", sa.Integer, nullable=True),
    sa.Column("restrict_days", sa.Integer, nullable=True),
    sa.Column("ends", UTCDateTime, nullable=True),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Index("ix_oncall_rotations_calendar", "calendar_id"),
)

oncall_members = sa.Table(
    "oncall_members",
    metadata,
    sa.Column(
        "rotation_id",
        sa.Integer,
        sa.ForeignKey("oncall_rotations.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    # Taking a person who left a project out of its rotations finds them.
    sa.Index("ix_oncall_members_user", "user_id"),
)

oncall_overrides = sa.Table(
    "oncall_overrides",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "calendar_id",
        sa.Integer,
        sa.ForeignKey("oncall_calendars.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("starts", UTCDateTime, nullable=False),
    sa.Column("ends", UTCDateTime, nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    # on_call_user and the shifts of a window look for the overrides still running.
    sa.Index("ix_oncall_overrides_calendar", "calendar_id", "ends"),
    sa.Index("ix_oncall_overrides_user", "user_id"),
)

# What changed a calendar without anyone editing it (a member who left the project,
# taken out of a rotation), shown on the calendar; only the newest few are kept.
oncall_warnings = sa.Table(
    "oncall_warnings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "calendar_id",
        sa.Integer,
        sa.ForeignKey("oncall_calendars.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("message", sa.String(300), nullable=False),
    sa.Column("created", UTCDateTime, nullable=False),
    sa.Index("ix_oncall_warnings_calendar", "calendar_id"),
)

# Maintenance windows (domain.windows): recurring (weekdays "mon,tue", start and end in
# seconds after local midnight, a zone) or one-off (UTC instants), scoped to one check,
# a tag, or (neither) the whole project. A snooze of a check is a one-off window of it.
maintenance_windows = sa.Table(
    "maintenance_windows",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "project_id", sa.Integer, sa.ForeignKey("projects.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "check_id", sa.Integer, sa.ForeignKey("checks.id", ondelete="CASCADE"), nullable=True
    ),
    sa.Column("tag", sa.String(50), nullable=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("snooze", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("days", sa.String(30), nullable=False, server_default=""),
    sa.Column("start_time", sa.Integer, nullable=True),
    sa.Column("end_time", sa.Integer, nullable=True),
    sa.Column("tz", sa.String(64), nullable=False, server_default="UTC"),
    sa.Column("starts_at", UTCDateTime, nullable=True),
    sa.Column("ends_at", UTCDateTime, nullable=True),
    sa.Column("created_by", sa.String(200), nullable=False, server_default=""),
    sa.Column("created", UTCDateTime, nullable=False),
    # The watcher reads the windows of the projects whose checks are due.
    sa.Index("ix_maintenance_windows_project_id", "project_id"),
)

# An incident whose escalation and reminders are held: by a window covering its check
# (until the window ends) or by a snooze (`snoozed_by`). The timers it held were moved
# to `held_until`; the row goes when they run again, with a "resumed" line.
incident_holds = sa.Table(
    "incident_holds",
    metadata,
    sa.Column(
        "incident_id",
        sa.Integer,
        sa.ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("held_until", UTCDateTime, nullable=False),
    sa.Column("reason", sa.String(300), nullable=False, server_default=""),
    sa.Column("snoozed_by", sa.String(200), nullable=False, server_default=""),
)
