"""The deals part of the realestate plugin as a plugin: its migration matches its tables, its
policies default to the rules' numbers, its demo data loads."""

from __future__ import annotations

import json
from decimal import Decimal

from crmcore_realestate.deals.policies import TEAM_POSITIONS
from realestate_deals_kit import setup

from crmcore.testing import check_plugin


def test_the_deals_migration_matches_its_tables(crm, cli):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from crmcore.store import metadata

    check_plugin(crm, "realestate")
    with crm.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    assert [d for d in diffs if "realestate_deal_" in repr(d)] == []
    current = json.loads(cli("db", "current", "--json").stdout)
    assert current["realestate"]["up_to_date"]


def test_policies_default_to_the_rules_numbers(crm, admin):
    def policy(key: str):  # type: ignore[no-untyped-def]
        return crm.run(admin, lambda tx: crm.policies.in_force(tx, key))

    start = policy("RE-START-1")
    assert (start.mode, start.lending_rate_threshold, start.rate_comparison) == (
        "any",
        Decimal("10"),
        "above",
    )
    assert policy("RE-TEAM-1").positions == TEAM_POSITIONS and len(TEAM_POSITIONS) == 8
    assert policy("RE-SEL-1").min_candidates == 3
    assert policy("RE-SEL-2").order[0] == "accepted_price"
    refs = policy("RE-PRICE-2")
    assert (refs.blind_share, refs.cost_markup) == (Decimal("80"), Decimal("30"))
    assert policy("RE-PRICE-3").min_payment_ratio == Decimal("50")
    caps = policy("RE-PRICE-4")
    assert (caps.future_cap, caps.received_cap) == (Decimal("70"), Decimal("100"))


def test_a_policy_refuses_nonsense(crm, admin, cli):
    result = cli("policy", "set", "RE-PRICE-3", "min_payment_ratio=120", "--from", "2030-01-01")
    assert result.exit_code == 3 and "min_payment_ratio" in result.stderr
    bad = cli("policy", "set", "RE-SEL-2", "order=accepted_price", "--from", "2030-01-01")
    assert bad.exit_code == 3 and "RE-SEL-2" in bad.stderr


def test_demo_data_walks_a_deal_to_an_approved_price(crm, admin):
    from crmcore_realestate.deals import demo
    from crmcore_realestate.deals.services import deals

    from crmcore import NewClient
    from crmcore.sampledata import SampleData

    sample = SampleData()
    clients = [crm.clients.add(admin, NewClient(name=c["name"])) for c in sample.companies(3)]
    summary = crm.run(admin, lambda tx: demo.load(tx, sample, clients))
    assert "1 unit selected and priced" in summary
    d = deals(crm)
    quote = d.pricing.quote(admin, demo.PROJECT, clients[0].code)
    assert quote.average_price == Decimal("9800.00")
    [memo] = d.memos(admin, demo.PROJECT)
    assert not memo.complete and len(memo.signatures) == 8


def test_the_kit_staff_are_the_roles_the_workflows_name(crm):
    setup(crm)
    names = {w.name for w in crm.workflows.definitions(crm.actor("admin"))}
    assert {"realestate.deal_selection", "realestate.deal_price"} <= names
