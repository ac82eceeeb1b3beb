"""PostgreSQL takes the audit chain's lock and reads its head in one round trip (issue 9).

Revision ID: 0012_audit_chain_head
Revises: 0011_search_walk_plan
Create Date: 2026-11-27 22:20:00

Every transaction that records an event (each search records its look-ups, CORE-CONF-2)
took the chain's advisory lock, then read the head: two round trips, ~0.3 ms each on a
loopback connection (docs/performance.md). One statement cannot do both, since it would read
the head from a snapshot taken before the lock was granted. ``audit_chain_head`` can: it is
VOLATILE, so its SELECT takes a fresh snapshot after the lock.

SQLite is unchanged (``BEGIN IMMEDIATE`` already serialises writers).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012_audit_chain_head"
down_revision: str | Sequence[str] | None = "0011_search_walk_plan"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEAD = """
CREATE FUNCTION audit_chain_head(p_lock bigint, OUT seq integer, OUT hash text)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    SELECT e.seq, e.hash INTO seq, hash FROM audit_events AS e ORDER BY e.seq DESC LIMIT 1;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(_HEAD)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION audit_chain_head(bigint)")
