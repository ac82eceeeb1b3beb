"""Client search on PostgreSQL: ``client_search`` partitioned by name length, and
``client_words`` (issue 9).

Revision ID: 0008_search_pg
Revises: 0007_search_words
Create Date: 2026-11-27 13:40:00

The pg_trgm indexes on ``clients`` gave every match, in no order; to show the 20 shortest
names PostgreSQL either sorted them all or walked the names in rank order testing each, and
chose wrong for 5-10% of queries (500-1,400 ms at 1M clients, docs/performance.md). A narrow
table keyed like SQLite's search tables (name length, then id), partitioned so that each name
length has its own trigram indexes, lets ``search_index`` fetch the matches of one length at a
time; ``client_words`` answers prefixes exactly, as on SQLite since 0007. SQLite is unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_search_pg"
down_revision: str | Sequence[str] | None = "0007_search_words"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 0003's indexes, which the new tables replace (the expression is 0003's).
_OLD_INDEXES = {
    "ix_clients_search_terms": "clients USING gin "
    "((' ' || lower(name) || ' ' || coalesce(name_pinyin, '')) gin_trgm_ops)",
    "ix_clients_search_grams": "clients USING gin (name_grams gin_trgm_ops)",
    "ix_clients_name_length": "clients (length(name), id)",
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    from crmcore.store import search_index

    search_index.create_postgresql(bind)
    search_index.fill(bind, search_index.PG_TABLES)
    search_index.index_postgresql(bind)
    for name in _OLD_INDEXES:
        op.execute(f"DROP INDEX {name}")
    op.execute("ANALYZE client_search")
    op.execute("ANALYZE client_words")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name, target in _OLD_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {target}")
    op.execute("DROP TABLE client_words")
    op.execute("DROP TABLE client_search")
