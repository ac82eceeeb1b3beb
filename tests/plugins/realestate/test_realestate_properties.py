"""Property test over random sequences of tickets, buyer's signatures, checks, payments, receipts handed in,
supplementary payments, changes of unit and repeated reversals (RE-INV-1, RE-PAY-1, RE-TICKET-3): whatever happens,

- units sold = vouchers in force, units selected or sold = tickets in force;
- money received = the sum of the receipts minus the refunds (RE-TICKET-3: a change to a
  cheaper unit refunds in red what exceeds the new amount due);
- every reversal pairs with exactly one original, and every original out of force with
  exactly one reversal.
"""

from __future__ import annotations

import itertools
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from realestate_kit import BUYERS, CLIENT, fresh_project, ticket
from sqlalchemy import func, select

from crmcore import Conflict, InvalidInput, PermissionDenied

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("ticket"), st.integers(0, 5), st.integers(0, len(BUYERS) - 1)),
        st.tuples(st.just("check"), st.integers(0, 9)),
        st.tuples(st.just("sign"), st.integers(0, 9)),
        st.tuples(st.just("pay"), st.integers(0, 9), st.sampled_from(["all", "half", "1000"])),
        st.tuples(st.just("change"), st.integers(0, 9), st.integers(0, 5)),
        st.tuples(st.just("supplement"), st.integers(0, 9), st.integers(1, 50000)),
        st.tuples(st.just("reverse_again"), st.integers(0, 9)),
        st.tuples(st.just("settle"), st.integers(0, 9)),
        st.tuples(st.just("handed_in"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=25,
)


def test_money_trail_invariants(re):
    from crmcore_realestate import tables as t

    crm = re.crm
    sales, checker = crm.actor("sales"), crm.actor("checker")
    counter = itertools.count()
    received = {"total": Decimal(0), "refunded": Decimal(0)}

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(OPS)
    def run(ops):
        code = f"P{next(counter)}"
        units = fresh_project(re, code)
        tickets: list[str] = []  # every ticket number issued, in order
        vouchers: list[str] = []  # every voucher seen
        for op in ops:
            try:
                match op:
                    case ("ticket", u, b):
                        tickets.append(
                            re.issue_ticket(sales, code, CLIENT, ticket(units[u], b)).number
                        )
                    case ("sign", i) if tickets:  # RE-TICKET-1: the voucher waits for it
                        view = re.sign_ticket(sales, tickets[i % len(tickets)])
                        vouchers += [view.voucher] if view.voucher else []
                    case ("check", i) if tickets:
                        view = re.check_ticket(checker, tickets[i % len(tickets)])
                        vouchers += [view.voucher] if view.voucher else []
                    case ("pay", i, how) if tickets:
                        number = tickets[i % len(tickets)]
                        view = re.ticket(sales, number)
                        rest = view.due - view.paid
                        amount = {
                            "all": rest,
                            "half": (rest / 2).quantize(Decimal("0.01")),
                            "1000": Decimal(1000),
                        }[how]
                        receipt = re.pay(sales, number, amount)
                        received["total"] += receipt.amount
                        view = re.ticket(sales, number)
                        vouchers += [view.voucher] if view.voucher else []
                    case ("change", i, u) if tickets:
                        view = re.reverse(
                            sales,
                            tickets[i % len(tickets)],
                            "unit_change",
                            "客户联、收据",
                            new_unit=units[u],
                        )
                        tickets.append(view.number)
                        received["refunded"] += view.refunded
                    case ("supplement", i, amount) if tickets:
                        view = re.reverse(
                            sales,
                            tickets[i % len(tickets)],
                            "supplementary_payment",
                            "选房凭证",
                            amount=amount,
                        )
                        received["total"] += amount
                        vouchers += [view.voucher] if view.voucher else []
                    case ("settle", i) if tickets:
                        number = tickets[-1 - i % len(tickets)]
                        view = re.ticket(sales, number)
                        if view.paid < view.due:
                            received["total"] += re.pay(sales, number, view.due - view.paid).amount
                        if not view.signed_by:
                            view = re.sign_ticket(sales, number)
                        view = (
                            re.ticket(sales, number)
                            if view.checked_by
                            else re.check_ticket(checker, number)
                        )
                        vouchers += [view.voucher] if view.voucher else []
                    case ("handed_in", i) if tickets:  # RE-PAY-1's other trigger
                        number = tickets[i % len(tickets)]
                        before = re.ticket(sales, number).paid
                        view = re.receipts_handed_in(checker, number, "委建单位收据")
                        received["total"] += view.paid - before
                        vouchers += [view.voucher] if view.voucher else []
                    case ("reverse_again", i) if vouchers:
                        re.reverse(
                            sales,
                            vouchers[i % len(vouchers)],
                            "supplementary_payment",
                            "选房凭证",
                            amount=1,
                        )
                        received["total"] += 1
            except (Conflict, InvalidInput, PermissionDenied):
                pass  # a refusal: the invariants below show it left nothing behind
        with crm.engine.connect() as conn:

            def count(table, *where):
                return conn.scalar(select(func.count()).select_from(table).where(*where))

            u, tk, v, r = t.units.c, t.tickets.c, t.vouchers.c, t.reversals.c
            assert count(t.units, u.status == "sold") == count(
                t.vouchers, v.live_unit_id.is_not(None)
            )
            assert count(t.units, u.status.in_(["selected", "sold"])) == count(
                t.tickets, tk.live_unit_id.is_not(None)
            )
            rc = t.receipts.c

            def money(*where):
                return conn.scalar(select(func.coalesce(func.sum(rc.amount), 0)).where(*where))

            refunded = -money(rc.kind == "refund")
            assert refunded == received["refunded"] and money(rc.amount < 0) == -refunded
            assert money(rc.kind != "refund") == received["total"]
            assert money() == received["total"] - received["refunded"]
            # a refund is exactly what the carried money exceeds the new ticket's due by
            for row in conn.execute(
                select(tk.number, tk.due, tk.carried_over, rc.amount).join(
                    t.receipts, (rc.ticket_id == tk.id) & (rc.kind == "refund")
                )
            ).all():
                assert row.carried_over + row.amount == row.due, row.number
            for row in conn.execute(select(t.reversals)).all():
                assert (row.voucher_id is None) != (row.ticket_id is None)
            assert count(t.reversals, r.voucher_id.is_not(None)) == count(
                t.vouchers, v.live_unit_id.is_(None)
            )
            assert count(t.reversals, r.ticket_id.is_not(None)) == count(
                t.tickets, tk.live_unit_id.is_(None)
            )
            # RE-TICKET-1: no voucher was ever issued from a ticket without the buyer's signature
            unsigned = conn.execute(
                select(v.id)
                .outerjoin(t.signatures, t.signatures.c.ticket_id == v.ticket_id)
                .where(t.signatures.c.id.is_(None))
            ).all()
            assert not unsigned
            # a voucher in force belongs to a ticket in force on the same unit
            orphans = conn.execute(
                select(v.id)
                .join(t.tickets, tk.id == v.ticket_id)
                .where(
                    v.live_unit_id.is_not(None),
                    (tk.live_unit_id.is_(None)) | (tk.unit_id != v.live_unit_id),
                )
            ).all()
            assert not orphans

    run()
