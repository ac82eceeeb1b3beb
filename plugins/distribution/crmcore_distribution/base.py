"""What every part of the distribution service needs: the distributor, where it stands
(score class, payment class, credit grade), its exposure, dates, policies, the record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Row

from crmcore import (
    InvalidInput,
    NewDocument,
    NotFound,
    PermissionDenied,
    Service,
    Tx,
    readable_clients,
)
from crmcore.calendar import china_date
from crmcore.security import access
from crmcore.store import metadata
from crmcore_distribution import domain
from crmcore_distribution import tables as d
from crmcore_distribution.domain import Settlement
from crmcore_distribution.views import (
    Standing,
)

SCHEME = "CLS-SCORE-1"
ORDER = "distribution_order"
DISTRIBUTOR = "distribution_distributor"
ZERO = Decimal("0.00")
CLIENTS = metadata.tables["clients"]
USERS = metadata.tables["users"]


class Base(Service):
    """Shared reads and the receivables record; the use cases are in the subclasses."""

    def _read(self, tx: Tx) -> None:
        tx.actor.require("distribution.read")

    def _newest(self, tx: Tx, table: Any, code: str | None, limit: int) -> Any:
        """Ids of ``table``'s rows (orders, invoices) the actor may read, newest first; of
        one distributor when ``code`` is given."""
        stmt = (
            select(table.c.id)
            .join(CLIENTS, CLIENTS.c.id == table.c.client_id)
            .where(readable_clients(tx))
            .order_by(table.c.id.desc())
            .limit(limit)
        )
        if code:
            stmt = stmt.where(table.c.distributor_id == self._distributor(tx, code).id)
        return stmt

    def _require_readable(self, tx: Tx, client_id: int) -> None:
        visible = tx.conn.scalar(
            select(CLIENTS.c.id).where(CLIENTS.c.id == client_id, readable_clients(tx))
        )
        if visible is None:
            raise PermissionDenied(
                f"distribution: {tx.actor.login} may not read this client's records",
                rule="CORE-CONF-2",
            )

    def _present(self, tx: Tx, view: Any, entity: str, client_id: int, action: str | None) -> Any:
        """``view`` as the actor may see it: credit figures masked without
        ``distribution.credit.read`` (views.SENSITIVE); a read door's look-up is recorded
        (CORE-CONF-2). ``action`` None: the result of a write, audited by the write itself."""
        return self._present_all(tx, [(view, client_id)], entity, action)[0]

    def _present_all(
        self, tx: Tx, records: Sequence[tuple[Any, int]], entity: str, action: str | None
    ) -> list[Any]:
        """``_present`` for a list of (view, client id), with every client's level read in one
        query rather than one per row."""
        ids = {client_id for _, client_id in records}
        levels: dict[int, int] = {}
        if ids:
            query = select(CLIENTS.c.id, CLIENTS.c.clearance).where(CLIENTS.c.id.in_(ids))
            levels = {r.id: r.clearance for r in tx.conn.execute(query)}
        return [
            access.present(
                tx, view, entity, action=action, client_id=client_id, clearance=levels[client_id]
            )
            for view, client_id in records
        ]

    def _today(self, tx: Tx) -> date:
        return china_date(tx.now)

    def _day(self, tx: Tx, on: date | None, field: str) -> date:
        today = self._today(tx)
        if on is None:
            return today
        if on > today:
            raise InvalidInput(field, f"{on} is in the future")
        return on

    def _policy(self, tx: Tx, key: str, day: date | None = None) -> Any:
        return tx.crm.policies.in_force(tx, key, day)

    def _distributor(self, tx: Tx, code: str, *, lock: bool = False) -> Row[Any]:
        client = tx.crm.clients.get(tx, code)  # NotFound for an unknown client, access checked
        stmt = select(d.distributors).where(d.distributors.c.client_id == client.id)
        if lock:
            stmt = stmt.with_for_update()
        row = tx.conn.execute(stmt).first()
        if row is None:
            raise NotFound(
                f"distributor: client {code} is not a registered distributor "
                f"(crm distribution register {code})"
            )
        return row

    def _distributor_by_id(self, tx: Tx, dist_id: int) -> Row[Any]:
        row = tx.conn.execute(select(d.distributors).where(d.distributors.c.id == dist_id)).first()
        if row is None:
            raise NotFound(f"distributor: unknown distributor {dist_id}")
        return row

    def _standing(self, tx: Tx, dist: Row[Any]) -> Standing:
        found = tx.crm.classification.classes_of(tx, SCHEME, [dist.client_id]).get(dist.client_id)
        steps = 0
        if found is not None:
            e = d.credit_events.c
            steps = (
                tx.conn.scalar(
                    select(func.count()).where(
                        e.distributor_id == dist.id,
                        e.kind == "downgrade",
                        e.score_run_id == found.run_id,
                    )
                )
                or 0
            )
        score_class = found.cls if found is not None else None
        grade = dist.credit_grade
        if (
            score_class is not None
            and self._policy(tx, "DIST-CRED-1").grade_source == "score_class"
        ):
            grade = score_class
        return Standing(
            score_class=score_class,
            score=found.value if found is not None else None,
            score_run_id=found.run_id if found is not None else None,
            downgrades=steps,
            payment_class=domain.lower(score_class, steps) if score_class else None,
            credit_grade=grade,
        )

    def _event(
        self,
        tx: Tx,
        dist_id: int,
        client_id: int,
        kind: str,
        rule: str,
        day: date,
        summary: str,
        detail: Mapping[str, Any],
        *,
        period: str | None = None,
        score_run_id: int | None = None,
        workflow_id: int | None = None,
    ) -> int:
        """Record a credit event in the receivables record, and file it as a text document in
        the client's archive, category receivables (应收账款, CORE-ARC-1): a downgrade
        (DIST-PAY-2), a review (DIST-CRED-3) or an investigation (DIST-CRED-4) is found where
        every other paper of the client is, at the archive's level and under its access."""
        code = tx.conn.scalar(select(CLIENTS.c.code).where(CLIENTS.c.id == client_id))
        lines = [summary, f"rule: {rule}", f"date: {day}", f"period: {period or '-'}"]
        lines += [f"{key}: {value}" for key, value in detail.items()]
        filed = tx.crm.archives.file(
            tx,
            code,
            NewDocument(
                category="receivables",
                title=f"{rule} {kind}: {summary}"[:200],
                filename=f"distribution-{kind}-{day}.txt",
                content=("\n".join(lines) + "\n").encode("utf-8"),
                dated=day,
            ),
        )
        detail = {**detail, "document": filed.id}
        return int(
            tx.conn.execute(
                d.credit_events.insert().values(
                    distributor_id=dist_id,
                    client_id=client_id,
                    kind=kind,
                    rule=rule,
                    occurred_on=day,
                    period=period,
                    score_run_id=score_run_id,
                    workflow_id=workflow_id,
                    summary=summary,
                    detail=dict(detail),
                    at=tx.now,
                    by=tx.actor.user_id,
                )
            ).inserted_primary_key[0]
        )

    def _exposure(self, tx: Tx, ids: Sequence[int]) -> dict[int, tuple[Decimal, Decimal]]:
        """Per distributor: unpaid invoices (not prepayments), open credit orders not invoiced."""
        i, o = d.invoices.c, d.orders.c
        owed = dict(
            tx.conn.execute(
                select(i.distributor_id, func.sum(i.amount - i.paid))
                .join(d.orders, o.id == i.order_id)
                .where(
                    i.distributor_id.in_(ids),
                    i.settled_on.is_(None),
                    o.settlement != Settlement.PREPAY.value,
                )
                .group_by(i.distributor_id)
            ).all()
        )
        open_orders = dict(
            tx.conn.execute(
                select(o.distributor_id, func.sum(o.amount))
                .where(
                    o.distributor_id.in_(ids),
                    o.status.in_(("held", "accepted")),
                    o.settlement == Settlement.DEFERRED.value,
                )
                .group_by(o.distributor_id)
            ).all()
        )
        return {x: (owed.get(x) or ZERO, open_orders.get(x) or ZERO) for x in ids}
