"""The power plugin's tables (issue 7): profiles, applications and their documents, surveys,
plan revisions (quotes), notices and extensions, works, inspections, completion reports,
supply contracts, meter work tickets and their returns, billing accounts.

The first revision of the ``power`` branch; it depends on the core head when it was made,
0004_security (its applications point at workflow instances, its notices and contracts at
archive documents).

Revision ID: power_0001
Revises: (none: branch base)
Create Date: 2026-11-27 02:01:23.347756
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmcore.store.types

revision: str = "power_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("power",)
depends_on: str | Sequence[str] | None = "0004_security"


def upgrade() -> None:
    op.create_table(
        "power_profiles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("voltage", sa.String(length=10), nullable=False),
        sa.Column(
            "contracted_capacity_kva",
            crmcore.store.types.ExactDecimal(scale=2, precision=18),
            nullable=False,
        ),
        sa.Column("load_class", sa.String(length=1), nullable=True),
        sa.Column("priority", sa.String(length=10), nullable=True),
        sa.Column(
            "annual_consumption_kwh",
            crmcore.store.types.ExactDecimal(scale=2, precision=18),
            nullable=True,
        ),
        sa.Column("annual_revenue", crmcore.store.types.Money(), nullable=True),
        sa.Column("credit_status", sa.String(length=10), nullable=True),
        sa.Column("standing", sa.String(length=200), nullable=True),
        sa.Column("business_condition", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_power_profiles_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_profiles_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_profiles")),
    )
    with op.batch_alter_table("power_profiles", schema=None) as batch_op:
        batch_op.create_index("ix_power_profiles_version", ["client_id", "version"], unique=True)

    op.create_table(
        "power_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("voltage", sa.String(length=10), nullable=False),
        sa.Column(
            "capacity_kva", crmcore.store.types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("sources", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("applied_on", sa.Date(), nullable=False),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_power_applications_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instances.id"],
            name=op.f("fk_power_applications_instance_id_workflow_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_applications_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_applications")),
        sa.UniqueConstraint("number", name=op.f("uq_power_applications_number")),
    )
    with op.batch_alter_table("power_applications", schema=None) as batch_op:
        batch_op.create_index("ix_power_applications_client_id", ["client_id"], unique=False)

    op.create_table(
        "power_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("voltage", sa.String(length=10), nullable=False),
        sa.Column(
            "capacity_kva", crmcore.store.types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_accounts_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_power_accounts_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_accounts_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_accounts")),
        sa.UniqueConstraint("application_id", name=op.f("uq_power_accounts_application_id")),
        sa.UniqueConstraint("number", name=op.f("uq_power_accounts_number")),
    )
    with op.batch_alter_table("power_accounts", schema=None) as batch_op:
        batch_op.create_index("ix_power_accounts_client_id", ["client_id"], unique=False)

    op.create_table(
        "power_completions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("documents", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_completions_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_completions_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_completions")),
        sa.UniqueConstraint("application_id", name=op.f("uq_power_completions_application_id")),
    )
    op.create_table(
        "power_contracts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_contracts_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_power_contracts_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_contracts_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_contracts")),
        sa.UniqueConstraint("application_id", name=op.f("uq_power_contracts_application_id")),
    )
    op.create_table(
        "power_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_documents_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_documents_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_documents")),
    )
    with op.batch_alter_table("power_documents", schema=None) as batch_op:
        batch_op.create_index("ix_power_documents_name", ["application_id", "name"], unique=True)

    op.create_table(
        "power_inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=True),
        sa.Column("rectifications", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("fee", crmcore.store.types.Money(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_inspections_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_inspections_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_inspections")),
    )
    with op.batch_alter_table("power_inspections", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_inspections_seq", ["application_id", "kind", "seq"], unique=True
        )

    op.create_table(
        "power_meter_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_meter_tickets_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_meter_tickets_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_meter_tickets")),
        sa.UniqueConstraint("application_id", name=op.f("uq_power_meter_tickets_application_id")),
        sa.UniqueConstraint("number", name=op.f("uq_power_meter_tickets_number")),
    )
    op.create_table(
        "power_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("quote_number", sa.String(length=30), nullable=False),
        sa.Column("voltage", sa.String(length=10), nullable=False),
        sa.Column(
            "capacity_kva", crmcore.store.types.ExactDecimal(scale=2, precision=18), nullable=False
        ),
        sa.Column("sources", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("fees", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("total", crmcore.store.types.Money(), nullable=False),
        sa.Column("pay_into", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_plans_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_plans_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_plans")),
        sa.UniqueConstraint("quote_number", name=op.f("uq_power_plans_quote_number")),
    )
    with op.batch_alter_table("power_plans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_plans_revision", ["application_id", "revision"], unique=True
        )
        batch_op.create_index(
            "ix_power_plans_step", ["application_id", "instance_version"], unique=True
        )

    op.create_table(
        "power_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("surveyed_on", sa.Date(), nullable=False),
        sa.Column("participants", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_surveys_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_surveys_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_surveys")),
    )
    with op.batch_alter_table("power_surveys", schema=None) as batch_op:
        batch_op.create_index(
            "ix_power_surveys_step", ["application_id", "instance_version"], unique=True
        )

    op.create_table(
        "power_works",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("designer", sa.String(length=200), nullable=False),
        sa.Column("builder", sa.String(length=200), nullable=False),
        sa.Column("qualification", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_works_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_works_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_works")),
        sa.UniqueConstraint("application_id", name=op.f("uq_power_works_application_id")),
    )
    op.create_table(
        "power_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("period_months", sa.Integer(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["power_applications.id"],
            name=op.f("fk_power_notices_application_id_power_applications"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_power_notices_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["power_plans.id"], name=op.f("fk_power_notices_plan_id_power_plans")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_notices_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_notices")),
        sa.UniqueConstraint("application_id", name=op.f("uq_power_notices_application_id")),
    )
    op.create_table(
        "power_ticket_returns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_ticket_returns_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["power_meter_tickets.id"],
            name=op.f("fk_power_ticket_returns_ticket_id_power_meter_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_ticket_returns")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_power_ticket_returns_ticket_id")),
    )
    op.create_table(
        "power_extensions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("instance_version", sa.Integer(), nullable=False),
        sa.Column("asked_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("valid_until_before", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["power_notices.id"],
            name=op.f("fk_power_extensions_notice_id_power_notices"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_power_extensions_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_power_extensions")),
    )
    with op.batch_alter_table("power_extensions", schema=None) as batch_op:
        batch_op.create_index("ix_power_extensions_seq", ["notice_id", "seq"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("power_extensions", schema=None) as batch_op:
        batch_op.drop_index("ix_power_extensions_seq")

    op.drop_table("power_extensions")
    op.drop_table("power_ticket_returns")
    op.drop_table("power_notices")
    op.drop_table("power_works")
    with op.batch_alter_table("power_surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_power_surveys_step")

    op.drop_table("power_surveys")
    with op.batch_alter_table("power_plans", schema=None) as batch_op:
        batch_op.drop_index("ix_power_plans_step")
        batch_op.drop_index("ix_power_plans_revision")

    op.drop_table("power_plans")
    op.drop_table("power_meter_tickets")
    with op.batch_alter_table("power_inspections", schema=None) as batch_op:
        batch_op.drop_index("ix_power_inspections_seq")

    op.drop_table("power_inspections")
    with op.batch_alter_table("power_documents", schema=None) as batch_op:
        batch_op.drop_index("ix_power_documents_name")

    op.drop_table("power_documents")
    op.drop_table("power_contracts")
    op.drop_table("power_completions")
    with op.batch_alter_table("power_accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_power_accounts_client_id")

    op.drop_table("power_accounts")
    with op.batch_alter_table("power_applications", schema=None) as batch_op:
        batch_op.drop_index("ix_power_applications_client_id")

    op.drop_table("power_applications")
    with op.batch_alter_table("power_profiles", schema=None) as batch_op:
        batch_op.drop_index("ix_power_profiles_version")

    op.drop_table("power_profiles")
