"""PWR-KA-1 figures and PWR-ACC-2 contract numbers under the access model (CORE-CONF-2).

Whoever reads a key account sees its connection; its consumption, revenue and credit status
need ``power.figures.read`` and its supply contract number ``power.contracts.read``. A
countersigning department (市场营销部 here) sees them masked, at every door; the look-up
is recorded, and nobody writes a field they may not read.
"""

from __future__ import annotations

import json

import pytest
from crmcore_utility_power.domain import NewContract, NewProfile
from power_kit import CLIENT, PAY_INTO, apply, drive

from crmcore import PermissionDenied
from crmcore.testing import row_counts

FIGURES = ("annual_consumption_kwh", "annual_revenue", "credit_status")


@pytest.fixture
def profiled(crm, power):
    power.set_profile(
        crm.actor("am"),
        CLIENT,
        NewProfile(
            voltage="10kV",
            contracted_capacity_kva="2500",
            annual_consumption_kwh="8600000",
            annual_revenue="6020000.50",
            credit_status="watch",
        ),
    )
    return power


def test_figures_are_masked_without_the_permission_at_every_door(crm, profiled, cli):
    """PWR-KA-1, CORE-CONF-2: the marketing department reads the profile, not its figures."""
    seen = profiled.profile(crm.actor("mkt"), CLIENT).current
    assert seen is not None and seen.voltage == "10kV"
    assert (seen.annual_consumption_kwh, seen.annual_revenue, seen.credit_status) == (
        None,
        None,
        None,
    )
    assert seen.masked == tuple(sorted(FIGURES))
    shown = json.loads(cli("power", "profile", "show", CLIENT, "--json", user="mkt").stdout)
    assert shown["current"]["annual_revenue"] is None
    assert sorted(shown["current"]["masked"]) == sorted(FIGURES)
    table = cli("power", "profile", "show", CLIENT, user="mkt").stdout
    assert "(masked)" in table and "6020000.50" not in table and "watch" not in table
    # the account manager holds the permission and sees them
    mine = profiled.profile(crm.actor("am"), CLIENT).current
    assert mine is not None and mine.credit_status == "watch" and mine.masked == ()
    assert "6020000.50 CNY/year" in cli("power", "profile", "show", CLIENT, user="am").stdout


def test_reading_the_figures_is_recorded_and_masking_is_noted(crm, profiled):
    """CORE-CONF-2 查阅记录: who looked, which fields they saw in clear or masked; no values."""
    profiled.profile(crm.actor("am"), CLIENT)
    profiled.profile(crm.actor("mkt"), CLIENT)
    events = crm.audit.log(crm.actor("admin"), action="power.profile.show")
    by = {e.actor: e.detail for e in events}
    assert sorted(by["am"]["unmasked"]) == [f"power.profile.{f}" for f in sorted(FIGURES)]
    assert sorted(by["mkt"]["masked"]) == [f"power.profile.{f}" for f in sorted(FIGURES)]
    assert "6020000.50" not in json.dumps([e.detail for e in events])


def test_a_field_an_admin_tightens_cannot_be_written_by_whoever_may_not_read_it(crm, profiled):
    """Rules only add up: revenue made secret, the account manager (cleared confidential) may
    neither read it nor write a new profile version (which would overwrite it)."""
    admin = crm.actor("admin")
    crm.access.add_field_rule(admin, "power.profile", "annual_revenue", clearance="secret")
    assert profiled.profile(crm.actor("am"), CLIENT).current.masked == ("annual_revenue",)
    before = row_counts(crm)
    with pytest.raises(PermissionDenied, match=r"power\.profile\.annual_revenue") as err:
        profiled.set_profile(
            crm.actor("am"), CLIENT, NewProfile(voltage="10kV", contracted_capacity_kva="3150")
        )
    assert err.value.rule == "CORE-CONF-2"
    assert row_counts(crm) == before


def test_the_contract_number_is_masked_without_the_permission(crm, power, cli):
    """PWR-ACC-2: the status, its JSON and the timeline withhold the number from marketing."""
    number = drive(power, apply(power).number, "passed").number
    power.contract(crm.actor("spec"), number, NewContract(number="GYD-2026-0815"))
    seen = power.status(crm.actor("mkt"), number).contract
    assert seen is not None and seen["number"] is None and seen["masked"] == ("number",)
    assert seen["signed_on"] is not None  # that a contract is signed is not secret
    shown = json.loads(cli("power", "status", number, "--json", user="mkt").stdout)
    assert shown["contract"]["number"] is None
    for args in (("status", number), ("timeline", number)):
        out = cli("power", *args, user="mkt").stdout
        assert "GYD-2026-0815" not in out and "(masked)" in out
    assert power.status(crm.actor("am"), number).contract["number"] == "GYD-2026-0815"
    assert "GYD-2026-0815" in cli("power", "timeline", number, user="spec").stdout


def test_the_quotes_fees_and_pay_into_account_are_masked_without_the_permission(crm, power, cli):
    """PWR-FEE-1, CORE-CONF-2: the fees due and the account to pay into, told to the client
    with the plan, need power.quotes.read; marketing (会签) sees the plan, not its money, in
    the API, the status table and its JSON, the quote document and the timeline. The quote
    filed in the archive and the specialist who notifies keep them whole."""
    number = drive(power, apply(power, sources=2).number, "notified").number  # 高可靠性供电费
    plan = power.status(crm.actor("mkt"), number).plan
    assert plan is not None and plan.voltage == "10kV"
    assert (plan.fees, plan.total, plan.pay_into) == (None, None, None)
    assert sorted(plan.masked) == ["fees", "pay_into", "total"]
    assert power.status(crm.actor("mkt"), number).fees_due is None
    shown = json.loads(cli("power", "status", number, "--json", user="mkt").stdout)
    assert shown["plans"][-1]["total"] is None and shown["plans"][-1]["pay_into"] is None
    assert shown["plans"][-1]["fees"] is None and shown["fees_due"] is None
    quote = json.loads(cli("power", "quote", number, "--json", user="mkt").stdout)["text"]
    whole = power.quote(crm.actor("spec"), number).text
    total = power.status(crm.actor("spec"), number).plan.total
    assert total and PAY_INTO in whole and f"{total} 元" in whole
    for out in (
        quote,
        cli("power", "status", number, user="mkt").stdout,
        cli("power", "quote", number, user="mkt").stdout,
        cli("power", "timeline", number, user="mkt").stdout,
    ):
        assert PAY_INTO not in out and str(total) not in out and "(masked)" in out
    doc_id = power.status(crm.actor("spec"), number).validity.quote_document
    assert PAY_INTO in crm.archives.content(crm.actor("spec"), doc_id)[1].decode()
    events = crm.audit.log(crm.actor("admin"), action="power.quote")
    assert {e.actor: sorted(e.detail.get("masked", ())) for e in events}["mkt"] == [
        "power.quote.fees",
        "power.quote.pay_into",
        "power.quote.total",
    ]
