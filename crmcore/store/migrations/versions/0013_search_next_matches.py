r"""PostgreSQL finds the next matches of a search in one round trip (issue 9).

Revision ID: 0013_search_next_matches
Revises: 0012_audit_chain_head
Create Date: 2026-11-28 13:00:00

``search_index._ranked`` read the index in steps chosen from the data (walk the rank order
where matches are dense, fetch through the trigram index where they are rare, one name
length at a time), each step a statement: 2-6 round trips per tier, and more for the slow
tail. ``client_search_next`` takes the same steps inside the server and returns the first
``p_n`` matching keys from ``p_start``, in rank order; the caller checks access on them and
asks again from the last key if it needs more.

The walk keeps its generic plan (``client_search_walk``, 0011). The fetch is planned for its
values at each run (``EXECUTE``): a generic plan of it ANDed the trigram index with the key
index and took 190-510 ms instead of 2 ms (1M clients).

SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_search_next_matches"
down_revision: str | Sequence[str] | None = "0012_audit_chain_head"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# p_walk: rows walked before judging whether matches are dense; p_walk_max: the longest walk
# (each one twice the last); p_fetch_cap: the most matches fetched from the whole index at
# once, past which the fetch goes one name length (partition, 2^32 keys) at a time.
_NEXT = r"""
CREATE FUNCTION client_search_next(
    p_terms text, p_grams text, p_start bigint, p_n integer,
    p_walk integer, p_walk_max integer, p_fetch_cap integer)
RETURNS bigint[]
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    found bigint[] := '{}';
    got bigint[];
    rows_read bigint;
    last_key bigint;
    pos bigint := p_start;
    step integer := p_walk;
    first boolean := p_start = 0;  -- a call that goes on from an earlier one fetches by length
    length_end bigint;
    fetch_sql text := 'SELECT array_agg(m.key ORDER BY m.key) FROM (SELECT s.key'
        || ' FROM client_search AS s WHERE s.key >= $3 AND s.key < $4'
        || CASE WHEN p_terms IS NULL THEN '' ELSE ' AND s.terms LIKE $1 ESCAPE ''\''' END
        || CASE WHEN p_grams IS NULL THEN '' ELSE ' AND s.grams LIKE $2 ESCAPE ''\''' END;
BEGIN
    LOOP
        -- walk: the next rows in rank order
        SELECT w.n, w.last, (SELECT array_agg(h ORDER BY h) FROM unnest(w.hits) AS h)
        INTO rows_read, last_key, got
        FROM client_search_walk(p_terms, p_grams, pos, step) AS w;
        found := found || coalesce(got, '{}');
        IF cardinality(found) >= p_n OR rows_read < step THEN
            RETURN found[1:p_n];
        END IF;
        pos := last_key + 1;
        IF got IS NOT NULL THEN  -- dense here: walk on, twice as far (four times at first)
            step := least(step * CASE WHEN step = p_walk THEN 4 ELSE 2 END, p_walk_max);
            first := false;
            CONTINUE;
        END IF;
        IF first THEN  -- none among the first rows: every match at once, if they are few
            first := false;
            EXECUTE fetch_sql || ' LIMIT $5) AS m' INTO got
                USING p_terms, p_grams, pos, 9223372036854775807, p_fetch_cap;
            IF coalesce(cardinality(got), 0) < p_fetch_cap THEN
                RETURN (found || coalesce(got, '{}'))[1:p_n];
            END IF;
        END IF;
        -- rare here: the rest of this name length through its partition's index
        length_end := ((pos >> 32) + 1) << 32;
        EXECUTE fetch_sql || ') AS m' INTO got USING p_terms, p_grams, pos, length_end;
        found := found || coalesce(got, '{}');
        IF cardinality(found) >= p_n THEN
            RETURN found[1:p_n];
        END IF;
        pos := length_end;
        step := p_walk;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(_NEXT)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.execute(
            "DROP FUNCTION client_search_next(text, text, bigint, integer, integer, integer, "
            "integer)"
        )
