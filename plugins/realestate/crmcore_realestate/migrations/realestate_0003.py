"""The real estate plugin's rest (issue 6): a release without a financing target is the
"in principle" (原则上) exception of RE-ALLOC-1 (rules-audit 1.13), so a release's target may be
absent and the exception's reason is recorded; a receipt booked from the receipts a buyer
handed in (RE-PAY-1's other trigger, rules-audit 1.6) names them.

Revision ID: realestate_0003
Revises: realestate_0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "realestate_0003"
down_revision: str | Sequence[str] | None = "realestate_0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("realestate_releases") as batch:
        batch.alter_column("target_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("exception_reason", sa.Text(), nullable=True))
    op.add_column("realestate_receipts", sa.Column("papers", sa.Text(), nullable=True))


def downgrade() -> None:
    """Refused by the database while a release without a target exists: they are records."""
    with op.batch_alter_table("realestate_receipts") as batch:
        batch.drop_column("papers")
    with op.batch_alter_table("realestate_releases") as batch:
        batch.drop_column("exception_reason")
        batch.alter_column("target_id", existing_type=sa.Integer(), nullable=False)
