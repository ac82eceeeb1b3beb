"""Payments and credit: late payments lower the terms (DIST-PAY-2), overpayments are refused,
the credit committee's reviews (DIST-CRED-3), investigations (DIST-CRED-4), the period
report. Classes: K0-K1 A, K2-K4 B, K5-K8 C, K9 D (see conftest)."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from crmcore_distribution.domain import NewOrder
from sqlalchemy import select
from workflow_kit import china, freeze

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied, Vetoed
from crmcore.store import tables as t
from crmcore.testing import row_counts, score_clients


def invoiced(shop, code: str, count: int, amount: str = "100.00") -> list[int]:
    """``count`` orders of ``code`` delivered on 5 January; their invoice ids."""
    ids = []
    for _ in range(count):
        placed = shop.service.place(shop.lina, code, NewOrder(lines=(f"P1:1:{amount}",)))
        ids.append(shop.service.deliver(shop.zheng, placed.id).invoice_id)
    return ids


def pay_on(shop, invoice_id: int, amount: str, *day: int):
    freeze(shop.crm, china(*day, 10))
    return shop.service.pay(shop.chen, invoice_id, amount, on=date(*day))


def test_dist_pay_2_the_second_late_payment_in_a_quarter_lowers_the_terms_at_once(shop):
    """K2 is B: 30 days. Invoices of 5 January fall due on 4 February."""
    first, second, third = invoiced(shop, "K2", 3)
    assert shop.service.invoices(shop.admin, code="K2")[0].due_on == date(2026, 2, 4)
    on_time = pay_on(shop, first, "40.00", 2026, 2, 4)
    assert (on_time.late, on_time.downgrade) == (False, None)
    late = pay_on(shop, first, "60.00", 2026, 2, 10)
    assert (late.late, late.downgrade, late.invoice.settled_on) == (True, None, date(2026, 2, 10))
    again = pay_on(shop, second, "100.00", 2026, 3, 20)
    assert again.downgrade is not None
    assert again.downgrade.summary == (
        "payment terms lowered from class B to C: 2 late payments in 2026Q1"
    )
    assert (again.downgrade.rule, again.downgrade.detail["invoices"]) == (
        "DIST-PAY-2",
        [first, second],
    )
    view = shop.service.get(shop.admin, "K2")
    assert (view.score_class, view.payment_class, view.terms) == ("B", "C", "cash on delivery")
    # only the terms change: the price floor is still class B's (rules audit A8)
    next_order = shop.service.place(shop.lina, "K2", NewOrder(lines=("P1:1:97.00",)))
    assert (next_order.payment_class, next_order.terms) == ("C", "cash on delivery")
    # a third late payment in the same quarter lowers nothing more
    assert pay_on(shop, third, "100.00", 2026, 3, 25).downgrade is None
    assert shop.service.get(shop.admin, "K2").payment_class == "C"
    with shop.crm.engine.connect() as conn:
        body = conn.scalar(
            select(t.audit_events.c.body).where(t.audit_events.c.action == "distribution.downgrade")
        )
    assert '"from":"B"' in body and '"to":"C"' in body
    # filed in the client's archive, receivables category (CORE-ARC-1)
    (filed,) = shop.crm.archives.list(shop.chen, "K2", category="receivables")[1:]
    assert filed.id == again.downgrade.detail["document"]
    assert (filed.title, filed.dated) == (
        "DIST-PAY-2 downgrade: " + again.downgrade.summary,
        date(2026, 3, 20),
    )
    _, text = shop.crm.archives.content(shop.chen, filed.id)
    assert "to: C" in text.decode("utf-8")


def test_dist_pay_2_two_late_payments_straddling_a_quarter_boundary_lower_nothing(shop):
    first, second, third = invoiced(shop, "K3", 3)
    assert pay_on(shop, first, "100.00", 2026, 3, 31).late  # Q1
    assert pay_on(shop, second, "100.00", 2026, 4, 1).downgrade is None  # Q2: one each
    assert shop.service.get(shop.admin, "K3").payment_class == "B"
    assert pay_on(shop, third, "100.00", 2026, 6, 30).downgrade is not None  # second in Q2


def test_dist_pay_2_an_invoice_paid_late_in_instalments_counts_once(shop):
    (only,) = invoiced(shop, "K3", 1)
    pay_on(shop, only, "30.00", 2026, 2, 10)
    assert pay_on(shop, only, "70.00", 2026, 2, 11).downgrade is None
    assert shop.service.get(shop.admin, "K3").payment_class == "B"


def test_dist_pay_2_a_rolling_window_counts_across_the_quarter_boundary(shop):
    shop.crm.policies.set(shop.admin, "DIST-PAY-2", {"window": "rolling_3_months"})
    first, second = invoiced(shop, "K4", 2)
    pay_on(shop, first, "100.00", 2026, 3, 31)
    result = pay_on(shop, second, "100.00", 2026, 4, 1)
    assert result.downgrade is not None and result.downgrade.period is None
    assert "in 3 months to 2026-04-01" in result.downgrade.summary


def test_dist_pay_2_nothing_is_below_d_and_the_yearly_regrade_restores_the_terms(shop, admin):
    first, second = invoiced(shop, "K2", 2)
    pay_on(shop, first, "100.00", 2026, 2, 10)
    pay_on(shop, second, "100.00", 2026, 2, 11)
    assert shop.service.get(admin, "K2").payment_class == "C"
    # D prepays: its invoices fall due at acceptance; paying late lowers nothing further
    d1 = shop.service.place(shop.lina, "K9", NewOrder(lines=("P1:1:105.00",)))
    shop.crm.workflows.advance(shop.sun, d1.workflows[0])
    d2 = shop.service.place(shop.lina, "K9", NewOrder(lines=("P1:1:105.00",)))
    shop.crm.workflows.advance(shop.sun, d2.workflows[0])
    late_d = [i.id for i in shop.service.invoices(admin, code="K9")]
    pay_on(shop, late_d[0], "105.00", 2026, 2, 20)
    assert pay_on(shop, late_d[1], "105.00", 2026, 2, 21).downgrade is None
    assert shop.service.get(admin, "K9").payment_class == "D"
    # the next CLS-SCORE-1 run is the yearly regrade: K2 is back at its score class's terms
    score_clients(
        shop.crm,
        admin,
        {f"K{i}": 95 - 5 * i for i in range(10)},
        year=2025,
        as_of=date(2026, 2, 21),
    )
    view = shop.service.get(admin, "K2")
    assert (view.payment_class, view.downgrades) == ("B", 0)


@pytest.mark.parametrize(
    ("amount", "on", "error", "message"),
    [
        ("100.01", None, InvalidInput, "amount: 100.01 is more than the 100.00 still owed"),
        ("-5", None, InvalidInput, "amount: must be more than 0, not -5"),
        ("0", None, InvalidInput, "amount: must be more than 0, not 0"),
        ("十元", None, InvalidInput, "amount: '十元' is not a decimal number"),
        ("10", date(2026, 1, 4), InvalidInput, "on: 2026-01-04 is before invoice"),
        ("10", date(2026, 2, 1), InvalidInput, "on: 2026-02-01 is in the future"),
    ],
)
def test_a_payment_larger_than_owed_or_malformed_is_refused_and_nothing_changes(
    shop, amount, on, error, message
):
    (invoice,) = invoiced(shop, "K2", 1)
    shop.service.pay(shop.chen, invoice, "0.01")
    freeze(shop.crm, china(2026, 1, 10, 9))
    before = row_counts(shop.crm)
    with pytest.raises(error) as caught:
        shop.service.pay(shop.chen, invoice, "100.01" if amount == "100.01" else amount, on=on)
    assert str(caught.value).startswith(message.replace("100.00 still", "99.99 still"))
    assert row_counts(shop.crm) == before


def test_payments_need_a_known_invoice_and_the_permission(shop):
    with pytest.raises(NotFound, match="unknown invoice 99"):
        shop.service.pay(shop.chen, 99, "1")
    (invoice,) = invoiced(shop, "K2", 1)
    with pytest.raises(PermissionDenied, match=re.escape("distribution.pay")):
        shop.service.pay(shop.lina, invoice, "1")


def test_dist_cred_3_finance_proposes_the_committee_approves(shop, admin):
    with pytest.raises(InvalidInput, match="grade A needs the sales of the contracted account"):
        shop.service.propose_review(shop.chen, "K2", grade="A", limit="500000", reason="升级")
    with pytest.raises(InvalidInput, match="may not exceed its sales in the account period"):
        shop.service.propose_review(
            shop.chen, "K2", grade="A", limit="500000", period_sales="499999.99", reason="升级"
        )
    before = row_counts(shop.crm)
    with pytest.raises(PermissionDenied, match=re.escape("distribution.credit")):
        shop.service.propose_review(shop.lina, "K2", grade="B", limit="1", reason="x")
    assert row_counts(shop.crm) == before
    flow = shop.service.propose_review(
        shop.chen, "K2", grade="A", limit="500000", period_sales="500000", reason="回款良好"
    )
    assert flow.waiting_for == ("credit_committee",)
    with pytest.raises(Conflict, match="already has a credit review waiting"):
        shop.service.propose_review(shop.chen, "K2", grade="B", limit="1", reason="x")
    with pytest.raises(PermissionDenied):
        shop.crm.workflows.advance(shop.chen, flow.id)  # finance proposes, it does not approve
    assert shop.service.get(admin, "K2").credit_grade == "B"  # nothing applied yet
    shop.crm.workflows.advance(shop.wu, flow.id)
    view = shop.service.get(admin, "K2")
    assert (view.credit_grade, view.credit_limit, view.period_sales) == (
        "A",
        Decimal("500000.00"),
        Decimal("500000.00"),
    )
    review = [e for e in shop.service.events(admin, "K2") if e.kind == "review"]
    assert review[0].summary == (
        "credit grade B -> A, limit 100,000.00 -> 500,000.00, approved by the credit committee"
    )
    assert review[0].workflow_id == flow.id
    refused = shop.service.propose_review(shop.chen, "K3", grade="C", limit="0", reason="降级")
    shop.crm.workflows.reject(shop.wu, refused.id, "证据不足")
    assert shop.service.get(admin, "K3").credit_grade == "B"


def test_dist_cred_1_a_cap_from_invoiced_sales(shop):
    shop.crm.policies.set(shop.admin, "DIST-CRED-1", {"a_cap": "invoiced"})
    invoiced(shop, "K2", 2, amount="97.00")
    with pytest.raises(InvalidInput, match=re.escape("account period (194.00), not 195.00")):
        shop.service.propose_review(shop.chen, "K2", grade="A", limit="195", reason="x")
    shop.service.propose_review(shop.chen, "K2", grade="A", limit="194", reason="x")


def test_dist_cred_3_every_distributor_is_reviewed_each_period(shop, admin):
    """The review interval is a policy (3 months, an assumption: the source says 定期)."""
    freeze(shop.crm, china(2026, 4, 2, 9))
    flow = shop.service.propose_review(
        shop.chen, "K0", grade="A", limit="1", period_sales="1", reason="季度核查"
    )
    shop.crm.workflows.advance(shop.wu, flow.id)
    freeze(shop.crm, china(2026, 7, 2, 9))
    duties = shop.crm.obligations.duties(
        admin, date(2026, 4, 1), date(2026, 6, 30), obligation="DIST-CRED-3.review"
    )
    assert len(duties) == 10  # registered in January: the second quarter is the first due
    status = {d.client_code: d.status.value for d in duties}
    assert (status["K0"], status["K1"]) == ("done", "overdue")
    assert duties[0].role == "finance"


def test_dist_cred_4_sales_asks_finance_files_the_report(shop, admin):
    flow = shop.service.request_investigation(shop.lina, "K5", reason="拟授信, 需资信证明")
    assert flow.waiting_for == ("finance",)
    before = row_counts(shop.crm)
    with pytest.raises(InvalidInput) as caught:
        shop.service.file_investigation(shop.chen, flow.id, channel="wechat", findings="好")
    assert str(caught.value) == "channel: 'wechat' is not one of bank (DIST-CRED-4)"
    with pytest.raises(Vetoed, match="findings: an investigation report needs its findings"):
        shop.crm.workflows.advance(shop.chen, flow.id, "file", data={"channel": "bank"})
    assert row_counts(shop.crm) == before
    done = shop.service.file_investigation(
        shop.chen, flow.id, channel="bank", findings="开户行: 工商银行; 无不良记录", rating="AA"
    )
    assert done.state == "filed"
    (report,) = [e for e in shop.service.events(admin, "K5") if e.kind == "investigation"]
    assert (report.rule, report.detail["channel"], report.detail["rating"]) == (
        "DIST-CRED-4",
        "bank",
        "AA",
    )
    assert report.detail["requested_by"] == "lina" and report.by == "chen"
    filed = shop.crm.archives.get(admin, report.detail["document"])  # in the client's archive
    assert (filed.client_code, filed.category, filed.filename) == (
        "K5",
        "receivables",
        "distribution-investigation-2026-01-05.txt",
    )


def test_the_quarterly_report_shows_credit_receivables_and_late_payments(shop, admin):
    first, second = invoiced(shop, "K2", 2)
    pay_on(shop, first, "100.00", 2026, 3, 10)
    pay_on(shop, second, "30.00", 2026, 3, 11)
    freeze(shop.crm, china(2026, 4, 3, 9))
    report = shop.crm.reports.quarterly(admin, "2026Q1")
    row = next(r for r in report.rows if r["code"] == "K2")
    assert (
        row["distribution.credit_grade"],
        row["distribution.credit_limit"],
        row["distribution.receivables"],
        row["distribution.late_payments"],
        row["distribution.payment_class"],
    ) == ("B", Decimal("100000.00"), Decimal("70.00"), 2, "C")
    assert next(r for r in report.rows if r["code"] == "X1")["distribution.credit_grade"] is None
