"""Creating and migrating databases: ``crm init``, ``crm db upgrade``, ``crm db current``.

These run before a Crm can be opened (there is no schema, or no admin yet), so they work on an
engine directly and act as the bootstrap actor ``crm-init`` in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Connection, make_url

from crmcore import audit
from crmcore.app import Crm, Tx, _initialised, enabled_plugins
from crmcore.domain.security import Clearance
from crmcore.domain.users import NewUser
from crmcore.errors import Conflict
from crmcore.plugins import PluginHost
from crmcore.security import keys
from crmcore.security.actors import Actor
from crmcore.services.plugins import installed_migration_locations
from crmcore.services.users import create_user
from crmcore.settings import database_url, key_file_path
from crmcore.store import migrate
from crmcore.store.engine import WRITE, make_engine

BOOTSTRAP = Actor(
    0, "crm-init", frozenset({"admin"}), frozenset({"*"}), "cli", clearance=Clearance.SECRET
)


def init(
    url: str | None = None, *, admin_login: str = "admin", admin_name: str = "Administrator"
) -> str:
    """Create the schema and the first admin in a new database; refuse an existing one.

    Creates the key file too when there is none (``crmcore.settings.key_file_path``), and
    starts the audit checkpoint afresh for this database.
    """
    resolved = database_url(url)
    engine = make_engine(resolved, create_dirs=True)
    try:
        if _initialised(engine):
            raise Conflict(
                f"{display(resolved)} is already a crmcore database (use `crm db upgrade`)"
            )
        keys.ensure(key_file_path())
        crm = Crm(engine, PluginHost())
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            migrate.upgrade(conn, [migrate.CORE_BRANCH], {})
            tx = Tx(crm, conn, BOOTSTRAP, datetime.now(UTC))
            create_user(
                tx,
                NewUser(login=admin_login, name=admin_name, roles=("admin",)),
                clearance=Clearance.SECRET,
            )
        audit.write_checkpoint(crm.checkpoint_path, *tx.state["audit_head"], force=True)
    finally:
        engine.dispose()
    return display(resolved)


def ensure(url: str | None = None) -> bool:
    """Initialise the database unless it already is; True when it was created now."""
    engine = make_engine(database_url(url))
    fresh = not _initialised(engine)
    engine.dispose()
    if fresh:
        init(url)
    return fresh


def upgrade(url: str | None = None) -> dict[str, tuple[str, str]]:
    """Bring the core and every enabled plugin to their newest schema.

    A database made before audit seals and encrypted ID numbers (0004_security) has nothing
    a key file could already protect, so the upgrade creates the key file when there is none,
    as ``crm init`` does; a database that has seals is left to ``crm keys`` (a new key file
    would orphan what the lost one encrypted).
    """
    engine = make_engine(database_url(url))
    try:
        enabled = enabled_plugins(engine) if _initialised(engine) else []
        locations = installed_migration_locations()
        branches = [migrate.CORE_BRANCH, *(n for n in enabled if n in locations)]
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            sealed_before = _has_seals(conn)
            migrate.upgrade(conn, branches, locations)
        if not sealed_before:
            keys.ensure(key_file_path())
        with engine.connect() as conn:
            return migrate.status(conn, locations)
    finally:
        engine.dispose()


def _has_seals(conn: Connection) -> bool:
    """Whether the schema already seals audit events (revision 0004_security or later)."""
    inspector = inspect(conn)
    return "audit_events" in inspector.get_table_names() and any(
        c["name"] == "seal" for c in inspector.get_columns("audit_events")
    )


def current(url: str | None = None) -> dict[str, tuple[str, str]]:
    engine = make_engine(database_url(url))
    try:
        with engine.connect() as conn:
            return migrate.status(conn, installed_migration_locations())
    finally:
        engine.dispose()


def display(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return str(Path(parsed.database))
    return parsed.render_as_string(hide_password=True)
