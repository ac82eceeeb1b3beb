"""Handover (移交) of a leaving employee's work, rule CORE-OWN-2.

``crm handover --from USER --to USER`` moves, in one transaction: every client the user owns,
every co-contact role, every archive custodianship, the units and assignment rules they manage,
what core steps (:data:`CORE_STEPS`: workflow tasks) and plugins (the ``crm_handover`` hook)
hand over; then it ends the user's unit memberships and grants and
deactivates them, so they can do nothing afterwards. A failure anywhere, a plugin's included,
rolls everything back: the user stays active and nothing has moved.

The result lists the clients to notify: the company tells each client and names the successor,
who contacts it at once.
"""

from __future__ import annotations

import importlib
from typing import Any

from attrs import frozen
from sqlalchemy import func, select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.errors import Conflict, InvalidInput, PermissionDenied
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t

RULE = "CORE-OWN-2"

#: Core modules' parts of a handover, "module:function", each called as
#: ``function(tx, from_user, to_user, handover_id, record)`` like the ``crm_handover`` hook,
#: after the clients moved and before the plugins, in the same transaction.
CORE_STEPS: list[str] = [
    # open workflow instances naming the leaver among a role's assignees
    "crmcore.services.workflows:hand_over_tasks",
]


@frozen(kw_only=True)
class HandoverItem:
    role: str  # owner, co_contact, custodian, unit_manager, rule_manager, workflow_task, a plugin's
    client_code: str | None
    client_name: str | None
    detail: str | None


@frozen(kw_only=True)
class HandoverResult:
    id: int
    from_user: str
    to_user: str
    reason: str
    items: tuple[HandoverItem, ...]

    @property
    def clients_to_notify(self) -> list[tuple[str, str]]:
        """(code, name) of every client whose people changed, once each, by code."""
        seen = {(i.client_code, i.client_name) for i in self.items if i.client_code}
        return sorted(seen)  # type: ignore[arg-type]


class HandoverService(Service):
    @use_case
    def run(self, tx: Tx, from_user: str, to_user: str, *, reason: str) -> HandoverResult:
        tx.actor.require("handover.run")
        if not reason or not reason.strip():
            raise InvalidInput("reason", "a handover needs a reason (e.g. 离职)", rule=RULE)
        if from_user == to_user:
            raise InvalidInput("to", "the successor must be someone else", rule=RULE)
        leaver = lookup.user_id(tx.conn, from_user, field="from", active=False)
        successor = lookup.user_id(tx.conn, to_user, field="to")  # unknown or inactive: refused
        self._check_reach(tx, leaver)
        handover_id = tx.conn.execute(
            t.handovers.insert().values(
                from_user_id=leaver,
                to_user_id=successor,
                reason=reason.strip(),
                at=tx.now,
                by_user_id=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        items: list[dict[str, Any]] = []

        def record(role: str, client_id: int | None = None, detail: str | None = None) -> None:
            items.append(
                {"handover_id": handover_id, "client_id": client_id, "role": role, "detail": detail}
            )

        self._move_ownership(tx, leaver, successor, from_user, to_user, record)
        self._move_co_contacts(tx, leaver, successor, record)
        self._move_custody(tx, leaver, successor, record)
        self._move_org(tx, leaver, successor, record)
        for step in CORE_STEPS:
            module, name = step.split(":")
            getattr(importlib.import_module(module), name)(
                tx, from_user, to_user, handover_id, record
            )
        tx.hook(
            "crm_handover",
            from_user=from_user,
            to_user=to_user,
            handover_id=handover_id,
            record=record,
        )
        self._retire(tx, leaver)
        if items:
            tx.conn.execute(t.handover_items.insert(), items)
        tx.audit(
            "handover",
            "user",
            from_user,
            detail={
                "handover": handover_id,
                "to": to_user,
                "moved": {
                    role: sum(i["role"] == role for i in items)
                    for role in {i["role"] for i in items}
                },
            },
        )
        return self._result(tx, handover_id)

    def _check_reach(self, tx: Tx, leaver: int) -> None:
        """The person handing over must be able to read every client that moves: they are
        shown the list to notify, and nobody moves what they may not see."""
        c, s = t.clients.c, t.client_staff.c
        involved = select(c.id).where(
            (c.owner_id == leaver)
            | (c.custodian_id == leaver)
            | c.id.in_(select(s.client_id).where(s.user_id == leaver, s.until.is_(None)))
        )
        beyond = tx.conn.scalar(
            select(func.count()).where(
                c.id.in_(involved), ~c.id.in_(access.readable_client_ids(tx))
            )
        )
        if beyond:
            raise PermissionDenied(
                f"handover: {tx.actor.login} may not read {beyond} of this user's clients; "
                "ask someone who may read them all",
                rule=RULE,
            )

    def _move_ownership(
        self, tx: Tx, leaver: int, successor: int, from_user: str, to_user: str, record: Any
    ) -> None:
        clients = tx.crm.clients
        rows = tx.conn.execute(
            select(t.clients).where(t.clients.c.owner_id == leaver).order_by(t.clients.c.code)
        ).all()
        for row in rows:
            clients._update(tx, row, {"owner_id": successor})
            clients._history(
                tx, row.id, row.version + 1, "handover", {"owner": [from_user, to_user]}
            )
            # the successor cannot be owner and co-contact at once
            tx.conn.execute(
                update(t.client_staff)
                .where(
                    t.client_staff.c.client_id == row.id,
                    t.client_staff.c.user_id == successor,
                    t.client_staff.c.until.is_(None),
                )
                .values(until=tx.now)
            )
            record("owner", row.id)
            tx.hook(
                "crm_client_owner_changed",
                client=clients._view(tx, row.id),
                old_owner=from_user,
                new_owner=to_user,
            )

    def _move_co_contacts(self, tx: Tx, leaver: int, successor: int, record: Any) -> None:
        s, c = t.client_staff.c, t.clients.c
        rows = tx.conn.execute(
            select(s.id, s.client_id, c.owner_id)
            .join(t.clients, c.id == s.client_id)
            .where(s.user_id == leaver, s.until.is_(None))
            .order_by(s.client_id)
        ).all()
        for r in rows:
            tx.conn.execute(update(t.client_staff).where(s.id == r.id).values(until=tx.now))
            already = tx.conn.scalar(
                select(s.id).where(
                    s.client_id == r.client_id, s.user_id == successor, s.until.is_(None)
                )
            )
            if r.owner_id != successor and already is None:
                tx.conn.execute(
                    t.client_staff.insert().values(
                        client_id=r.client_id, user_id=successor, since=tx.now
                    )
                )
            record("co_contact", r.client_id)

    def _move_custody(self, tx: Tx, leaver: int, successor: int, record: Any) -> None:
        c = t.clients.c
        ids = list(tx.conn.scalars(select(c.id).where(c.custodian_id == leaver).order_by(c.code)))
        if ids:
            tx.conn.execute(update(t.clients).where(c.id.in_(ids)).values(custodian_id=successor))
        for client_id in ids:
            record("custodian", client_id)

    def _move_org(self, tx: Tx, leaver: int, successor: int, record: Any) -> None:
        u, r = t.org_units.c, t.assignment_rules.c
        for unit in tx.conn.execute(select(u.id, u.code).where(u.manager_id == leaver)).all():
            tx.conn.execute(update(t.org_units).where(u.id == unit.id).values(manager_id=successor))
            record("unit_manager", None, unit.code)
        for rule_id in tx.conn.scalars(
            select(r.id).where(r.manager_id == leaver, r.active.is_(True))
        ).all():
            tx.conn.execute(
                update(t.assignment_rules).where(r.id == rule_id).values(manager_id=successor)
            )
            record("rule_manager", None, f"rule {rule_id}")

    def _retire(self, tx: Tx, leaver: int) -> None:
        """End memberships and grants, then deactivate: a deactivated user can do nothing."""
        uu, g = t.user_units.c, t.client_grants.c
        tx.conn.execute(
            update(t.user_units)
            .where(uu.user_id == leaver, uu.until.is_(None))
            .values(until=tx.now)
        )
        tx.conn.execute(
            update(t.client_grants)
            .where(g.user_id == leaver, g.revoked_at.is_(None))
            .values(revoked_at=tx.now, revoked_by=tx.actor.user_id)
        )
        done = tx.conn.execute(
            update(t.users)
            .where(t.users.c.id == leaver)
            .values(active=False, deactivated_at=tx.now)
        ).rowcount
        if done != 1:
            raise Conflict("handover: the leaving user changed meanwhile; try again")

    @query
    def list(self, tx: Tx) -> list[HandoverResult]:
        tx.actor.require("handover.run")
        ids = tx.conn.scalars(select(t.handovers.c.id).order_by(t.handovers.c.id.desc()))
        return [self._result(tx, i) for i in ids]

    @query
    def get(self, tx: Tx, handover_id: int) -> HandoverResult:
        tx.actor.require("handover.run")
        return self._result(tx, handover_id)

    def _result(self, tx: Tx, handover_id: int) -> HandoverResult:
        from crmcore.errors import NotFound

        h = tx.conn.execute(select(t.handovers).where(t.handovers.c.id == handover_id)).first()
        if h is None:
            raise NotFound(f"handover: unknown handover {handover_id}")
        names = lookup.logins(tx.conn, {h.from_user_id, h.to_user_id})
        i, c = t.handover_items.c, t.clients.c
        rows = tx.conn.execute(
            select(i.role, i.detail, c.code, c.name, c.id.label("cid"), c.clearance)
            .join(t.clients, c.id == i.client_id, isouter=True)
            .where(i.handover_id == handover_id)
            .order_by(i.id)
        ).all()
        readable = set(tx.conn.scalars(access.readable_client_ids(tx))) if rows else set()
        items = []
        for r in rows:
            shown = r.cid is None or r.cid in readable
            items.append(
                HandoverItem(
                    role=r.role,
                    client_code=r.code if shown else None,
                    client_name=r.name if shown else None,
                    detail=r.detail if shown else "(a client beyond your access)",
                )
            )
        return HandoverResult(
            id=h.id,
            from_user=names[h.from_user_id],
            to_user=names[h.to_user_id],
            reason=h.reason,
            items=tuple(items),
        )
