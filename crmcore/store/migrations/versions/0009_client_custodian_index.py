"""An index on ``clients.custodian_id`` (issue 9).

Revision ID: 0009_client_custodian_index
Revises: 0008_search_pg
Create Date: 2026-11-27 14:05:00

Which clients a user may read is an OR of relationships (owner, custodian, staff, grants,
unit). With an index behind every arm PostgreSQL answers it with a BitmapOr; without one on
the custodian it tested every client (350 ms against 0.3 ms to find an account manager's 200
clients among 1M, docs/performance.md).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_client_custodian_index"
down_revision: str | Sequence[str] | None = "0008_search_pg"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_clients_custodian_id", "clients", ["custodian_id"])


def downgrade() -> None:
    op.drop_index("ix_clients_custodian_id", table_name="clients")
