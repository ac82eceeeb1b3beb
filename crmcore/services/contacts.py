"""A client's key people (CORE-REC-2). Contacts are deactivated, never deleted.

Their profile and ID number are personal data (CORE-CONF-5): the ID number is encrypted at
rest and shown masked; finding a person by ID number goes through the blind index; revealing
it needs ``personal.reveal`` and is audited.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Row

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.contacts import Contact, NewContact
from crmcore.domain.security import Clearance
from crmcore.errors import Conflict, NotFound
from crmcore.security import access, personal
from crmcore.store import tables as t

_EMPTY: tuple[Any, ...] = (None, "", {}, ())


class ContactService(Service):
    @use_case
    def add(self, tx: Tx, client_code: str, new: NewContact) -> Contact:
        client = access.client_for_write(tx, client_code, "contact.write")
        given = [f for f in ("position", "phone", "email", "notes", "profile", "id_number")]
        access.check_write(tx, "contact", [f for f in given if getattr(new, f) not in _EMPTY])
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
        masked_id = None
        if new.id_number is not None:
            masked_id = personal.store_id_number(tx, t.contacts, contact_id, new.id_number)
        fields = sorted(values) + (["id_number"] if new.id_number else [])
        tx.audit(
            "contact.create", "contact", contact_id, client_id=client.id, detail={"fields": fields}
        )
        return _contact(dict(values, id=contact_id, id_number_masked=masked_id), client_code)

    @query
    def list(self, tx: Tx, client_code: str, *, include_inactive: bool = False) -> list[Contact]:
        """The client's people as the actor may see them; the look-up is recorded."""
        client = access.client_for_read(tx, client_code, action="contact.list")
        stmt = select(t.contacts).where(t.contacts.c.client_id == client.id)
        if not include_inactive:
            stmt = stmt.where(t.contacts.c.active.is_(True))
        return [
            present_contact(tx, r, client_code, client.clearance, "contact.list")
            for r in tx.conn.execute(stmt.order_by(t.contacts.c.id))
        ]

    @query
    def find_by_id_number(self, tx: Tx, id_number: str) -> list[Contact]:
        """People with exactly this ID number, in clients the actor may read (blind index).

        The search is recorded without the number (CORE-CONF-5).
        """
        c = t.contacts.c
        rows = tx.conn.execute(
            select(t.contacts, t.clients.c.code, t.clients.c.clearance.label("client_level"))
            .join(t.clients, t.clients.c.id == c.client_id)
            .where(
                personal.matches_id_number(tx, t.contacts, id_number),
                c.client_id.in_(access.readable_client_ids(tx)),
            )
            .order_by(c.id)
        ).all()
        tx.audit("contact.find_id", "contact", detail={"by": "id_number", "found": len(rows)})
        return [present_contact(tx, r, r.code, r.client_level, "contact.find_id") for r in rows]

    @use_case
    def reveal_id_number(self, tx: Tx, contact_id: int, *, reason: str) -> str | None:
        """The ID number in clear, for ``personal.reveal`` holders; audited with the reason."""
        row = _row(tx, contact_id)
        return personal.reveal_id_number(
            tx, t.contacts, contact_id, client_id=row.client_id, reason=reason
        )

    @use_case
    def deactivate(self, tx: Tx, contact_id: int) -> Contact:
        """The person left the client; the record stays for the archive."""
        tx.actor.require("contact.write")
        row = _row(tx, contact_id)
        client = access.client_by_id(tx, row.client_id)
        if not row.active:
            raise Conflict(f"contact {contact_id} is already inactive")
        tx.conn.execute(
            update(t.contacts).where(t.contacts.c.id == contact_id).values(active=False)
        )
        tx.audit("contact.deactivate", "contact", contact_id, client_id=row.client_id)
        return present_contact(
            tx, dict(row._mapping, active=False), client.code, client.clearance, None
        )


def present_contact(tx: Tx, row: Any, client_code: str, level: int, action: str | None) -> Contact:
    """A contacts row as ``tx.actor`` may see it: the one view every door (list, find by ID
    number, export) shows; ``action`` names the door for the look-up record (None: the door
    records itself, as an export does)."""
    mapping = row if isinstance(row, dict) else row._mapping
    return access.present(
        tx,
        _contact(mapping, client_code),
        "contact",
        action=action,
        client_id=mapping["client_id"],
        clearance=Clearance(level),
    )


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
        id_number=row.get("id_number_masked"),
    )
