"""RE-PRICE-5's inputs come from their departments: the cost department records a project's unit
cost and sales its retail reference price, each a dated new version by someone holding that
department's permission; the key-account department's price analysis takes the latest of each
and records which versions it used, and is refused while either is missing. The unit cost stays
secret (RE-PRICE-6)."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from crmcore_realestate.deals.domain import NewPriceInput
from realestate_deals_kit import PROJECT, price_analysis, record_inputs, setup
from sqlalchemy import select

from crmcore import Conflict, InvalidInput, PermissionDenied
from crmcore.store.tables import audit_events
from crmcore.testing import row_counts


@pytest.fixture
def d(crm):  # type: ignore[no-untyped-def]
    return setup(crm, inputs=False)


def cost(value: str, note: str | None = None, project: str = PROJECT) -> NewPriceInput:
    return NewPriceInput(project_code=project, kind="unit_cost", value=value, note=note)


def retail(value: str, project: str = PROJECT) -> NewPriceInput:
    return NewPriceInput(project_code=project, kind="retail_reference", value=value)


def test_re_price_5_the_analysis_takes_the_latest_inputs_and_names_their_versions(crm, d):
    record_inputs(d, crm, cost="6800", retail="12000")
    again = d.pricing.record_input(crm.actor("cost"), cost("7000", "钢材涨价"))
    assert (again.kind, again.version, again.value) == ("unit_cost", 2, Decimal("7000.00"))
    found = d.pricing.analyse(crm.actor("kad"), price_analysis())
    assert (found.unit_cost, found.unit_cost_version) == (Decimal("7000.00"), 2)
    assert (found.retail_reference, found.retail_reference_version) == (Decimal("12000.00"), 1)
    assert found.cost_plus_reference == Decimal("9100.00")  # RE-PRICE-2: 7000 + 30%
    assert found.blind_reference == Decimal("10000.00")  # RE-PRICE-2: 80% of 12500
    # never edited: both versions of the cost stay, with who recorded them
    listed = d.pricing.inputs(crm.actor("kad"), PROJECT)
    assert [(i.kind, i.version, i.value, i.recorded_by) for i in listed] == [
        ("retail_reference", 1, Decimal("12000.00"), "retail"),
        ("unit_cost", 1, Decimal("6800.00"), "cost"),
        ("unit_cost", 2, Decimal("7000.00"), "cost"),
    ]
    # a later input does not change an analysis already written
    d.pricing.record_input(crm.actor("retail"), retail("12600"))
    assert d.pricing.get(crm.actor("kad"), found.id).retail_reference == Decimal("12000.00")


def test_re_price_5_inputs_are_per_project(crm, d):
    record_inputs(d, crm, "HY-02", cost="5000", retail="9000")
    before = row_counts(crm)
    with pytest.raises(Conflict, match="unit_cost: project HY-01 has no unit cost") as err:
        d.pricing.analyse(crm.actor("kad"), price_analysis())
    assert err.value.rule == "RE-PRICE-5"
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("recorded", "missing"), [("retail", "unit_cost"), ("cost", "retail_reference")]
)
def test_re_price_5_an_analysis_without_an_input_is_refused_naming_it(
    crm, d, cli, recorded, missing
):
    if recorded == "cost":
        d.pricing.record_input(crm.actor("cost"), cost("6800"))
    else:
        d.pricing.record_input(crm.actor("retail"), retail("12000"))
    before = row_counts(crm)
    with pytest.raises(Conflict, match=f"^{missing}: ") as err:
        d.pricing.analyse(crm.actor("kad"), price_analysis())
    assert err.value.rule == "RE-PRICE-5"
    result = cli(
        "realestate", "price", "analyse", PROJECT, "KA1", "--stage", "listing",
        "--comparable", "12500", "--average", "9800", "--payment-ratio", "60", user="kad",
    )  # fmt: skip
    assert result.exit_code == 5
    assert missing in result.stderr and "RE-PRICE-5" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before


def test_re_price_5_the_old_options_are_gone_from_analyse(crm, d, cli):
    record_inputs(d, crm)
    before = row_counts(crm)
    result = cli(
        "realestate", "price", "analyse", PROJECT, "KA1", "--stage", "listing",
        "--comparable", "12500", "--cost", "1", "--retail", "1", "--average", "9800",
        "--payment-ratio", "60", user="kad",
    )  # fmt: skip
    assert result.exit_code == 2 and "--cost" in result.output
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("login", "args"),
    [
        ("kad", ("cost", PROJECT, "6000")),  # key accounts write the analysis, not the cost
        ("kad", ("retail", PROJECT, "13000")),
        ("retail", ("cost", PROJECT, "6000")),  # each department gives only its own input
        ("cost", ("retail", PROJECT, "13000")),
        ("am", ("cost", PROJECT, "6000")),
    ],
)
def test_re_price_5_only_the_department_records_its_input(crm, d, cli, login, args):
    before = row_counts(crm)
    kind = "unit_cost" if args[0] == "cost" else "retail_reference"
    with pytest.raises(PermissionDenied, match=f"^{kind}: only ") as err:
        d.pricing.record_input(
            crm.actor(login), NewPriceInput(project_code=PROJECT, kind=kind, value=args[2])
        )
    assert err.value.rule == "RE-PRICE-5"
    result = cli("realestate", "price", *args, user=login)
    assert result.exit_code == 6 and "RE-PRICE-5" in result.stderr and kind in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("command", "value", "message"),
    [
        ("cost", "abc", "unit_cost: 'abc' is not a number"),
        ("cost", "0", "unit_cost: must be at least 0.01"),
        ("retail", "-5", "retail_reference: must be at least 0.01"),
        ("retail", "12000.005", "retail_reference: has more than 2 decimal places"),
    ],
)
def test_re_price_5_bad_input_values_are_refused(crm, d, cli, command, value, message):
    before = row_counts(crm)
    kind = "unit_cost" if command == "cost" else "retail_reference"
    with pytest.raises(InvalidInput) as err:
        NewPriceInput(project_code=PROJECT, kind=kind, value=value)
    assert err.value.rule == "RE-PRICE-5"
    login = "cost" if command == "cost" else "retail"
    result = cli("realestate", "price", command, "--", PROJECT, value, user=login)
    assert result.exit_code == 3
    assert message in result.stderr and "RE-PRICE-5" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before


def test_re_price_5_a_bad_project_code_is_refused(crm, d, cli):
    before = row_counts(crm)
    result = cli("realestate", "price", "cost", "HY 01!", "6800", user="cost")
    assert result.exit_code == 3
    assert "project_code" in result.stderr and "RE-PRICE-5" in result.stderr
    assert row_counts(crm) == before


def test_re_price_6_the_unit_cost_input_is_secret(crm, d, cli):
    d.pricing.record_input(crm.actor("cost"), cost("6800", "配套费未定, 约 ±200 元/m²"))
    d.pricing.record_input(crm.actor("retail"), retail("12000"))
    seen = {i.kind: i for i in d.pricing.inputs(crm.actor("am"), PROJECT)}
    assert seen["unit_cost"].value is None and seen["unit_cost"].note is None
    assert set(seen["unit_cost"].masked) == {"value", "note"}
    assert seen["retail_reference"].value == Decimal("12000.00")  # not secret
    # sales' retail desk sees its own figure, not the cost
    by_retail = {i.kind: i for i in d.pricing.inputs(crm.actor("retail"), PROJECT)}
    assert by_retail["unit_cost"].value is None
    assert d.pricing.inputs(crm.actor("kad"), PROJECT)[1].value == Decimal("6800.00")
    shown = json.loads(cli("realestate", "price", "inputs", PROJECT, "--json", user="am").stdout)
    cost_row = next(i for i in shown if i["kind"] == "unit_cost")
    assert cost_row["value"] is None and cost_row["note"] is None
    table = cli("realestate", "price", "inputs", PROJECT, user="am").stdout
    assert "6800" not in table and "(masked)" in table and "12000" in table
    # the audit trail names the fields, never the secret value
    with crm.engine.connect() as conn:
        bodies = conn.scalars(
            select(audit_events.c.body).where(
                audit_events.c.action == "realestate.deal.price_input"
            )
        ).all()
    assert len(bodies) == 2 and not any("6800" in b or "配套费" in b for b in bodies)


def test_re_price_5_the_inputs_and_analysis_through_the_cli(crm, d, cli):
    def run(*args: str, user: str) -> str:
        result = cli("realestate", "price", *args, user=user)
        assert result.exit_code == 0, result.output
        return result.stdout

    assert "version 1" in run("cost", PROJECT, "6800", "--note", "含税", user="cost")
    assert "version 2" in run("cost", PROJECT, "6900", user="cost")
    assert "version 1" in run(
        "retail", PROJECT, "12000", "--note", "周边 11500-12800", user="retail"
    )
    out = run(
        "analyse", PROJECT, "KA1", "--stage", "listing", "--comparable", "12500",
        "--average", "9800", "--payment-ratio", "60", user="kad",
    )  # fmt: skip
    assert "8970.00" in out  # 6900 + 30%
    shown = json.loads(run("show", "1", "--json", user="kad"))
    assert (shown["unit_cost"], shown["unit_cost_version"]) == ("6900.00", 2)
    assert (shown["retail_reference"], shown["retail_reference_version"]) == ("12000.00", 1)
    assert "unit cost version" in run("show", "1", user="kad")
    listed = json.loads(run("inputs", PROJECT, "--json", user="kad"))
    assert [(i["kind"], i["version"]) for i in listed] == [
        ("retail_reference", 1),
        ("unit_cost", 1),
        ("unit_cost", 2),
    ]
