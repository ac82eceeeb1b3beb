"""Tables of the rail plugin (issue 8), on crmcore's shared metadata so foreign keys to
``clients`` and ``users`` resolve. Every name starts with ``rail_``.

Nothing is deleted: a station change writes its previous values to ``rail_station_history``;
qualification facts, monthly plans and region growth figures are new rows (the newest
counts); a certificate is revoked or superseded, never removed; a settlement is reversed by
a red (negative) row.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from crmcore.store import ExactDecimal, JsonDict, Money, UTCDateTime, metadata


def Tonnes() -> ExactDecimal:
    """Tonnes to the kilogram, exact on both backends."""
    return ExactDecimal(scale=3, precision=18)


#: The station register (车站): which stations are on FMOS and handle whole trains.
stations = Table(
    "rail_stations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(10), nullable=False, unique=True),
    Column("name", String(50), nullable=False),
    Column("bureau", String(50), nullable=False),
    Column("fmos", Boolean, nullable=False),
    Column("whole_train_loading", Boolean, nullable=False),
    Column("whole_train_unloading", Boolean, nullable=False),
    Column("version", Integer, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", ForeignKey("users.id"), nullable=False),
    Index("ix_rail_stations_bureau", "bureau"),
)

station_history = Table(
    "rail_station_history",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("station_id", ForeignKey("rail_stations.id"), nullable=False),
    Column("version", Integer, nullable=False),
    Column("changes", JsonDict, nullable=False),  # field -> [before, after]
    Column("changed_at", UTCDateTime, nullable=False),
    Column("changed_by", ForeignKey("users.id"), nullable=False),
    Index("ix_rail_station_history_station", "station_id", "version", unique=True),
)

#: RAIL-QUAL-1 facts as declared for a client; the newest row is the one checked.
qualifications = Table(
    "rail_qualifications",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("party", String(10), nullable=False),
    Column("station_id", ForeignKey("rail_stations.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("annual_tonnage", Tonnes(), nullable=False),
    Column("annual_freight", Money(), nullable=False),
    Column("state_key_enterprise", Boolean, nullable=False),
    Column("follows_railway_rules", Boolean, nullable=False),
    Column("owns_goods", Boolean, nullable=False),
    Column("pays_freight", Boolean, nullable=False),
    Column("accepts_charter", Boolean, nullable=False),
    Column("note", Text),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    CheckConstraint("party IN ('shipper', 'consignee')", name="party"),
    Index("ix_rail_qualifications_client", "client_id", "id"),
)

#: RAIL-QUAL-2 key-account certificates (铁路大客户证书).
certificates = Table(
    "rail_certificates",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(30), nullable=False, unique=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("qualification_id", ForeignKey("rail_qualifications.id"), nullable=False),
    Column("workflow_instance_id", ForeignKey("workflow_instances.id"), nullable=False),
    Column("renews_id", ForeignKey("rail_certificates.id")),
    Column("issued_at", UTCDateTime, nullable=False),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(12), nullable=False),
    Column("ended_at", UTCDateTime),
    Column("ended_by", ForeignKey("users.id")),
    Column("end_reason", Text),
    Column("document_id", ForeignKey("documents.id")),  # filed in the client's archive
    CheckConstraint("status IN ('issued', 'revoked', 'superseded', 'expired')", name="status"),
    CheckConstraint("valid_until >= valid_from", name="validity"),
    Index("ix_rail_certificates_client", "client_id"),
    # Backstop: one certificate in force per client.
    Index(
        "ix_rail_certificates_issued",
        "client_id",
        unique=True,
        sqlite_where=text("status = 'issued'"),
        postgresql_where=text("status = 'issued'"),
    ),
)

#: RAIL-VOL-1 the annual volume form (年度运量表) of one client for one plan year.
volume_forms = Table(
    "rail_volume_forms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("stage", String(10), nullable=False),  # the last party that signed
    Column("version", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("document_id", ForeignKey("documents.id")),  # filed once the ministry signed
    CheckConstraint("stage IN ('client', 'bureau', 'ministry')", name="stage"),
    Index("ix_rail_volume_forms_year", "client_id", "year", unique=True),
)

#: One signed stage of a form: the figures that party signed, its signature and seal.
volume_signatures = Table(
    "rail_volume_signatures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("form_id", ForeignKey("rail_volume_forms.id"), nullable=False),
    Column("stage", String(10), nullable=False),
    Column("total", Tonnes(), nullable=False),
    Column("contracted", Tonnes()),
    Column("signer", String(50), nullable=False),
    Column("sealed", Boolean, nullable=False),
    Column("signed_on", Date, nullable=False),
    Column("deadline", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("late_reason", Text),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    CheckConstraint("stage IN ('client', 'bureau', 'ministry')", name="stage"),
    CheckConstraint("late = (signed_on > deadline)", name="late_flag"),
    Index("ix_rail_volume_signatures_stage", "form_id", "stage", unique=True),
)

#: Lines of a signed stage: main directions, consignees and direct-train proposals.
volume_lines = Table(
    "rail_volume_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("signature_id", ForeignKey("rail_volume_signatures.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("label", String(100), nullable=False),  # bureau, consignee name or train label
    Column("origin_id", ForeignKey("rail_stations.id")),
    Column("destination_id", ForeignKey("rail_stations.id")),
    Column("tonnage", Tonnes(), nullable=False),
    Column("trains", Integer),
    Column("note", Text),
    CheckConstraint("kind IN ('direction', 'consignee', 'train')", name="kind"),
    CheckConstraint("tonnage >= 0", name="tonnage"),
    Index("ix_rail_volume_lines_signature", "signature_id"),
)

#: RAIL-VOL-2 the region's average railway growth for a year, entered by an admin.
region_growth = Table(
    "rail_region_growth",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("region", String(100), nullable=False),
    Column("year", Integer, nullable=False),
    Column("percent", ExactDecimal(scale=2, precision=8), nullable=False),
    Column("source", String(200)),
    Column("set_at", UTCDateTime, nullable=False),
    Column("set_by", ForeignKey("users.id"), nullable=False),
    Index("ix_rail_region_growth_key", "region", "year", "id"),
)

#: RAIL-OPS-1 monthly plans (月计划); a new version of a month supersedes the older ones.
monthly_plans = Table(
    "rail_monthly_plans",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("total", Tonnes(), nullable=False),
    Column("source", String(10), nullable=False),  # annual (derived) or manual
    Column("note", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    CheckConstraint("total >= 0", name="total"),
    Index("ix_rail_monthly_plans_key", "client_id", "year", "month", "version", unique=True),
)

monthly_plan_lines = Table(
    "rail_monthly_plan_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("plan_id", ForeignKey("rail_monthly_plans.id"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("label", String(100), nullable=False),
    Column("tonnage", Tonnes(), nullable=False),
    CheckConstraint("kind IN ('direction', 'consignee')", name="kind"),
    Index("ix_rail_monthly_plan_lines_plan", "plan_id"),
)

#: One imported file of actual loadings (日装车 daily, or monthly totals).
loading_batches = Table(
    "rail_loading_batches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("filename", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("granularity", String(10), nullable=False),
    Column("rows", Integer, nullable=False),
    Column("imported_at", UTCDateTime, nullable=False),
    Column("imported_by", ForeignKey("users.id"), nullable=False),
    CheckConstraint("granularity IN ('daily', 'monthly')", name="granularity"),
    Index("ix_rail_loading_batches_file", "client_id", "sha256", unique=True),
)

loadings = Table(
    "rail_loadings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", ForeignKey("rail_loading_batches.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("loaded_on", Date),  # None: a monthly total
    Column("origin_id", ForeignKey("rail_stations.id"), nullable=False),
    Column("destination_id", ForeignKey("rail_stations.id"), nullable=False),
    Column("consignee", String(100)),
    Column("tonnage", Tonnes(), nullable=False),
    Column("wagons", Integer),
    Column("freight", Money()),
    Column("waybill", String(40)),
    CheckConstraint("tonnage >= 0", name="tonnage"),
    CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    Index("ix_rail_loadings_month", "client_id", "year", "month"),
    Index("ix_rail_loadings_batch", "batch_id"),
)

#: Freight settlements (运费结算); a reversal is a negative row naming what it reverses.
settlements = Table(
    "rail_settlements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("year", Integer, nullable=False),
    Column("month", Integer, nullable=False),
    Column("amount", Money(), nullable=False),
    Column("reference", String(40), nullable=False),
    Column("settled_on", Date, nullable=False),
    Column("reverses_id", ForeignKey("rail_settlements.id")),
    Column("reason", Text),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    CheckConstraint("month BETWEEN 1 AND 12", name="month"),
    Index("ix_rail_settlements_month", "client_id", "year", "month"),
    Index("ix_rail_settlements_reverses", "reverses_id", unique=True),
    Index("ix_rail_settlements_reference", "client_id", "reference", unique=True),
)

TABLES = (
    stations,
    station_history,
    qualifications,
    certificates,
    volume_forms,
    volume_signatures,
    volume_lines,
    region_growth,
    monthly_plans,
    monthly_plan_lines,
    loading_batches,
    loadings,
    settlements,
)
