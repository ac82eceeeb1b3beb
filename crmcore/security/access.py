"""The one enforcement point for reading clients: which rows, and which fields in clear.

Every door (API, CLI show/list/search, timelines, exports) builds its client views through
ClientService, which applies :func:`readable_clients` to its queries and :func:`present` to
each view. Today visibility is role-based only (``client.read``); the access model of the
confidentiality issue (owner, co-contact, unit tree, clearance, masked fields) fills these two
functions in without touching the doors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from sqlalchemy import true
from sqlalchemy.sql import ColumnElement

if TYPE_CHECKING:
    from crmcore.app import Tx
    from crmcore.domain.clients import Client


def readable_clients(tx: Tx) -> ColumnElement[bool]:
    """A WHERE clause on ``clients`` limiting rows to those ``tx.actor`` may read."""
    tx.actor.require("client.read")
    return true()


def present(tx: Tx, client: Client) -> Client:
    """The view of ``client`` that ``tx.actor`` may see (masked fields replaced)."""
    return client


def may_act(
    tx: Tx, role: str, *, client_id: int, assignees: Mapping[str, Sequence[str]] | None = None
) -> bool:
    """Whether ``tx.actor`` may perform a workflow step that needs ``role`` on a client.

    The one place that decides it, for every workflow. Today: the actor holds ``role`` and,
    when the instance names assignees for that role, is one of them. Holding ``admin`` is not
    enough: an approval is a person's decision in a named capacity. The access model of the
    confidentiality issue adds units and clearance here (``client_id`` is passed for that).
    """
    if role not in tx.actor.roles:
        return False
    named = (assignees or {}).get(role)
    return not named or tx.actor.login in named
