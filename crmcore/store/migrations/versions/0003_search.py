"""Client search: pinyin and grams columns; FTS5 on SQLite, pg_trgm on PostgreSQL (issue 9).

Revision ID: 0003_search
Revises: 0002_workflows
Create Date: 2026-11-28 10:00:00

Existing clients get their pinyin and grams computed here, and are indexed.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_search"
down_revision: str | Sequence[str] | None = "0002_workflows"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Must equal crmcore.store.search_index.TERMS_SQL, so that PostgreSQL uses the index.
_TERMS = "(' ' || lower(name) || ' ' || coalesce(name_pinyin, ''))"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        encoding = bind.exec_driver_sql("SHOW server_encoding").scalar()
        if encoding != "UTF8":
            raise RuntimeError(
                f"client search needs a UTF-8 PostgreSQL database (this one is {encoding}): "
                "CREATE DATABASE ... ENCODING 'UTF8'"
            )
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_pinyin", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("name_grams", sa.Text(), nullable=True))
    _fill_existing(bind)
    if bind.dialect.name == "sqlite":
        from crmcore.store import search_index

        search_index.create_sqlite(bind)
        search_index.fill(bind, ("client_fts", "client_grams"))
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"CREATE INDEX ix_clients_search_terms ON clients USING gin ({_TERMS} gin_trgm_ops)")
    op.execute(
        "CREATE INDEX ix_clients_search_grams ON clients USING gin (name_grams gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_clients_name_length ON clients (length(name), id)")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("DROP TABLE client_fts")
        op.execute("DROP TABLE client_grams")
    else:
        op.execute("DROP INDEX ix_clients_name_length")
        op.execute("DROP INDEX ix_clients_search_grams")
        op.execute("DROP INDEX ix_clients_search_terms")
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("name_grams")
        batch_op.drop_column("name_pinyin")


def _fill_existing(bind: sa.engine.Connection) -> None:
    from crmcore.domain.search_terms import name_terms

    clients = sa.table(
        "clients",
        sa.column("id"),
        sa.column("name"),
        sa.column("name_pinyin"),
        sa.column("name_grams"),
    )
    rows = bind.execute(sa.select(clients.c.id, clients.c.name)).all()
    values = [
        {"cid": r.id, "pinyin": pinyin, "grams": grams}
        for r in rows
        for pinyin, grams in [name_terms(r.name)]
    ]
    if values:
        bind.execute(
            clients.update()
            .where(clients.c.id == sa.bindparam("cid"))
            .values(name_pinyin=sa.bindparam("pinyin"), name_grams=sa.bindparam("grams")),
            values,
        )
