"""The organisation (CORE-OWN-3, CLS-AMT-2, CORE-OWN-1): a tree of units, assignment rules on
region, industry and importance, the tier's managing level, roll-ups and the coverage report."""

from __future__ import annotations

import json

import pytest

from crmcore import Conflict, InvalidInput, NewClient, NotFound
from crmcore.domain.security import NewAssignmentRule, NewUnit
from crmcore.testing import row_counts


@pytest.fixture
def tree(crm, admin, make_user):
    """HQ > GD (provincial, 广东) > GZ (city, 广东/广州) > PY (county, 广东/广州/番禺); HQ > KA."""
    for login in ("gdboss", "gzboss", "pyboss", "kaboss", "lina"):
        make_user(login)
    for code, kind, parent, level, region, manager in [
        ("HQ", "head_office", None, None, None, None),
        ("GD", "branch", "HQ", "provincial", "广东", "gdboss"),
        ("GZ", "region", "GD", "city", "广东/广州", "gzboss"),
        ("PY", "region", "GZ", "county", "广东/广州/番禺", "pyboss"),
        ("KA", "department", "HQ", None, None, "kaboss"),
    ]:
        crm.org.add_unit(
            admin,
            NewUnit(
                code=code,
                name=code,
                kind=kind,
                parent=parent,
                level=level,
                region=region,
                manager=manager,
            ),
        )
    return crm


def test_units_form_a_tree_without_cycles(tree, admin, cli):
    crm = tree
    assert [u.path for u in crm.org.units(admin)] == [
        ("HQ",),
        ("HQ", "GD"),
        ("HQ", "GD", "GZ"),
        ("HQ", "GD", "GZ", "PY"),
        ("HQ", "KA"),
    ]
    with pytest.raises(Conflict, match="cannot contain itself"):
        crm.org.move_unit(admin, "GD", "PY")
    with pytest.raises(InvalidInput, match="needs a parent"):
        crm.org.add_unit(admin, NewUnit(code="X", name="x", kind="branch"))
    with pytest.raises(NotFound, match="parent: unknown organisation unit 'NOPE'"):
        crm.org.add_unit(admin, NewUnit(code="X", name="x", kind="branch", parent="NOPE"))
    with pytest.raises(InvalidInput) as err:
        NewUnit(code="X", name="x", kind="branch", parent="HQ", level="national")
    assert (err.value.field, err.value.rule) == ("level", "CLS-AMT-2")
    before = row_counts(crm)
    bad = cli("org", "add", "Y", "--name", "y", "--kind", "galaxy", "--parent", "HQ")
    assert bad.exit_code == 3 and bad.stderr.startswith("error: kind:")
    assert row_counts(crm) == before
    assert [u["code"] for u in json.loads(cli("org", "units", "--json").stdout)] == [
        "HQ",
        "GD",
        "GZ",
        "PY",
        "KA",
    ]
    crm.org.move_unit(admin, "KA", "GD")
    assert crm.org.units(admin)[-1].path == ("HQ", "GD", "KA")


def test_rules_assign_unit_and_manager_on_registration(tree, admin):
    """CORE-OWN-3: by region (prefix), industry and importance; the most specific rule wins."""
    crm = tree
    crm.org.add_rule(admin, NewAssignmentRule(unit="GD", region="广东"))
    crm.org.add_rule(admin, NewAssignmentRule(unit="GZ", region="广东/广州"))
    crm.org.add_rule(
        admin, NewAssignmentRule(unit="KA", region="广东", importance="key", manager="lina")
    )
    crm.org.add_rule(admin, NewAssignmentRule(unit="KA", industry="房地产业", priority=1))
    cases = [
        (dict(region="广东/深圳"), "GD", "gdboss"),
        (dict(region="广东/广州/天河"), "GZ", "gzboss"),  # longer region prefix: more specific
        (
            dict(region="广东/广州", importance="key"),
            "KA",
            "lina",
        ),  # region + importance beat region
        (dict(region="北京/北京", industry="房地产业"), "KA", "kaboss"),
        (dict(region="北京/北京"), None, "admin"),  # no rule: the registering user owns it
    ]
    for attrs, unit, owner in cases:
        c = crm.clients.add(admin, NewClient(name=f"客户{attrs}", **attrs))
        assert (c.unit, c.owner) == (unit, owner), attrs
    # a named owner wins over the rule's manager; the unit still follows the rule
    named = crm.clients.add(admin, NewClient(name="指定", region="广东/深圳", owner="lina"))
    assert (named.unit, named.owner) == ("GD", "lina")


def test_the_tier_moves_the_client_to_its_managing_level(tree, admin, cli):
    """CLS-AMT-2: diamond -> provincial centre, platinum/gold -> city, VIP -> county."""
    crm = tree
    crm.org.add_rule(admin, NewAssignmentRule(unit="GZ", region="广东/广州"))
    c = crm.clients.add(admin, NewClient(name="番禺客户", region="广东/广州/番禺"))
    assert (c.unit, c.owner) == ("GZ", "gzboss")
    assert crm.org.assign(admin, c.code, tier="diamond", apply=False).unit == "GD"
    assert crm.clients.get(admin, c.code).unit == "GZ"  # a dry run changes nothing
    done = crm.org.assign(admin, c.code, tier="diamond")
    assert (done.unit, done.owner, done.level.value) == ("GD", "gdboss", "provincial")
    assert (crm.clients.get(admin, c.code).unit, crm.clients.get(admin, c.code).owner) == (
        "GD",
        "gdboss",
    )
    assert crm.org.assign(admin, c.code, tier="vip").unit == "PY"
    assert crm.org.assign(admin, c.code, tier="gold").unit == "GZ"
    assert [h["action"] for h in crm.clients.history(admin, c.code)][-2:] == ["unit", "assign"]
    with pytest.raises(InvalidInput) as err:
        crm.org.assign(admin, c.code, tier="bronze")
    assert err.value.rule == "CLS-AMT-2"
    shown = json.loads(
        cli("org", "assign", c.code, "--tier", "platinum", "--dry-run", "--json").stdout
    )
    assert shown[0]["unit"] == "GZ" and shown[0]["level"] == "city"


def test_listings_and_rollups_include_units_below(tree, admin, cli):
    crm = tree
    for region, unit in [("广东/广州/番禺", "PY"), ("广东/广州", "GZ"), ("广东/深圳", "GD")]:
        crm.org.add_rule(admin, NewAssignmentRule(unit=unit, region=region))
    for i, region in enumerate(["广东/广州/番禺", "广东/广州/番禺", "广东/广州", "广东/深圳"]):
        crm.clients.add(
            admin, NewClient(name=f"客户{i}", region=region, importance="key" if i == 0 else None)
        )
    assert len(crm.clients.list(admin, unit="GZ")) == 3
    assert len(crm.clients.list(admin, unit="PY")) == 2
    totals = {u.unit: (u.own, u.total, u.important) for u in crm.org.rollup(admin)}
    assert totals == {
        "HQ": (0, 4, 1),
        "GD": (1, 4, 1),
        "GZ": (1, 3, 1),
        "PY": (2, 2, 1),
        "KA": (0, 0, 0),
    }
    table = cli("client", "list", "--unit", "GZ")
    assert table.exit_code == 0 and table.stdout.count("客户") == 3
    assert json.loads(cli("org", "rollup", "--json").stdout)[0]["total"] == 4


def test_coverage_lists_important_clients_with_fewer_than_two_staff(tree, admin, make_user, cli):
    """CORE-OWN-1 (联系报告制): important clients have at least two staff in contact; a
    deactivated person does not count."""
    crm = tree
    alone = crm.clients.add(admin, NewClient(name="重点甲", importance="key", owner="lina"))
    paired = crm.clients.add(admin, NewClient(name="重点乙", importance="important", owner="lina"))
    crm.clients.add_co_contact(admin, paired.code, "gzboss")
    crm.clients.add(admin, NewClient(name="一般丙", importance="normal", owner="lina"))
    gaps = crm.org.coverage(admin)
    assert [(g.client_code, g.staff) for g in gaps] == [(alone.code, ("lina",))]
    crm.handover.run(admin, "gzboss", "pyboss", reason="调岗")
    assert [g.client_code for g in crm.org.coverage(admin)] == [alone.code]
    shown = json.loads(cli("org", "coverage", "--json").stdout)
    assert shown == [
        {
            "client_code": alone.code,
            "client_name": "重点甲",
            "importance": "key",
            "owner": "lina",
            "staff": ["lina"],
            "unit": None,
        }
    ]


def test_membership_and_rules_are_ended_not_deleted(tree, admin, cli):
    crm = tree
    assert crm.org.add_member(admin, "GZ", "lina").members == ("lina",)
    with pytest.raises(Conflict, match="already belongs"):
        crm.org.add_member(admin, "GZ", "lina")
    assert crm.org.remove_member(admin, "GZ", "lina").members == ()
    with pytest.raises(Conflict, match="does not belong"):
        crm.org.remove_member(admin, "GZ", "lina")
    rule = crm.org.add_rule(admin, NewAssignmentRule(unit="GD", region="广东"))
    crm.org.end_rule(admin, rule.id)
    assert crm.org.rules(admin) == []
    assert [r.active for r in crm.org.rules(admin, include_ended=True)] == [False]
    assert cli("org", "member", "GZ", "--add", "lina").exit_code == 0
    users = {u["login"]: u for u in json.loads(cli("user", "list", "--json").stdout)}
    assert (users["lina"]["units"], users["lina"]["clearance"]) == (["GZ"], "confidential")
    assert cli("org", "rule", "add", "--unit", "GZ", "--importance", "vital").exit_code == 3
