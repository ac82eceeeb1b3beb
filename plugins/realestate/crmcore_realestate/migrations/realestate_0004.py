"""The real estate plugin's issue-6 remainder: the buyer's signed copy of a ticket is held
(RE-TICKET-1, 「留存客户签字联即可」); a contract's list of relationships a buyer may be renamed
to, with the proofs recognised and each one's price policy (RE-RENAME-1, rules-audit 1.9);
the dated price policy for relationship units and their payments, late ones repriced at the
policy in force on the day of payment (RE-REL-1, rules-audit 1.16).

Revision ID: realestate_0004
Revises: realestate_0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmcore.store import JsonDict, Money, UTCDateTime

revision: str = "realestate_0004"
down_revision: str | Sequence[str] | None = "realestate_0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recorded() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "realestate_signatures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "ticket_id",
            sa.Integer(),
            sa.ForeignKey("realestate_tickets.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("document_id", sa.Integer(), sa.ForeignKey("documents.id")),
        *_recorded(),
    )
    op.create_table(
        "realestate_rename_terms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "list_id", sa.Integer(), sa.ForeignKey("realestate_buyer_lists.id"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("terms", JsonDict, nullable=False),
        *_recorded(),
    )
    op.create_index(
        "ix_realestate_rename_terms_version",
        "realestate_rename_terms",
        ["list_id", "version"],
        unique=True,
    )

    op.create_table(
        "realestate_relation_prices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=20), nullable=False, unique=True),
        sa.Column("average_price", Money(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200)),
        sa.Column("approved_by", sa.Integer(), sa.ForeignKey("users.id")),
        sa.Column("approved_at", UTCDateTime()),
        *_recorded(),
    )
    op.create_index(
        "ix_realestate_relation_prices_from", "realestate_relation_prices", ["valid_from"]
    )
    op.create_table(
        "realestate_relation_payments",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number", sa.String(length=20), nullable=False, unique=True),
        sa.Column(
            "relation_id", sa.Integer(), sa.ForeignKey("realestate_relations.id"), nullable=False
        ),
        sa.Column("amount", Money(), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("unit_price", Money(), nullable=False),
        sa.Column("price_id", sa.Integer(), sa.ForeignKey("realestate_relation_prices.id")),
        sa.Column("due", Money(), nullable=False),
        *_recorded(),
    )
    op.create_index(
        "ix_realestate_relation_payments_relation", "realestate_relation_payments", ["relation_id"]
    )


def downgrade() -> None:
    op.drop_table("realestate_relation_payments")
    op.drop_table("realestate_relation_prices")
    op.drop_index("ix_realestate_rename_terms_version", table_name="realestate_rename_terms")
    op.drop_table("realestate_rename_terms")
    op.drop_table("realestate_signatures")
