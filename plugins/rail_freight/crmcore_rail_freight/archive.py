"""What the rail plugin files in the client's archive (客户档案, CORE-ARC-1): the certificate
the ministry issues (RAIL-QUAL-2) and the annual volume form once the ministry has signed it
(RAIL-VOL-1), each in its own category, in the transaction that issues or approves it.

The document is the record as text (UTF-8), so it reads anywhere and holds what was decided;
a scan of the signed and sealed paper can be added as a new version of the same document
(``crm archive version``). Its level is the archive's default (confidential): the volume
form names the client's signer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Table, update
from sqlalchemy.sql import ColumnElement

from crmcore import NewDocument, Tx

CERTIFICATES = "rail_certificate"
VOLUMES = "rail_volume"

#: (code, label, label_zh) registered through ``crm_archive_categories``.
CATEGORIES = (
    (CERTIFICATES, "Railway key-account certificates (RAIL-QUAL-2)", "铁路大客户证书"),
    (VOLUMES, "Approved annual volume forms (RAIL-VOL-1)", "大客户年度运量表"),
)


def file(
    tx: Tx,
    client_code: str,
    category: str,
    *,
    title: str,
    filename: str,
    lines: Iterable[str],
    dated: date,
    on: tuple[Table, ColumnElement[bool]],
) -> int:
    """File ``lines`` as a text document on the client and note it in the ``document_id`` of
    the row that ``on`` (a table, a WHERE clause) names; the document's id."""
    content = ("\n".join(lines) + "\n").encode("utf-8")
    document = tx.crm.archives.file(
        tx,
        client_code,
        NewDocument(
            category=category, title=title, filename=filename, content=content, dated=dated
        ),
    )
    table, where = on
    tx.conn.execute(update(table).where(where).values(document_id=document.id))
    return int(document.id)
