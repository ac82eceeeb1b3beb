"""The money trail: receipts and ledger (RE-PAY-1), vouchers, red reversals (RE-TICKET-3), the
co-managed account (RE-PAY-2), mortgage switch (RE-PAY-3), deadlines (RE-DEAD-1), renames
(RE-RENAME-1) and relationship units (RE-REL-1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from realestate_kit import (
    BUYERS,
    CLIENT,
    ORG,
    OTHER,
    PROJECT,
    approve_average,
    check_all,
    freeze,
    setup,
    sign,
    ticket,
)

from crmcore import Conflict, InvalidInput, NewClient, NewUser, PermissionDenied
from crmcore.testing import row_counts


def _sold(re, unit="1-0101", buyer=0, **kw):
    """A ticket checked and paid in full: its voucher is issued."""
    crm = re.crm
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket(unit, buyer, **kw))
    sign(re, t.number)
    re.check_ticket(crm.actor("checker"), t.number)
    re.pay(crm.actor("sales"), t.number, t.due)
    return re.ticket(crm.actor("sales"), t.number)


def test_voucher_only_when_checked_and_paid_equals_due(re):
    """RE-PAY-1: receipts add up; the pre-numbered voucher comes when paid = due and checked."""
    crm = re.crm
    sales = crm.actor("sales")
    t = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))
    sign(re, t.number)
    first = re.pay(sales, t.number, "5000", kind="reservation_fee")
    second = re.pay(sales, t.number, t.due - Decimal("5000"))
    assert (first.number, second.number) == ("SJ000001", "SJ000002")
    view = re.ticket(sales, t.number)
    assert view.paid == view.due and view.voucher is None  # not yet checked
    with pytest.raises(InvalidInput, match="RE-PAY-1"):
        re.pay(sales, t.number, "0.01")  # nothing more is due
    assert re.check_ticket(crm.actor("checker"), t.number).voucher == "PZ00000001"
    assert _sold(re, "1-0102", 1).voucher == "PZ00000002"  # numbered without gaps
    units = {u.ref: u.status for u in re.units(sales, PROJECT)}
    assert units["1-0101"] == units["1-0102"] == "sold"


def test_countersigned_by_someone_else(re):
    """RE-PAY-1: the voucher is countersigned by another person than its issuer."""
    crm = re.crm
    admin = crm.actor("admin")
    crm.users.add(admin, NewUser(login="desk", name="desk", roles=("re_sales", "re_checker")))
    crm.org.add_member(admin, ORG, "desk")
    desk = crm.actor("desk")
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    sign(re, t.number)
    re.check_ticket(desk, t.number)
    re.pay(desk, t.number, t.due)  # the payment issues the voucher, in desk's name
    voucher = re.ticket(desk, t.number).voucher
    with pytest.raises(PermissionDenied, match="RE-PAY-1"):
        re.countersign(desk, voucher)
    with pytest.raises(PermissionDenied):
        re.countersign(crm.actor("sales"), voucher)  # no check permission
    assert re.countersign(crm.actor("checker"), voucher).voucher_countersigned


def test_change_of_unit_reverses_in_red_and_carries_the_money(re):
    """RE-TICKET-3: the voucher and the ticket are reversed in red (never edited or deleted);
    the new ticket for the new unit carries what was paid."""
    crm = re.crm
    sales = crm.actor("sales")
    old = _sold(re)
    new = re.reverse(sales, old.voucher, "unit_change", "客户联、收据", new_unit="1-0201")
    assert new.unit == "1-0201" and new.paid == old.paid and new.voucher is None
    assert new.checked_by is None and new.signed_by is None  # checked and signed anew
    sign(re, new.number)
    old_now = re.ticket(sales, old.number)
    assert not old_now.in_force and old_now.voucher is None
    units = {u.ref: u.status for u in re.units(sales, PROJECT)}
    assert units["1-0101"] == "released" and units["1-0201"] == "selected"
    assert re.check_ticket(crm.actor("checker"), new.number).voucher == "PZ00000002"
    with pytest.raises(Conflict, match="RE-TICKET-3"):
        re.pay(sales, old.number, "1")


def _change_through_cli(cli, number, unit):
    """`crm realestate reverse NUMBER --reason unit_change` as the sales clerk (RE-TICKET-3)."""
    args = ("--reason", "unit_change", "--papers", "客户联", "--to-unit", unit)
    return cli("realestate", "reverse", number, *args, user="sales")


def test_reversing_a_reversed_voucher_is_refused_through_the_cli(re, cli):
    """RE-TICKET-3: a voucher is reversed once; a second try: exit 5, nothing changed."""
    old = _sold(re)
    re.reverse(re.crm.actor("sales"), old.voucher, "unit_change", "客户联", new_unit="1-0201")
    before = row_counts(re.crm)
    out = _change_through_cli(cli, old.voucher, "1-0202")
    assert out.exit_code == 5 and "reversed already" in out.output and "RE-TICKET-3" in out.output
    assert "Traceback" not in out.output
    assert row_counts(re.crm) == before


def test_supplementary_payment_reverses_the_voucher_and_issues_a_new_one(re):
    """RE-TICKET-3 (rules-audit 1.7): 补交房款: red voucher, receipt, new voucher for the new sum."""
    sales = re.crm.actor("sales")
    old = _sold(re)
    view = re.reverse(sales, old.voucher, "supplementary_payment", "选房凭证", amount="1200")
    assert view.voucher == "PZ00000002" and view.paid == old.paid + 1200
    assert view.number == old.number and view.in_force


def test_ledger_and_reconciliation_with_the_co_managed_account(re, cli):
    """RE-PAY-1 ledger; RE-PAY-2: receipts vs transfers into the co-managed account vs bank."""
    crm = re.crm
    sold = _sold(re, payment_mode="full", reservation_fee=None)
    re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0102", 1))
    lines = re.ledger(crm.actor("sales"), CLIENT)
    assert [x.number for x in lines] == [sold.number, "XP000002"]
    re.record_account(crm.actor("fin"), CLIENT, "transfer", "500000", date(2026, 3, 2))
    re.record_account(crm.actor("fin"), CLIENT, "balance", "500000", date(2026, 3, 2))
    view = re.reconcile(crm.actor("fin"), CLIENT)
    assert view.receipts == Decimal("800000") and view.not_transferred == Decimal("300000")
    assert view.difference == 0
    with pytest.raises(PermissionDenied):
        re.record_account(crm.actor("sales"), CLIENT, "transfer", "1", date(2026, 3, 2))
    out = cli("realestate", "reconcile", CLIENT, "--json", user="fin")
    assert out.exit_code == 0 and '"not_transferred"' in out.stdout


def test_mortgage_switch_fee_within_the_policy_range(re, cli):
    """RE-PAY-3: 1,000 to 3,000 CNY (A11), only from full payment; refused outside."""
    sales = re.crm.actor("sales")
    full = re.issue_ticket(
        sales, PROJECT, CLIENT, ticket("1-0101", payment_mode="full", reservation_fee=None)
    )
    before = row_counts(re.crm)
    out = cli("realestate", "mortgage", full.number, "999", user="sales")
    assert out.exit_code == 3 and "RE-PAY-3" in out.output
    assert row_counts(re.crm) == before
    receipt = re.switch_to_mortgage(sales, full.number, "2000")
    assert receipt.kind == "switch_fee" and re.ticket(sales, full.number).payment_mode == "mortgage"
    with pytest.raises(Conflict, match="RE-PAY-3"):
        re.switch_to_mortgage(sales, full.number, "2000")


def test_rename_within_the_list_free_otherwise_refused_or_charged(crm):
    """RE-RENAME-1: to another listed person, free; to someone else refused, or where the
    contract allows it 50% × (market price − contract price) per rename (A10)."""
    re = setup(crm, buyers=False)
    sales = crm.actor("sales")
    lst = re.import_buyers(sales, PROJECT, CLIENT, BUYERS, rename_policy="refuse")
    check_all(re, lst.number)
    t = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))
    assert re.rename(sales, t.number, *BUYERS[3]).buyer == BUYERS[3][0]
    with pytest.raises(InvalidInput, match="RE-RENAME-1"):
        re.rename(sales, t.number, *OTHER)
    crm.clients.add(crm.actor("admin"), NewClient(name="广州某局", code="KA9", region="广东/广州"))
    approve_average(crm, PROJECT, "KA9", "8000")
    charged = re.import_buyers(sales, PROJECT, "KA9", BUYERS[5:], rename_policy="charge")
    check_all(re, charged.number)
    re.set_target(crm.actor("fin"), 2026, "1")
    from realestate_kit import APPROVERS

    release = re.request_release(sales, PROJECT, "KA9", ["2-0101"])
    for login in APPROVERS:
        crm.workflows.advance(crm.actor(login), release.instance_id, "approve")
    t2 = re.issue_ticket(sales, PROJECT, "KA9", ticket("2-0101", 5))
    with pytest.raises(InvalidInput, match="market_price"):
        re.rename(sales, t2.number, *OTHER)
    view = re.rename(sales, t2.number, *OTHER, market_price="9000")
    assert view.buyer == OTHER[0]
    fees = [r for r in re.receipts(sales, "KA9") if r.kind == "rename_fee"]
    assert [r.amount for r in fees] == [Decimal("50000")]  # 50% × (9000 − 8000) × 100 m²


def test_deadlines_are_chased(crm):
    """RE-DEAD-1: buyers past the selection deadline and tickets past the payment deadline."""
    re = setup(crm, buyers=False)
    sales = crm.actor("sales")
    lst = re.import_buyers(
        sales,
        PROJECT,
        CLIENT,
        BUYERS[:2],
        selection_deadline=date(2026, 3, 10),
        payment_deadline=date(2026, 3, 20),
    )
    check_all(re, lst.number)
    t = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))
    assert re.overdue(sales, date(2026, 3, 10)) == []
    late = re.overdue(sales, date(2026, 3, 11))
    assert [(x.kind, x.buyer) for x in late] == [("selection", BUYERS[1][0])]
    later = re.overdue(sales, date(2026, 3, 21))
    assert ("payment", t.number, t.due) in [(x.kind, x.ticket, x.outstanding) for x in later]


def test_relationship_unit_paperwork_late_blocks_the_handler(re):
    """RE-REL-1: a phone approval; paperwork within 5 working days or the handler (and their
    department) gets no further units until it is filed (A12)."""
    crm = re.crm
    sales = crm.actor("sales")
    args = {
        "handler": "周经办",
        "department": "办公室",
        "phone_approver": "总经理",
        "average_price": "8500",
        "payment_ratio": "60",
        "payment_date": date(2026, 3, 31),
    }
    due = re.record_relation(sales, PROJECT, "2-0101", **args)
    assert due == date(2026, 3, 9)  # Mon 2 Mar + 5 working days
    freeze(crm, date(2026, 3, 10))
    with pytest.raises(Conflict, match="RE-REL-1"):
        re.record_relation(sales, PROJECT, "2-0102", **args)
    with pytest.raises(Conflict, match="RE-REL-1"):
        re.record_relation(
            sales, PROJECT, "2-0102", **{**args, "handler": "吴同事"}
        )  # same department
    re.file_relation_paperwork(sales, PROJECT, "2-0101")
    re.record_relation(sales, PROJECT, "2-0102", **args)
    assert {u.ref: u.status for u in re.units(sales, PROJECT)}["2-0102"] == "relation"


def test_deadlines_are_obligations_the_desk_sees(crm):
    """RE-DEAD-1, RE-REL-1: selection and payment deadlines and relationship paperwork appear
    among crmcore's obligations, open, done or overdue."""
    re = setup(crm, buyers=False)
    sales = crm.actor("sales")
    lst = re.import_buyers(
        sales,
        PROJECT,
        CLIENT,
        BUYERS[:2],
        selection_deadline=date(2026, 3, 10),
        payment_deadline=date(2026, 3, 20),
    )
    check_all(re, lst.number)
    t = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))
    re.record_relation(
        sales,
        PROJECT,
        "2-0101",
        handler="周经办",
        department="办公室",
        phone_approver="总经理",
        average_price="8500",
        payment_ratio="60",
        payment_date=date(2026, 3, 31),
    )
    freeze(crm, date(2026, 3, 25))
    duties = {
        (d.obligation, d.subject): d.status
        for d in crm.obligations.duties(crm.actor("admin"), date(2026, 3, 1), date(2026, 3, 31))
    }
    assert duties[("RE-DEAD-1.selection", f"{lst.number}/{BUYERS[0][0]}")] == "done"
    assert duties[("RE-DEAD-1.selection", f"{lst.number}/{BUYERS[1][0]}")] == "overdue"
    assert duties[("RE-DEAD-1.payment", t.number)] == "overdue"
    assert duties[("RE-REL-1.paperwork", "周经办 (办公室)")] == "overdue"


def test_relationship_unit_through_the_cli(re, cli):
    """RE-REL-1: recorded with its phone approver; the paperwork deadline is told."""
    args = [
        "--handler",
        "周经办",
        "--department",
        "办公室",
        "--phone-approver",
        "总经理",
        "--average-price",
        "8500",
        "--ratio",
        "60",
        "--payment-date",
        "2026-12-31",
    ]
    out = cli("realestate", "relation", "add", PROJECT, "2-0101", *args, user="sales")
    assert out.exit_code == 0 and "paperwork due" in out.stdout, out.output
    assert cli("realestate", "relation", "file", PROJECT, "2-0101", user="sales").exit_code == 0
    assert cli("realestate", "relation", "file", PROJECT, "2-0101", user="sales").exit_code == 4


def test_change_to_a_cheaper_unit_refunds_the_difference_in_red(re):
    """RE-TICKET-3: a change to a cheaper unit than what was paid: the money carried over is
    never edited; what exceeds the new amount due goes back as a red receipt (退款 TK…, a
    negative line in the ledger), so paid = due on the new ticket and receipts stay net."""
    crm = re.crm
    sales = crm.actor("sales")
    old = _sold(re, "1-0101")  # 100 m²
    new = re.reverse(
        sales, old.voucher, "unit_change", "客户联、收据", new_unit="1-0102"
    )  # 80.5 m²
    assert new.due < old.paid
    assert new.refunded == old.paid - new.due and new.paid == new.due
    refund = [r for r in re.receipts(sales, CLIENT) if r.kind == "refund"]
    assert [(r.number, r.ticket, r.amount) for r in refund] == [
        ("TK000001", new.number, -(old.paid - new.due))
    ]
    assert re.reconcile(crm.actor("fin"), CLIENT).receipts == new.due  # received − refunded
    assert re.ticket(sales, old.number).paid == old.paid  # the old ticket's lines untouched
    sign(re, new.number)
    assert re.check_ticket(crm.actor("checker"), new.number).voucher == "PZ00000002"


def test_cheaper_unit_refund_through_the_cli(re, cli):
    """RE-TICKET-3: the CLI names the refund; a dearer unit refunds nothing."""
    old = _sold(re, "1-0101")
    out = _change_through_cli(cli, old.voucher, "1-0102")
    assert out.exit_code == 0 and "refund" in out.output and "退款" in out.output
    dearer = _sold(re, "1-0202", 1)  # 80.5 m² to 100 m²: no refund, money still owed
    view = re.reverse(
        re.crm.actor("sales"), dearer.voucher, "unit_change", "客户联", new_unit="1-0301"
    )
    assert view.refunded == 0 and view.paid == dearer.paid < view.due


def test_all_receipts_handed_in_issues_the_voucher(re):
    """RE-PAY-1 (rules-audit 1.6): 「客户提供全部收据」 is the other trigger: the checker confirms
    the receipts the buyer handed in; the rest is booked as one line naming them (money
    received stays the sum of receipts) and the voucher follows; never by the ticket's issuer."""
    crm = re.crm
    sales, checker = crm.actor("sales"), crm.actor("checker")
    t = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))
    re.check_ticket(checker, t.number)
    re.pay(sales, t.number, "5000", kind="reservation_fee")
    with pytest.raises(Conflict, match="RE-TICKET-1"):  # the buyer's signed copy first
        re.receipts_handed_in(checker, t.number, "委建单位收据 0012-0015")
    sign(re, t.number)
    with pytest.raises(PermissionDenied):
        re.receipts_handed_in(sales, t.number, "委建单位收据 0012-0015")  # no check permission
    view = re.receipts_handed_in(checker, t.number, "委建单位收据 0012-0015")
    assert view.paid == view.due and view.voucher == "PZ00000001"
    line = [r for r in re.receipts(sales, CLIENT) if r.kind == "handed_in"]
    assert [(r.amount, r.papers) for r in line] == [(t.due - 5000, "委建单位收据 0012-0015")]
    assert re.reconcile(crm.actor("fin"), CLIENT).receipts == t.due
    with pytest.raises(Conflict, match="RE-PAY-1"):
        re.receipts_handed_in(checker, t.number, "again")


def test_receipts_handed_in_needs_the_papers_through_the_cli(re, cli):
    """RE-PAY-1: no papers named: exit 3 naming the field and the rule, nothing written."""
    t = re.issue_ticket(re.crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    sign(re, t.number)
    before = row_counts(re.crm)
    out = cli("realestate", "handed-in", t.number, "--papers", " ", user="checker")
    assert out.exit_code == 3 and "papers" in out.output and "RE-PAY-1" in out.output
    assert "Traceback" not in out.output and row_counts(re.crm) == before
    out = cli("realestate", "handed-in", t.number, "--papers", "收据 3 张", user="checker")
    assert out.exit_code == 0 and "voucher after the second check" in out.output
