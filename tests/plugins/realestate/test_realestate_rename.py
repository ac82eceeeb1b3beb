"""RE-RENAME-1 (rules-audit 1.9): 「如果协议非要更名,必须在合同中非常清楚的列明允许哪种关系,我公司
认可的证明是哪些,对各种关系执行的价格政策是什么」. A contract (its buyer list) may list the
relationships a buyer may be renamed to, the proofs recognised and each one's price policy;
without such a list the list's refuse/charge policy holds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from realestate_kit import BUYERS, CLIENT, OTHER, PROJECT, check_all, setup, ticket

from crmcore import InvalidInput, PermissionDenied
from crmcore.testing import row_counts

TERMS = ["配偶:free:结婚证", "子女:fee:出生证明,户口簿", "兄弟姐妹:refuse"]


def _listed(crm, policy="refuse", terms=TERMS):
    re = setup(crm, buyers=False)
    sales = crm.actor("sales")
    lst = re.import_buyers(sales, PROJECT, CLIENT, BUYERS, rename_policy=policy)
    check_all(re, lst.number)
    if terms:
        re.set_rename_terms(sales, lst.number, terms)
    return re, lst.number, re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101"))


def _fees(re):
    return [r.amount for r in re.receipts(re.crm.actor("sales"), CLIENT) if r.kind == "rename_fee"]


def test_a_permitted_relationship_with_its_proofs_follows_its_price_policy(crm):
    """RE-RENAME-1: 配偶 with 结婚证 is free; 子女 with both proofs pays the 50% fee."""
    re, _, t = _listed(crm)
    sales = crm.actor("sales")
    view = re.rename(sales, t.number, *OTHER, relationship="配偶", proofs=["结婚证"])
    assert view.buyer == OTHER[0] and _fees(re) == []
    child = ("王小明", "110105201001010010")
    t2 = re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0102", 1))
    with pytest.raises(InvalidInput, match="market_price"):
        re.rename(sales, t2.number, *child, relationship="子女", proofs=["出生证明", "户口簿"])
    view = re.rename(
        sales,
        t2.number,
        *child,
        relationship="子女",
        proofs=["出生证明", "户口簿"],
        market_price="9000",
    )
    assert view.buyer == child[0]
    assert _fees(re) == [Decimal("40250")]  # 50% × (9000 − 8000) × 80.5 m²
    # within the list it stays free, whatever the contract's relationships
    assert re.rename(sales, t2.number, *BUYERS[4]).buyer == BUYERS[4][0]


def test_an_unlisted_relationship_or_a_missing_proof_is_refused(crm):
    """RE-RENAME-1: no relationship named, one the contract does not list, one it refuses,
    or a recognised proof missing: refused, naming the field; nothing written."""
    re, _, t = _listed(crm)
    sales = crm.actor("sales")
    before = row_counts(crm)
    cases = [
        ({}, "relationship"),
        ({"relationship": "朋友", "proofs": ["证明"]}, "relationship"),
        ({"relationship": "兄弟姐妹", "proofs": ["户口簿"]}, "relationship"),
        ({"relationship": "配偶"}, "proofs"),
        ({"relationship": "子女", "proofs": ["出生证明"], "market_price": "9000"}, "proofs"),
    ]
    for kw, field in cases:
        with pytest.raises(InvalidInput, match="RE-RENAME-1") as caught:
            re.rename(sales, t.number, *OTHER, **kw)
        assert caught.value.field == field, kw
    assert row_counts(crm) == before


def test_without_a_contract_list_the_lists_policy_holds(crm):
    """RE-RENAME-1: no relationships listed (or cleared): refuse/charge per list as before."""
    re, number, t = _listed(crm, policy="charge", terms=None)
    sales = crm.actor("sales")
    assert re.buyer_list(sales, number).rename_terms == ()
    re.set_rename_terms(sales, number, TERMS)
    with pytest.raises(InvalidInput, match="relationship"):
        re.rename(sales, t.number, *OTHER, market_price="9000")
    cleared = re.set_rename_terms(sales, number, [])  # a new version, listing none
    assert cleared.rename_terms == ()
    assert re.rename(sales, t.number, *OTHER, market_price="9000").buyer == OTHER[0]
    assert _fees(re) == [Decimal("50000")]


def test_setting_the_terms_is_versioned_audited_and_narrow(crm):
    """RE-RENAME-1: only who imports lists sets the terms; a new version each time."""
    re, number, _ = _listed(crm, terms=None)
    with pytest.raises(PermissionDenied):
        re.set_rename_terms(crm.actor("checker"), number, TERMS)
    re.set_rename_terms(crm.actor("sales"), number, TERMS)
    view = re.set_rename_terms(crm.actor("sales"), number, ["配偶:fee:结婚证"])
    assert [(x.relationship, x.price, x.proofs) for x in view.rename_terms] == [
        ("配偶", "fee", ("结婚证",))
    ]
    with crm.engine.connect() as conn:
        versions = conn.exec_driver_sql("SELECT count(*) FROM realestate_rename_terms").scalar()
        audited = conn.exec_driver_sql(
            "SELECT count(*) FROM audit_events WHERE action = 'realestate.list.rename_terms'"
        ).scalar()
    assert versions == audited == 2


def test_rename_terms_and_renames_through_the_cli(crm, cli):
    """RE-RENAME-1 through the CLI: a malformed term, a relationship not permitted, a missing
    proof: exit 3 naming the field and the rule, nothing written; a good rename succeeds."""
    _, number, t = _listed(crm, terms=None)
    before = row_counts(crm)
    for bad in (["--allow", "配偶:cheap:结婚证"], ["--allow", "配偶:free"], []):
        out = cli("realestate", "buyers", "rename-terms", number, *bad, user="sales")
        assert out.exit_code == 3 and "allow" in out.output and "RE-RENAME-1" in out.output
        assert "Traceback" not in out.output
    assert row_counts(crm) == before
    args = [a for term in TERMS for a in ("--allow", term)]
    out = cli("realestate", "buyers", "rename-terms", number, *args, user="sales")
    assert out.exit_code == 0 and "配偶 (free)" in out.stdout, out.output
    shown = cli("realestate", "buyers", "show", number, user="sales").stdout
    assert "出生证明, 户口簿" in shown and "兄弟姐妹" in shown
    shown = cli("realestate", "buyers", "show", number, "--json", user="sales").stdout
    assert '"relationship": "配偶"' in shown and '"price": "refuse"' in shown
    before = row_counts(crm)
    base = ("realestate", "rename", t.number, *OTHER)
    out = cli(*base, "--relationship", "朋友", "--proof", "证明", user="sales")
    assert out.exit_code == 3 and "relationship" in out.output and "RE-RENAME-1" in out.output
    out = cli(*base, "--relationship", "配偶", user="sales")
    assert out.exit_code == 3 and "proofs" in out.output and "结婚证" in out.output
    assert row_counts(crm) == before
    out = cli(*base, "--relationship", "配偶", "--proof", "结婚证", user="sales")
    assert out.exit_code == 0 and OTHER[0] in out.stdout, out.output
