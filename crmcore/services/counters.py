"""Gap-free numbers (generated client codes, pre-numbered vouchers).

An upsert that increments and returns in one statement, so two writers never get the same
number on either backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crmcore.store import tables as t

if TYPE_CHECKING:
    from crmcore.app import Tx


def next_number(tx: Tx, name: str) -> int:
    insert = sqlite_insert if tx.conn.dialect.name == "sqlite" else pg_insert
    stmt = insert(t.counters).values(name=name, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.counters.c.name], set_={"value": t.counters.c.value + 1}
    ).returning(t.counters.c.value)
    return int(tx.conn.execute(stmt).scalar_one())
