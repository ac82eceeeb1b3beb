"""Railway freight key accounts (issue 8): stations, qualification facts, certificates,
annual volume forms and their signatures, region growth figures, monthly plans, loadings and
freight settlements.

The first revision of the ``rail`` branch; it depends on the core revision that holds the
workflow and archive tables its certificates and forms refer to (0004_security: documents).

Revision ID: rail_0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmcore.store.types

revision: str = "rail_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("rail",)
depends_on: str | Sequence[str] | None = "0004_security"


def upgrade() -> None:
    op.create_table(
        "rail_region_growth",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=100), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "percent", crmcore.store.types.ExactDecimal(scale=2, precision=8), nullable=False
        ),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("set_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("set_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_rail_region_growth_set_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_region_growth")),
    )
    op.create_index(
        "ix_rail_region_growth_key", "rail_region_growth", ["region", "year", "id"], unique=False
    )
    op.create_table(
        "rail_stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=10), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("bureau", sa.String(length=50), nullable=False),
        sa.Column("fmos", sa.Boolean(), nullable=False),
        sa.Column("whole_train_loading", sa.Boolean(), nullable=False),
        sa.Column("whole_train_unloading", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_rail_stations_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_stations")),
        sa.UniqueConstraint("code", name=op.f("uq_rail_stations_code")),
    )
    op.create_index("ix_rail_stations_bureau", "rail_stations", ["bureau"], unique=False)
    op.create_table(
        "rail_loading_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("granularity", sa.String(length=10), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("imported_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "granularity IN ('daily', 'monthly')", name=op.f("ck_rail_loading_batches_granularity")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_loading_batches_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["imported_by"], ["users.id"], name=op.f("fk_rail_loading_batches_imported_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_loading_batches")),
    )
    op.create_index(
        "ix_rail_loading_batches_file", "rail_loading_batches", ["client_id", "sha256"], unique=True
    )
    op.create_table(
        "rail_monthly_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("total", crmcore.store.types.ExactDecimal(scale=3, precision=18), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_rail_monthly_plans_month")),
        sa.CheckConstraint("total >= 0", name=op.f("ck_rail_monthly_plans_total")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_monthly_plans_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_rail_monthly_plans_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_monthly_plans")),
    )
    op.create_index(
        "ix_rail_monthly_plans_key",
        "rail_monthly_plans",
        ["client_id", "year", "month", "version"],
        unique=True,
    )
    op.create_table(
        "rail_qualifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("party", sa.String(length=10), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "annual_tonnage",
            crmcore.store.types.ExactDecimal(scale=3, precision=18),
            nullable=False,
        ),
        sa.Column("annual_freight", crmcore.store.types.Money(), nullable=False),
        sa.Column("state_key_enterprise", sa.Boolean(), nullable=False),
        sa.Column("follows_railway_rules", sa.Boolean(), nullable=False),
        sa.Column("owns_goods", sa.Boolean(), nullable=False),
        sa.Column("pays_freight", sa.Boolean(), nullable=False),
        sa.Column("accepts_charter", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "party IN ('shipper', 'consignee')", name=op.f("ck_rail_qualifications_party")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_qualifications_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_rail_qualifications_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["rail_stations.id"],
            name=op.f("fk_rail_qualifications_station_id_rail_stations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_qualifications")),
    )
    op.create_index(
        "ix_rail_qualifications_client", "rail_qualifications", ["client_id", "id"], unique=False
    )
    op.create_table(
        "rail_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("amount", crmcore.store.types.Money(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("settled_on", sa.Date(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_rail_settlements_month")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_settlements_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_rail_settlements_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["rail_settlements.id"],
            name=op.f("fk_rail_settlements_reverses_id_rail_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_settlements")),
    )
    op.create_index(
        "ix_rail_settlements_month",
        "rail_settlements",
        ["client_id", "year", "month"],
        unique=False,
    )
    op.create_index(
        "ix_rail_settlements_reference", "rail_settlements", ["client_id", "reference"], unique=True
    )
    op.create_index(
        "ix_rail_settlements_reverses", "rail_settlements", ["reverses_id"], unique=True
    )
    op.create_table(
        "rail_station_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("changes", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("changed_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("changed_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["users.id"], name=op.f("fk_rail_station_history_changed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["rail_stations.id"],
            name=op.f("fk_rail_station_history_station_id_rail_stations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_station_history")),
    )
    op.create_index(
        "ix_rail_station_history_station",
        "rail_station_history",
        ["station_id", "version"],
        unique=True,
    )
    op.create_table(
        "rail_volume_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "stage IN ('client', 'bureau', 'ministry')", name=op.f("ck_rail_volume_forms_stage")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_volume_forms_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_rail_volume_forms_document_id_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_volume_forms")),
    )
    op.create_index(
        "ix_rail_volume_forms_year", "rail_volume_forms", ["client_id", "year"], unique=True
    )
    op.create_table(
        "rail_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("qualification_id", sa.Integer(), nullable=False),
        sa.Column("workflow_instance_id", sa.Integer(), nullable=False),
        sa.Column("renews_id", sa.Integer(), nullable=True),
        sa.Column("issued_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("ended_at", crmcore.store.types.UTCDateTime(), nullable=True),
        sa.Column("ended_by", sa.Integer(), nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('issued', 'revoked', 'superseded', 'expired')",
            name=op.f("ck_rail_certificates_status"),
        ),
        sa.CheckConstraint("valid_until >= valid_from", name=op.f("ck_rail_certificates_validity")),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_certificates_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_rail_certificates_document_id_documents"),
        ),
        sa.ForeignKeyConstraint(
            ["ended_by"], ["users.id"], name=op.f("fk_rail_certificates_ended_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["qualification_id"],
            ["rail_qualifications.id"],
            name=op.f("fk_rail_certificates_qualification_id_rail_qualifications"),
        ),
        sa.ForeignKeyConstraint(
            ["renews_id"],
            ["rail_certificates.id"],
            name=op.f("fk_rail_certificates_renews_id_rail_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["workflow_instance_id"],
            ["workflow_instances.id"],
            name=op.f("fk_rail_certificates_workflow_instance_id_workflow_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_rail_certificates_number")),
    )
    op.create_index("ix_rail_certificates_client", "rail_certificates", ["client_id"], unique=False)
    op.create_index(
        "ix_rail_certificates_issued",
        "rail_certificates",
        ["client_id"],
        unique=True,
        sqlite_where=sa.text("status = 'issued'"),
        postgresql_where=sa.text("status = 'issued'"),
    )
    op.create_table(
        "rail_loadings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("loaded_on", sa.Date(), nullable=True),
        sa.Column("origin_id", sa.Integer(), nullable=False),
        sa.Column("destination_id", sa.Integer(), nullable=False),
        sa.Column("consignee", sa.String(length=100), nullable=True),
        sa.Column(
            "tonnage", crmcore.store.types.ExactDecimal(scale=3, precision=18), nullable=False
        ),
        sa.Column("wagons", sa.Integer(), nullable=True),
        sa.Column("freight", crmcore.store.types.Money(), nullable=True),
        sa.Column("waybill", sa.String(length=40), nullable=True),
        sa.CheckConstraint("month BETWEEN 1 AND 12", name=op.f("ck_rail_loadings_month")),
        sa.CheckConstraint("tonnage >= 0", name=op.f("ck_rail_loadings_tonnage")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["rail_loading_batches.id"],
            name=op.f("fk_rail_loadings_batch_id_rail_loading_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_rail_loadings_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["rail_stations.id"],
            name=op.f("fk_rail_loadings_destination_id_rail_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["rail_stations.id"],
            name=op.f("fk_rail_loadings_origin_id_rail_stations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_loadings")),
    )
    op.create_index("ix_rail_loadings_batch", "rail_loadings", ["batch_id"], unique=False)
    op.create_index(
        "ix_rail_loadings_month", "rail_loadings", ["client_id", "year", "month"], unique=False
    )
    op.create_table(
        "rail_monthly_plan_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column(
            "tonnage", crmcore.store.types.ExactDecimal(scale=3, precision=18), nullable=False
        ),
        sa.CheckConstraint(
            "kind IN ('direction', 'consignee')", name=op.f("ck_rail_monthly_plan_lines_kind")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["rail_monthly_plans.id"],
            name=op.f("fk_rail_monthly_plan_lines_plan_id_rail_monthly_plans"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_monthly_plan_lines")),
    )
    op.create_index(
        "ix_rail_monthly_plan_lines_plan", "rail_monthly_plan_lines", ["plan_id"], unique=False
    )
    op.create_table(
        "rail_volume_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("total", crmcore.store.types.ExactDecimal(scale=3, precision=18), nullable=False),
        sa.Column(
            "contracted", crmcore.store.types.ExactDecimal(scale=3, precision=18), nullable=True
        ),
        sa.Column("signer", sa.String(length=50), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("late_reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "stage IN ('client', 'bureau', 'ministry')",
            name=op.f("ck_rail_volume_signatures_stage"),
        ),
        sa.CheckConstraint(
            "late = (signed_on > deadline)", name=op.f("ck_rail_volume_signatures_late_flag")
        ),
        sa.ForeignKeyConstraint(
            ["form_id"],
            ["rail_volume_forms.id"],
            name=op.f("fk_rail_volume_signatures_form_id_rail_volume_forms"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_rail_volume_signatures_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_volume_signatures")),
    )
    op.create_index(
        "ix_rail_volume_signatures_stage",
        "rail_volume_signatures",
        ["form_id", "stage"],
        unique=True,
    )
    op.create_table(
        "rail_volume_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("origin_id", sa.Integer(), nullable=True),
        sa.Column("destination_id", sa.Integer(), nullable=True),
        sa.Column(
            "tonnage", crmcore.store.types.ExactDecimal(scale=3, precision=18), nullable=False
        ),
        sa.Column("trains", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('direction', 'consignee', 'train')", name=op.f("ck_rail_volume_lines_kind")
        ),
        sa.CheckConstraint("tonnage >= 0", name=op.f("ck_rail_volume_lines_tonnage")),
        sa.ForeignKeyConstraint(
            ["destination_id"],
            ["rail_stations.id"],
            name=op.f("fk_rail_volume_lines_destination_id_rail_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_id"],
            ["rail_stations.id"],
            name=op.f("fk_rail_volume_lines_origin_id_rail_stations"),
        ),
        sa.ForeignKeyConstraint(
            ["signature_id"],
            ["rail_volume_signatures.id"],
            name=op.f("fk_rail_volume_lines_signature_id_rail_volume_signatures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rail_volume_lines")),
    )
    op.create_index(
        "ix_rail_volume_lines_signature", "rail_volume_lines", ["signature_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_rail_volume_lines_signature", table_name="rail_volume_lines")
    op.drop_table("rail_volume_lines")
    op.drop_index("ix_rail_volume_signatures_stage", table_name="rail_volume_signatures")
    op.drop_table("rail_volume_signatures")
    op.drop_index("ix_rail_monthly_plan_lines_plan", table_name="rail_monthly_plan_lines")
    op.drop_table("rail_monthly_plan_lines")
    op.drop_index("ix_rail_loadings_month", table_name="rail_loadings")
    op.drop_index("ix_rail_loadings_batch", table_name="rail_loadings")
    op.drop_table("rail_loadings")
    op.drop_index(
        "ix_rail_certificates_issued",
        table_name="rail_certificates",
        sqlite_where=sa.text("status = 'issued'"),
        postgresql_where=sa.text("status = 'issued'"),
    )
    op.drop_index("ix_rail_certificates_client", table_name="rail_certificates")
    op.drop_table("rail_certificates")
    op.drop_index("ix_rail_volume_forms_year", table_name="rail_volume_forms")
    op.drop_table("rail_volume_forms")
    op.drop_index("ix_rail_station_history_station", table_name="rail_station_history")
    op.drop_table("rail_station_history")
    op.drop_index("ix_rail_settlements_reverses", table_name="rail_settlements")
    op.drop_index("ix_rail_settlements_reference", table_name="rail_settlements")
    op.drop_index("ix_rail_settlements_month", table_name="rail_settlements")
    op.drop_table("rail_settlements")
    op.drop_index("ix_rail_qualifications_client", table_name="rail_qualifications")
    op.drop_table("rail_qualifications")
    op.drop_index("ix_rail_monthly_plans_key", table_name="rail_monthly_plans")
    op.drop_table("rail_monthly_plans")
    op.drop_index("ix_rail_loading_batches_file", table_name="rail_loading_batches")
    op.drop_table("rail_loading_batches")
    op.drop_index("ix_rail_stations_bureau", table_name="rail_stations")
    op.drop_table("rail_stations")
    op.drop_index("ix_rail_region_growth_key", table_name="rail_region_growth")
    op.drop_table("rail_region_growth")
