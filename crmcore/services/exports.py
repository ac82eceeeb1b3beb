"""Export clients, contacts and contact logs to CSV, JSON Lines or XLSX (导出).

Clients come from ``ClientService.pages``, i.e. through ``access.readable_clients`` and
``access.present``: an export shows exactly what the actor may see, masked as on screen.
Contacts and logs are those of the clients the actor may read. The columns are the import's,
so an export can be edited and imported back. One audit event per export names the file's
SHA-256 and the row count (CORE-CONF-2: every look-up is recorded).

The file is written beside its target as ``<name>.part`` and renamed when complete, so a
failed export never leaves a half-written file under the name asked for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from attrs import define
from sqlalchemy import and_, select

from crmcore.app import Service, Tx
from crmcore.errors import InvalidInput
from crmcore.io import format_of
from crmcore.io.writers import Writer
from crmcore.security import access
from crmcore.services.imports import CONTACT_COLUMNS, IMPORTED_CLIENT_FIELDS, KINDS, LOG_COLUMNS
from crmcore.store import tables as t

PAGE = 2_000
CLIENT_EXPORT = ["code", *IMPORTED_CLIENT_FIELDS, "owner", "profile"]
CONTACT_EXPORT = [*CONTACT_COLUMNS, "profile"]
LOG_EXPORT = list(LOG_COLUMNS)


@define
class ExportReport:
    kind: str
    file: str
    format: str
    rows: int
    sha256: str


class ExportService(Service):
    """``crm.exports.run(actor, "clients", path)``."""

    def run(
        self,
        subject: Any,
        kind: str,
        path: str | Path,
        *,
        format: str | None = None,
        include_archived: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ExportReport:
        if kind not in KINDS:
            raise InvalidInput("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
        path = Path(path)
        fmt = format_of(str(path), format)
        if not path.parent.is_dir():
            raise InvalidInput("file", f"directory {path.parent} does not exist")
        part = path.with_name(path.name + ".part")
        columns = {"clients": CLIENT_EXPORT, "contacts": CONTACT_EXPORT, "logs": LOG_EXPORT}[kind]

        def write(tx: Tx) -> int:
            rows = {"clients": _clients, "contacts": _contacts, "logs": _logs}[kind]
            with Writer(part, fmt, columns) as out:
                for page in rows(tx, include_archived):
                    for values in page:
                        out.write(values)
                    if progress:
                        progress(out.rows)
                return out.rows

        try:
            count = self.crm.run(subject, write, write=False)
            digest = hashlib.sha256(part.read_bytes()).hexdigest()
            report = ExportReport(kind, str(path), fmt, count, digest)
            self.crm.run(
                subject,
                lambda tx: tx.audit(
                    f"export.{kind}",
                    "export",
                    digest,
                    detail={"file": path.name, "format": fmt, "rows": count},
                ),
            )
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
        return report


def _clients(tx: Tx, include_archived: bool) -> Iterator[list[Sequence[Any]]]:
    for page in tx.crm.clients.pages(tx, include_archived=include_archived, batch=PAGE):
        yield [[getattr(c, name) for name in CLIENT_EXPORT] for c in page]


def _readable(tx: Tx, table: Any, include_archived: bool) -> Any:
    """``table`` rows of the clients the actor may read, with the client's code."""
    c = t.clients.c
    conditions = [access.readable_clients(tx)]
    if not include_archived:
        conditions.append(c.status != "archived")
    return (
        select(table, c.code.label("client_code"))
        .join(t.clients, c.id == table.c.client_id)
        .where(and_(*conditions))
    )


def _keyset(
    tx: Tx, stmt: Any, id_column: Any, columns: Sequence[str]
) -> Iterator[list[Sequence[Any]]]:
    """Pages of ``stmt`` by ascending id: constant memory and cost per page at any size."""
    last = 0
    while True:
        rows = tx.conn.execute(stmt.where(id_column > last).order_by(id_column).limit(PAGE)).all()
        if not rows:
            return
        yield [[getattr(r, name) for name in columns] for r in rows]
        last = getattr(rows[-1], id_column.name)


def _contacts(tx: Tx, include_archived: bool) -> Iterator[list[Sequence[Any]]]:
    k = t.contacts.c
    stmt = _readable(tx, t.contacts, include_archived).where(k.active.is_(True))
    return _keyset(tx, stmt, k.id, CONTACT_EXPORT)


def _logs(tx: Tx, include_archived: bool) -> Iterator[list[Sequence[Any]]]:
    tx.actor.require("log.read")
    g = t.contact_logs.c
    stmt = (
        _readable(tx, t.contact_logs, include_archived)
        .add_columns(t.users.c.login.label("author"))
        .join(t.users, t.users.c.id == g.author_id)
    )
    return _keyset(tx, stmt, g.id, LOG_EXPORT)
