"""Tables of the power plugin, on crmcore's shared metadata (so foreign keys to clients resolve).

Nothing is edited in place: a profile change is a new version, a plan revision a new row, an
extension a row of its own. Where a step of the connection workflow records something,
``instance_version`` is the workflow instance's version the step was taken from: the workflow's
guards find "the record of this very step" by it (a step taken through ``crm workflow
advance`` without its record is refused), and a unique index makes it a backstop against two
people recording the same step at once. Records that are not steps (an extension, an
inspection during works, the contract) keep it too, to place them in the timeline.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from crmcore.store import ExactDecimal, JsonDict, Money, UTCDateTime, metadata


def _recorded() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("recorded_at", UTCDateTime, nullable=False),
        Column("recorded_by", ForeignKey("users.id"), nullable=False),
    ]


# PWR-KA-1: a key account's supply profile, one row per version.
profiles = Table(
    "power_profiles",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("voltage", String(10), nullable=False),
    Column("contracted_capacity_kva", ExactDecimal(2), nullable=False),
    Column("load_class", String(1)),
    Column("priority", String(10)),
    Column("annual_consumption_kwh", ExactDecimal(2)),
    Column("annual_revenue", Money()),
    Column("credit_status", String(10)),
    Column("standing", String(200)),
    Column("business_condition", String(200)),
    Column("source", String(100), nullable=False),  # who set it: a person, or a connection
    *_recorded(),
    Index("ix_power_profiles_version", "client_id", "version", unique=True),
)

# PWR-APP-1: an application (高压用电申请) for a new connection or a capacity increase.
applications = Table(
    "power_applications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),  # YK2026-0001
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("voltage", String(10), nullable=False),
    Column("capacity_kva", ExactDecimal(2), nullable=False),
    Column("sources", Integer, nullable=False),
    Column("address", String(200)),
    Column("applied_on", Date, nullable=False),
    Column("accepted_on", Date),  # 受理日: PWR-APP-2 counts from it
    Column("instance_id", ForeignKey("workflow_instances.id")),
    *_recorded(),
    Index("ix_power_applications_client_id", "client_id"),
)

# Documents received with the application (用电资料).
documents = Table(
    "power_documents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False),
    Column("name", String(100), nullable=False),
    *_recorded(),
    Index("ix_power_documents_name", "application_id", "name", unique=True),
)

surveys = Table(
    "power_surveys",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False),
    Column("instance_version", Integer, nullable=False),
    Column("surveyed_on", Date, nullable=False),
    Column("participants", JsonDict, nullable=False),
    Column("findings", Text, nullable=False),
    *_recorded(),
    Index("ix_power_surveys_step", "application_id", "instance_version", unique=True),
)

# The supply plan (供电方案) and its quote, one row per revision; a revision is never edited.
plans = Table(
    "power_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("instance_version", Integer, nullable=False),
    Column("quote_number", String(30), nullable=False, unique=True),
    Column("voltage", String(10), nullable=False),
    Column("capacity_kva", ExactDecimal(2), nullable=False),
    Column("sources", JsonDict, nullable=False),  # ["110kV 开发区站 10kV 912线", ...]
    Column("fees", JsonDict, nullable=False),  # [{item, label_zh, basis, amount}]
    Column("total", Money(), nullable=False),
    Column("pay_into", String(200), nullable=False),
    Column("note", Text),
    *_recorded(),
    Index("ix_power_plans_revision", "application_id", "revision", unique=True),
    Index("ix_power_plans_step", "application_id", "instance_version", unique=True),
)

# The notice of the plan to the client (供电方案正式通知书): validity runs from it.
notices = Table(
    "power_notices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False, unique=True),
    Column("plan_id", ForeignKey("power_plans.id"), nullable=False),
    Column("notified_on", Date, nullable=False),
    Column("period_months", Integer, nullable=False),  # the validity period given (PWR-PLAN-1)
    Column("valid_until", Date, nullable=False),  # as notified; extensions add their own rows
    # the quote as given, filed in the client's archive (category "power", CORE-ARC-1);
    # each extension files a new version of it
    Column("document_id", ForeignKey("documents.id")),
    *_recorded(),
)

extensions = Table(
    "power_extensions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("notice_id", ForeignKey("power_notices.id"), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("instance_version", Integer, nullable=False),
    Column("asked_on", Date, nullable=False),
    Column("reason", Text, nullable=False),
    Column("months", Integer, nullable=False),
    Column("valid_until_before", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    *_recorded(),
    Index("ix_power_extensions_seq", "notice_id", "seq", unique=True),
)

# PWR-WORK-1: the client's works and who builds them.
works = Table(
    "power_works",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False, unique=True),
    Column("instance_version", Integer, nullable=False),
    Column("started_on", Date, nullable=False),
    Column("designer", String(200), nullable=False),
    Column("builder", String(200), nullable=False),
    Column("qualification", String(100), nullable=False),
    *_recorded(),
)

# Inspections during works (kind "works", PWR-WORK-1) and acceptance inspections (kind
# "acceptance", PWR-ACC-1); ``seq`` counts per kind, ``fee`` is the re-inspection fee charged.
inspections = Table(
    "power_inspections",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("instance_version", Integer, nullable=False),
    Column("inspected_on", Date, nullable=False),
    Column("passed", Boolean),
    Column("findings", Text),
    Column("rectifications", JsonDict, nullable=False),
    Column("fee", Money(), nullable=False),
    *_recorded(),
    Index("ix_power_inspections_seq", "application_id", "kind", "seq", unique=True),
)

# PWR-ACC-1: the completion report and its checklist, as filed and pre-checked.
completions = Table(
    "power_completions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False, unique=True),
    Column("instance_version", Integer, nullable=False),
    Column("filed_on", Date, nullable=False),
    Column("documents", JsonDict, nullable=False),
    *_recorded(),
)

# PWR-ACC-2: the supply contract (供用电合同).
contracts = Table(
    "power_contracts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False, unique=True),
    Column("instance_version", Integer, nullable=False),
    Column("number", String(64), nullable=False),
    Column("signed_on", Date, nullable=False),
    # the signed copy, when handed in, filed in the client's archive (category "contracts")
    Column("document_id", ForeignKey("documents.id")),
    *_recorded(),
)

# PWR-MTR-1: the meter work ticket (装表工作票), issued on energising, returned within 5 days.
meter_tickets = Table(
    "power_meter_tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False, unique=True),
    Column("number", String(20), nullable=False, unique=True),  # ZB2026-0001
    Column("instance_version", Integer, nullable=False),
    Column("issued_on", Date, nullable=False),
    *_recorded(),
)

ticket_returns = Table(
    "power_ticket_returns",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("power_meter_tickets.id"), nullable=False, unique=True),
    Column("instance_version", Integer, nullable=False),
    Column("returned_on", Date, nullable=False),
    *_recorded(),
)

# The billing account created after the ticket returns (建帐立卡).
accounts = Table(
    "power_accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("application_id", ForeignKey("power_applications.id"), nullable=False, unique=True),
    Column("voltage", String(10), nullable=False),
    Column("capacity_kva", ExactDecimal(2), nullable=False),
    Column("opened_on", Date, nullable=False),
    *_recorded(),
    Index("ix_power_accounts_client_id", "client_id"),
)

TABLES = (
    profiles,
    applications,
    documents,
    surveys,
    plans,
    notices,
    extensions,
    works,
    inspections,
    completions,
    contracts,
    meter_tickets,
    ticket_returns,
    accounts,
)
