"""Contact logs (接触记录): every dealing with a client, newest first (CORE-LOG-1)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from crmcore.app import Service, Tx, standalone_query, use_case
from crmcore.domain.logs import Channel, ContactLog, NewLog
from crmcore.domain.security import Clearance
from crmcore.errors import InvalidInput
from crmcore.security import access
from crmcore.store import tables as t

CHINA = ZoneInfo("Asia/Shanghai")


def check_dates(now: datetime, occurred_at: datetime, due: date | None) -> None:
    """A dealing is not in the future, and its next action is not due before it (CORE-LOG-1).

    Shared by single adds and imports, so both refuse the same rows.
    """
    if occurred_at > now:
        raise InvalidInput("occurred_at", "is in the future", rule="CORE-LOG-1")
    if due is not None and due < occurred_at.astimezone(CHINA).date():
        raise InvalidInput("next_action_due", "is before the dealing itself", rule="CORE-LOG-1")


class LogService(Service):
    @use_case
    def add(self, tx: Tx, client_code: str, new: NewLog) -> ContactLog:
        """Log a dealing. The first log makes the client's contact record (CORE-LOG-1)."""
        client = access.client_for_write(tx, client_code, "log.write")
        given = {
            "summary": new.summary,
            "next_action": new.next_action,
            "participants": new.participants,
        }
        access.check_write(tx, "contact_log", [name for name, value in given.items() if value])
        occurred_at = new.occurred_at or tx.now
        check_dates(tx.now, occurred_at, new.next_action_due)
        log_id = tx.conn.execute(
            t.contact_logs.insert().values(
                client_id=client.id,
                channel=new.channel,
                occurred_at=occurred_at,
                author_id=tx.actor.user_id,
                participants=list(new.participants),
                summary=new.summary,
                next_action=new.next_action,
                next_action_due=new.next_action_due,
                inquiry=new.inquiry,
                created_at=tx.now,
            )
        ).inserted_primary_key[0]
        # The first person to deal with a client creates its contact record; later ones append.
        tx.conn.execute(
            update(t.clients)
            .where(t.clients.c.id == client.id, t.clients.c.first_contact_by.is_(None))
            .values(first_contact_by=tx.actor.user_id, first_contact_at=occurred_at)
        )
        tx.audit(
            "log.create",
            "contact_log",
            log_id,
            client_id=client.id,
            detail={"channel": new.channel.value, "inquiry": new.inquiry},
        )
        return ContactLog(
            id=log_id,
            client_code=client_code,
            channel=new.channel,
            occurred_at=occurred_at,
            author=tx.actor.login,
            participants=tuple(new.participants),
            summary=new.summary,
            next_action=new.next_action,
            next_action_due=new.next_action_due,
            inquiry=new.inquiry,
        )

    @standalone_query
    def timeline(
        self, tx: Tx, client_code: str, *, limit: int = 50, before: datetime | None = None
    ) -> list[ContactLog]:
        """A client's dealings, newest first; page with ``before`` (the last one seen).

        The timeline is a door like the record itself: the same visibility, field rules on
        ``contact_log`` fields, and a look-up record (CORE-CONF-2).
        """
        tx.actor.require("log.read")
        client = access.client_for_read(tx, client_code, action="log.timeline")
        c = t.contact_logs.c
        stmt = (
            select(t.contact_logs, t.users.c.login)
            .join(t.users, t.users.c.id == c.author_id)
            .where(c.client_id == client.id)
            .order_by(c.occurred_at.desc(), c.id.desc())
            .limit(limit)
        )
        if before is not None:
            stmt = stmt.where(c.occurred_at < before)
        return [
            present_log(tx, r, client_code, r.login, client.clearance, "log.timeline")
            for r in tx.conn.execute(stmt)
        ]


def present_log(
    tx: Tx, row: Any, client_code: str, author: str, level: int, action: str | None
) -> ContactLog:
    """A contact_logs row as ``tx.actor`` may see it, for every door (timeline, export);
    ``action`` names the door for the look-up record (None: the door records itself)."""
    return access.present(
        tx,
        ContactLog(
            id=row.id,
            client_code=client_code,
            channel=Channel(row.channel),
            occurred_at=row.occurred_at,
            author=author,
            participants=tuple(row.participants or ()),
            summary=row.summary,
            next_action=row.next_action,
            next_action_due=row.next_action_due,
            inquiry=row.inquiry,
        ),
        "contact_log",
        action=action,
        client_id=row.client_id,
        clearance=Clearance(level),
    )
