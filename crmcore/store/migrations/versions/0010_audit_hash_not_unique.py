"""The audit trail's ``hash`` is no longer a unique constraint (issue 9).

Revision ID: 0010_audit_hash_not_unique
Revises: 0009_client_custodian_index
Create Date: 2026-11-27 19:00:00

Every search writes a look-up record per client shown (CORE-CONF-2), ~20 rows. Each unique
index on a hash is a B-tree of random keys, so every row lands on a page of its own: with
1.3M events on PostgreSQL the 20 rows took 2.5 ms with both hash indexes, 0.8 ms without the
one on ``hash`` (docs/performance.md), and the trail only grows. The constraint guarded
nothing: ``hash`` is ``sha256(prev_hash || event)`` and ``prev_hash`` stays unique (two writers
cannot fork the chain), as does ``seq``; ``verify`` recomputes every hash anyway.

SQLite cannot drop a constraint written in ``CREATE TABLE``: the table is rebuilt, which drops
its append-only triggers, so they are made again (the same as 0001's).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_audit_hash_not_unique"
down_revision: str | Sequence[str] | None = "0009_client_custodian_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAME = "uq_audit_events_hash"
_REFUSAL = "audit_events is append-only"


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(_NAME, "audit_events", type_="unique")
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.drop_constraint(_NAME, type_="unique")
    _guard_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.create_unique_constraint(_NAME, "audit_events", ["hash"])
        return
    with op.batch_alter_table("audit_events", recreate="always") as batch:
        batch.create_unique_constraint(_NAME, ["hash"])
    _guard_sqlite()


def _guard_sqlite() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
        )
