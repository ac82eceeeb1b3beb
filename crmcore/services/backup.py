"""``crm backup FILE`` and ``crm restore FILE`` for the embedded SQLite database.

Backup uses SQLite's online backup API (a consistent copy while others keep working), then
checks the copy: ``PRAGMA integrity_check`` and the audit chain verified on the copy, seals
included, up to the backup's own event. A copy that fails a check is removed and the backup
fails: a backup file that exists has passed.

Restore refuses a file that is not a sound crmcore database whose audit chain verifies, and
only then copies it over the live database (again with the backup API, so the switch is one
write transaction). The restored database records the restore as its next audit event and the
checkpoint moves to the restored head (an admin's deliberate act, itself audited).

PostgreSQL is backed up with ``pg_dump``/``pg_restore`` (docs/backup.md).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

from attrs import frozen
from sqlalchemy import select
from sqlalchemy.engine import make_url

from crmcore import audit
from crmcore.app import Crm
from crmcore.errors import Conflict, InvalidInput, PermissionDenied
from crmcore.security.actors import Actor
from crmcore.store import tables as t
from crmcore.store.engine import make_engine

Progress = Callable[[int, int], None]  # (pages done, pages in all)
PAGES_PER_STEP = 256


@frozen(kw_only=True)
class BackupResult:
    path: str
    bytes: int
    events: int
    head: str
    integrity: str


def _sqlite_path(crm_or_url: Crm | str) -> Path:
    url = crm_or_url.engine.url if isinstance(crm_or_url, Crm) else make_url(crm_or_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise InvalidInput(
            "database",
            "crm backup/restore work on SQLite files; back up PostgreSQL with pg_dump "
            "(see docs/backup.md)",
        )
    return Path(url.database)


def backup(
    crm: Crm, actor: Actor, target: Path, *, progress: Progress | None = None
) -> BackupResult:
    """Copy the live database to ``target`` (a new file), check the copy, or leave nothing."""
    actor.require("db.backup")
    source = _sqlite_path(crm)
    target = Path(target)
    if target.exists():
        raise Conflict(f"file: {target} already exists; choose a new file")
    if target.resolve() == source.resolve():
        raise InvalidInput("file", "is the database itself")
    # the backup's own event goes first, so the copy carries the record of being made
    with crm.transaction(actor) as tx:
        tx.audit("db.backup", "database", detail={"file": target.name})
    head = tx.state["audit_head"]
    try:
        with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
            src.backup(dst, pages=PAGES_PER_STEP, progress=_adapt(progress))
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        integrity = _integrity(target)
        if integrity != "ok":
            raise Conflict(f"file: the copy failed its integrity check: {integrity}")
        check = _verify_file(crm, target, audit.Checkpoint(*head))
        if not check.ok:
            raise Conflict(f"file: the copy's audit trail does not verify: {check.problem}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return BackupResult(
        path=str(target),
        bytes=target.stat().st_size,
        events=check.events,
        head=check.head,
        integrity=integrity,
    )


def restore(
    url: str, source: Path, actor_login: str, *, progress: Progress | None = None
) -> BackupResult:
    """Replace the database at ``url`` with the backup ``source``, after checking it."""
    target = _sqlite_path(url)
    source = Path(source)
    if not source.is_file():
        raise InvalidInput("file", f"{source} does not exist")
    if target.exists() and source.resolve() == target.resolve():
        raise InvalidInput("file", "is the database itself")
    integrity = _integrity(source)
    if integrity != "ok":
        raise InvalidInput("file", f"{source} is not a sound SQLite database: {integrity}")
    _check_revision(source)
    _authorise(target, actor_login)
    with Crm.open(f"sqlite:///{source}", plugins=[]) as probe:
        check = _chain(probe, source)
    if not check.ok:
        raise InvalidInput("file", f"the backup's audit trail does not verify: {check.problem}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with (
        closing(sqlite3.connect(source)) as src,
        closing(sqlite3.connect(target, timeout=30)) as dst,
    ):
        src.backup(dst, pages=PAGES_PER_STEP, progress=_adapt(progress))
    with Crm.open(f"sqlite:///{target}", plugins=[]) as restored:
        actor = _restore_actor(restored, actor_login)
        with restored.transaction(actor) as tx:
            tx.audit(
                "db.restore",
                "database",
                detail={"file": source.name, "events": check.events, "head": check.head},
            )
        audit.write_checkpoint(restored.checkpoint_path, *tx.state["audit_head"], force=True)
        events, head = tx.state["audit_head"]
    return BackupResult(
        path=str(target), bytes=target.stat().st_size, events=events, head=head, integrity=integrity
    )


def _authorise(target: Path, login: str) -> None:
    """If the live database opens, only its admins may overwrite it; a missing or broken one
    can be restored by whoever has the files (they could copy them anyway)."""
    if not target.exists():
        return
    try:
        live = Crm.open(f"sqlite:///{target}", plugins=[])
    except Exception:  # a damaged or missing database is what restore is for
        return
    with live:
        live.actor(login).require("db.restore")


def _restore_actor(crm: Crm, login: str) -> Actor:
    """Who the restore event names: the login if it exists in the restored data, else a
    bootstrap actor (the restored database may predate that user)."""
    from crmcore.services.database import BOOTSTRAP

    with crm.engine.connect() as conn:
        known = conn.scalar(select(t.users.c.id).where(t.users.c.login == login))
    if known is not None:
        try:
            return crm.actor(login, door="cli")
        except PermissionDenied:  # deactivated in the backup: still record who restored
            pass
    return Actor(
        BOOTSTRAP.user_id, f"{login} (restore)", BOOTSTRAP.roles, BOOTSTRAP.permissions, "cli"
    )


def _check_revision(path: Path) -> None:
    """Refuse a backup from a newer crmcore whose schema this code does not know."""
    from crmcore.services.plugins import installed_migration_locations
    from crmcore.store import migrate

    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        revisions = [r[0] for r in conn.execute("SELECT version_num FROM alembic_version")]
    known = migrate.known_revisions(installed_migration_locations())
    unknown = [r for r in revisions if r not in known]
    if unknown:
        raise InvalidInput(
            "file",
            f"the backup's schema revision {unknown[0]} is unknown to this crmcore (newer?)",
        )


def _integrity(path: Path) -> str:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
    except sqlite3.DatabaseError as exc:
        return str(exc)
    result = "; ".join(str(r[0]) for r in rows)
    if result == "ok" and not {"alembic_version", "clients", "audit_events"} <= tables:
        return "not a crmcore database"
    return result


def _verify_file(crm: Crm, path: Path, checkpoint: audit.Checkpoint) -> audit.Verification:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return audit.verify(conn, keyring=crm.keyring, checkpoint=checkpoint)
    finally:
        engine.dispose()


def _chain(crm: Crm, path: Path) -> audit.Verification:
    with crm.engine.connect() as conn:
        return audit.verify(conn, keyring=crm.keyring)


def _adapt(progress: Progress | None) -> Callable[[int, int, int], None] | None:
    if progress is None:
        return None

    def step(_status: int, remaining: int, total: int) -> None:
        progress(total - remaining, total)

    return step
