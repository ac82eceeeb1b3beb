"""Core tables.

One shared :data:`metadata` with a naming convention, so Alembic can name, alter and drop
constraints on SQLite (batch mode) and PostgreSQL alike. Nothing is ever deleted from these
tables: clients are archived, edits are versioned in ``client_history``, contacts deactivated.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from crmcore.domain.figures import CRITERIA
from crmcore.store.personal import id_number_columns
from crmcore.store.types import ExactDecimal, JsonDict, Money, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("login", String(64), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("email", String(200)),
    Column("phone", String(40)),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("deactivated_at", UTCDateTime),
    # issue 4: how far the user is cleared to read (crmcore.domain.security.Clearance)
    Column("clearance", SmallInteger, nullable=False, server_default="2"),
)

user_roles = Table(
    "user_roles",
    metadata,
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("role", String(64), primary_key=True),
)

clients = Table(
    "clients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("credit_code", String(18), unique=True),
    Column("legal_rep", String(50)),
    Column("address", String(200)),
    Column("postcode", String(6)),
    Column("phone", String(40)),
    Column("fax", String(40)),
    Column("business_scope", Text),
    Column("registered_capital", Money()),
    Column("region", String(100)),
    Column("industry", String(100)),
    Column("size", String(10)),
    Column("status", String(10), nullable=False),
    Column("profile", JsonDict, nullable=False, default=dict),
    Column("owner_id", ForeignKey("users.id")),
    Column("first_contact_by", ForeignKey("users.id")),
    Column("first_contact_at", UTCDateTime),
    Column("archived_reason", Text),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    # issue 4: the record's secrecy level, its unit (CORE-OWN-3), importance, archive custodian
    Column("clearance", SmallInteger, nullable=False, server_default="2"),
    Column("unit_id", ForeignKey("org_units.id")),
    Column("importance", String(20)),
    Column("custodian_id", ForeignKey("users.id")),
    Index("ix_clients_owner_id", "owner_id"),
    Index("ix_clients_name", "name"),
    Index("ix_clients_unit_id", "unit_id"),
    Index("ix_clients_custodian_id", "custodian_id"),
)

# Co-contacts (CORE-OWN-1): staff in contact besides the owner. A row ends (``until``) rather
# than disappearing, so who was in contact when stays answerable.
client_staff = Table(
    "client_staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Column("until", UTCDateTime),
    Index("ix_client_staff_client_id", "client_id"),
    Index("ix_client_staff_user_id", "user_id"),
)

client_history = Table(
    "client_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_by", ForeignKey("users.id"), nullable=False),
    Column("action", String(20), nullable=False),
    Column("changes", JsonDict, nullable=False),
    Index("ix_client_history_client_id", "client_id", "version", unique=True),
)

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("name", String(50), nullable=False),
    Column("position", String(100)),
    Column("phone", String(40)),
    Column("email", String(200)),
    Column("notes", Text),
    Column("profile", JsonDict, nullable=False, default=dict),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    # issue 4: a key person's resident ID number, encrypted (crmcore.security.personal)
    *id_number_columns("id_number"),
    Index("ix_contacts_client_id", "client_id"),
)

contact_logs = Table(
    "contact_logs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("participants", JsonDict, nullable=False, default=list),
    Column("summary", Text, nullable=False),
    Column("next_action", String(200)),
    Column("next_action_due", Date),
    Column("created_at", UTCDateTime, nullable=False),
    # issue 3, rule CORE-LOG-3: an inquiry or letter from the client, to be answered in 24 hours.
    Column("inquiry", Boolean, nullable=False, default=False, server_default=false()),
    # rule CORE-LOG-1: a client's timeline reads newest first; this index serves it directly.
    Index("ix_contact_logs_timeline", "client_id", "occurred_at", "id"),
)

memos = Table(
    "memos",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("author_id", ForeignKey("users.id"), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_memos_client_id", "client_id"),
)

memo_signers = Table(
    "memo_signers",
    metadata,
    Column("memo_id", ForeignKey("memos.id"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True),
    Column("signed_at", UTCDateTime),
)

plugins = Table(
    "plugins",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_by", String(64), nullable=False),
)

counters = Table(
    "counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(64), nullable=False),
    Column("door", String(20), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(64), nullable=False),
    Column("entity_id", String(64)),
    Column("client_id", Integer),
    Column("body", Text, nullable=False),
    # rule CORE-CONF-2: the chain; a unique prev_hash means two writers cannot fork it.
    # ``hash`` is not unique (0010): it follows from prev_hash, and a second index of random
    # keys made every look-up record cost a page of its own.
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False),
    # issue 4: HMAC of ``hash`` with a key outside the database ("<key id>:<hex>")
    Column("seal", String(80)),
    CheckConstraint("seq > 0", name="seq_positive"),
    Index("ix_audit_events_client_id", "client_id"),
    Index("ix_audit_events_actor", "actor"),
)


# -- issue 3: policies, working-day calendar, approval workflows, obligations ----------------

# rule: "policies are data". Append-only: a change is a new row effective from a date; the
# value in force at a moment is the newest row with effective_from <= that day and set_at <=
# that moment, so a change never reaches back into decisions already taken.
policy_values = Table(
    "policy_values",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("value", JsonDict, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Column("set_by", ForeignKey("users.id"), nullable=False),
    Column("reason", Text),
    Index("ix_policy_values_key", "key", "effective_from", "id"),
)

# An official holiday schedule (国务院办公厅 节假日安排) loaded by an admin for one year. A reload
# is a new version; the newest version of a year is the one in force.
calendar_years = Table(
    "calendar_years",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("source", String(200)),
    Column("loaded_at", UTCDateTime, nullable=False),
    Column("loaded_by", ForeignKey("users.id"), nullable=False),
)

calendar_days = Table(
    "calendar_days",
    metadata,
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("kind", String(10), nullable=False),  # holiday (放假) | workday (调休上班)
    Column("name", String(100)),
    CheckConstraint("kind IN ('holiday', 'workday')", name="kind"),
)

# The current state of one run of a workflow. ``version`` is the compare-and-set token: every
# move updates WHERE version = the version read, so two advancers cannot both win.
workflow_instances = Table(
    "workflow_instances",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("workflow", String(100), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("entity_type", String(64)),
    Column("entity_id", String(64)),
    Column("state", String(100), nullable=False),
    Column("version", Integer, nullable=False),
    Column("data", JsonDict, nullable=False, default=dict),
    Column("assignees", JsonDict, nullable=False, default=dict),
    Column("paused_at", UTCDateTime),
    Column("started_at", UTCDateTime, nullable=False),
    Column("started_by", ForeignKey("users.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("closed_at", UTCDateTime),
    Index("ix_workflow_instances_client_id", "client_id"),
    Index("ix_workflow_instances_open", "workflow", "state"),
    Index("ix_workflow_instances_entity", "entity_type", "entity_id"),
)

# Append-only history of an instance: who did what, when, from which state to which, and why.
workflow_events = Table(
    "workflow_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_id", ForeignKey("workflow_instances.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("action", String(40), nullable=False),
    Column("from_state", String(100)),
    Column("to_state", String(100), nullable=False),
    Column("role", String(64)),
    Column("actor_id", ForeignKey("users.id"), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("comment", Text),
    Column("detail", JsonDict, nullable=False, default=dict),
    # The backstop of compare-and-set: one event per instance version.
    Index("ix_workflow_events_seq", "instance_id", "seq", unique=True),
)

# Deadlines (时限) running on an instance, in working or calendar days.
workflow_clocks = Table(
    "workflow_clocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_id", ForeignKey("workflow_instances.id"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("unit", String(10), nullable=False),
    Column("days", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("due", Date, nullable=False),
    Column("paused_on", Date),
    Column("remaining", Integer),
    Column("stopped_at", UTCDateTime),
    Column("outcome", String(10)),  # met | missed | cancelled, once stopped
    Index("ix_workflow_clocks_instance_id", "instance_id", "name"),
    Index("ix_workflow_clocks_due", "due"),
)

# Obligations fulfilled by an explicit act (a report sent, a consolidation done), one per
# obligation, period and subject. Obligations checked against other records (contact logs)
# need no row here.
obligations_done = Table(
    "obligations_done",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("obligation", String(100), nullable=False),
    Column("period", String(20), nullable=False),
    Column("subject", String(100), nullable=False),
    Column("done_at", UTCDateTime, nullable=False),
    Column("done_by", ForeignKey("users.id"), nullable=False),
    Column("reference", JsonDict, nullable=False, default=dict),
    Index("ix_obligations_done_key", "obligation", "period", "subject", unique=True),
)

# -- issue 9: search (搜索) ---------------------------------------------------------------------
# Pinyin spellings and short-query grams of each client's name, written by ClientService and
# by imports (crmcore.domain.search_terms.name_terms). The indexes that read them are not in
# this metadata because they differ by backend and live in migration 0003_search: on SQLite
# two contentless FTS5 tables (crmcore.store.search_index), on PostgreSQL pg_trgm GIN indexes.
clients.append_column(Column("name_pinyin", Text))
clients.append_column(Column("name_grams", Text))


# -- issue 4: organisation, access control, archives, handover -----------------------------------

# The organisation tree (CORE-OWN-3): head office, branches, departments, regions. ``level`` is
# the managing level a tier maps to (CLS-AMT-2); ``region`` the region prefix the unit serves;
# ``manager_id`` who gets a client assigned to the unit when no rule names one.
org_units = Table(
    "org_units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("parent_id", ForeignKey("org_units.id")),
    Column("level", String(20)),
    Column("region", String(100)),
    Column("manager_id", ForeignKey("users.id")),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_org_units_parent_id", "parent_id"),
)

# Membership ends (``until``) rather than disappearing: who belonged where stays answerable.
user_units = Table(
    "user_units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id"), nullable=False),
    Column("unit_id", ForeignKey("org_units.id"), nullable=False),
    Column("since", UTCDateTime, nullable=False),
    Column("until", UTCDateTime),
    Index("ix_user_units_unit_id", "unit_id"),
    Index("ix_user_units_user_id", "user_id"),
)

assignment_rules = Table(
    "assignment_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("priority", Integer, nullable=False),
    Column("region", String(100)),
    Column("industry", String(100)),
    Column("importance", String(20)),
    Column("unit_id", ForeignKey("org_units.id"), nullable=False),
    Column("manager_id", ForeignKey("users.id")),
    Column("active", Boolean, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
)

# Permission to read one client's archive (查阅权限, CORE-CONF-2) for a user or a role. Ended by
# ``until`` or revoked, never deleted.
client_grants = Table(
    "client_grants",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("user_id", ForeignKey("users.id")),
    Column("role", String(64)),
    Column("reason", Text, nullable=False),
    Column("granted_by", ForeignKey("users.id"), nullable=False),
    Column("granted_at", UTCDateTime, nullable=False),
    Column("until", UTCDateTime),
    Column("revoked_at", UTCDateTime),
    Column("revoked_by", ForeignKey("users.id")),
    CheckConstraint("(user_id IS NULL) <> (role IS NULL)", name="one_grantee"),
    Index("ix_client_grants_client_id", "client_id"),
    Index("ix_client_grants_user_id", "user_id"),
)

# Field rules an admin adds on top of those core and plugins declare (most restrictive wins).
field_rules = Table(
    "field_rules",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("entity", String(64), nullable=False),
    Column("field", String(64), nullable=False),
    Column("clearance", SmallInteger, nullable=False),
    Column("permission", String(64)),
    Column("set_by", ForeignKey("users.id"), nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Column("ended_at", UTCDateTime),
)

# Archive documents (CORE-ARC-1): content-addressed blobs, kept in the database so that one
# backup (or pg_dump) holds records and documents together and a document is filed in the same
# transaction as its record; identical content is stored once.
document_blobs = Table(
    "document_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("category", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("dated", Date, nullable=False),  # the document's own date: a category reads by it
    Column("clearance", SmallInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    Column("withdrawn_at", UTCDateTime),
    Column("withdrawn_reason", Text),
    Index("ix_documents_client", "client_id", "category", "dated"),
)

document_versions = Table(
    "document_versions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("document_id", ForeignKey("documents.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("sha256", ForeignKey("document_blobs.sha256"), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("media_type", String(100), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("note", Text),
    Column("uploaded_at", UTCDateTime, nullable=False),
    Column("uploaded_by", ForeignKey("users.id"), nullable=False),
    UniqueConstraint("document_id", "version", name="uq_document_versions_document_version"),
)

# Handovers of a leaving employee's clients (CORE-OWN-2): the act and every client it moved.
handovers = Table(
    "handovers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("from_user_id", ForeignKey("users.id"), nullable=False),
    Column("to_user_id", ForeignKey("users.id"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by_user_id", ForeignKey("users.id"), nullable=False),
)

handover_items = Table(
    "handover_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("handover_id", ForeignKey("handovers.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id")),
    Column("role", String(32), nullable=False),  # owner, co_contact, custodian, or a plugin's
    Column("detail", String(200)),
    Index("ix_handover_items_handover_id", "handover_id"),
)


# -- issue 5: yearly figures, scorecards, classification runs ---------------------------------

# rule CORE-REC-3: one number per client, year and metric, with its source. A correction is a
# new row; the old one gets ``superseded_at`` (history kept, never deleted). The partial
# unique index allows one current row per (metric, year, client).
client_figures = Table(
    "client_figures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("metric", String(40), nullable=False),
    Column("value", ExactDecimal(scale=2, precision=18), nullable=False),
    Column("source", String(200), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Column("superseded_at", UTCDateTime),
    Index(
        "ix_client_figures_current",
        "metric",
        "year",
        "client_id",
        unique=True,
        sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    ),
    Index("ix_client_figures_client_id", "client_id", "year"),
)

# rule CLS-SCORE-1: the eight criteria scored 0-100 (one decimal) for one year; versioned like
# client_figures. One column per criterion so a run weighs a million cards in one scan.
client_scorecards = Table(
    "client_scorecards",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("year", Integer, nullable=False),
    *(Column(name, ExactDecimal(scale=1, precision=4), nullable=False) for name in CRITERIA),
    Column("source", String(200), nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Column("superseded_at", UTCDateTime),
    Index(
        "ix_client_scorecards_current",
        "year",
        "client_id",
        unique=True,
        sqlite_where=text("superseded_at IS NULL"),
        postgresql_where=text("superseded_at IS NULL"),
    ),
    Index("ix_client_scorecards_client_id", "client_id", "year"),
)

# One run of a classification scheme: which scheme, as of which date, on which year's figures,
# under which policy value (kept whole, with the date it took effect), and what came out.
classification_runs = Table(
    "classification_runs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("scheme", String(64), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("year", Integer, nullable=False),
    Column("policy_key", String(64), nullable=False),
    Column("policy_from", Date),  # None: the rule's defaults
    Column("policy", JsonDict, nullable=False),
    Column("detail", JsonDict, nullable=False, default=dict),  # cuts or bounds, as applied
    Column("population", Integer, nullable=False),
    Column("counts", JsonDict, nullable=False, default=dict),
    Column("ran_at", UTCDateTime, nullable=False),
    Column("ran_by", ForeignKey("users.id"), nullable=False),
    Index("ix_classification_runs_scheme", "scheme", "as_of", "id"),
)

# Each classified client of a run: its class, the measured value (score or amount), its rank
# (scored schemes), the input row it was measured from (a figure or a scorecard), and a note.
classification_results = Table(
    "classification_results",
    metadata,
    Column("run_id", ForeignKey("classification_runs.id"), primary_key=True),
    Column("client_id", ForeignKey("clients.id"), primary_key=True),
    Column("class", String(32), nullable=False),
    Column("value", ExactDecimal(scale=4, precision=22), nullable=False),
    Column("rank", Integer),
    Column("input_id", Integer),
    Column("note", String(100)),
    Index("ix_classification_results_client_id", "client_id", "run_id"),
)
