r"""PostgreSQL plans the search's statements on ``client_search`` in less time (issue 9).

Revision ID: 0011_search_walk_plan
Revises: 0010_audit_hash_not_unique
Create Date: 2026-11-27 22:20:00

Measured on 1M clients (docs/performance.md), planning cost more than running:

- The *walk* (``search_index._ranked``) reads rows in key order from a start key. Its plan
  is the same whatever the pattern, but with the start known PostgreSQL prunes the 40
  partitions while planning, so it plans it again at every call (1.0-1.4 ms, to run in
  0.3-0.5 ms). ``client_search_walk`` runs it with a generic plan, made once per connection;
  the partitions before the start are pruned when it runs (0.03 ms to plan).
- The *fetch* takes matches through each partition's trigram index. Its plan does depend on
  the pattern, so it stays a custom plan; what took the time was estimating the pattern
  against each partition's 100 most common values and 100 histogram bounds. With statistics
  of 10 on ``terms`` and ``grams`` PostgreSQL falls back to its estimate from the pattern
  alone: 1.5-1.7 ms to plan instead of 2.2-3.1, the same plans (bitmap scans of the trigram
  indexes).

SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_search_walk_plan"
down_revision: str | Sequence[str] | None = "0010_audit_hash_not_unique"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# NULL for a pattern means "no condition on that column" (search_index._patterns gives
# terms, grams, or both). A plpgsql function keeps its statement's plan for the session.
_WALK = r"""
CREATE FUNCTION client_search_walk(
    p_terms text, p_grams text, p_start bigint, p_rows integer,
    OUT n bigint, OUT last bigint, OUT hits bigint[])
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_generic_plan
AS $$
BEGIN
    SELECT count(*), max(w.key), array_agg(w.key) FILTER (WHERE w.hit)
    INTO n, last, hits
    FROM (
        SELECT s.key,
               (p_terms IS NULL OR s.terms LIKE p_terms ESCAPE '\')
               AND (p_grams IS NULL OR s.grams LIKE p_grams ESCAPE '\') AS hit
        FROM client_search AS s
        WHERE s.key >= p_start
        ORDER BY s.key
        LIMIT p_rows
    ) AS w;
END
$$
"""
_STATISTICS = (
    "ALTER TABLE client_search ALTER COLUMN terms SET STATISTICS {0}, "
    "ALTER COLUMN grams SET STATISTICS {0}"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute(_WALK)
    op.execute(_STATISTICS.format(10))
    op.execute("ANALYZE client_search")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP FUNCTION client_search_walk(text, text, bigint, integer)")
    op.execute(_STATISTICS.format(-1))
    op.execute("ANALYZE client_search")
