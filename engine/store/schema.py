"""Database tables (SQLAlchemy Core).

One row per instance holds the small workflow header; the SpiffWorkflow task tree is stored one row per
task (``instance_tasks``) so a step writes only the tasks it changed — the cost of a step does not grow
with the age of a case. Read models (``human_tasks``, ``message_subscriptions``, ``next_timer_at``) are
projections written in the same transaction as the state; the inbox and the timer worker read only them.

Times are stored as fixed-width UTC text (``2026-11-26T08:00:00.000000Z``, see ``engine.clock``): it
sorts like time, compares with an index, and reads the same on SQLite and PostgreSQL.
Schema changes go through Alembic (``engine/migrations``); ``create_all`` is for throwaway test databases.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

TIME = String(32)

districts = Table(
    "districts",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
)

streets = Table(
    "streets",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("name", String(100), nullable=False),
    Column("district_code", String(32), ForeignKey("districts.code"), nullable=False),
)

organizations = Table(
    "organizations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("uscc", String(18), nullable=True),
    Column("street_code", String(32), ForeignKey("streets.code"), nullable=True),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("password_hash", String(256), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", TIME, nullable=False),
)

grants = Table(
    "grants",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(100), nullable=False),
    Column("scope_type", String(16), nullable=False),  # street | district | organization
    Column("scope_id", String(64), nullable=False),
    UniqueConstraint("user_id", "role", "scope_type", "scope_id", name="uq_grant"),
)

bundles = Table(
    "bundles",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("files", LargeBinary, nullable=False),  # orjson {path: base64}
    Column("created_at", TIME, nullable=False),
    Column("author", String(64), nullable=False),
)

process_versions = Table(
    "process_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_key", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("name", String(200), nullable=False),
    Column("bundle_id", Integer, ForeignKey("bundles.id"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # draft | published | retired
    Column("author", String(64), nullable=False),
    Column("created_at", TIME, nullable=False),
    Column("published_at", TIME, nullable=True),
    Column("start_role", String(100), nullable=True),
    Column("start_messages", Text, nullable=False, default="[]"),  # JSON list of message names
    UniqueConstraint("process_key", "version", name="uq_process_version"),
    Index("ix_process_versions_key_status", "process_key", "status"),
)

instances = Table(
    "instances",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_version_id", Integer, ForeignKey("process_versions.id"), nullable=False),
    Column("process_key", String(100), nullable=False),
    Column("business_key", String(100), nullable=True),
    Column("title", String(300), nullable=False),
    Column("street_code", String(32), nullable=True),
    Column("organization_id", Integer, nullable=True),
    Column("status", String(16), nullable=False),  # running waiting completed cancelled suspended error
    Column("end_state", String(100), nullable=True),
    Column("state", Text, nullable=False),  # workflow header JSON (tasks live in instance_tasks)
    Column("state_packed", LargeBinary, nullable=True),  # an ended case: header and task rows, compressed
    Column("state_digest", String(64), nullable=True),  # keyed digest of the stored state (runtime.integrity)
    Column("serializer_version", String(16), nullable=False),
    Column("lock_version", Integer, nullable=False),
    Column("next_timer_at", TIME, nullable=True),
    Column("audit_seq", Integer, nullable=False, default=0),
    Column("audit_head", String(64), nullable=False),
    Column("started_by", String(64), nullable=False),
    Column("started_at", TIME, nullable=False),
    Column("updated_at", TIME, nullable=False),
    Column("ended_at", TIME, nullable=True),
    # the timer worker's claim: attempts of the current due timer, lease (or back-off) end, last failure
    Column("timer_attempts", Integer, nullable=False, default=0, server_default="0"),
    Column("timer_lease_until", TIME, nullable=True),
    Column("timer_last_error", Text, nullable=True),
    Index("ix_instances_next_timer_at", "next_timer_at"),
    Index("ix_instances_street_status", "street_code", "status"),
    Index("ix_instances_business_key", "process_key", "business_key"),
)

instance_tasks = Table(
    "instance_tasks",
    metadata,
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"), primary_key=True),
    Column("task_id", String(36), primary_key=True),
    Column("workflow_id", String(36), nullable=True),  # None: top workflow; else the subprocess id
    Column("body", Text, nullable=False),
    sqlite_with_rowid=False,
)

human_tasks = Table(
    "human_tasks",
    metadata,
    Column("id", String(36), primary_key=True),  # SpiffWorkflow task id
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("process_key", String(100), nullable=False),
    Column("bpmn_id", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("role", String(100), nullable=True),
    Column("street_code", String(32), nullable=True),
    Column("organization_id", Integer, nullable=True),
    Column("assignee", String(64), nullable=True),
    Column("form", String(200), nullable=True),
    Column("ui_form", String(200), nullable=True),
    Column("due_at", TIME, nullable=True),
    Column("due_provisional", Boolean, nullable=False, default=False),
    Column("priority", Integer, nullable=False, default=50),
    Column("state", String(16), nullable=False),  # READY | COMPLETED | CANCELLED
    Column("created_at", TIME, nullable=False),
    Column("claimed_at", TIME, nullable=True),
    Column("completed_by", String(64), nullable=True),
    Column("completed_at", TIME, nullable=True),
    Index("ix_human_tasks_inbox", "state", "role", "street_code"),
    Index("ix_human_tasks_assignee", "assignee", "state"),
    Index("ix_human_tasks_instance", "instance_id", "state"),
    Index("ix_human_tasks_completed_by", "completed_by", "state"),
    sqlite_with_rowid=False,
)

message_subscriptions = Table(
    "message_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", String(36), nullable=False),
    Column("message_name", String(200), nullable=False),
    Column("correlation", String(500), nullable=False),  # canonical JSON of the correlation values
    Index("ix_message_subscriptions_lookup", "message_name", "correlation"),
    Index("ix_message_subscriptions_instance", "instance_id"),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", String(36), nullable=True),
    Column("bpmn_id", String(100), nullable=True),
    Column("error_type", String(100), nullable=False),
    Column("message", Text, nullable=False),
    Column("line", Integer, nullable=True),
    Column("created_at", TIME, nullable=False),
    Column("resolved_at", TIME, nullable=True),
    Column("resolved_by", String(64), nullable=True),
    Index("ix_incidents_instance", "instance_id", "resolved_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("at", TIME, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("type", String(40), nullable=False),
    Column("task_id", String(36), nullable=True),
    Column("task_name", String(300), nullable=True),
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("instance_id", "seq", name="uq_audit_chain"),
)

# -- web collaboration (engine.worklist): written by the web through grant-scoped engine functions ------------

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("remote", String(64), nullable=False),
    Column("at", TIME, nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_login_attempts_username", "username", "at"),
    Index("ix_login_attempts_remote", "remote", "at"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),  # sha256 of the secret; the secret is shown once
    Column("created_at", TIME, nullable=False),
    Column("last_used_at", TIME, nullable=True),
    Column("revoked_at", TIME, nullable=True),
    Index("ix_api_tokens_username", "username"),
)

task_drafts = Table(
    "task_drafts",
    metadata,
    Column("task_id", String(36), primary_key=True),
    Column("username", String(64), primary_key=True),
    Column("data", Text, nullable=False),  # JSON of the form as typed, not validated
    Column("saved_at", TIME, nullable=False),
)

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", String(36), nullable=True),
    Column("author", String(64), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", TIME, nullable=False),
    Index("ix_comments_instance", "instance_id", "id"),
)

attachments = Table(
    "attachments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("instance_id", Integer, ForeignKey("instances.id", ondelete="CASCADE"), nullable=False),
    Column("task_id", String(36), nullable=True),
    Column("uploaded_by", String(64), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("content", LargeBinary, nullable=False),  # in the database so that every web host serves it
    Column("created_at", TIME, nullable=False),
    Index("ix_attachments_instance", "instance_id", "id"),
)

saved_filters = Table(
    "saved_filters",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("owner", String(64), nullable=False),
    Column("name", String(100), nullable=False),
    Column("query", Text, nullable=False),  # the inbox query string
    Column("shared_role", String(100), nullable=True),  # visible to holders of this role ...
    Column("shared_scope", Text, nullable=True),  # ... in these places: "street:S-HY organization:12"
    Column("created_at", TIME, nullable=False),
    Index("ix_saved_filters_owner", "owner"),
    Index("ix_saved_filters_role", "shared_role"),
)

user_visits = Table(
    "user_visits",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("last_seen_at", TIME, nullable=False),
    Column("previous_seen_at", TIME, nullable=True),
)

# -- process-owner workbench (engine.definitions.drafts) ----------------------------------------------
workbench_drafts = Table(
    "workbench_drafts",
    metadata,
    Column("process_key", String(100), primary_key=True),
    Column("files", LargeBinary, nullable=False),  # orjson {path: base64}, the feature file included
    Column("lock_version", Integer, nullable=False),  # optimistic version: a save names the one it edited
    Column("base_version", Integer, nullable=True),  # the version the draft was opened from
    Column("updated_by", String(64), nullable=False),
    Column("updated_at", TIME, nullable=False),
    Column("test_hash", String(64), nullable=True),  # content hash of the files the last scenario run saw
    Column("test_passed", Boolean, nullable=True),
    Column("test_report", Text, nullable=True),  # JSON: one entry per scenario
    Column("tested_at", TIME, nullable=True),
)

background_jobs = Table(  # long workbench work: scenario runs and migrations (engine.definitions.jobs)
    "background_jobs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(32), nullable=False),  # scenarios | migration
    Column("process_key", String(100), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # running | done | failed
    Column("params", Text, nullable=False),  # JSON
    Column("progress", Text, nullable=True),  # JSON, the latest report of the work
    Column("result", Text, nullable=True),  # JSON
    Column("error", Text, nullable=True),
    Column("created_at", TIME, nullable=False),
    Column("heartbeat_at", TIME, nullable=False),  # a running job's worker writes it while alive
    Column("finished_at", TIME, nullable=True),
    Index("ix_background_jobs_process", "process_key", "kind"),
)

publish_records = Table(
    "publish_records",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("process_key", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("published_at", TIME, nullable=False),
    Column("scenarios", String(16), nullable=False),  # passed | overridden
    Column("override_reason", Text, nullable=True),
    Column("feature", Text, nullable=True),  # the Gherkin scenarios published with this version
    Index("ix_publish_records_process", "process_key", "version"),
)
