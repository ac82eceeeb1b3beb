"""PWR-KA-1: the key-account profile, versioned; the account manager named (CORE-OWN-1) or
picked by the organisation's assignment rules from region, industry and priority (CORE-OWN-3),
always through the core."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from crmcore_utility_power.domain import NewProfile
from power_kit import CLIENT, UNIT

from crmcore import Conflict, InvalidInput, NewAssignmentRule, NewUser, PermissionDenied
from crmcore.testing import row_counts


def test_a_profile_change_is_a_new_version_and_the_old_one_is_kept(crm, power):
    am = crm.actor("am")
    power.set_profile(
        am,
        CLIENT,
        NewProfile(
            voltage="10kV",
            contracted_capacity_kva="2500",
            load_class="2",
            priority="key",
            annual_consumption_kwh="8600000",
            annual_revenue="6020000.50",
            credit_status="good",
        ),
    )
    view = power.set_profile(
        am,
        CLIENT,
        NewProfile(
            voltage="35kV",
            contracted_capacity_kva="8000",
            credit_status="watch",
            standing="行业龙头",
        ),
    )
    assert view.current is not None
    assert (view.current.version, view.current.voltage, view.current.credit_status) == (
        2,
        "35kV",
        "watch",
    )
    assert view.current.load_class is None  # a version is complete in itself
    assert [(v.version, v.contracted_capacity_kva, v.annual_revenue) for v in view.history] == [
        (1, Decimal("2500.00"), Decimal("6020000.50"))
    ]
    assert view.region == "广东/广州" and view.current.recorded_by == "am"


def test_the_account_manager_is_assigned_through_the_core(crm, power, cli):
    admin = crm.actor("admin")
    crm.users.add(admin, NewUser(login="boss", name="张总", roles=("director",)))
    crm.users.add(admin, NewUser(login="lina", name="李娜", roles=("account_manager",)))
    crm.org.add_member(admin, UNIT, "boss")
    new = NewProfile(voltage="10kV", contracted_capacity_kva="1250")
    before = row_counts(crm)
    with pytest.raises(PermissionDenied, match=r"client\.assign"):
        power.set_profile(crm.actor("am"), CLIENT, new, manager="lina")
    assert row_counts(crm) == before
    view = power.set_profile(crm.actor("boss"), CLIENT, new, manager="lina")
    assert view.account_manager == "lina" == crm.clients.get(admin, CLIENT).owner
    shown = json.loads(cli("power", "profile", "show", CLIENT, "--json").stdout)
    assert shown["account_manager"] == "lina" and shown["current"]["voltage"] == "10kV"
    assert "李娜" not in cli("power", "profile", "show", CLIENT).stdout  # logins, not names


def test_the_assignment_rules_pick_the_manager_by_priority(crm, power, cli):
    """CORE-OWN-3: key accounts of Guangdong go to 李娜; the priority of the profile becomes
    the client's importance (kept in its history), then the core's rules decide."""
    admin = crm.actor("admin")
    crm.users.add(admin, NewUser(login="boss", name="张总", roles=("director",)))
    crm.users.add(admin, NewUser(login="lina", name="李娜", roles=("account_manager",)))
    crm.org.add_member(admin, UNIT, "boss")
    crm.org.add_rule(
        admin, NewAssignmentRule(unit=UNIT, region="广东", importance="key", manager="lina")
    )
    general = NewProfile(voltage="10kV", contracted_capacity_kva="1250", priority="general")
    key = NewProfile(voltage="10kV", contracted_capacity_kva="1250", priority="key")
    before = row_counts(crm)
    with pytest.raises(PermissionDenied, match=r"org\.assign"):  # not the account manager's call
        power.set_profile(crm.actor("am"), CLIENT, key, assign=True)
    assert row_counts(crm) == before
    view = power.set_profile(crm.actor("boss"), CLIENT, general, assign=True)
    assert (view.importance, view.unit, view.account_manager) == ("normal", UNIT, "admin")
    out = cli("power", "profile", "set", CLIENT, "--voltage", "10kV", "--capacity", "1250",
              "--priority", "key", "--assign", user="boss")  # fmt: skip
    assert out.exit_code == 0, out.output
    assert "unit GZ, account manager lina" in out.stdout
    client = crm.clients.get(admin, CLIENT)
    assert (client.importance, client.unit, client.owner) == ("key", UNIT, "lina")
    both = cli("power", "profile", "set", CLIENT, "--voltage", "10kV", "--capacity", "1",
               "--manager", "lina", "--assign", user="boss")  # fmt: skip
    assert both.exit_code == 3 and "(CORE-OWN-3)" in both.stderr


def test_assigning_without_a_matching_rule_changes_nothing(crm, power):
    """CORE-OWN-3: no rule for Beijing; the profile is not written either."""
    admin = crm.actor("admin")
    crm.users.add(admin, NewUser(login="boss", name="张总", roles=("director",)))
    crm.access.grant(admin, CLIENT, user="boss", reason="test")
    crm.clients.edit(admin, CLIENT, {"region": "北京"})
    before = row_counts(crm)
    with pytest.raises(Conflict, match="no assignment rule matches") as err:
        power.set_profile(
            crm.actor("boss"),
            CLIENT,
            NewProfile(voltage="10kV", contracted_capacity_kva="1250"),
            assign=True,
        )
    assert err.value.rule == "CORE-OWN-3"
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--voltage", "10kV", "--capacity", "0"),
            "contracted_capacity_kva: must be more than 0 kVA, not 0",
        ),
        (
            ("--voltage", "13.8kV", "--capacity", "100"),
            "voltage: '13.8kV' is not a supply voltage level",
        ),
        (
            ("--voltage", "10kV", "--capacity", "100", "--load-class", "4"),
            "load_class: '4' is not one of 1, 2, 3",
        ),
        (
            ("--voltage", "10kV", "--capacity", "100", "--revenue", "-1"),
            "annual_revenue: must not be negative, not -1",
        ),
        (
            ("--voltage", "10kV", "--capacity", "100", "--credit", "AAA"),
            "credit_status: 'AAA' is not one of good, watch, poor",
        ),
    ],
)
def test_bad_profile_input_is_refused_with_pwr_ka_1(crm, power, cli, args, message):
    before = row_counts(crm)
    result = cli("power", "profile", "set", CLIENT, *args, user="am")
    assert result.exit_code == 3
    assert result.stderr.startswith(f"error: {message}") and result.stderr.endswith("(PWR-KA-1)\n")
    assert row_counts(crm) == before


def test_voltage_levels_are_read_the_way_people_write_them():
    for text, level in (
        ("10kv", "10kV"),
        ("10 KV", "10kV"),
        ("10千伏", "10kV"),
        ("380V", "0.4kV"),
        ("低压", "0.4kV"),
    ):
        assert NewProfile(voltage=text, contracted_capacity_kva="1").voltage.value == level
    with pytest.raises(InvalidInput, match="write kVA as text"):
        NewProfile(voltage="10kV", contracted_capacity_kva=1.5)  # type: ignore[arg-type]
