"""Resolving what users type (client codes, logins) to rows, with errors that say which."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection, Row

from crmcore.errors import NotFound, PermissionDenied
from crmcore.store import tables as t


def client_row(conn: Connection, code: str) -> Row[Any]:
    row = conn.execute(select(t.clients).where(t.clients.c.code == code)).first()
    if row is None:
        raise NotFound(f"client: unknown client {code!r}")
    return row


def user_id(conn: Connection, login: str, *, field: str = "user", active: bool = True) -> int:
    row = conn.execute(
        select(t.users.c.id, t.users.c.active).where(t.users.c.login == login)
    ).first()
    if row is None:
        raise NotFound(f"{field}: unknown user {login!r}")
    if active and not row.active:
        raise PermissionDenied(f"{field}: user {login!r} is deactivated")
    return int(row.id)


def logins(conn: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(select(t.users.c.id, t.users.c.login).where(t.users.c.id.in_(ids)))
    return {r.id: r.login for r in rows}


def unit_row(conn: Connection, code: str, *, field: str = "unit") -> Row[Any]:
    row = conn.execute(select(t.org_units).where(t.org_units.c.code == code)).first()
    if row is None:
        raise NotFound(f"{field}: unknown organisation unit {code!r}")
    return row


def unit_subtree(conn: Connection, code: str, *, field: str = "unit") -> frozenset[int]:
    """The unit ``code`` and every unit below it (listings roll up the tree)."""
    from crmcore.security import units

    return units.descendants(units.load_tree(conn), [unit_row(conn, code, field=field).id])


def unit_codes(conn: Connection, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = conn.execute(
        select(t.org_units.c.id, t.org_units.c.code).where(t.org_units.c.id.in_(ids))
    )
    return {r.id: r.code for r in rows}
