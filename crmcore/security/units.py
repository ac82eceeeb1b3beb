"""The organisation tree as the access model needs it: who is above whom.

The tree is small (hundreds of units at most), so it is read whole and walked in Python; a
recursive query would be no faster and would differ between SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.engine import Connection

from crmcore.store import tables as t

Tree = Mapping[int, int | None]  # unit id -> parent id


def load_tree(conn: Connection) -> dict[int, int | None]:
    return {
        r.id: r.parent_id for r in conn.execute(select(t.org_units.c.id, t.org_units.c.parent_id))
    }


def children_of(tree: Tree) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for unit, parent in tree.items():
        if parent is not None:
            children.setdefault(parent, []).append(unit)
    return children


def descendants(tree: Tree, roots: Iterable[int]) -> frozenset[int]:
    """``roots`` and every unit below them."""
    children = children_of(tree)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        unit = stack.pop()
        if unit in seen:
            continue
        seen.add(unit)
        stack.extend(children.get(unit, ()))
    return frozenset(seen)


def ancestors(tree: Tree, unit: int) -> list[int]:
    """``unit`` and the units above it, nearest first."""
    chain: list[int] = []
    current: int | None = unit
    while current is not None and current not in chain:
        chain.append(current)
        current = tree.get(current)
    return chain


def memberships(conn: Connection, user_id: int) -> frozenset[int]:
    uu = t.user_units.c
    return frozenset(
        conn.scalars(select(uu.unit_id).where(uu.user_id == user_id, uu.until.is_(None)))
    )
