"""Works and acceptance (PWR-WORK-1, PWR-ACC-1), energising (PWR-ACC-2), the meter work ticket
and the account (PWR-MTR-1)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from crmcore_utility_power.domain import (
    CompletionDocument,
    NewCompletion,
    NewContract,
    NewInspection,
)
from power_kit import apply, drive, freeze

from crmcore import Conflict, InvalidInput
from crmcore.testing import row_counts


def at(crm, power, stage: str, voltage: str = "10kV", on: date = date(2026, 3, 2)):  # type: ignore[no-untyped-def]
    freeze(crm, on)
    return drive(power, apply(power, voltage=voltage).number, stage)


FAIL = NewInspection(passed=False, rectifications=("接地电阻超标",))
PASS = NewInspection(passed=True, findings="验收合格")


def test_the_fee_is_charged_from_the_second_acceptance_inspection_only(crm, power):
    """PWR-ACC-1: 「从第二次验收开始收取复验费」; the amount is a policy (no source amount)."""
    spec = crm.actor("spec")
    number = at(crm, power, "acceptance").number
    first = power.accept(spec, number, FAIL)
    assert first.stage == "rectifying"
    assert [(i.seq, i.passed, i.fee) for i in first.inspections] == [(1, False, Decimal("0.00"))]
    crm.policies.set(crm.actor("admin"), "PWR-ACC-1", {"fee": "800"}, reason="复验费标准")
    second = power.accept(spec, number, FAIL)
    third = power.accept(spec, number, PASS)
    assert [(i.seq, i.fee) for i in third.inspections] == [
        (1, Decimal("0.00")),
        (2, Decimal("800.00")),
        (3, Decimal("800.00")),
    ]
    assert second.stage == "rectifying" and third.stage == "passed"
    assert third.fees_due == Decimal("1600.00")  # single source: no plan fee
    # inspections during works never count: a new application, two works inspections first
    spec_view = at(crm, power, "works")
    for finding in ("基础施工", "电缆敷设"):
        power.inspect(spec, spec_view.number, NewInspection(findings=finding))
    view = drive(power, spec_view.number, "acceptance")
    view = power.accept(spec, view.number, PASS)
    assert [(i.kind, i.seq, i.fee) for i in view.inspections] == [
        ("works", 1, Decimal("0.00")),
        ("works", 2, Decimal("0.00")),
        ("acceptance", 1, Decimal("0.00")),
    ]


def test_a_failed_acceptance_needs_its_rectification_list(crm, power, cli):
    number = at(crm, power, "acceptance").number
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="rectifications: a failed acceptance lists") as err:
        power.accept(crm.actor("spec"), number, NewInspection(passed=False))
    assert err.value.rule == "PWR-ACC-1"
    result = cli("power", "accept", number, "--fail", user="spec")
    assert (result.exit_code, result.stderr.strip()[-11:]) == (3, "(PWR-ACC-1)")
    assert row_counts(crm) == before


def test_energising_is_refused_without_a_signed_contract(crm, power, cli):
    """PWR-ACC-2: through the API and the CLI, with nothing changed."""
    spec = crm.actor("spec")
    passed = at(crm, power, "passed")
    number, workflow_id = passed.number, passed.workflow_id
    before = row_counts(crm)
    with pytest.raises(Conflict, match="energising refused: no signed supply contract") as err:
        power.energise(spec, number)
    assert err.value.rule == "PWR-ACC-2"
    result = cli("power", "energise", number, user="spec")
    assert result.exit_code == 5
    assert result.stderr == (
        f"error: application {number}: energising refused: no signed supply contract (供用电合同) "
        "is recorded; record it first with `crm power contract` (PWR-ACC-2)\n"
    )
    # nor through the workflow's own door
    bare = cli("workflow", "advance", str(workflow_id), "--action", "energise", user="spec")
    assert bare.exit_code == 5 and "(PWR-ACC-2)" in bare.stderr
    assert row_counts(crm) == before
    assert power.status(spec, number).stage == "passed"
    power.contract(spec, number, NewContract(number="GD-2026-001", signed_on=date(2026, 3, 2)))
    with pytest.raises(Conflict, match="already has supply contract GD-2026-001"):
        power.contract(spec, number, NewContract(number="GD-2026-002"))
    view = power.energise(spec, number)
    assert view.stage == "metering"
    assert view.meter_ticket is not None and view.meter_ticket["number"] == "ZB2026-0001"


def test_the_meter_ticket_is_due_in_5_calendar_days_then_the_account_is_created(crm, power, cli):
    """PWR-MTR-1: 「5日内」 is calendar days (rules-audit A13), across a holiday here."""
    spec = crm.actor("spec")
    freeze(crm, date(2026, 9, 28))
    number = drive(power, apply(power, voltage="10kV").number, "metering").number
    view = power.status(spec, number)
    ticket = next(c for c in view.clocks if c.name == "meter_ticket")
    assert (ticket.days, ticket.unit, ticket.due) == (5, "calendar", date(2026, 10, 3))
    freeze(crm, date(2026, 10, 5))
    assert [k.overdue for k in crm.tasks.waiting(crm.actor("meter"))] == [True]
    with pytest.raises(InvalidInput, match="returned_on: 2026-09-27 is before the ticket's issue"):
        power.meter(crm.actor("meter"), number, returned_on=date(2026, 9, 27))
    done = power.meter(crm.actor("meter"), number, returned_on=date(2026, 10, 2))
    assert done.stage == "connected" and done.closed and done.account == "HH00000001"
    assert done.meter_ticket is not None and done.meter_ticket["returned_on"] == date(2026, 10, 2)
    assert {c.name: c.outcome for c in done.clocks}["meter_ticket"] == "missed"  # recorded late
    profile = power.profile(spec, "KA1")
    assert profile.current is not None and profile.accounts == ("HH00000001",)
    assert (profile.current.voltage, profile.current.contracted_capacity_kva) == (
        "10kV",
        Decimal("800.00"),
    )
    assert profile.current.source == f"connection {number}"
    result = cli("power", "meter", number, user="meter")
    assert result.exit_code == 5 and "is closed" in result.stderr


def test_inspections_during_works_only_while_the_works_are_under_way(crm, power, cli):
    """PWR-WORK-1."""
    spec = crm.actor("spec")
    number = at(crm, power, "notified").number
    before = row_counts(crm)
    with pytest.raises(Conflict, match="recorded while the works are under way") as err:
        power.inspect(spec, number, NewInspection(findings="未开工"))
    assert err.value.rule == "PWR-WORK-1"
    result = cli("power", "inspect", number, "--findings", "未开工", user="spec")
    assert result.exit_code == 5 and "(PWR-WORK-1)" in result.stderr
    assert row_counts(crm) == before
    drive(power, number, "works")
    with pytest.raises(InvalidInput, match="findings: say what the inspection found"):
        power.inspect(spec, number, NewInspection())
    view = power.inspect(
        spec, number, NewInspection(findings="配电室土建", rectifications=("门应向外开",))
    )
    assert [(i.kind, i.rectifications) for i in view.inspections] == [("works", ("门应向外开",))]
    assert view.stage == "works"


def test_a_high_voltage_completion_report_needs_all_six_documents(crm, power, cli):
    """PWR-ACC-1: the checklist must be complete; low-voltage clients file no checklist."""
    office = crm.actor("office")
    number = at(crm, power, "works").number
    before = row_counts(crm)
    five = [d for d in CompletionDocument if d is not CompletionDocument.DUTY_STAFF]
    with pytest.raises(InvalidInput, match=r"lacks duty_staff \(值班人员名单及资格\)") as err:
        power.complete(office, number, NewCompletion(documents=five))
    assert err.value.rule == "PWR-ACC-1"
    args = [a for d in five for a in ("--document", d.value)]
    result = cli("power", "complete", number, *args, user="office")
    assert result.exit_code == 3 and "(PWR-ACC-1)" in result.stderr
    unknown = cli("power", "complete", number, "--document", "photos", user="office")
    assert unknown.exit_code == 3 and "'photos' is not one of as_built" in unknown.stderr
    assert row_counts(crm) == before
    # the Chinese titles work as well as the codes
    view = power.complete(
        office, number, NewCompletion(documents=[d.label_zh for d in CompletionDocument])
    )
    assert view.stage == "acceptance" and all(item.filed for item in view.completion)
    low = at(crm, power, "works", voltage="0.4kV")
    assert power.complete(office, low.number, NewCompletion(documents=[])).stage == "acceptance"
