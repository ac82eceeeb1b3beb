"""RE-REL-1 (rules-audit 1.16): 「如逾期,大客户部将按拖延的时间执行新的价格政策」. A relationship
unit paid on or before its written approval's payment date is due at the approval's average
price; paid later, at the relationship price policy in force on the day of payment (set by the
key-account department, approved by the GM), which must date from on or after the missed
payment date; without one a late payment is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from realestate_kit import PROJECT

from crmcore import Conflict, InvalidInput, NewUser, PermissionDenied
from crmcore.testing import row_counts

UNIT = "2-0101"  # 100 m²
PAY_BY = date(2026, 3, 31)


def _relation(re):
    re.record_relation(
        re.crm.actor("sales"),
        PROJECT,
        UNIT,
        handler="周经办",
        department="办公室",
        phone_approver="总经理",
        average_price="8500",
        payment_ratio="60",
        payment_date=PAY_BY,
    )


def _policy(re, price, valid_from, *, approve=True):
    view = re.set_relation_price(re.crm.actor("sales"), price, valid_from)
    if approve:
        view = re.approve_relation_price(re.crm.actor("gm"), view.number)
    return view


def test_an_on_time_payment_keeps_the_approvals_price(re):
    """RE-REL-1: on the payment date itself the approval's average holds: 8500 × 100 × 60%."""
    _relation(re)
    _policy(re, "9500", date(2026, 3, 1))  # a newer policy does not touch on-time payers
    view = re.pay_relation(re.crm.actor("sales"), PROJECT, UNIT, "510000", paid_on=PAY_BY)
    assert (view.late, view.unit_price, view.due, view.paid) == (
        False,
        Decimal("8500"),
        Decimal("510000"),
        Decimal("510000"),
    )
    with pytest.raises(InvalidInput, match="RE-REL-1"):
        re.pay_relation(re.crm.actor("sales"), PROJECT, UNIT, "1", paid_on=PAY_BY)


def test_a_late_payment_is_repriced_at_the_policy_in_force_that_day(re):
    """RE-REL-1: part paid on time, the rest late: due is recomputed at the policy in force on
    the day of payment (9500 × 100 × 60% = 570000), not at an older or a later one."""
    sales = re.crm.actor("sales")
    _relation(re)
    re.pay_relation(sales, PROJECT, UNIT, "100000", paid_on=date(2026, 3, 20))
    _policy(re, "9500", date(2026, 4, 1))
    _policy(re, "9900", date(2026, 6, 1))  # not yet in force on 10 April
    with pytest.raises(InvalidInput, match="amount") as caught:
        re.pay_relation(sales, PROJECT, UNIT, "470000.01", paid_on=date(2026, 4, 10))
    assert caught.value.rule == "RE-REL-1"
    view = re.pay_relation(sales, PROJECT, UNIT, "470000", paid_on=date(2026, 4, 10))
    assert view.late and view.unit_price == Decimal("9500") and view.price_policy == "GJ0001"
    assert (view.due, view.paid) == (Decimal("570000"), Decimal("570000"))
    shown = re.relation(sales, PROJECT, UNIT)
    assert [(x.late, x.unit_price, x.paid) for x in shown.payments] == [
        (False, Decimal("8500"), Decimal("100000")),
        (True, Decimal("9500"), Decimal("570000")),
    ]


def test_a_late_payment_without_a_new_policy_is_refused(re):
    """RE-REL-1: late, and no approved relationship price dated on or after the missed
    payment date in force that day (none, an older one, one not approved, one from later):
    refused, nothing written."""
    sales = re.crm.actor("sales")
    _relation(re)
    late = date(2026, 4, 10)
    _policy(re, "9000", date(2026, 3, 1))  # in force, but from before the payment date
    _policy(re, "9500", date(2026, 4, 1), approve=False)
    _policy(re, "9900", date(2026, 5, 1))
    before = row_counts(re.crm)
    with pytest.raises(Conflict, match="RE-REL-1"):
        re.pay_relation(sales, PROJECT, UNIT, "1000", paid_on=late)
    assert row_counts(re.crm) == before
    re.approve_relation_price(re.crm.actor("gm"), "GJ0002")
    assert re.pay_relation(sales, PROJECT, UNIT, "1000", paid_on=late).unit_price == 9500


def test_the_gm_approves_a_policy_once_and_not_the_one_who_set_it(re):
    """RE-REL-1: set by the key-account department, approved by the GM (someone else), once."""
    crm = re.crm
    view = re.set_relation_price(crm.actor("sales"), "9500", date(2026, 4, 1))
    assert view.approved_by is None
    with pytest.raises(PermissionDenied):
        re.approve_relation_price(crm.actor("sales2"), view.number)
    with pytest.raises(PermissionDenied):
        re.set_relation_price(crm.actor("checker"), "9500", date(2026, 4, 1))
    assert re.approve_relation_price(crm.actor("gm"), view.number).approved_by == "gm"
    with pytest.raises(Conflict, match="RE-REL-1"):
        re.approve_relation_price(crm.actor("gm"), view.number)
    # the setter may not approve their own policy, even holding the GM's permission
    crm.users.add(crm.actor("admin"), NewUser(login="boss", name="boss", roles=("re_sales", "gm")))
    own = re.set_relation_price(crm.actor("boss"), "9600", date(2026, 4, 1))
    with pytest.raises(PermissionDenied, match="RE-REL-1"):
        re.approve_relation_price(crm.actor("boss"), own.number)


def test_late_payment_and_policy_through_the_cli(re, cli):
    """RE-REL-1 through the CLI: a late payment without a policy is refused (exit 5, the rule,
    nothing written), a bad amount or date names its field (exit 3); with the GM's policy the
    late payment goes through at the new price."""
    _relation(re)
    pay = ("realestate", "relation", "pay", PROJECT, UNIT)
    before = row_counts(re.crm)
    out = cli(*pay, "1000", "--on", "2026-04-10", user="sales")
    assert out.exit_code == 5 and "RE-REL-1" in out.output and "2026-03-31" in out.output
    out = cli(*pay, "五千", "--on", "2026-03-10", user="sales")
    assert out.exit_code == 3 and "amount" in out.output and "RE-REL-1" in out.output
    out = cli(
        "realestate",
        "relation",
        "price",
        "set",
        "--average-price",
        "9500",
        "--from",
        "4月1日",
        user="sales",
    )
    assert out.exit_code == 3 and "from" in out.output
    assert "Traceback" not in out.output and row_counts(re.crm) == before
    args = ("--average-price", "9500", "--from", "2026-04-01")
    out = cli("realestate", "relation", "price", "set", *args, user="sales")
    assert out.exit_code == 0 and "GJ0001" in out.stdout, out.output
    assert cli("realestate", "relation", "price", "approve", "GJ0001", user="sales").exit_code == 6
    out = cli("realestate", "relation", "price", "approve", "GJ0001", user="gm")
    assert out.exit_code == 0 and "approved by gm" in out.stdout
    listed = cli("realestate", "relation", "price", "list", "--json", user="sales").stdout
    assert '"GJ0001"' in listed and '"gm"' in listed
    out = cli(*pay, "570000", "--on", "2026-04-10", user="sales")
    assert out.exit_code == 0 and "late" in out.stdout and "9500" in out.stdout, out.output
    shown = cli("realestate", "relation", "show", PROJECT, UNIT, user="sales").stdout
    assert "570000.00 / 570000.00" in shown and "逾期" in shown and "GJ0001" in shown
    shown = cli("realestate", "relation", "show", PROJECT, UNIT, "--json", user="sales").stdout
    assert '"late": true' in shown and '"price_policy": "GJ0001"' in shown
    assert cli("realestate", "relation", "show", PROJECT, "2-0102", user="sales").exit_code == 4
