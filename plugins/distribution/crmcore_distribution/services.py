"""Use cases of distributor credit tiers (DIST-*): profile, products, orders, invoices,
payments, credit reviews, investigations, the delivery queue.

Two A-D classes (rules audit 1.1): the *score class* is the client's class in the CLS-SCORE-1
run in force (core classification); it sets the price floor (DIST-PRICE-1), the payment terms
(DIST-PAY-1, lowered by late payments, DIST-PAY-2) and delivery (DIST-DLV-1, CLS-SCORE-2). The
*credit grade* is set by the credit committee (DIST-CRED-3) and decides credit (DIST-CRED-1/2).

Every method is one transaction (pass an Actor) or joins the caller's (pass a Tx, as the
workflow callbacks do). Writes that race (two orders against one limit, two payments of one
invoice) lock the distributor or invoice row and update with compare-and-set.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from crmcore import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Service,
    Tx,
    query,
    readable_clients,
    use_case,
)
from crmcore.calendar import Period, PeriodKind, china_date, start_of_day
from crmcore.store import metadata
from crmcore_distribution import domain
from crmcore_distribution import tables as d
from crmcore_distribution.domain import GRADES, NewOrder, Settlement, Terms

SCHEME = "CLS-SCORE-1"
ORDER = "distribution_order"
DISTRIBUTOR = "distribution_distributor"
#: The workflow that holds an order for each reason.
HOLDS = {
    "price_exception": "distribution.price_exception",  # DIST-PRICE-1, "in principle"
    "credit_override": "distribution.credit_override",  # DIST-CRED-2
    "order_review": "distribution.order_review",  # DIST-DLV-1: D's orders reviewed strictly
}
REVIEW = "distribution.credit_review"  # DIST-CRED-3
INVESTIGATION = "distribution.investigation"  # DIST-CRED-4
ZERO = Decimal("0.00")
CLIENTS = metadata.tables["clients"]
USERS = metadata.tables["users"]


@frozen(kw_only=True)
class Standing:
    """Where a distributor stands today."""

    score_class: str | None  # CLS-SCORE-1 in force
    score: Decimal | None
    score_run_id: int | None
    downgrades: int  # DIST-PAY-2 steps since that run
    payment_class: str | None
    credit_grade: str


@frozen(kw_only=True)
class DistributorView:
    client_code: str
    client_name: str
    score_class: str | None
    score: Decimal | None
    payment_class: str | None
    downgrades: int
    credit_grade: str
    credit_limit: Decimal
    period_sales: Decimal | None
    terms: str | None
    receivables: Decimal  # unpaid invoices (not prepayments)
    committed: Decimal  # open orders on credit, not invoiced yet
    exposure: Decimal
    available: Decimal  # limit - exposure (negative: over the limit)
    registered_at: datetime


@frozen(kw_only=True)
class LineView:
    line_no: int
    product: str
    quantity: Decimal
    unit_price: Decimal
    control_price: Decimal
    floor_price: Decimal
    amount: Decimal


@frozen(kw_only=True)
class OrderView:
    id: int
    client_code: str
    status: str
    amount: Decimal
    rush: bool
    score_class: str
    payment_class: str
    credit_grade: str
    terms: str
    credit_limit: Decimal
    exposure: Decimal
    holds: tuple[str, ...]
    workflows: tuple[int, ...]
    exception: str | None
    placed_on: date
    accepted_on: date | None
    promised_on: date | None
    delivered_on: date | None
    closed_reason: str | None
    invoice_id: int | None
    lines: tuple[LineView, ...]


@frozen(kw_only=True)
class InvoiceView:
    id: int
    order_id: int
    client_code: str
    amount: Decimal
    paid: Decimal
    outstanding: Decimal
    issued_on: date
    due_on: date
    settled_on: date | None
    late_on: date | None
    prepayment: bool


@frozen(kw_only=True)
class CreditEventView:
    id: int
    client_code: str
    kind: str
    rule: str
    occurred_on: date
    period: str | None
    summary: str
    detail: dict[str, Any]
    workflow_id: int | None
    at: datetime
    by: str


@frozen(kw_only=True)
class PaymentResult:
    invoice: InvoiceView
    late: bool
    downgrade: CreditEventView | None  # DIST-PAY-2, when this payment triggered one


@frozen(kw_only=True)
class ProductView:
    code: str
    name: str
    unit: str
    control_price: Decimal | None
    since: date | None


@frozen(kw_only=True)
class QueueEntry:
    position: int
    order_id: int
    client_code: str
    client_name: str
    score_class: str
    score: Decimal
    rush: bool
    placed_on: date
    promised_on: date | None
    late: bool  # past its promised date
    awaiting_prepayment: bool  # DIST-PAY-1: D ships only when paid


class DistributionService(Service):
    """``DistributionService(crm).place(actor, "C000001", NewOrder(...))``."""

    # -- distributors ---------------------------------------------------------------------------

    @use_case
    def register(
        self, tx: Tx, code: str, *, grade: str | None = None, limit: Any = None
    ) -> DistributorView:
        """Make a client a distributor, at the initial credit grade (DIST-CRED-1; C unless
        given) and limit (0 unless given). Later changes go through a credit review."""
        tx.actor.require("distribution.manage")
        client = tx.crm.clients.get(tx, code)
        rules = self._policy(tx, "DIST-CRED-1")
        grade = _grade(grade or rules.initial_grade)
        credit = domain.amount("limit", "0" if limit is None else limit, rule="DIST-CRED-1")
        _check_limit(grade, credit, rules, cap=None)
        if tx.conn.scalar(
            select(d.distributors.c.id).where(d.distributors.c.client_id == client.id)
        ):
            raise Conflict(f"client {code} is already a distributor")
        dist_id = tx.conn.execute(
            d.distributors.insert().values(
                client_id=client.id,
                credit_grade=grade,
                credit_limit=credit,
                version=1,
                registered_at=tx.now,
                registered_by=tx.actor.user_id,
                updated_at=tx.now,
            )
        ).inserted_primary_key[0]
        self._event(
            tx,
            dist_id,
            client.id,
            "registered",
            "DIST-CRED-1",
            self._today(tx),
            f"registered as a distributor at credit grade {grade}, limit {credit:,.2f}",
            {"grade": grade, "limit": str(credit)},
        )
        tx.audit(
            "distribution.register",
            "distributor",
            code,
            client_id=client.id,
            detail={"grade": grade},
        )
        return self.get(tx, code)

    @query
    def get(self, tx: Tx, code: str) -> DistributorView:
        self._read(tx)
        return self._views(tx, [self._distributor(tx, code)])[0]

    @query
    def list(self, tx: Tx) -> list[DistributorView]:
        self._read(tx)
        rows = tx.conn.execute(
            select(d.distributors)
            .join(CLIENTS, CLIENTS.c.id == d.distributors.c.client_id)
            .where(readable_clients(tx))
            .order_by(CLIENTS.c.code)
        ).all()
        return self._views(tx, rows)

    # -- products and control prices -------------------------------------------------------------

    @use_case
    def add_product(
        self,
        tx: Tx,
        code: str,
        name: str,
        control_price: Any,
        *,
        unit: str = "件",
        effective_from: date | None = None,
    ) -> ProductView:
        tx.actor.require("distribution.manage")
        line = domain.parse_line(1, {"product": code, "quantity": "1", "unit_price": control_price})
        if not name or not name.strip() or len(name) > 200:
            raise InvalidInput("name", "a product needs a name of at most 200 characters")
        if tx.conn.scalar(select(d.products.c.id).where(d.products.c.code == line.product)):
            raise Conflict(f"product {line.product} already exists")
        product_id = tx.conn.execute(
            d.products.insert().values(
                code=line.product,
                name=name.strip(),
                unit=(unit or "件").strip()[:20],
                created_at=tx.now,
                created_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        self._price(tx, product_id, line.unit_price, effective_from, "new product")
        tx.audit("distribution.product", "product", line.product)
        return self._product_view(tx, line.product, effective_from or self._today(tx))

    @use_case
    def set_control_price(
        self,
        tx: Tx,
        code: str,
        price: Any,
        *,
        effective_from: date | None = None,
        reason: str | None = None,
    ) -> ProductView:
        """A new internal control price (内控价) from a date (today or later); the old one
        stays for orders placed before it."""
        tx.actor.require("distribution.manage")
        product = self._product(tx, code)
        value = domain.amount("price", price, positive=True, rule="DIST-PRICE-1")
        self._price(tx, product.id, value, effective_from, reason)
        tx.audit("distribution.control_price", "product", code)
        return self._product_view(tx, code, effective_from or self._today(tx))

    @query
    def products(self, tx: Tx, *, on: date | None = None) -> list[ProductView]:
        self._read(tx)
        day = on or self._today(tx)
        codes = tx.conn.scalars(select(d.products.c.code).order_by(d.products.c.code)).all()
        return [self._product_view(tx, code, day) for code in codes]

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
                comment=_hold_comment(hold, standing, excess, new.exception),
            )
        if not holds:
            self._accept(tx, order_id)
        return self._order_view(tx, order_id)

    @query
    def order(self, tx: Tx, order_id: int) -> OrderView:
        self._read(tx)
        self._order_row(tx, order_id)
        return self._order_view(tx, order_id)

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
        return [self._order_view(tx, order_id) for order_id in tx.conn.scalars(stmt)]

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
        return [
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
            invoice=self._invoice_view(tx, invoice_id), late=late, downgrade=downgrade
        )

    @query
    def invoices(
        self, tx: Tx, *, code: str | None = None, open_only: bool = False, limit: int = 100
    ) -> list[InvoiceView]:
        self._read(tx)
        stmt = self._newest(tx, d.invoices, code, limit)
        if open_only:
            stmt = stmt.where(d.invoices.c.settled_on.is_(None))
        return [self._invoice_view(tx, invoice_id) for invoice_id in tx.conn.scalars(stmt)]

    # -- credit: reviews, investigations, the receivables record -------------------------------

    @use_case
    def propose_review(
        self,
        tx: Tx,
        code: str,
        *,
        grade: str,
        limit: Any,
        reason: str,
        period_sales: Any = None,
    ) -> Any:
        """Finance proposes a credit grade and limit (DIST-CRED-3); the credit committee
        approves through the ``distribution.credit_review`` workflow."""
        tx.actor.require("distribution.credit")
        dist = self._distributor(tx, code)
        proposal = self._proposal(tx, dist, grade, limit, period_sales)
        reason = _text("reason", reason, "a credit review needs a reason")
        if any(
            not i.closed
            for i in tx.crm.workflows.for_entity(tx, DISTRIBUTOR, dist.id)
            if i.workflow == REVIEW
        ):
            raise Conflict(
                f"distributor {code} already has a credit review waiting", rule="DIST-CRED-3"
            )
        return tx.crm.workflows.start(
            tx,
            REVIEW,
            code,
            entity_type=DISTRIBUTOR,
            entity_id=dist.id,
            data={
                **proposal,
                "reason": reason,
                "previous_grade": dist.credit_grade,
                "previous_limit": str(dist.credit_limit),
            },
            comment=reason,
        )

    def apply_review(self, tx: Tx, instance: Any, data: Mapping[str, Any]) -> None:
        """The committee approved (called by the workflow): apply grade and limit, checked
        again against the rules in force now."""
        dist = self._distributor_by_id(tx, int(instance.entity_id))
        proposal = self._proposal(tx, dist, data["grade"], data["limit"], data.get("period_sales"))
        grade, limit = proposal["grade"], Decimal(proposal["limit"])
        self._bump_distributor(
            tx,
            dist,
            credit_grade=grade,
            credit_limit=limit,
            period_sales=Decimal(proposal["period_sales"]) if proposal["period_sales"] else None,
        )
        self._event(
            tx,
            dist.id,
            dist.client_id,
            "review",
            "DIST-CRED-3",
            self._today(tx),
            f"credit grade {dist.credit_grade} -> {grade}, limit {dist.credit_limit:,.2f} -> "
            f"{limit:,.2f}, approved by the credit committee",
            {**proposal, "reason": data.get("reason"), "approved_by": tx.actor.login},
            workflow_id=instance.id,
        )
        tx.audit(
            "distribution.review",
            "distributor",
            instance.client_code,
            client_id=dist.client_id,
            detail={"fields": ["credit_grade", "credit_limit"], "workflow": instance.id},
        )

    @use_case
    def request_investigation(self, tx: Tx, code: str, *, reason: str) -> Any:
        """Sales asks finance to investigate a client's credit (DIST-CRED-4)."""
        tx.actor.require("distribution.order")
        dist = self._distributor(tx, code)
        reason = _text("reason", reason, "say why the investigation is needed")
        return tx.crm.workflows.start(
            tx,
            INVESTIGATION,
            code,
            entity_type=DISTRIBUTOR,
            entity_id=dist.id,
            data={"request": reason},
            comment=reason,
        )

    @use_case
    def file_investigation(
        self,
        tx: Tx,
        instance_id: int,
        *,
        channel: str,
        findings: str,
        rating: str | None = None,
    ) -> Any:
        """Finance files the report (channel: a bank, per the source); it goes into the
        client's receivables record (CORE-ARC-1 category 3)."""
        tx.actor.require("distribution.credit")
        data = {"channel": channel, "findings": findings, "rating": rating or ""}
        problem = self.report_problem(tx, data)
        if problem:
            field, message = problem
            raise InvalidInput(field, message, rule="DIST-CRED-4")
        return tx.crm.workflows.advance(tx, instance_id, "file", data=data)

    def report_problem(self, tx: Tx, data: Mapping[str, Any]) -> tuple[str, str] | None:
        channels = self._policy(tx, "DIST-CRED-4").channels
        if str(data.get("channel") or "").strip() not in channels:
            return "channel", f"{data.get('channel')!r} is not one of {', '.join(channels)}"
        findings = str(data.get("findings") or "").strip()
        if not findings:
            return "findings", "an investigation report needs its findings"
        if len(findings) > 4000:
            return "findings", "is longer than 4000 characters"
        return None

    def file_report(self, tx: Tx, instance: Any, data: Mapping[str, Any]) -> None:
        """The report is filed (called by the workflow)."""
        dist = self._distributor_by_id(tx, int(instance.entity_id))
        self._event(
            tx,
            dist.id,
            dist.client_id,
            "investigation",
            "DIST-CRED-4",
            self._today(tx),
            f"credit investigation through {data['channel']}: {str(data['findings'])[:80]}",
            {
                "channel": data["channel"],
                "findings": data["findings"],
                "rating": data.get("rating") or None,
                "requested": data.get("request"),
                "requested_by": instance.started_by,
                "filed_by": tx.actor.login,
            },
            workflow_id=instance.id,
        )
        tx.audit(
            "distribution.investigation",
            "distributor",
            instance.client_code,
            client_id=dist.client_id,
            detail={"channel": data["channel"], "workflow": instance.id},
        )

    @query
    def events(self, tx: Tx, code: str) -> list[CreditEventView]:
        """The client's receivables record: registration, reviews, downgrades, investigations."""
        self._read(tx)
        dist = self._distributor(tx, code)
        e = d.credit_events.c
        rows = tx.conn.execute(
            select(d.credit_events, USERS.c.login)
            .join(USERS, USERS.c.id == e.by)
            .where(e.distributor_id == dist.id)
            .order_by(e.occurred_on, e.id)
        ).all()
        return [_event_view(code, r) for r in rows]

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

    # -- the quarterly report and the review obligation -----------------------------------------

    def report_columns(
        self, tx: Tx, period: Period, codes: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """CORE-ARC-3 columns: credit grade and limit, receivables at the period's end, late
        payments in the period, payment class now."""
        c = CLIENTS.c
        rows = tx.conn.execute(
            select(d.distributors, c.code)
            .join(CLIENTS, c.id == d.distributors.c.client_id)
            .where(c.code.in_(list(codes)))
        ).all()
        if not rows:
            return {}
        ids = [r.id for r in rows]
        i, p = d.invoices.c, d.payments.c
        issued = dict(
            tx.conn.execute(
                select(i.distributor_id, func.sum(i.amount))
                .where(i.distributor_id.in_(ids), i.issued_on <= period.end)
                .group_by(i.distributor_id)
            ).all()
        )
        paid = dict(
            tx.conn.execute(
                select(i.distributor_id, func.sum(p.amount))
                .join(d.invoices, i.id == p.invoice_id)
                .where(i.distributor_id.in_(ids), p.paid_on <= period.end)
                .group_by(i.distributor_id)
            ).all()
        )
        late = dict(
            tx.conn.execute(
                select(i.distributor_id, func.count())
                .where(
                    i.distributor_id.in_(ids), i.late_on >= period.start, i.late_on <= period.end
                )
                .group_by(i.distributor_id)
            ).all()
        )
        standing = {r.id: self._standing(tx, r) for r in rows}
        return {
            "credit_grade": {r.code: standing[r.id].credit_grade for r in rows},
            "credit_limit": {r.code: r.credit_limit for r in rows},
            "receivables": {
                r.code: (issued.get(r.id) or ZERO) - (paid.get(r.id) or ZERO) for r in rows
            },
            "late_payments": {r.code: late.get(r.id, 0) for r in rows},
            "payment_class": {r.code: standing[r.id].payment_class for r in rows},
        }

    def reviews_due(
        self, tx: Tx, start: date, end: date
    ) -> Iterable[tuple[str, str, date, datetime | None]]:
        """DIST-CRED-3: (client code, period, due date, when reviewed) for every distributor
        and review period ending within [start, end]. Periods are blocks of the policy's
        months from January; a distributor owes the periods that begin after it registered."""
        months = self._policy(tx, "DIST-CRED-3", end).review_months
        c, e = CLIENTS.c, d.credit_events.c
        dists = tx.conn.execute(
            select(d.distributors.c.id, d.distributors.c.registered_at, c.code)
            .join(CLIENTS, c.id == d.distributors.c.client_id)
            .order_by(c.code)
        ).all()
        reviews: dict[int, list[datetime]] = {}
        for r in tx.conn.execute(
            select(e.distributor_id, e.at).where(e.kind == "review").order_by(e.at)
        ):
            reviews.setdefault(r.distributor_id, []).append(r.at)
        for year in range(start.year, end.year + 1):
            for first in range(1, 13, months):
                begin = date(year, first, 1)
                finish = domain.add_months(begin, months) - timedelta(days=1)
                if not start <= finish <= end:
                    continue
                label = f"{begin:%Y-%m}..{finish:%Y-%m}"
                for dist in dists:
                    if dist.registered_at > start_of_day(begin):
                        continue
                    done = next(
                        (at for at in reviews.get(dist.id, []) if at >= start_of_day(begin)), None
                    )
                    yield dist.code, label, finish, done

    # -- internals -------------------------------------------------------------------------------

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

    def _views(self, tx: Tx, rows: Sequence[Row[Any]]) -> list[DistributorView]:
        exposure = self._exposure(tx, [r.id for r in rows]) if rows else {}
        clients = {
            r.id: r
            for r in tx.conn.execute(
                select(CLIENTS.c.id, CLIENTS.c.code, CLIENTS.c.name).where(
                    CLIENTS.c.id.in_([r.client_id for r in rows])
                )
            )
        }
        pay = self._policy(tx, "DIST-PAY-1")
        views = []
        for r in rows:
            standing = self._standing(tx, r)
            owed, committed = exposure.get(r.id, (ZERO, ZERO))
            terms = (
                domain.terms_for(standing.payment_class, standing.credit_grade, r.credit_limit, pay)
                if standing.payment_class
                else None
            )
            views.append(
                DistributorView(
                    client_code=clients[r.client_id].code,
                    client_name=clients[r.client_id].name,
                    score_class=standing.score_class,
                    score=standing.score,
                    payment_class=standing.payment_class,
                    downgrades=standing.downgrades,
                    credit_grade=standing.credit_grade,
                    credit_limit=r.credit_limit,
                    period_sales=r.period_sales,
                    terms=str(terms) if terms else None,
                    receivables=owed,
                    committed=committed,
                    exposure=owed + committed,
                    available=r.credit_limit - owed - committed,
                    registered_at=r.registered_at,
                )
            )
        return views

    def _proposal(
        self, tx: Tx, dist: Row[Any], grade: Any, limit: Any, period_sales: Any
    ) -> dict[str, Any]:
        grade = _grade(grade)
        credit = domain.amount("limit", limit, rule="DIST-CRED-1")
        sales = (
            None
            if period_sales is None or str(period_sales).strip() == ""
            else domain.amount("period_sales", period_sales, rule="DIST-CRED-1")
        )
        rules = self._policy(tx, "DIST-CRED-1")
        cap = None
        if grade == "A":
            if rules.a_cap == "invoiced":
                months = self._policy(tx, "DIST-PAY-1").a_months
                since = domain.add_months(self._today(tx), -months)
                i = d.invoices.c
                cap = (
                    tx.conn.scalar(
                        select(func.sum(i.amount)).where(
                            i.distributor_id == dist.id, i.issued_on > since
                        )
                    )
                    or ZERO
                )
            elif sales is None:
                raise InvalidInput(
                    "period_sales",
                    "grade A needs the sales of the contracted account period: its limit may "
                    "not exceed them",
                    rule="DIST-CRED-1",
                )
            else:
                cap = sales
        _check_limit(grade, credit, rules, cap=cap)
        return {
            "grade": grade,
            "limit": str(credit),
            "period_sales": str(sales) if sales is not None else None,
        }

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
        return next(v for v in self.events(tx, code) if v.id == event_id)

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

    def _bump_distributor(self, tx: Tx, row: Row[Any], **values: Any) -> None:
        c = d.distributors.c
        done = tx.conn.execute(
            update(d.distributors)
            .where(c.id == row.id, c.version == row.version)
            .values(**values, version=row.version + 1, updated_at=tx.now)
        ).rowcount
        if done != 1:
            raise Conflict("the distributor changed meanwhile; try again")

    def _order_row(self, tx: Tx, order_id: int, *, lock: bool = False) -> Row[Any]:
        stmt = select(d.orders).where(d.orders.c.id == order_id)
        if lock:
            stmt = stmt.with_for_update()
        row = tx.conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"order: unknown order {order_id}")
        self._require_readable(tx, row.client_id)
        return row

    def _order_view(self, tx: Tx, order_id: int) -> OrderView:
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
        return OrderView(
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

    def _invoice_of(self, tx: Tx, order_id: int) -> Row[Any] | None:
        return tx.conn.execute(select(d.invoices).where(d.invoices.c.order_id == order_id)).first()

    def _invoice_view(self, tx: Tx, invoice_id: int) -> InvoiceView:
        i, o = d.invoices.c, d.orders.c
        row = tx.conn.execute(
            select(d.invoices, o.settlement, CLIENTS.c.code)
            .join(d.orders, o.id == i.order_id)
            .join(CLIENTS, CLIENTS.c.id == i.client_id)
            .where(i.id == invoice_id)
        ).one()
        return InvoiceView(
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

    def _product(self, tx: Tx, code: str, *, field: str = "product") -> Row[Any]:
        row = tx.conn.execute(select(d.products).where(d.products.c.code == code)).first()
        if row is None:
            raise InvalidInput(field, f"unknown product {code!r}")
        return row

    def _control_price(self, tx: Tx, product: Row[Any], day: date) -> Decimal:
        c = d.control_prices.c
        price = tx.conn.scalar(
            select(c.price)
            .where(c.product_id == product.id, c.effective_from <= day)
            .order_by(c.effective_from.desc(), c.id.desc())
            .limit(1)
        )
        if price is None:
            raise Conflict(
                f"product {product.code} has no control price on {day}", rule="DIST-PRICE-1"
            )
        return price

    def _price(
        self,
        tx: Tx,
        product_id: int,
        price: Decimal,
        effective_from: date | None,
        reason: str | None,
    ) -> None:
        today = self._today(tx)
        start = effective_from or today
        if start < today:
            raise InvalidInput(
                "from",
                f"{start} is in the past: a control price applies to new orders only",
                rule="DIST-PRICE-1",
            )
        tx.conn.execute(
            d.control_prices.insert().values(
                product_id=product_id,
                price=price,
                effective_from=start,
                set_at=tx.now,
                set_by=tx.actor.user_id,
                reason=reason,
            )
        )

    def _product_view(self, tx: Tx, code: str, day: date) -> ProductView:
        row = self._product(tx, code)
        c = d.control_prices.c
        price = tx.conn.execute(
            select(c.price, c.effective_from)
            .where(c.product_id == row.id, c.effective_from <= day)
            .order_by(c.effective_from.desc(), c.id.desc())
            .limit(1)
        ).first()
        return ProductView(
            code=row.code,
            name=row.name,
            unit=row.unit,
            control_price=price.price if price else None,
            since=price.effective_from if price else None,
        )


# -- helpers -------------------------------------------------------------------------------------


def _grade(value: Any) -> str:
    grade = str(value or "").strip().upper()
    if grade not in GRADES:
        raise InvalidInput("grade", f"{value!r} is not one of A, B, C, D", rule="DIST-CRED-1")
    return grade


def _check_limit(grade: str, limit: Decimal, rules: Any, *, cap: Decimal | None) -> None:
    """DIST-CRED-1: D no credit; C at most a small limit; A no more than its period's sales."""
    if grade == "D" and limit > 0:
        raise InvalidInput(
            "limit",
            f"grade D gets no credit at all: the limit must be 0, not {limit:,.2f}",
            rule="DIST-CRED-1",
        )
    if grade == "C" and limit > rules.c_max_limit:
        raise InvalidInput(
            "limit",
            f"grade C gets at most a small limit ({rules.c_max_limit:,.2f}), not {limit:,.2f}",
            rule="DIST-CRED-1",
        )
    if grade == "A" and cap is not None and limit > cap:
        raise InvalidInput(
            "limit",
            f"grade A's limit may not exceed its sales in the account period ({cap:,.2f}), "
            f"not {limit:,.2f}",
            rule="DIST-CRED-1",
        )


def _text(field: str, value: Any, message: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(field, message)
    if len(text) > 2000:
        raise InvalidInput(field, "is longer than 2000 characters")
    return text


def _terms(row: Row[Any]) -> Terms:
    return Terms(Settlement(row.settlement), months=row.terms_months, days=row.terms_days)


def _bound_text(cls: str, bounds: Any) -> str:
    if cls == "D":
        return f"{bounds.d_markup}% above"
    off = getattr(bounds, f"{cls.lower()}_discount_up_to")
    return f"{off}% off" if off else "not below"


def _hold_comment(hold: str, standing: Standing, excess: Decimal, reason: str | None) -> str:
    if hold == "credit_override":
        return f"over the credit limit by {excess:,.2f} (DIST-CRED-2)"
    if hold == "price_exception":
        return f"price below the class {standing.score_class} bound: {reason} (DIST-PRICE-1)"
    return "class D order: strict review before acceptance (DIST-DLV-1)"


def _event_view(code: str, r: Row[Any]) -> CreditEventView:
    return CreditEventView(
        id=r.id,
        client_code=code,
        kind=r.kind,
        rule=r.rule,
        occurred_on=r.occurred_on,
        period=r.period,
        summary=r.summary,
        detail=dict(r.detail or {}),
        workflow_id=r.workflow_id,
        at=r.at,
        by=r.login,
    )
