"""Gap-free numbers (generated client codes, pre-numbered vouchers).

An upsert that increments and returns in one statement, so two writers never get the same
number on either backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crmcore.store import tables as t

if TYPE_CHECKING:
    from crmcore.app import Tx


def next_number(tx: Tx, name: str) -> int:
    if tx.conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    stmt = insert(t.counters).values(name=name, value=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.counters.c.name], set_={"value": t.counters.c.value + 1}
    ).returning(t.counters.c.value)
    return int(tx.conn.execute(stmt).scalar_one())
