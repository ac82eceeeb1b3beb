"""Orders (DIST-PRICE-1, DIST-PAY-1, DIST-CRED-2, DIST-DLV-1), deliveries, invoices, payments
and the late-payment downgrade (DIST-PAY-2), the delivery queue (CLS-SCORE-2)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from crmcore import (
    Conflict,
    InvalidInput,
    NotFound,
    Tx,
    query,
    readable_clients,
    use_case,
)
from crmcore.calendar import Period, PeriodKind
from crmcore_distribution import domain
from crmcore_distribution import tables as d
from crmcore_distribution.base import (
    CLIENTS,
    ORDER,
    SCHEME,
    ZERO,
    Base,
)
from crmcore_distribution.domain import NewOrder, Settlement, Terms
from crmcore_distribution.views import (
    CreditEventView,
    InvoiceView,
    LineView,
    OrderView,
    PaymentResult,
    QueueEntry,
    Standing,
)

HOLDS = {
    "price_exception": "distribution.price_exception",  # DIST-PRICE-1, "in principle"
    "credit_override": "distribution.credit_override",  # DIST-CRED-2
    "order_review": "distribution.order_review",  # DIST-DLV-1: D's orders reviewed strictly
}


class Orders(Base):
    """Orders, deliveries, invoices, payments, the delivery queue."""

    # -- orders ------------------------------------------------------------------------------------

    @use_case
    def place(
        self, tx: Tx, code: str, order: NewOrder | Mapping[str, Any], *, on: date | None = None
    ) -> OrderView:
        """Place an order: price check (DIST-PRICE-1), terms (DIST-PAY-1, DIST-CRED-1), credit
        check (DIST-CRED-2), D's strict review (DIST-DLV-1). A refused price writes nothing;
        anything that needs an approval holds the order and opens the workflow for it."""
        tx.actor.require("distribution.order")
        new = order if isinstance(order, NewOrder) else NewOrder(**dict(order))
        day = self._day(tx, on, "on")
        dist = self._distributor(tx, code, lock=True)
        standing = self._standing(tx, dist)
        if standing.score_class is None or standing.payment_class is None:
            raise Conflict(
                f"distributor {code} has no score class in force: record its scorecard and "
                "run `crm classify run CLS-SCORE-1`",
                rule="CLS-SCORE-1",
            )
        bounds = self._policy(tx, "DIST-PRICE-1", day)
        factor = bounds.floor_factor(standing.score_class)
        lines, below = [], []
        for number, line in enumerate(new.lines, 1):
            product = self._product(tx, line.product, field=f"lines[{number}].product")
            control = self._control_price(tx, product, day)
            floor = control * factor
            lines.append((number, line, product, control, floor))
            if line.unit_price < floor:
                below.append((number, line, control, floor))
        holds: list[str] = []
        if below:
            number, line, control, floor = below[0]
            how = _bound_text(standing.score_class, bounds)
            refusal = (
                f"{line.unit_price:,.2f} is below the class {standing.score_class} floor "
                f"{floor:,.2f} ({how} the control price {control:,.2f})"
            )
            if new.exception is None:
                raise InvalidInput(f"lines[{number}].unit_price", refusal, rule="DIST-PRICE-1")
            if not bounds.exceptions:
                raise InvalidInput(
                    f"lines[{number}].unit_price",
                    refusal + "; this installation allows no exceptions",
                    rule="DIST-PRICE-1",
                )
            holds.append("price_exception")
        elif new.exception is not None:
            raise InvalidInput(
                "exception",
                "every price is within the class bound: no exception to ask for",
                rule="DIST-PRICE-1",
            )
        terms = domain.terms_for(
            standing.payment_class,
            standing.credit_grade,
            dist.credit_limit,
            self._policy(tx, "DIST-PAY-1", day),
        )
        receivables, committed = self._exposure(tx, [dist.id]).get(dist.id, (ZERO, ZERO))
        exposure = receivables + committed + (new.amount if terms.on_credit else ZERO)
        if terms.on_credit and exposure > dist.credit_limit:
            holds.append("credit_override")
        if standing.score_class == "D" and self._policy(tx, "DIST-DLV-1", day).d_review:
            holds.append("order_review")
        order_id = tx.conn.execute(
            d.orders.insert().values(
                distributor_id=dist.id,
                client_id=dist.client_id,
                status="held" if holds else "accepted",
                amount=new.amount,
                rush=new.rush,
                score_class=standing.score_class,
                payment_class=standing.payment_class,
                credit_grade=standing.credit_grade,
                settlement=terms.settlement.value,
                terms_months=terms.months,
                terms_days=terms.days,
                credit_limit=dist.credit_limit,
                exposure=exposure,
                holds=holds,
                exception=new.exception,
                placed_on=day,
                placed_at=tx.now,
                placed_by=tx.actor.user_id,
                version=1,
            )
        ).inserted_primary_key[0]
        tx.conn.execute(
            d.order_lines.insert(),
            [
                {
                    "order_id": order_id,
                    "line_no": number,
                    "product_id": product.id,
                    "quantity": line.quantity,
                    "unit_price": line.unit_price,
                    "control_price": control,
                    "floor_price": floor.quantize(Decimal("0.0001")),
                    "amount": line.amount,
                }
                for number, line, product, control, floor in lines
            ],
        )
        tx.audit(
            "distribution.order",
            "order",
            order_id,
            client_id=dist.client_id,
            detail={"lines": len(lines), "holds": holds, "rush": new.rush},
        )
        excess = exposure - dist.credit_limit
        for hold in holds:
            tx.crm.workflows.start(
                tx,
                HOLDS[hold],
                code,
                entity_type=ORDER,
                entity_id=order_id,
                data={
                    "order": order_id,
                    "amount": str(new.amount),
                    "limit": str(dist.credit_limit),
                    "exposure": str(exposure),
                    "excess": str(max(excess, ZERO)),
                    "score_class": standing.score_class,
                    "reason": new.exception or "",
                },
                comment=_hold_comment(hold, standing, new.exception),
            )
        if not holds:
            self._accept(tx, order_id)
        return self._order_view(tx, order_id)

    @query
    def order(self, tx: Tx, order_id: int) -> OrderView:
        self._read(tx)
        self._order_row(tx, order_id)
        return self._order_view(tx, order_id, action="distribution.order.show")

    @query
    def orders(
        self, tx: Tx, *, code: str | None = None, status: str | None = None, limit: int = 100
    ) -> list[OrderView]:
        self._read(tx)
        stmt = self._newest(tx, d.orders, code, limit)
        if status:
            if status not in ("held", "accepted", "delivered", "refused"):
                raise InvalidInput(
                    "status", f"{status!r} is not held, accepted, delivered or refused"
                )
            stmt = stmt.where(d.orders.c.status == status)
        return [
            self._order_view(tx, order_id, action="distribution.orders")
            for order_id in tx.conn.scalars(stmt)
        ]

    @use_case
    def deliver(self, tx: Tx, order_id: int, *, on: date | None = None) -> OrderView:
        """Ship an accepted order and invoice it with the due date of its terms (DIST-PAY-1);
        a prepaid order (D) ships only when its invoice is paid (款到发货)."""
        tx.actor.require("distribution.deliver")
        day = self._day(tx, on, "on")
        row = self._order_row(tx, order_id, lock=True)
        if row.status != "accepted":
            raise Conflict(f"order {order_id} is {row.status}: only an accepted order ships")
        if day < row.accepted_on:
            raise InvalidInput("on", f"{day} is before the order was accepted ({row.accepted_on})")
        terms = _terms(row)
        if terms.settlement is Settlement.PREPAY:
            invoice = self._invoice_of(tx, order_id)
            if invoice is None or invoice.settled_on is None:
                owed = invoice.amount - invoice.paid if invoice is not None else row.amount
                raise Conflict(
                    f"order {order_id} is prepaid (款到发货): {owed:,.2f} still to pay before it ships",
                    rule="DIST-PAY-1",
                )
        else:
            self._issue_invoice(tx, row, day, terms.due(day))
        self._bump(tx, row, status="delivered", delivered_on=day)
        tx.audit("distribution.deliver", "order", order_id, client_id=row.client_id)
        return self._order_view(tx, order_id)

    @query
    def queue(self, tx: Tx, *, spare: int = 0) -> list[QueueEntry]:
        """Accepted orders in delivery order (DIST-DLV-1, CLS-SCORE-2): A's rush orders first,
        then ``spare`` of B's rush orders (what production can fit in), then class by class,
        by score within a class. Classes are those in force today."""
        self._read(tx)
        if spare < 0:
            raise InvalidInput("spare", "must not be negative")
        o = d.orders.c
        rows = tx.conn.execute(
            select(d.orders, CLIENTS.c.code, CLIENTS.c.name)
            .join(CLIENTS, CLIENTS.c.id == o.client_id)
            .where(o.status == "accepted", readable_clients(tx))
        ).all()
        current = tx.crm.classification.classes_of(tx, SCHEME, {r.client_id for r in rows})
        unpaid = self._unpaid_prepayments(tx, [r.id for r in rows])
        items = {
            r.id: domain.Queued(
                order_id=r.id,
                cls=current[r.client_id].cls if r.client_id in current else r.score_class,
                score=current[r.client_id].value if r.client_id in current else Decimal(0),
                rush=r.rush,
                placed=r.placed_at,
            )
            for r in rows
        }
        by_id = {r.id: r for r in rows}
        today = self._today(tx)
        entries = [
            QueueEntry(
                position=i,
                order_id=q.order_id,
                client_code=by_id[q.order_id].code,
                client_name=by_id[q.order_id].name,
                score_class=q.cls,
                score=q.score,
                rush=q.rush,
                placed_on=by_id[q.order_id].placed_on,
                promised_on=by_id[q.order_id].promised_on,
                late=by_id[q.order_id].promised_on is not None
                and by_id[q.order_id].promised_on < today,
                awaiting_prepayment=q.order_id in unpaid,
            )
            for i, q in enumerate(domain.delivery_order(list(items.values()), spare), 1)
        ]
        return self._present_all(
            tx,
            [(e, by_id[e.order_id].client_id) for e in entries],
            "distribution.queue_entry",
            "distribution.queue",
        )

    # -- for the workflows -----------------------------------------------------------------------

    def release(self, tx: Tx, order_id: int) -> None:
        """An approval of a held order came through: accept it once all its approvals have."""
        row = self._order_row(tx, order_id)
        if row.status != "held":
            return
        instances = tx.crm.workflows.for_entity(tx, ORDER, order_id)
        if all(i.closed and i.state == "approved" for i in instances):
            self._accept(tx, order_id)

    def refuse(self, tx: Tx, order_id: int, reason: str | None) -> None:
        row = self._order_row(tx, order_id)
        if row.status == "held":
            self._bump(tx, row, status="refused", closed_reason=reason)
            tx.audit("distribution.order.refused", "order", order_id, client_id=row.client_id)

    # -- invoices and payments -----------------------------------------------------------------

    @use_case
    def pay(self, tx: Tx, invoice_id: int, amount: Any, *, on: date | None = None) -> PaymentResult:
        """Record a payment on an invoice. More than is owed is refused. Paid after the due
        date, the invoice counts as a late payment; the second in a calendar quarter lowers
        the payment terms one class at once (DIST-PAY-2)."""
        tx.actor.require("distribution.pay")
        value = domain.amount("amount", amount, positive=True)
        day = self._day(tx, on, "on")
        i = d.invoices.c
        row = tx.conn.execute(
            select(d.invoices).where(i.id == invoice_id).with_for_update()
        ).first()
        if row is None:
            raise NotFound(f"invoice: unknown invoice {invoice_id}")
        self._require_readable(tx, row.client_id)
        owed = row.amount - row.paid
        if value > owed:
            raise InvalidInput(
                "amount",
                f"{value:,.2f} is more than the {owed:,.2f} still owed on invoice {invoice_id}",
            )
        if day < row.issued_on:
            raise InvalidInput(
                "on", f"{day} is before invoice {invoice_id} was issued ({row.issued_on})"
            )
        late = day > row.due_on
        counted = late and row.late_on is None
        paid = row.paid + value
        done = tx.conn.execute(
            update(d.invoices)
            .where(i.id == invoice_id, i.paid == row.paid)
            .values(
                paid=paid,
                settled_on=day if paid == row.amount else None,
                late_on=day if counted else row.late_on,
            )
        ).rowcount
        if done != 1:
            raise Conflict(f"invoice {invoice_id} changed meanwhile; try again")
        tx.conn.execute(
            d.payments.insert().values(
                invoice_id=invoice_id,
                amount=value,
                paid_on=day,
                late=late,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        )
        tx.audit(
            "distribution.payment",
            "invoice",
            invoice_id,
            client_id=row.client_id,
            detail={"late": late, "settled": paid == row.amount},
        )
        downgrade = self._late_payment(tx, row.distributor_id, day) if counted else None
        return PaymentResult(
            invoice=self._invoice_view(tx, invoice_id, action=None), late=late, downgrade=downgrade
        )

    @query
    def invoices(
        self, tx: Tx, *, code: str | None = None, open_only: bool = False, limit: int = 100
    ) -> list[InvoiceView]:
        self._read(tx)
        stmt = self._newest(tx, d.invoices, code, limit)
        if open_only:
            stmt = stmt.where(d.invoices.c.settled_on.is_(None))
        return [
            self._invoice_view(tx, invoice_id, action="distribution.invoices")
            for invoice_id in tx.conn.scalars(stmt)
        ]

    def _late_payment(self, tx: Tx, dist_id: int, day: date) -> CreditEventView | None:
        """DIST-PAY-2: count the late payments in the window; lower the terms at the N-th."""
        rule = self._policy(tx, "DIST-PAY-2", day)
        i, e = d.invoices.c, d.credit_events.c
        dist = self._distributor_by_id(tx, dist_id)
        if rule.window == "calendar_quarter":
            quarter = Period.containing(day, PeriodKind.QUARTER)
            start, period = quarter.start, str(quarter)
            if tx.conn.scalar(
                select(e.id).where(
                    e.distributor_id == dist_id, e.kind == "downgrade", e.period == period
                )
            ):
                return None  # one class per quarter, whatever the count
        else:
            period = None
            start = domain.add_months(day, -3) + timedelta(days=1)
            last = tx.conn.scalar(
                select(func.max(e.occurred_on)).where(
                    e.distributor_id == dist_id, e.kind == "downgrade"
                )
            )
            if last is not None and last >= start:
                start = last + timedelta(days=1)
        late = tx.conn.execute(
            select(i.id, i.late_on)
            .where(i.distributor_id == dist_id, i.late_on >= start, i.late_on <= day)
            .order_by(i.late_on, i.id)
        ).all()
        if len(late) < rule.late_payments:
            return None
        standing = self._standing(tx, dist)
        if standing.payment_class is None or standing.payment_class == "D":
            return None  # nothing below D (rules audit A8)
        to = domain.lower(standing.payment_class)
        where = period or f"3 months to {day}"
        event_id = self._event(
            tx,
            dist_id,
            dist.client_id,
            "downgrade",
            "DIST-PAY-2",
            day,
            f"payment terms lowered from class {standing.payment_class} to {to}: "
            f"{len(late)} late payments in {where}",
            {
                "from": standing.payment_class,
                "to": to,
                "invoices": [r.id for r in late],
                "window": rule.window,
            },
            period=period,
            score_run_id=standing.score_run_id,
        )
        tx.audit(
            "distribution.downgrade",
            "distributor",
            dist_id,
            client_id=dist.client_id,
            detail={"from": standing.payment_class, "to": to, "period": where},
        )
        code = tx.conn.scalar(select(CLIENTS.c.code).where(CLIENTS.c.id == dist.client_id))
        return next(v for v in self._events(tx, code, action=None) if v.id == event_id)

    def _accept(self, tx: Tx, order_id: int) -> None:
        row = self._order_row(tx, order_id)
        today = self._today(tx)
        days = getattr(self._policy(tx, "DIST-DLV-1"), f"{row.score_class.lower()}_days")
        self._bump(
            tx,
            row,
            status="accepted",
            accepted_on=today,
            promised_on=today + timedelta(days=days) if days else None,
        )
        if row.settlement == Settlement.PREPAY.value:
            self._issue_invoice(tx, row, today, today)  # 款到发货: due before shipment
        tx.audit("distribution.order.accepted", "order", order_id, client_id=row.client_id)

    def _issue_invoice(self, tx: Tx, row: Row[Any], issued: date, due: date) -> None:
        tx.conn.execute(
            d.invoices.insert().values(
                order_id=row.id,
                distributor_id=row.distributor_id,
                client_id=row.client_id,
                amount=row.amount,
                paid=ZERO,
                issued_on=issued,
                due_on=due,
                created_at=tx.now,
                created_by=tx.actor.user_id,
            )
        )

    def _bump(self, tx: Tx, row: Row[Any], **values: Any) -> None:
        o = d.orders.c
        done = tx.conn.execute(
            update(d.orders)
            .where(o.id == row.id, o.version == row.version)
            .values(**values, version=row.version + 1)
        ).rowcount
        if done != 1:
            raise Conflict(f"order {row.id} changed meanwhile; try again")

    def _order_row(self, tx: Tx, order_id: int, *, lock: bool = False) -> Row[Any]:
        stmt = select(d.orders).where(d.orders.c.id == order_id)
        if lock:
            stmt = stmt.with_for_update()
        row = tx.conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"order: unknown order {order_id}")
        self._require_readable(tx, row.client_id)
        return row

    def _order_view(self, tx: Tx, order_id: int, *, action: str | None = None) -> OrderView:
        row = tx.conn.execute(select(d.orders).where(d.orders.c.id == order_id)).one()
        l_, p = d.order_lines.c, d.products.c
        lines = tx.conn.execute(
            select(d.order_lines, p.code)
            .join(d.products, p.id == l_.product_id)
            .where(l_.order_id == order_id)
            .order_by(l_.line_no)
        ).all()
        invoice = self._invoice_of(tx, order_id)
        code = tx.conn.scalar(select(CLIENTS.c.code).where(CLIENTS.c.id == row.client_id))
        flows = (
            tuple(i.id for i in tx.crm.workflows.for_entity(tx, ORDER, order_id))
            if tx.actor.can("workflow.read")
            else ()
        )
        view = OrderView(
            id=row.id,
            client_code=code,
            status=row.status,
            amount=row.amount,
            rush=row.rush,
            score_class=row.score_class,
            payment_class=row.payment_class,
            credit_grade=row.credit_grade,
            terms=str(_terms(row)),
            credit_limit=row.credit_limit,
            exposure=row.exposure,
            holds=tuple(row.holds),
            workflows=flows,
            exception=row.exception,
            placed_on=row.placed_on,
            accepted_on=row.accepted_on,
            promised_on=row.promised_on,
            delivered_on=row.delivered_on,
            closed_reason=row.closed_reason,
            invoice_id=invoice.id if invoice is not None else None,
            lines=tuple(
                LineView(
                    line_no=x.line_no,
                    product=x.code,
                    quantity=x.quantity,
                    unit_price=x.unit_price,
                    control_price=x.control_price,
                    floor_price=x.floor_price,
                    amount=x.amount,
                )
                for x in lines
            ),
        )
        return self._present(tx, view, "distribution.order", row.client_id, action)

    def _invoice_of(self, tx: Tx, order_id: int) -> Row[Any] | None:
        return tx.conn.execute(select(d.invoices).where(d.invoices.c.order_id == order_id)).first()

    def _invoice_view(self, tx: Tx, invoice_id: int, *, action: str | None) -> InvoiceView:
        i, o = d.invoices.c, d.orders.c
        row = tx.conn.execute(
            select(d.invoices, o.settlement, CLIENTS.c.code)
            .join(d.orders, o.id == i.order_id)
            .join(CLIENTS, CLIENTS.c.id == i.client_id)
            .where(i.id == invoice_id)
        ).one()
        view = InvoiceView(
            id=row.id,
            order_id=row.order_id,
            client_code=row.code,
            amount=row.amount,
            paid=row.paid,
            outstanding=row.amount - row.paid,
            issued_on=row.issued_on,
            due_on=row.due_on,
            settled_on=row.settled_on,
            late_on=row.late_on,
            prepayment=row.settlement == Settlement.PREPAY.value,
        )
        return self._present(tx, view, "distribution.invoice", row.client_id, action)

    def _unpaid_prepayments(self, tx: Tx, order_ids: Sequence[int]) -> set[int]:
        if not order_ids:
            return set()
        i, o = d.invoices.c, d.orders.c
        return set(
            tx.conn.scalars(
                select(o.id)
                .join(d.invoices, i.order_id == o.id)
                .where(
                    o.id.in_(list(order_ids)),
                    o.settlement == Settlement.PREPAY.value,
                    i.settled_on.is_(None),
                )
            )
        )


def _terms(row: Row[Any]) -> Terms:
    return Terms(Settlement(row.settlement), months=row.terms_months, days=row.terms_days)


def _bound_text(cls: str, bounds: Any) -> str:
    if cls == "D":
        return f"{bounds.d_markup}% above"
    off = getattr(bounds, f"{cls.lower()}_discount_up_to")
    return f"{off}% off" if off else "not below"


def _hold_comment(hold: str, standing: Standing, reason: str | None) -> str:
    """The step's comment, for everyone who reads the approval: the excess itself is in
    ``data.excess``, withheld from those without the credit permission (DIST-CRED-1)."""
    if hold == "credit_override":
        return "over the credit limit (DIST-CRED-2)"
    if hold == "price_exception":
        return f"price below the class {standing.score_class} bound: {reason} (DIST-PRICE-1)"
    return "class D order: strict review before acceptance (DIST-DLV-1)"
