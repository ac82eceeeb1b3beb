"""Which clients are in which scored class (CLS-SCORE-1: A, B, C, D). A seam.

Until classification lands (issue 5: scored runs with their history), a client's class is the
``class`` key of its profile (客户等级), set like any profile field::

    crm client edit C000007 --profile class=A

Everything that needs "class A" (CORE-LOG-3's quarterly contact, the quarterly report) asks
:func:`scored_classes` and nothing else, so classification replaces this one function.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlalchemy import select

from crmcore.domain.clients import ClientStatus
from crmcore.store import tables as t

if TYPE_CHECKING:
    from crmcore.app import Tx

PROFILE_KEY = "class"
CLASSES = ("A", "B", "C", "D")


def scored_classes(tx: Tx, client_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Client id -> class (A-D) for clients that have one; archived clients have none."""
    c = t.clients.c
    stmt = select(c.id, c.profile).where(c.status != ClientStatus.ARCHIVED)
    if client_ids is not None:
        stmt = stmt.where(c.id.in_(list(client_ids)))
    result = {}
    for row in tx.conn.execute(stmt):
        value = str((row.profile or {}).get(PROFILE_KEY, "")).strip().upper()
        if value in CLASSES:
            result[row.id] = value
    return result
