"""Export clients, contacts and contact logs to CSV, JSON Lines or XLSX (导出).

Every row is the view the actor's other doors show: clients from ``ClientService.pages``,
contacts and logs through ``present_contact`` / ``present_log``, all scoped by
``access.readable_clients`` and masked by ``access.present`` (CORE-CONF-2). A withheld field is
written as :data:`~crmcore.domain.security.MASKED` (an ID number in its masked form, as on
screen), which imports skip, so a masked export edited and imported back cannot overwrite what
it hid. The columns are the import's. One audit event per export (``access.record_export``)
names the columns, the masked ones, the row count and the file's SHA-256.

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
from crmcore.domain.security import MASKED
from crmcore.errors import InvalidInput
from crmcore.io import format_of
from crmcore.io.writers import Writer
from crmcore.security import access
from crmcore.services.contacts import present_contact
from crmcore.services.imports import CONTACT_COLUMNS, IMPORTED_CLIENT_FIELDS, KINDS, LOG_COLUMNS
from crmcore.services.logs import present_log
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
        masked: set[str] = set()

        def write(tx: Tx) -> int:
            views = {"clients": _clients, "contacts": _contacts, "logs": _logs}[kind]
            with Writer(part, fmt, columns) as out:
                for page in views(tx, include_archived):
                    for view in page:
                        masked.update(view.masked)
                        out.write(
                            [MASKED if n in view.masked else getattr(view, n) for n in columns]
                        )
                    if progress:
                        progress(out.rows)
                return out.rows

        try:
            count = self.crm.run(subject, write, write=False)
            digest = hashlib.sha256(part.read_bytes()).hexdigest()
            report = ExportReport(kind, str(path), fmt, count, digest)
            self.crm.run(
                subject,
                lambda tx: access.record_export(
                    tx,
                    kind,
                    count=count,
                    fields=columns,
                    masked=sorted(masked & set(columns)),
                    fmt=fmt,
                    filters={"archived": include_archived},
                    file=path.name,
                    sha256=digest,
                ),
            )
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
        return report


def _clients(tx: Tx, include_archived: bool) -> Iterator[Sequence[Any]]:
    yield from tx.crm.clients.pages(tx, include_archived=include_archived, batch=PAGE)


def _readable(tx: Tx, table: Any, include_archived: bool) -> Any:
    """``table`` rows of the clients the actor may read, with the client's code and level."""
    c = t.clients.c
    conditions = [access.readable_clients(tx)]
    if not include_archived:
        conditions.append(c.status != "archived")
    return (
        select(table, c.code.label("client_code"), c.clearance.label("client_level"))
        .join(t.clients, c.id == table.c.client_id)
        .where(and_(*conditions))
    )


def _keyset(tx: Tx, stmt: Any, id_column: Any) -> Iterator[Sequence[Any]]:
    """Pages of ``stmt`` by ascending id: constant memory and cost per page at any size."""
    last = 0
    while True:
        rows = tx.conn.execute(stmt.where(id_column > last).order_by(id_column).limit(PAGE)).all()
        if not rows:
            return
        yield rows
        last = getattr(rows[-1], id_column.name)


def _contacts(tx: Tx, include_archived: bool) -> Iterator[list[Any]]:
    k = t.contacts.c
    stmt = _readable(tx, t.contacts, include_archived).where(k.active.is_(True))
    for rows in _keyset(tx, stmt, k.id):
        yield [present_contact(tx, r, r.client_code, r.client_level, None) for r in rows]


def _logs(tx: Tx, include_archived: bool) -> Iterator[list[Any]]:
    tx.actor.require("log.read")
    g = t.contact_logs.c
    stmt = (
        _readable(tx, t.contact_logs, include_archived)
        .add_columns(t.users.c.login.label("author"))
        .join(t.users, t.users.c.id == g.author_id)
    )
    for rows in _keyset(tx, stmt, g.id):
        yield [present_log(tx, r, r.client_code, r.author, r.client_level, None) for r in rows]
