"""Alembic environment shared by the core and every plugin branch.

crmcore runs Alembic in code (``crm db upgrade``), handing over an open connection, so this
file only wires that connection in. SQLite needs batch mode to alter tables.
"""

from alembic import context

from crmcore.store import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
