"""What every deals use case needs: users by login, clients through the core's access point,
the status of a record from its approval workflow."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from crmcore import InvalidInput, NotFound, Tx
from crmcore.security import access
from crmcore.store import metadata

users = metadata.tables["users"]
clients = metadata.tables["clients"]
workflow_instances = metadata.tables["workflow_instances"]


def user_ids(tx: Tx, logins: Iterable[str], field: str) -> dict[str, int]:
    """Active users by login; an unknown or deactivated one is refused naming ``field``."""
    wanted = sorted(set(logins))
    rows = {
        r.login: r
        for r in tx.conn.execute(
            select(users.c.id, users.c.login, users.c.active).where(users.c.login.in_(wanted))
        )
    }
    for login in wanted:
        if login not in rows:
            raise NotFound(f"{field}: unknown user {login!r}")
        if not rows[login].active:
            raise InvalidInput(field, f"user {login!r} is deactivated")
    return {login: int(rows[login].id) for login in wanted}


def logins(tx: Tx, ids: Iterable[int | None]) -> Mapping[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = tx.conn.execute(select(users.c.id, users.c.login).where(users.c.id.in_(wanted)))
    return {r.id: r.login for r in rows}


def client_rows(tx: Tx, ids: Iterable[int]) -> dict[int, Row[Any]]:
    """Client rows of records already scoped by ``access.readable_client_ids``."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {r.id: r for r in tx.conn.execute(select(clients).where(clients.c.id.in_(wanted)))}


def workflow_states(tx: Tx, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    rows = tx.conn.execute(
        select(workflow_instances.c.id, workflow_instances.c.state).where(
            workflow_instances.c.id.in_(wanted)
        )
    )
    return {r.id: r.state for r in rows}


def status_of(state: str | None, *, draft: str) -> str:
    """A record's status from its workflow's state: a chain step is still ``submitted``."""
    if state is None:
        return draft
    if state.startswith("approval:"):
        return "submitted"
    return state  # approved | rejected | withdrawn


def waiting_for(state: str | None) -> str | None:
    """The role whose approval is awaited, from a chain step ``approval:<role>``."""
    if state and state.startswith("approval:"):
        return state.split(":", 1)[1]
    return None


def readable_ids(tx: Tx, table: Any, project_code: str) -> list[int]:
    """Ids of ``table``'s records of a project on clients the actor may read, oldest first."""
    c = table.c
    return list(
        tx.conn.scalars(
            select(c.id)
            .where(c.project_code == project_code, c.client_id.in_(access.readable_client_ids(tx)))
            .order_by(c.id)
        )
    )


def decide(tx: Tx, workflow_id: int, *, approve: bool, comment: str | None) -> None:
    """The acting user's approval or rejection at the current step of a record's chain."""
    if approve:
        tx.crm.workflows.advance(tx, workflow_id, "approve", comment=comment)
    else:
        tx.crm.workflows.reject(tx, workflow_id, comment or "")
