"""The real estate plugin's issue-6 remainder: the buyer's signed copy of a ticket is held
(RE-TICKET-1, 「留存客户签字联即可」); a contract's list of relationships a buyer may be renamed
to, with the proofs recognised and each one's price policy (RE-RENAME-1, rules-audit 1.9).

Revision ID: realestate_0004
Revises: realestate_0003
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from crmcore.store import JsonDict, UTCDateTime

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


def downgrade() -> None:
    op.drop_index("ix_realestate_rename_terms_version", table_name="realestate_rename_terms")
    op.drop_table("realestate_rename_terms")
    op.drop_table("realestate_signatures")
