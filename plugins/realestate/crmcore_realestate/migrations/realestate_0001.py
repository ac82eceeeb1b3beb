"""The real estate plugin's tables (issue 6, sales floor and money trail): projects, buildings
and units (the control table), financing targets, releases, approved averages (the price gate's
store), buyer lists with their buyers and checks, tickets, receipts, vouchers, red reversals,
changes (renames, mortgage switches), account transfers and relationship units.

The first revision of the ``realestate`` branch; it depends on the core head it was made at.

Revision ID: realestate_0001
Revises: (none: branch base)
Create Date: 2026-11-27 03:44:53
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import crmcore.store.types

revision: str = "realestate_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("realestate",)
depends_on: str | Sequence[str] | None = "0004_security"

TABLES = (
    "realestate_projects",
    "realestate_buildings",
    "realestate_targets",
    "realestate_releases",
    "realestate_units",
    "realestate_buyer_lists",
    "realestate_buyers",
    "realestate_list_checks",
    "realestate_tickets",
    "realestate_receipts",
    "realestate_vouchers",
    "realestate_reversals",
    "realestate_changes",
    "realestate_transfers",
    "realestate_relations",
)


def upgrade() -> None:
    op.create_table(
        "realestate_projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_projects_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_realestate_projects_code")),
    )
    op.create_table(
        "realestate_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.Integer(), nullable=True),
        sa.Column("amount", crmcore.store.types.Money(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_targets_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_targets")),
    )
    op.create_index(
        "ix_realestate_targets_period", "realestate_targets", ["year", "quarter"], unique=False
    )
    op.create_table(
        "realestate_buildings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["realestate_projects.id"],
            name=op.f("fk_realestate_buildings_project_id_realestate_projects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_buildings")),
    )
    op.create_index(
        "ix_realestate_buildings_code", "realestate_buildings", ["project_id", "code"], unique=True
    )
    op.create_table(
        "realestate_buyer_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("selection_deadline", sa.Date(), nullable=True),
        sa.Column("payment_deadline", sa.Date(), nullable=True),
        sa.Column("rename_policy", sa.String(length=10), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_realestate_buyer_lists_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["realestate_projects.id"],
            name=op.f("fk_realestate_buyer_lists_project_id_realestate_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_buyer_lists_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_buyer_lists")),
        sa.UniqueConstraint("number", name=op.f("uq_realestate_buyer_lists_number")),
    )
    op.create_table(
        "realestate_transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", crmcore.store.types.Money(), nullable=False),
        sa.Column("on_date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_realestate_transfers_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_transfers_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_transfers")),
    )
    op.create_table(
        "realestate_buyers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("id_number_cipher", sa.LargeBinary(), nullable=True),
        sa.Column("id_number_key", sa.String(length=16), nullable=True),
        sa.Column("id_number_index", sa.String(length=64), nullable=True),
        sa.Column("id_number_masked", sa.String(length=18), nullable=True),
        sa.Column("flagged", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["realestate_buyer_lists.id"],
            name=op.f("fk_realestate_buyers_list_id_realestate_buyer_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_buyers_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_buyers")),
    )
    op.create_index(
        op.f("ix_realestate_buyers_id_number_index"),
        "realestate_buyers",
        ["id_number_index"],
        unique=False,
    )
    op.create_table(
        "realestate_list_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["realestate_buyer_lists.id"],
            name=op.f("fk_realestate_list_checks_list_id_realestate_buyer_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_list_checks_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_list_checks")),
    )
    op.create_index(
        "ix_realestate_list_checks_role", "realestate_list_checks", ["list_id", "role"], unique=True
    )
    op.create_table(
        "realestate_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("unit_ids", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("warnings", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_realestate_releases_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["workflow_instances.id"],
            name=op.f("fk_realestate_releases_instance_id_workflow_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["realestate_projects.id"],
            name=op.f("fk_realestate_releases_project_id_realestate_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_releases_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["realestate_targets.id"],
            name=op.f("fk_realestate_releases_target_id_realestate_targets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_releases")),
        sa.UniqueConstraint("number", name=op.f("uq_realestate_releases_number")),
    )
    op.create_table(
        "realestate_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column("layout", sa.String(length=30), nullable=False),
        sa.Column("area", crmcore.store.types.ExactDecimal(scale=2, precision=18), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("release_id", sa.Integer(), nullable=True),
        sa.Column("holder", sa.String(length=100), nullable=True),
        sa.Column("updated_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["realestate_buildings.id"],
            name=op.f("fk_realestate_units_building_id_realestate_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_realestate_units_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["realestate_projects.id"],
            name=op.f("fk_realestate_units_project_id_realestate_projects"),
        ),
        sa.ForeignKeyConstraint(
            ["release_id"],
            ["realestate_releases.id"],
            name=op.f("fk_realestate_units_release_id_realestate_releases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_units")),
    )
    op.create_index(
        "ix_realestate_units_code", "realestate_units", ["building_id", "code"], unique=True
    )
    op.create_index(
        "ix_realestate_units_project", "realestate_units", ["project_id", "status"], unique=False
    )
    op.create_table(
        "realestate_relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("handler", sa.String(length=50), nullable=False),
        sa.Column("department", sa.String(length=50), nullable=False),
        sa.Column("phone_approver", sa.String(length=50), nullable=False),
        sa.Column("average_price", crmcore.store.types.Money(), nullable=False),
        sa.Column(
            "payment_ratio", crmcore.store.types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column("payment_date", sa.Date(), nullable=False),
        sa.Column("approved_on", sa.Date(), nullable=False),
        sa.Column("paperwork_due", sa.Date(), nullable=False),
        sa.Column("paperwork_on", sa.Date(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_relations_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["realestate_units.id"],
            name=op.f("fk_realestate_relations_unit_id_realestate_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_relations")),
    )
    op.create_table(
        "realestate_tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("buyer_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("unit_price", crmcore.store.types.Money(), nullable=False),
        sa.Column("area", crmcore.store.types.ExactDecimal(scale=2, precision=18), nullable=False),
        sa.Column("total", crmcore.store.types.Money(), nullable=False),
        sa.Column("discount", crmcore.store.types.Money(), nullable=False),
        sa.Column("discounts", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("payment_mode", sa.String(length=12), nullable=False),
        sa.Column(
            "payment_ratio", crmcore.store.types.ExactDecimal(scale=4, precision=18), nullable=False
        ),
        sa.Column("due", crmcore.store.types.Money(), nullable=False),
        sa.Column("reservation_fee", crmcore.store.types.Money(), nullable=True),
        sa.Column("carried_over", crmcore.store.types.Money(), nullable=False),
        sa.Column("replaces_id", sa.Integer(), nullable=True),
        sa.Column("checked_by", sa.Integer(), nullable=True),
        sa.Column("checked_at", crmcore.store.types.UTCDateTime(), nullable=True),
        sa.Column("live_unit_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buyer_id"],
            ["realestate_buyers.id"],
            name=op.f("fk_realestate_tickets_buyer_id_realestate_buyers"),
        ),
        sa.ForeignKeyConstraint(
            ["checked_by"], ["users.id"], name=op.f("fk_realestate_tickets_checked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_realestate_tickets_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_tickets_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"],
            ["realestate_tickets.id"],
            name=op.f("fk_realestate_tickets_replaces_id_realestate_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["realestate_units.id"],
            name=op.f("fk_realestate_tickets_unit_id_realestate_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_tickets")),
        sa.UniqueConstraint("number", name=op.f("uq_realestate_tickets_number")),
    )
    op.create_index("ix_realestate_tickets_buyer", "realestate_tickets", ["buyer_id"], unique=False)
    op.create_index(
        "ix_realestate_tickets_live_unit", "realestate_tickets", ["live_unit_id"], unique=True
    )
    op.create_table(
        "realestate_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("to_buyer_id", sa.Integer(), nullable=True),
        sa.Column("fee", crmcore.store.types.Money(), nullable=False),
        sa.Column("detail", crmcore.store.types.JsonDocument(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_changes_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["realestate_tickets.id"],
            name=op.f("fk_realestate_changes_ticket_id_realestate_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["to_buyer_id"],
            ["realestate_buyers.id"],
            name=op.f("fk_realestate_changes_to_buyer_id_realestate_buyers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_changes")),
    )
    op.create_index(
        "ix_realestate_changes_ticket", "realestate_changes", ["ticket_id"], unique=False
    )
    op.create_table(
        "realestate_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", crmcore.store.types.Money(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_realestate_receipts_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_receipts_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["realestate_tickets.id"],
            name=op.f("fk_realestate_receipts_ticket_id_realestate_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_receipts")),
        sa.UniqueConstraint("number", name=op.f("uq_realestate_receipts_number")),
    )
    op.create_index(
        "ix_realestate_receipts_ticket", "realestate_receipts", ["ticket_id"], unique=False
    )
    op.create_table(
        "realestate_vouchers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("amount", crmcore.store.types.Money(), nullable=False),
        sa.Column("countersigned_by", sa.Integer(), nullable=True),
        sa.Column("countersigned_at", crmcore.store.types.UTCDateTime(), nullable=True),
        sa.Column("live_unit_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["countersigned_by"],
            ["users.id"],
            name=op.f("fk_realestate_vouchers_countersigned_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_vouchers_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["realestate_tickets.id"],
            name=op.f("fk_realestate_vouchers_ticket_id_realestate_tickets"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_vouchers")),
        sa.UniqueConstraint("number", name=op.f("uq_realestate_vouchers_number")),
    )
    op.create_index(
        "ix_realestate_vouchers_live_unit", "realestate_vouchers", ["live_unit_id"], unique=True
    )
    op.create_index(
        "ix_realestate_vouchers_ticket", "realestate_vouchers", ["ticket_id"], unique=False
    )
    op.create_table(
        "realestate_reversals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("voucher_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=24), nullable=False),
        sa.Column("returned_papers", sa.Text(), nullable=False),
        sa.Column("recorded_at", crmcore.store.types.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_realestate_reversals_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["realestate_tickets.id"],
            name=op.f("fk_realestate_reversals_ticket_id_realestate_tickets"),
        ),
        sa.ForeignKeyConstraint(
            ["voucher_id"],
            ["realestate_vouchers.id"],
            name=op.f("fk_realestate_reversals_voucher_id_realestate_vouchers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realestate_reversals")),
        sa.UniqueConstraint("number", name=op.f("uq_realestate_reversals_number")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_realestate_reversals_ticket_id")),
        sa.UniqueConstraint("voucher_id", name=op.f("uq_realestate_reversals_voucher_id")),
    )


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
