"""Shared test helpers. The fixtures themselves come from crmcore.testing (pytest11)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
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


@pytest.fixture
def wf(crm_url: str, plugin_installer: Any) -> Iterator[Crm]:
    """A Crm with the throw-away workflow plugin of tests/workflow_kit.py enabled, its staff
    (one user per role) and client KA1."""
    from workflow_kit import open_with_plugin

    crm = open_with_plugin(crm_url, plugin_installer)
    try:
        yield crm
    finally:
        crm.close()
