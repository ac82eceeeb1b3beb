"""What every rail use case needs: the client through the core's access point, stations from
the register, users' logins.

Every door goes through ``crmcore.security.access`` (CORE-CONF-2): a door keyed by a client
resolves it with :func:`client` (unknown: NotFound; not readable: PermissionDenied; the
look-up recorded under the door's name), a list keeps to :func:`readable_ids`, and every
record leaves through ``access.present``, which masks the fields the actor may not read
(``crm_sensitive_fields`` in ``plugin.py``) and records the look-up. Who may sign or revoke
in a capacity is the core's decision too (:func:`require_may_act`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from crmcore import Conflict, InvalidInput, PermissionDenied, Tx
from crmcore.security import access
from crmcore.store import metadata

from ..domain.stations import Station
from ..tables import stations

#: Roles a person must hold to sign in that capacity (holding ``admin`` is not enough).
BUREAU = "rail_bureau"
MINISTRY = "rail_ministry"

users = metadata.tables["users"]
clients_table = metadata.tables["clients"]

#: A row of crmcore's ``clients`` table (id, code, name, region, owner_id, clearance, ...).
ClientRow = Row[Any]


def client(tx: Tx, code: str, *, action: str | None = None) -> ClientRow:
    """The client, if the actor holds ``rail.read`` and may read it (CORE-CONF-2).

    ``action`` names the door (``"rail.volume.show"``) so the look-up is recorded under it;
    None for a write, which its own audit event records.
    """
    tx.actor.require("rail.read")
    return access.client_for_read(tx, code, action=action)


def client_by_id(tx: Tx, client_id: int, *, action: str | None = None) -> ClientRow:
    """Like :func:`client`, for a record that carries a ``client_id`` (a certificate)."""
    tx.actor.require("rail.read")
    return access.client_by_id(tx, client_id, action=action)


def readable_ids(tx: Tx) -> Any:
    """``SELECT id FROM clients WHERE <readable>``, for ``table.c.client_id.in_(...)``."""
    tx.actor.require("rail.read")
    return access.readable_client_ids(tx)


def clients_by_id(tx: Tx, ids: Iterable[int]) -> dict[int, ClientRow]:
    """The clients among ``ids`` the actor may read, by id (the others are left out)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = tx.conn.execute(
        select(clients_table).where(clients_table.c.id.in_(wanted), access.readable_clients(tx))
    )
    return {r.id: r for r in rows}


@contextmanager
def taken_meanwhile(what: str, rule: str) -> Iterator[None]:
    """Turn a unique index meeting a row written by a concurrent transaction into a Conflict.

    Every rail write checks for the row first; on PostgreSQL two transactions can both pass
    that check, and the second insert then waits for the first and fails on the index. The
    user gets the same one-line Conflict (exit 5) as for the check, not a traceback; the
    transaction rolls back whole, so nothing is half-written.
    """
    try:
        yield
    except IntegrityError:
        raise Conflict(f"{what} meanwhile; look again", rule=rule) from None


def require_may_act(tx: Tx, role: str, client: ClientRow, what: str, rule: str) -> None:
    """Refuse unless the core says the actor may act as ``role`` on ``client``: the role, and
    the client readable by their units, relationships, grants and clearance (access.may_act)."""
    if access.may_act(tx, role, client_id=client.id):
        return
    if role not in tx.actor.roles:
        held = ", ".join(sorted(tx.actor.roles)) or "no role"
        raise PermissionDenied(f"{what} is for {role}; {tx.actor.login} holds {held}", rule=rule)
    raise PermissionDenied(
        f"{what}: {tx.actor.login} may not read client {client.code}", rule="CORE-CONF-2"
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
