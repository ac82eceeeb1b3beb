"""Credit figures are sensitive fields (DIST-CRED-1 under CORE-CONF-2/4): logistics and
read-only users see classes, terms and the queue, not limits, exposure or scores; those who
read them in clear leave a look-up record."""

from __future__ import annotations

import json
from decimal import Decimal

from crmcore_distribution.domain import NewOrder

from crmcore import NewUnit


def test_logistics_sees_the_order_and_the_queue_but_no_credit_figures(shop):
    placed = shop.service.place(shop.lina, "K2", NewOrder(lines=("P1:10:97.00",)))
    assert placed.credit_limit is not None  # lina sells on credit: she sees it
    seen = shop.service.order(shop.zheng, placed.id)
    assert (seen.status, seen.terms, seen.credit_limit, seen.exposure) == (
        "accepted",
        placed.terms,
        None,
        None,
    )
    assert seen.masked == ("credit_limit", "exposure")
    (entry,) = shop.service.queue(shop.zheng)
    assert (entry.score_class, entry.score, entry.masked) == ("B", None, ("score",))
    assert shop.service.queue(shop.sun)[0].score is not None


def test_distributor_credit_figures_need_the_credit_permission(shop, make_user, cli):
    shop.crm.org.add_member(shop.admin, "HQ", make_user("zhao", "read_only").login)
    masked = shop.service.get(shop.crm.actor("zhao"), "K0")
    assert (masked.credit_grade, masked.credit_limit, masked.available, masked.score) == (
        "A",
        None,
        None,
        None,
    )
    clear = shop.service.get(shop.chen, "K0")
    assert clear.credit_limit == 100000 and clear.masked == ()
    events = shop.crm.audit.log(shop.admin, user="chen")
    assert events[0].action == "distribution.show"  # a look-up, not a value
    shown = cli("distribution", "list", user="zhao")
    assert shown.exit_code == 0, shown.output
    assert "(masked)" in shown.stdout and "100,000.00" not in shown.stdout


def test_a_user_of_another_unit_does_not_see_the_distributor_at_all(shop, make_user):
    shop.crm.org.add_unit(
        shop.admin, NewUnit(code="SZ", name="深圳分公司", kind="branch", parent="HQ")
    )
    make_user("xu", "finance")
    shop.crm.org.add_member(shop.admin, "SZ", "xu")
    assert shop.service.list(shop.crm.actor("xu")) == []


def test_the_receivables_record_and_invoices_mask_credit_figures(shop, make_user, cli):
    """DIST-CRED-1/3/4 under CORE-CONF-2: a review's limit and the sales it rested on, an
    investigation's findings, and what invoices still owe (the receivables) need the credit
    permission, in the events, the invoices and `crm distribution show`/`invoices`."""
    flow = shop.service.propose_review(
        shop.chen, "K2", grade="A", limit="500000", period_sales="500000", reason="回款良好"
    )
    shop.crm.workflows.advance(shop.wu, flow.id)
    asked = shop.service.request_investigation(shop.lina, "K2", reason="拟授信")
    shop.service.file_investigation(shop.chen, asked.id, channel="bank", findings="无不良记录")
    placed = shop.service.place(shop.lina, "K2", NewOrder(lines=("P1:10:97.00",)))
    shop.service.deliver(shop.zheng, placed.id)
    shop.crm.org.add_member(shop.admin, "HQ", make_user("zhao", "read_only").login)
    zhao = shop.crm.actor("zhao")
    review = next(e for e in shop.service.events(zhao, "K2") if e.kind == "review")
    assert (review.summary, review.detail["grade"], review.detail["limit"]) == (None, "A", None)
    assert review.detail["period_sales"] is None
    assert review.masked == ("detail.limit", "detail.period_sales", "summary")
    found = next(e for e in shop.service.events(zhao, "K2") if e.kind == "investigation")
    assert (found.detail["channel"], found.detail["findings"], found.summary) == (
        "bank",
        None,
        None,
    )
    clear = next(e for e in shop.service.events(shop.chen, "K2") if e.kind == "review")
    assert (clear.detail["limit"], clear.masked) == ("500000", ())
    (bill,) = shop.service.invoices(zhao, code="K2")
    assert (bill.amount, bill.paid, bill.outstanding, bill.masked) == (
        Decimal("970.00"),
        None,
        None,
        ("outstanding", "paid"),
    )
    assert shop.service.invoices(shop.chen, code="K2")[0].outstanding == Decimal("970.00")
    shown = cli("distribution", "show", "K2", "--json", user="zhao")
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.stdout)
    assert "500000" not in shown.stdout and "无不良记录" not in shown.stdout
    assert data["open_invoices"][0]["outstanding"] is None
    table = cli("distribution", "show", "K2", user="zhao")
    assert table.exit_code == 0, table.output
    assert "(masked)" in table.stdout and "500,000" not in table.stdout
    bills = cli("distribution", "invoices", user="zhao")
    assert "(masked)" in bills.stdout and "970.00" in bills.stdout
    assert (
        json.loads(cli("distribution", "invoices", "--json", user="zhao").stdout)[0]["paid"] is None
    )


def test_the_approvals_data_withholds_credit_figures(shop, cli):
    """DIST-CRED-1/2/3 under CORE-CONF-2: logistics reads an order's approval (workflow.read)
    but not the limit, exposure and excess in its data, nor a review's proposed limit; the
    approvers read them in clear."""
    shop.service.place(shop.lina, "K2", NewOrder(lines=("P1:1000:100.00",)))
    held = shop.service.place(shop.lina, "K2", NewOrder(lines=("P1:10:100.00",)))
    (flow,) = held.workflows
    seen = shop.crm.workflows.get(shop.zheng, flow)
    assert (seen.data["amount"], seen.data["limit"], seen.data["exposure"]) == (
        "1000.00",
        None,
        None,
    )
    assert set(seen.masked) == {"data.limit", "data.exposure", "data.excess"}
    assert shop.crm.workflows.get(shop.sun, flow).data["excess"] == "1000.00"
    (started,) = shop.crm.workflows.history(shop.zheng, flow)
    assert started.comment == "over the credit limit (DIST-CRED-2)"
    assert started.detail is None or started.detail.get("excess") is None
    review = shop.service.propose_review(
        shop.chen, "K3", grade="A", limit="500000", period_sales="500000", reason="回款良好"
    )
    shown = cli("workflow", "show", str(review.id), "--json", user="zheng")
    assert shown.exit_code == 0, shown.output
    assert "500000" not in shown.stdout and "100000" not in shown.stdout
    table = cli("workflow", "show", str(review.id), user="zheng")
    assert table.exit_code == 0 and "(masked)" in table.stdout and "500000" not in table.stdout


def test_the_period_report_masks_the_credit_columns(shop, make_user, cli):
    """CORE-ARC-3 under CORE-CONF-2 and DIST-CRED-1: the plugin's credit limit and receivables
    columns are judged like the core's: a finance clerk cleared only for internal records
    reads K2's (an internal client) grade and late payments but not its limit or receivables,
    in the API, the table and --json; who reads them in clear leaves a look-up record."""
    shop.crm.access.set_level(shop.admin, "K2", "internal")
    make_user("qian", "finance")
    shop.crm.org.add_member(shop.admin, "HQ", "qian")
    shop.crm.users.set_clearance(shop.admin, "qian", "internal")
    qian = shop.crm.actor("qian")
    (row,) = shop.crm.reports.quarterly(qian, "2026Q1").rows
    assert (row["code"], row["distribution.credit_grade"], row["distribution.late_payments"]) == (
        "K2",
        "B",
        0,
    )
    assert (row["distribution.credit_limit"], row["distribution.receivables"]) == (None, None)
    assert {"distribution.credit_limit", "distribution.receivables"} <= set(row["masked"])
    clear = next(
        r for r in shop.crm.reports.quarterly(shop.chen, "2026Q1").rows if r["code"] == "K2"
    )
    assert clear["distribution.credit_limit"] == Decimal("100000.00")
    assert "distribution.credit_limit" not in clear.get("masked", ())
    # shown in clear, the credit columns join chen's look-up record of K2 (CORE-CONF-2)
    looked = shop.crm.audit.log(shop.admin, user="chen", client="K2")
    event = next(e for e in looked if e.action == "report.quarterly")
    assert "distribution.report.credit_limit" in event.detail["unmasked"]
    shown = cli("report", "quarterly", "2026Q1", "--json", user="qian")
    assert shown.exit_code == 0, shown.output
    (data,) = json.loads(shown.stdout)["rows"]
    assert data["distribution.credit_limit"] is None and "100000" not in shown.stdout
    table = cli("report", "quarterly", "2026Q1", user="qian")
    assert table.exit_code == 0, table.output
    assert "(masked)" in table.stdout and "100,000" not in table.stdout
