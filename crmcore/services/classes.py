"""Which clients are in which scored class (CLS-SCORE-1: A, B, C, D).

Everything that needs "class A" (CORE-LOG-3's quarterly contact, the quarterly report, the
distribution plugin's prices and terms) asks :func:`scored_classes`: the classes of the
CLS-SCORE-1 run in force today (``crm classify run CLS-SCORE-1``; see
:mod:`crmcore.services.classification`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crmcore.app import Tx

SCHEME = "CLS-SCORE-1"
CLASSES = ("A", "B", "C", "D")


def scored_classes(tx: Tx, client_ids: Iterable[int] | None = None) -> dict[int, str]:
    """Client id -> class (A-D) in the CLS-SCORE-1 run in force; archived clients have none."""
    found = tx.crm.classification.classes_of(tx, SCHEME, client_ids)
    return {client_id: found[client_id].cls for client_id in found}
