"""What every rail use case needs: the client, stations from the register, users' logins."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from crmcore import Client, InvalidInput, PermissionDenied, Tx
from crmcore.store import metadata

from ..domain.stations import Station
from ..tables import stations

#: Roles a person must hold to sign in that capacity (holding ``admin`` is not enough).
BUREAU = "rail_bureau"
MINISTRY = "rail_ministry"

users = metadata.tables["users"]


def client(tx: Tx, code: str) -> Client:
    """The client, if the actor may read it (NotFound / PermissionDenied otherwise)."""
    tx.actor.require("rail.read")
    return tx.crm.clients.get(tx, code)


def require_role(tx: Tx, role: str, what: str, rule: str) -> None:
    if role not in tx.actor.roles:
        raise PermissionDenied(
            f"{what} is for {role}; {tx.actor.login} holds "
            f"{', '.join(sorted(tx.actor.roles)) or 'no role'}",
            rule=rule,
        )


def station_rows(tx: Tx, codes: Iterable[str]) -> dict[str, Row[Any]]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    return {r.code: r for r in tx.conn.execute(select(stations).where(stations.c.code.in_(wanted)))}


def require_stations(tx: Tx, named: Iterable[tuple[str, str]], rule: str) -> dict[str, Row[Any]]:
    """``(field, code)`` pairs -> rows by code; an unknown code is refused naming its field."""
    named = list(named)
    rows = station_rows(tx, (code for _, code in named))
    for field, code in named:
        if code not in rows:
            raise InvalidInput(
                field,
                f"unknown station code {code!r}: it is not in the station register "
                "(crm rail station list; crm rail station load FILE)",
                rule=rule,
            )
    return rows


def station_view(row: Row[Any]) -> Station:
    return Station(
        code=row.code,
        name=row.name,
        bureau=row.bureau,
        fmos=row.fmos,
        whole_train_loading=row.whole_train_loading,
        whole_train_unloading=row.whole_train_unloading,
    )


def stations_by_id(tx: Tx, ids: Iterable[int | None]) -> dict[int, Row[Any]]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {r.id: r for r in tx.conn.execute(select(stations).where(stations.c.id.in_(wanted)))}


def bureaus(tx: Tx) -> set[str]:
    return set(tx.conn.scalars(select(stations.c.bureau).distinct()))


def logins(tx: Tx, ids: Iterable[int | None]) -> Mapping[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = tx.conn.execute(select(users.c.id, users.c.login).where(users.c.id.in_(wanted)))
    return {r.id: r.login for r in rows}


clients_table = metadata.tables["clients"]


def visible_clients(tx: Tx, client_ids: Iterable[int]) -> dict[int, Client]:
    """The clients among ``client_ids`` the actor may read, through the core's access check
    (so list views honour whatever the confidentiality model decides). Remembered for the
    transaction: the three deadline obligations ask for the same clients."""
    seen: dict[int, Client | None] = tx.state.setdefault("rail_visible_clients", {})
    wanted = sorted(set(client_ids) - set(seen))
    if wanted:
        codes = tx.conn.execute(
            select(clients_table.c.id, clients_table.c.code).where(clients_table.c.id.in_(wanted))
        )
        for row in codes:
            try:
                seen[row.id] = tx.crm.clients.get(tx, row.code)
            except PermissionDenied:
                seen[row.id] = None
    return {i: c for i in set(client_ids) if (c := seen.get(i)) is not None}
