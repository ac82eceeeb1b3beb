"""Shared test helpers. The fixtures themselves come from crmcore.testing (pytest11)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from crmcore.app import Crm
from crmcore.store import tables as t

VALID_USCC = ["91110000600037341L", "91440300192185379H", "91310000132149237G"]


def row_counts(crm: Crm) -> dict[str, Any]:
    """Row count of every core table: 'nothing written' means this is unchanged."""
    with crm.engine.connect() as conn:
        return {
            table.name: conn.scalar(select(func.count()).select_from(table))
            for table in t.metadata.sorted_tables
            if table.name in {c.name for c in t.metadata.tables.values()}
        }
