"""The one enforcement point for reading clients: which rows, and which fields in clear.

Every door (API, CLI show/list/search, timelines, exports) builds its client views through
ClientService, which applies :func:`readable_clients` to its queries and :func:`present` to
each view. Today visibility is role-based only (``client.read``); the access model of the
confidentiality issue (owner, co-contact, unit tree, clearance, masked fields) fills these two
functions in without touching the doors.
"""

from __future__ import annotations

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
