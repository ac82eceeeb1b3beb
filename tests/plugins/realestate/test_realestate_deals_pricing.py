"""Pricing a commissioning unit (RE-PRICE-1..6): the price analysis with its blind and
experience-based references, the payment ratio, resource-exchange discounts, the five-step
approval once per unit, secret cost and unapproved price, and no quote before approval."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from crmcore_realestate.deals.domain import NewExchange
from crmcore_realestate.deals.pricing import approved_average
from realestate_deals_kit import (
    APPROVERS,
    PROJECT,
    approve_all,
    price_analysis,
    record_inputs,
    setup,
)

from crmcore import Conflict, InvalidInput, PermissionDenied, Vetoed
from crmcore.testing import row_counts


@pytest.fixture
def d(crm):  # type: ignore[no-untyped-def]
    return setup(crm)


def client_id(crm, code: str) -> int:  # type: ignore[no-untyped-def]
    return crm.clients.get(crm.actor("admin"), code).id


def future(discount: str, assessed: str = "1000000", risk: str | None = "低") -> NewExchange:
    return NewExchange(
        description="市政道路",
        timing="future",
        assessed_value=assessed,
        discount=discount,
        risk_assessment=risk,
    )


def test_re_price_2_the_analysis_shows_both_references(crm, d):
    found = d.pricing.analyse(crm.actor("kad"), price_analysis())
    assert found.blind_reference == Decimal("10000.00")  # 80% of 12500
    assert found.cost_plus_reference == Decimal("8840.00")  # 6800 + 30%
    assert (found.stage, found.status) == ("listing", "draft")


def test_re_price_2_the_shares_are_policies(crm, d, admin):
    crm.policies.set(admin, "RE-PRICE-2", {"blind_share": "75", "cost_markup": "25"})
    found = d.pricing.analyse(crm.actor("kad"), price_analysis())
    assert (found.blind_reference, found.cost_plus_reference) == (
        Decimal("9375.00"),
        Decimal("8500.00"),
    )


def test_re_price_1_the_stage_is_one_of_three(crm, d):
    with pytest.raises(InvalidInput, match="stage") as err:
        price_analysis(stage="design")
    assert err.value.rule == "RE-PRICE-1"


def test_re_price_1_warns_when_a_later_stage_is_priced_below_an_earlier_approval(crm, d):
    first = d.pricing.analyse(crm.actor("kad"), price_analysis("KA1", stage="land"))
    d.pricing.submit(crm.actor("kad"), first.id)
    approve_all(d, crm, first.id)
    later = d.pricing.analyse(
        crm.actor("kad"), price_analysis("KA2", stage="construction", average_price="9500")
    )
    assert "RE-PRICE-1" in later.stage_warning
    # whoever may not see the unapproved price does not learn where it lies either
    assert d.pricing.get(crm.actor("am"), later.id).stage_warning is None


def test_re_price_3_payment_ratio_at_least_50(crm, d, cli):
    kad = crm.actor("kad")
    d.pricing.analyse(kad, price_analysis(payment_ratio="50"))  # 不应低于50%: 50 is allowed
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="below the minimum payment ratio of 50") as err:
        d.pricing.analyse(kad, price_analysis(payment_ratio="49.99"))
    assert err.value.rule == "RE-PRICE-3"
    result = cli(
        "realestate", "price", "analyse", PROJECT, "KA1", "--stage", "land",
        "--comparable", "12000", "--average", "9000", "--payment-ratio", "40", user="kad",
    )  # fmt: skip
    assert result.exit_code == 3 and "RE-PRICE-3" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before


def test_re_price_4_future_benefits_at_most_70_percent(crm, d, cli):
    kad = crm.actor("kad")
    found = d.pricing.analyse(kad, price_analysis())
    d.pricing.add_exchange(kad, found.id, future("700000"))  # 不超过: 70% itself is allowed
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="above the cap of 700000") as err:
        d.pricing.add_exchange(kad, found.id, future("700000.01"))
    assert err.value.rule == "RE-PRICE-4"
    with pytest.raises(InvalidInput, match="risk assessment"):
        d.pricing.add_exchange(kad, found.id, future("1", risk=None))
    result = cli(
        "realestate", "price", "exchange", str(found.id), "--what", "学校学位",
        "--timing", "future", "--assessed", "100000", "--discount", "80000", "--risk", "中",
        user="kad",
    )  # fmt: skip
    assert result.exit_code == 3 and "RE-PRICE-4" in result.stderr and "discount" in result.stderr
    assert row_counts(crm) == before
    # a benefit already received may be discounted up to its assessed value (policy)
    shown = d.pricing.add_exchange(
        kad,
        found.id,
        NewExchange(
            description="已交付的办公楼",
            timing="received",
            assessed_value="50000",
            discount="50000",
        ),
    )
    assert shown.total_discount == Decimal("750000")


def test_re_price_5_five_approvals_in_turn_then_quotable(crm, d, cli):
    kad = crm.actor("kad")
    found = d.pricing.analyse(kad, price_analysis())
    assert average(crm, PROJECT, "KA1") is None
    submitted = d.pricing.submit(kad, found.id)
    assert submitted.waiting_for == "marketing_director"
    with pytest.raises(PermissionDenied):  # the chairman does not sign out of turn
        d.pricing.decide(crm.actor("chair"), found.id, approve=True)
    for login in APPROVERS[:-1]:
        step = d.pricing.decide(crm.actor(login), found.id, approve=True)
        assert step.status == "submitted"
    with pytest.raises(Conflict, match="nothing may be quoted") as err:
        d.pricing.quote(kad, PROJECT, "KA1")
    assert err.value.rule == "RE-PRICE-6"
    done = d.pricing.decide(crm.actor("chair"), found.id, approve=True)
    assert done.status == "approved"
    quote = d.pricing.quote(crm.actor("am"), PROJECT, "KA1")
    assert (quote.average_price, quote.payment_ratio) == (Decimal("9800.00"), Decimal("60.00"))
    assert average(crm, PROJECT, "KA1") == Decimal("9800.00")
    out = cli("realestate", "price", "quote", PROJECT, "KA1", "--json", user="am")
    assert json.loads(out.stdout)["average_price"] == "9800.00"


def test_re_price_5_one_approval_per_commissioning_unit(crm, d, cli):
    kad = crm.actor("kad")
    first = d.pricing.analyse(kad, price_analysis())
    second = d.pricing.analyse(kad, price_analysis(average_price="9900"))
    d.pricing.submit(kad, first.id)
    with pytest.raises(Conflict, match="in approval"):
        d.pricing.submit(kad, second.id)
    approve_all(d, crm, first.id)
    before = row_counts(crm)
    with pytest.raises(Conflict, match="already has an approved average price") as err:
        d.pricing.submit(kad, second.id)
    assert err.value.rule == "RE-PRICE-5"
    result = cli("realestate", "price", "submit", str(second.id), user="kad")
    assert result.exit_code == 5 and "RE-PRICE-5" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before
    assert average(crm, PROJECT, "KA1") == Decimal("9800.00")


def test_re_price_5_another_project_is_another_approval(crm, d):
    kad = crm.actor("kad")
    record_inputs(d, crm, "HY-02")
    for project, price in (("HY-01", "9800"), ("HY-02", "10500")):
        found = d.pricing.analyse(kad, price_analysis(project_code=project, average_price=price))
        d.pricing.submit(kad, found.id)
        approve_all(d, crm, found.id)
    assert average(crm, "HY-02", "KA1") == Decimal("10500.00")
    assert average(crm, "HY-01", "KA1") == Decimal("9800.00")


def test_re_price_5_the_guard_refuses_an_approval_once_a_price_exists(crm, d):
    """Behind the check at submission, a guard on every approval of the chain (and behind it
    the unique index): a chain still running when the unit got its price is refused."""
    kad = crm.actor("kad")
    found = d.pricing.analyse(kad, price_analysis("KA2"))
    d.pricing.submit(kad, found.id)
    d.pricing.decide(crm.actor("mkt"), found.id, approve=True)
    _approve_directly(crm, "KA2")
    before = row_counts(crm)
    with pytest.raises(Vetoed, match="one approval per commissioning unit"):
        d.pricing.decide(crm.actor("fin"), found.id, approve=True)
    assert row_counts(crm) == before


def test_re_price_5_a_rejection_ends_the_chain(crm, d):
    kad = crm.actor("kad")
    found = d.pricing.analyse(kad, price_analysis())
    d.pricing.submit(kad, found.id)
    d.pricing.decide(crm.actor("mkt"), found.id, approve=True)
    rejected = d.pricing.decide(crm.actor("fin"), found.id, approve=False, comment="付款比例偏低")
    assert rejected.status == "rejected"
    revised = d.pricing.analyse(kad, price_analysis(payment_ratio="70"))
    d.pricing.submit(kad, revised.id)
    approve_all(d, crm, revised.id)
    assert d.pricing.quote(kad, PROJECT, "KA1").payment_ratio == Decimal("70.00")


def test_re_price_6_cost_and_unapproved_price_are_masked(crm, d, cli):
    kad, am = crm.actor("kad"), crm.actor("am")
    found = d.pricing.analyse(kad, price_analysis())
    seen = d.pricing.get(am, found.id)
    assert seen.unit_cost is None and seen.cost_plus_reference is None
    assert seen.average_price is None
    assert set(seen.masked) == {"unit_cost", "cost_plus_reference", "average_price"}
    assert seen.blind_reference == Decimal("10000.00")  # from public prices: not secret
    assert d.pricing.get(kad, found.id).unit_cost == Decimal("6800.00")
    shown = json.loads(
        cli("realestate", "price", "show", str(found.id), "--json", user="am").stdout
    )
    assert shown["unit_cost"] is None and shown["average_price"] is None
    table = cli("realestate", "price", "show", str(found.id), user="am").stdout
    assert "6800" not in table and "9800" not in table and "(masked)" in table
    d.pricing.submit(kad, found.id)
    approve_all(d, crm, found.id)
    after = d.pricing.get(am, found.id)
    assert after.average_price == Decimal("9800.00")  # approved: no longer secret
    assert after.unit_cost is None  # the cost stays the company's secret


def test_re_price_6_an_account_manager_may_not_write_a_cost(crm, d):
    before = row_counts(crm)
    with pytest.raises(PermissionDenied, match="may not write"):
        d.pricing.analyse(crm.actor("am"), price_analysis())
    assert row_counts(crm) == before


def test_re_price_6_quoting_before_approval_through_the_cli(crm, d, cli):
    d.pricing.analyse(crm.actor("kad"), price_analysis())
    before = row_counts(crm)
    result = cli("realestate", "price", "quote", PROJECT, "KA1", user="kad")
    assert result.exit_code == 5
    assert "RE-PRICE-6" in result.stderr and "Traceback" not in result.output
    assert {k: v for k, v in row_counts(crm).items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }


def test_re_price_5_the_whole_chain_through_the_cli(crm, d, cli):
    def run(*args: str, user: str) -> str:
        result = cli("realestate", "price", *args, user=user)
        assert result.exit_code == 0, result.output
        return result.stdout

    out = run(
        "analyse", PROJECT, "KA1", "--stage", "construction", "--comparable", "12500",
        "--average", "9800", "--payment-ratio", "55", user="kad",
    )  # fmt: skip
    assert "blind reference 10000.00" in out and "8840.00" in out
    run("exchange", "1", "--what", "学位", "--timing", "future", "--assessed", "100000",
        "--discount", "70000", "--risk", "低", user="kad")  # fmt: skip
    assert "waiting for marketing_director" in run("submit", "1", user="kad")
    for login in APPROVERS:
        last = run("approve", "1", user=login)
    assert "approved" in last
    listed = json.loads(run("list", PROJECT, "--json", user="am"))
    assert listed[0]["status"] == "approved" and listed[0]["average_price"] == "9800.00"


def average(crm, project: str, code: str) -> Decimal | None:  # type: ignore[no-untyped-def]
    """What the ticket price gate will ask (RE-TICKET-1 at merge)."""
    cid = client_id(crm, code)
    return crm.run(crm.actor("admin"), lambda tx: approved_average(tx, project, cid), write=False)


def _approve_directly(crm, code: str) -> None:  # type: ignore[no-untyped-def]
    """An approved price written behind the chain's back (as if a racing chain won)."""
    from crmcore_realestate.deals.tables import approved_prices, price_analyses
    from sqlalchemy import select

    with crm.engine.begin() as conn:
        cid = client_id(crm, code)
        aid = conn.scalar(select(price_analyses.c.id).where(price_analyses.c.client_id == cid))
        conn.execute(
            approved_prices.insert().values(
                project_code=PROJECT,
                client_id=cid,
                analysis_id=aid,
                average_price=Decimal("1"),
                payment_ratio=Decimal("50"),
                approved_at=crm.clock(),
            )
        )
