r"""PostgreSQL appends audit events in one round trip when the writer knows the chain's head.

Revision ID: 0014_audit_chain_append
Revises: 0013_search_next_matches
Create Date: 2026-11-28 17:10:00

Each transaction that records events took two round trips to write them: ``audit_chain_head``
(the lock, then the head, 0012) and the INSERT, whose hashes Python computes from that head.
On the 2-vCPU bench machine a round trip costs ~0.4 ms, and a search writes its look-ups
(CORE-CONF-2) this way every time. ``audit_chain_append`` takes the lock, compares the head
with the one the writer expects (the head its process wrote last) and inserts the events only
if they match. Otherwise it inserts nothing and returns the head, and the writer hashes the
events again from it and calls once more (now holding the lock, so this second call cannot
miss). The hashes and seals stay in Python: the seal key never reaches the server.

SQLite is unchanged (``BEGIN IMMEDIATE`` already serialises writers).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014_audit_chain_append"
down_revision: str | Sequence[str] | None = "0013_search_next_matches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_APPEND = """
CREATE FUNCTION audit_chain_append(
    p_lock bigint, p_seq integer, p_hash text,
    p_at timestamptz, p_actor text, p_door text, p_rows json,
    OUT written boolean, OUT seq integer, OUT hash text)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    SELECT e.seq, e.hash INTO seq, hash FROM audit_events AS e ORDER BY e.seq DESC LIMIT 1;
    written := seq IS NOT DISTINCT FROM p_seq AND hash IS NOT DISTINCT FROM p_hash;
    IF written THEN
        INSERT INTO audit_events (at, actor, door, seq, action, entity, entity_id, client_id,
                                  body, prev_hash, hash, seal)
        SELECT p_at, p_actor, p_door, e.*
        FROM json_to_recordset(p_rows) AS e(seq integer, action text, entity text,
            entity_id text, client_id integer, body text, prev_hash text, hash text, seal text);
    END IF;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(_APPEND)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(
            "DROP FUNCTION audit_chain_append(bigint, integer, text, timestamptz, text, text, json)"
        )
