"""Reading and checking the audit trail (审计日志, 查阅记录): ``crm audit log|verify|checkpoint``.

The audit view is a door like any other: it shows events of clients the reader may read (and
events about no client), and reading it is itself recorded.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from attrs import frozen
from sqlalchemy import and_, or_, select

from crmcore import audit
from crmcore.app import Service, Tx, query, use_case
from crmcore.errors import InvalidInput
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t

CHINA = ZoneInfo("Asia/Shanghai")


@frozen(kw_only=True)
class AuditEntry:
    seq: int
    at: datetime
    actor: str
    door: str
    action: str
    entity: str
    entity_id: str | None
    client_code: str | None
    detail: dict[str, Any]


class AuditService(Service):
    @query
    def log(
        self,
        tx: Tx,
        *,
        client: str | None = None,
        user: str | None = None,
        since: date | datetime | None = None,
        until: date | datetime | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[AuditEntry]:
        """Events, newest first. Dates are business dates in China time; ``until`` includes its
        whole day. ``action`` matches exactly or as a prefix (``client.`` for every client
        event)."""
        tx.actor.require("audit.read")
        a = t.audit_events.c
        conditions: list[Any] = [
            or_(a.client_id.is_(None), a.client_id.in_(access.readable_client_ids(tx)))
        ]
        if client:
            conditions.append(a.client_id == access.client_for_read(tx, client, action=None).id)
        if user:
            lookup.user_id(tx.conn, user, active=False)  # unknown: NotFound
            conditions.append(a.actor == user)
        if since is not None:
            conditions.append(a.at >= _start(since))
        if until is not None:
            conditions.append(a.at < _end(until))
        if since is not None and until is not None and _start(since) >= _end(until):
            raise InvalidInput("since", "is after until")
        if action:
            conditions.append(
                a.action.startswith(action) if action.endswith(".") else a.action == action
            )
        rows = tx.conn.execute(
            select(t.audit_events, t.clients.c.code)
            .join(t.clients, t.clients.c.id == a.client_id, isouter=True)
            .where(and_(*conditions))
            .order_by(a.seq.desc())
            .limit(limit)
        ).all()
        tx.audit(
            "audit.view",
            "audit",
            detail={
                "filters": {
                    k: v
                    for k, v in {
                        "client": client,
                        "user": user,
                        "since": since,
                        "until": until,
                        "action": action,
                    }.items()
                    if v is not None
                },
                "count": len(rows),
            },
        )
        return [
            AuditEntry(
                seq=r.seq,
                at=r.at,
                actor=r.actor,
                door=r.door,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                client_code=r.code,
                detail=json.loads(r.body),
            )
            for r in rows
        ]

    @query
    def verify(self, tx: Tx) -> audit.Verification:
        """Check every link, every seal, and the checkpoint outside the database.

        The checkpoint is read before the chain so a commit in between cannot look like events
        removed from the end.
        """
        tx.actor.require("audit.read")
        checkpoint = audit.read_checkpoint(tx.crm.checkpoint_path)
        result = audit.verify(tx.conn, keyring=tx.crm.keyring, checkpoint=checkpoint)
        tx.audit(
            "audit.verify",
            "audit",
            detail={"ok": result.ok, "events": result.events, "position": result.position},
        )
        return result

    @use_case
    def checkpoint(self, tx: Tx) -> tuple[int, str]:
        """Write the current head to the checkpoint file now (it is also written on commit)."""
        tx.actor.require("audit.read")
        tx.audit("audit.checkpoint", "audit")
        return tx.state["audit_head"]  # written to the file when this transaction commits


def _start(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(), CHINA)


def _end(value: date | datetime) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value + timedelta(days=1), time(), CHINA)
