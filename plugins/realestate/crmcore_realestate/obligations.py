"""Deadlines the key-account department chases (RE-DEAD-1) and the relationship-unit paperwork
(RE-REL-1), as crmcore obligations: ``crm tasks`` shows the open ones to the sales desk,
``crm obligations`` lists them with their on-time record.

- ``RE-DEAD-1.selection``: each listed buyer selects by the list's selection deadline (done
  when their first ticket is issued);
- ``RE-DEAD-1.payment``: each ticket is paid up by the list's payment deadline (done when the
  receipts reach what is due);
- ``RE-REL-1.paperwork``: the paperwork of a phone-approved relationship unit is filed within
  the policy's working days.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import func, select

from crmcore import Duty, DutyContext, Obligation
from crmcore.calendar import end_of_day
from crmcore_realestate import tables as t
from crmcore_realestate.services import TOWARDS_DUE

DESK = "re_sales"


def _lists(ctx: DutyContext, column: str) -> list:  # type: ignore[type-arg]
    lst = t.buyer_lists.c
    deadline = lst[column]
    return ctx.tx.conn.execute(
        select(t.buyer_lists, t.clients_code.label("client"))
        .join(t.clients, t.clients.c.id == lst.client_id)
        .where(deadline >= ctx.start, deadline <= ctx.end)
    ).all()


def selection(ctx: DutyContext) -> Iterable[Duty]:
    b, tk = t.buyers.c, t.tickets.c
    for lst in _lists(ctx, "selection_deadline"):
        first = (
            select(b.id, b.name, func.min(tk.recorded_at).label("done"))
            .outerjoin(t.tickets, tk.buyer_id == b.id)
            .where(b.list_id == lst.id, b.source == "list")
            .group_by(b.id, b.name)
        )
        for buyer in ctx.tx.conn.execute(first).all():
            yield Duty(
                obligation="RE-DEAD-1.selection",
                subject=f"{lst.number}/{buyer.name}",
                due_at=end_of_day(lst.selection_deadline),
                done_at=buyer.done,
                client_code=lst.client,
                role=DESK,
            )


def payment(ctx: DutyContext) -> Iterable[Duty]:
    b, tk, r = t.buyers.c, t.tickets.c, t.receipts.c
    for lst in _lists(ctx, "payment_deadline"):
        tickets = ctx.tx.conn.execute(
            select(t.tickets)
            .join(t.buyers, b.id == tk.buyer_id)
            .where(b.list_id == lst.id, tk.live_unit_id.is_not(None))
        ).all()
        for ticket in tickets:
            paid = ticket.carried_over
            done = ticket.recorded_at if paid >= ticket.due else None
            receipts = ctx.tx.conn.execute(
                select(r.amount, r.recorded_at)
                .where(r.ticket_id == ticket.id, r.kind.in_(TOWARDS_DUE))
                .order_by(r.id)
            ).all()
            for receipt in receipts if done is None else ():
                paid += Decimal(receipt.amount)
                if paid >= ticket.due:
                    done = receipt.recorded_at
                    break
            yield Duty(
                obligation="RE-DEAD-1.payment",
                subject=ticket.number,
                due_at=end_of_day(lst.payment_deadline),
                done_at=done,
                client_code=lst.client,
                role=DESK,
            )


def paperwork(ctx: DutyContext) -> Iterable[Duty]:
    r = t.relations.c
    rows = ctx.tx.conn.execute(
        select(t.relations).where(r.paperwork_due >= ctx.start, r.paperwork_due <= ctx.end)
    ).all()
    for row in rows:
        yield Duty(
            obligation="RE-REL-1.paperwork",
            subject=f"{row.handler} ({row.department})",
            due_at=end_of_day(row.paperwork_due),
            done_at=None if row.paperwork_on is None else end_of_day(row.paperwork_on),
            role=DESK,
            detail=f"phone approval by {row.phone_approver}",
        )


OBLIGATIONS = (
    Obligation(
        "RE-DEAD-1.selection",
        "Listed buyers select by the deadline",
        selection,
        title_zh="选房期限",
    ),
    Obligation(
        "RE-DEAD-1.payment", "Tickets paid up by the deadline", payment, title_zh="付款期限"
    ),
    Obligation(
        "RE-REL-1.paperwork",
        "Relationship-unit paperwork filed in time",
        paperwork,
        title_zh="关系房补办手续",
    ),
)
