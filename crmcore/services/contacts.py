"""A client's key people (CORE-REC-2). Contacts are deactivated, never deleted."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Row

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.contacts import Contact, NewContact
from crmcore.errors import Conflict, NotFound
from crmcore.services import lookup
from crmcore.store import tables as t


class ContactService(Service):
    @use_case
    def add(self, tx: Tx, client_code: str, new: NewContact) -> Contact:
        tx.actor.require("contact.write")
        client = lookup.client_row(tx.conn, client_code)
        values = {
            "client_id": client.id,
            "name": new.name,
            "position": new.position,
            "phone": new.phone,
            "email": new.email,
            "notes": new.notes,
            "profile": dict(new.profile),
            "active": True,
            "created_at": tx.now,
            "created_by": tx.actor.user_id,
        }
        contact_id = tx.conn.execute(t.contacts.insert().values(**values)).inserted_primary_key[0]
        tx.audit(
            "contact.create",
            "contact",
            contact_id,
            client_id=client.id,
            detail={"fields": sorted(values)},
        )
        return _contact(dict(values, id=contact_id), client_code)

    @query
    def list(self, tx: Tx, client_code: str, *, include_inactive: bool = False) -> list[Contact]:
        tx.actor.require("client.read")
        client = lookup.client_row(tx.conn, client_code)
        stmt = select(t.contacts).where(t.contacts.c.client_id == client.id)
        if not include_inactive:
            stmt = stmt.where(t.contacts.c.active.is_(True))
        return [
            _contact(r._mapping, client_code)
            for r in tx.conn.execute(stmt.order_by(t.contacts.c.id))
        ]

    @use_case
    def deactivate(self, tx: Tx, contact_id: int) -> Contact:
        """The person left the client; the record stays for the archive."""
        tx.actor.require("contact.write")
        row = _row(tx, contact_id)
        if not row.active:
            raise Conflict(f"contact {contact_id} is already inactive")
        tx.conn.execute(
            update(t.contacts).where(t.contacts.c.id == contact_id).values(active=False)
        )
        tx.audit("contact.deactivate", "contact", contact_id, client_id=row.client_id)
        code = tx.conn.scalar(select(t.clients.c.code).where(t.clients.c.id == row.client_id))
        return _contact(dict(row._mapping, active=False), code)


def _row(tx: Tx, contact_id: int) -> Row[Any]:
    row = tx.conn.execute(select(t.contacts).where(t.contacts.c.id == contact_id)).first()
    if row is None:
        raise NotFound(f"contact: unknown contact {contact_id}")
    return row


def _contact(row: Any, client_code: str) -> Contact:
    return Contact(
        id=row["id"],
        client_code=client_code,
        name=row["name"],
        position=row["position"],
        phone=row["phone"],
        email=row["email"],
        notes=row["notes"],
        profile=dict(row["profile"] or {}),
        active=row["active"],
        created_at=row["created_at"],
    )
