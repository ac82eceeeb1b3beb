"""Policies as data: the numbers of RULES.md as defaults, dated changes, audited, validated."""

from __future__ import annotations

import json
import textwrap
import types
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from crmcore import Crm, InvalidInput, NotFound, PermissionDenied, PluginError
from crmcore.calendar import CHINA
from crmcore.store import tables as t
from crmcore.testing import row_counts


def test_core_policy_defaults_are_the_numbers_of_the_rules(crm, admin):
    value = {v.key: v.value for v in crm.policies.list(admin)}
    assert value["CLS-AMT-1"] == {  # 5M / 20M / 50M
        "ordinary_from": "5000000",
        "partner_from": "20000000",
        "strategic_from": "50000000",
    }
    amt2 = value["CLS-AMT-2"]
    assert (amt2["vip_from"], amt2["gold_from"], amt2["platinum_from"], amt2["diamond_from"]) == (
        "10000",
        "200000",
        "2000000",
        "5000000",
    )
    score = value["CLS-SCORE-1"]
    weights = [v for k, v in score.items() if k.startswith("weight_")]
    assert weights == ["12.5"] * 8  # eight criteria, equal weights (not in the source)
    assert [score[f"share_{c}"] for c in "abcd"] == ["20", "30", "40", "10"]
    assert value["CORE-LOG-3"] == {
        "answer_within_hours": 24,
        "class_a_contacts_per_quarter": 1,
        "class_a_channels": ["visit", "phone"],
    }
    assert value["CORE-ARC-3"] == {"period": "quarter", "report_day": 6, "consolidation_day": 8}
    with crm.transaction(admin, write=False) as tx:
        assert crm.policies.in_force(tx, "CLS-AMT-1").partner_from == Decimal("20000000")


def test_a_change_is_dated_kept_and_audited(crm, admin):
    today = crm.clock().astimezone(CHINA).date()
    later = today + timedelta(days=30)
    crm.policies.set(admin, "CLS-SCORE-1", {"share_a": "25", "share_c": "35"}, reason="集团新规")
    view = crm.policies.set(
        admin, "CLS-SCORE-1", {"share_b": "25", "share_d": "15"}, effective_from=later
    )
    assert (view.in_force_from, view.value["share_b"]) == (later, "25")
    now = crm.policies.show(admin, "CLS-SCORE-1")
    assert (now.in_force_from, now.next_change, now.changed) == (
        today,
        later,
        ("share_a", "share_c"),
    )
    assert [h.changes for h in now.history] == [
        {"share_a": ["20", "25"], "share_c": ["40", "35"]},
        {"share_b": ["30", "25"], "share_d": ["10", "15"]},
    ]
    assert now.history[0].reason == "集团新规"
    # the later change builds on the earlier one: A stays 25
    assert crm.policies.show(admin, "CLS-SCORE-1", at=later).value["share_a"] == "25"
    assert (
        crm.policies.show(admin, "CLS-SCORE-1", at=today - timedelta(days=1)).value["share_a"]
        == "20"
    )
    with crm.engine.connect() as conn:
        events = conn.execute(
            select(
                t.audit_events.c.action, t.audit_events.c.entity_id, t.audit_events.c.body
            ).where(t.audit_events.c.action == "policy.set")
        ).all()
    assert [(e.entity_id, json.loads(e.body)["fields"]) for e in events] == [
        ("CLS-SCORE-1", ["share_a", "share_c"]),
        ("CLS-SCORE-1", ["share_b", "share_d"]),
    ]
    # setting what is already in force writes nothing
    before = row_counts(crm)
    crm.policies.set(admin, "CLS-SCORE-1", {"share_a": "25"})
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("key", "changes", "field", "message"),
    [
        ("CLS-SCORE-1", {"share_a": "120"}, "CLS-SCORE-1.share_a", "must be 100% or less, not 120"),
        ("CLS-SCORE-1", {"share_a": "-5"}, "CLS-SCORE-1.share_a", "must be 0% or more"),
        ("CLS-SCORE-1", {"share_a": "25"}, "CLS-SCORE-1.share_d", "add up to 105%, not 100%"),
        (
            "CLS-SCORE-1",
            {"share_a": "lots"},
            "CLS-SCORE-1.share_a",
            "'lots' is not a decimal number",
        ),
        ("CORE-ARC-3", {"report_day": "-1"}, "CORE-ARC-3.report_day", "must be 1 days or more"),
        (
            "CORE-ARC-3",
            {"report_day": "6.5"},
            "CORE-ARC-3.report_day",
            "'6.5' is not a whole number",
        ),
        (
            "CORE-ARC-3",
            {"period": "year"},
            "CORE-ARC-3.period",
            "'year' is not one of quarter, month",
        ),
        ("CORE-ARC-3", {"report_day": "9"}, "CORE-ARC-3.consolidation_day", "before day 9"),
        (
            "CORE-LOG-3",
            {"answer_within_hours": "0"},
            "CORE-LOG-3.answer_within_hours",
            "1 hours or more",
        ),
        ("CORE-LOG-3", {"class_a_channels": ["pigeon"]}, "CORE-LOG-3.class_a_channels", "'pigeon'"),
        (
            "CLS-AMT-1",
            {"partner_from": "60000000"},
            "CLS-AMT-1.strategic_from",
            "must be above partner_from",
        ),
        (
            "CLS-AMT-1",
            {"partner_from": 2e7},
            "CLS-AMT-1.partner_from",
            "write decimal numbers as text",
        ),
        ("CLS-AMT-2", {"branch_scale": "0.7"}, "CLS-AMT-2.branch_scale", "must be 0.8 or more"),
        ("CLS-AMT-1", {"ordinary_from": "0"}, "CLS-AMT-1.ordinary_from", "positive amount"),
        ("CLS-AMT-1", {"nope": "1"}, "CLS-AMT-1.nope", "is not a field of CLS-AMT-1"),
    ],
)
def test_bad_values_name_policy_and_field_and_change_nothing(
    crm, admin, key, changes, field, message
):
    before = row_counts(crm)
    with pytest.raises(InvalidInput) as err:
        crm.policies.set(admin, key, changes)
    assert err.value.field == field
    assert message in err.value.message
    assert err.value.rule == key
    assert row_counts(crm) == before


def test_other_refusals(crm, admin, make_user):
    lina = make_user("lina")
    yesterday = crm.clock().astimezone(CHINA).date() - timedelta(days=1)
    with pytest.raises(
        InvalidInput, match="in the past: a policy change applies to new decisions only"
    ):
        crm.policies.set(admin, "CORE-LOG-3", {"answer_within_hours": 12}, effective_from=yesterday)
    with pytest.raises(NotFound, match="unknown policy 'NOPE-1'"):
        crm.policies.set(admin, "NOPE-1", {"x": 1})
    with pytest.raises(PermissionDenied, match=r"policy\.admin"):
        crm.policies.set(lina, "CORE-LOG-3", {"answer_within_hours": 12})
    assert crm.policies.show(lina, "CORE-LOG-3").value["answer_within_hours"] == 24


def test_cli_policy_list_show_set(cli, crm):
    listed = json.loads(cli("policy", "list", "--json").stdout)
    assert [p["key"] for p in listed] == [
        "CLS-AMT-1",
        "CLS-AMT-2",
        "CLS-SCORE-1",
        "CORE-ARC-1",
        "CORE-ARC-3",
        "CORE-CONF-1",
        "CORE-LOG-3",
        "CORE-OWN-1",
    ]
    done = cli(
        "policy",
        "set",
        "CORE-LOG-3",
        "answer_within_hours=12",
        "class_a_channels=visit,phone,meeting",
        "--reason",
        "服务升级",
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(cli("policy", "show", "CORE-LOG-3", "--json").stdout)
    assert shown["value"]["class_a_channels"] == ["visit", "phone", "meeting"]
    assert shown["history"][0]["set_by"] == "admin"
    assert "answer_within_hours: 24 → 12" in cli("policy", "show", "CORE-LOG-3").stdout
    before = row_counts(crm)
    for args, code, expected in [
        (
            ["CLS-SCORE-1", "share_a=120"],
            3,
            "error: CLS-SCORE-1.share_a: must be 100% or less, not 120 (CLS-SCORE-1)",
        ),
        (
            ["CORE-ARC-3", "report_day=-3"],
            3,
            "error: CORE-ARC-3.report_day: must be 1 days or more, not -3 (CORE-ARC-3)",
        ),
        (
            ["CORE-ARC-3", "report_day=six"],
            3,
            "error: CORE-ARC-3.report_day: 'six' is not a whole number (CORE-ARC-3)",
        ),
        (["CORE-ARC-3", "report_day"], 3, "error: CORE-ARC-3: 'report_day' is not KEY=VALUE"),
        (
            ["CORE-ARC-3", "report_day=5", "--from", "2020-01-01"],
            3,
            "error: effective_from: 2020-01-01 is in the past",
        ),
        (["CORE-ARC-3", "report_day=5", "--from", "soon"], 3, "error: from: 'soon' is not a date"),
        (["NOPE-1", "x=1"], 4, "error: policy: unknown policy 'NOPE-1'"),
    ]:
        result = cli("policy", "set", *args)
        assert result.exit_code == code, result.output
        assert result.stdout == "" and "Traceback" not in result.stderr
        assert result.stderr.strip().startswith(expected), result.stderr
    assert row_counts(crm) == before


def _plugin(body: str) -> types.ModuleType:
    module = types.ModuleType("badpolicy")
    exec(
        textwrap.dedent(
            """
            from decimal import Decimal
            from attrs import field, frozen
            from crmcore import PluginInfo, hookimpl, policies

            @hookimpl
            def crm_plugin_info():
                return PluginInfo(name="badpolicy")
            """
        )
        + textwrap.dedent(body),
        module.__dict__,
    )
    return module


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            """
            @frozen
            class P:
                days: int
            @hookimpl
            def crm_policies(register):
                register("RE-DEAD-1", P)
            """,
            "policy RE-DEAD-1: field days has no default",
        ),
        (
            """
            @frozen
            class P:
                days: int = field(default=-1, validator=policies.days())
            @hookimpl
            def crm_policies(register):
                register("RE-DEAD-1", P)
            """,
            "its defaults are refused by its own validators",
        ),
        (
            """
            @frozen
            class P:
                days: int = 5
            @hookimpl
            def crm_policies(register):
                register("CORE-LOG-3", P)
            """,
            "policy CORE-LOG-3: is already registered by crmcore",
        ),
        (
            """
            @frozen
            class P:
                days: int = 5
            @hookimpl
            def crm_policies(register):
                register("dead line", P)
            """,
            "the key must be a rule ID",
        ),
    ],
)
def test_plugin_policy_problems_name_the_plugin(crm_url, body, message):
    with pytest.raises(PluginError) as err:
        Crm.open(crm_url, extra_plugins={"badpolicy": _plugin(body)})
    assert err.value.plugin == "badpolicy"
    assert message in str(err.value)


def test_a_plugin_policy_is_listed_and_settable(crm_url):
    module = _plugin(
        """
        @frozen(kw_only=True)
        class Relationship:
            paperwork_days: int = field(default=5, validator=policies.days())

        @hookimpl
        def crm_policies(register):
            register("RE-REL-1", Relationship, title="Relationship units", title_zh="关系房")
        """
    )
    with Crm.open(crm_url, extra_plugins={"badpolicy": module}) as crm:
        admin = crm.actor("admin")
        view = crm.policies.set(admin, "RE-REL-1", {"paperwork_days": "7"})
        assert (view.owner, view.value) == ("badpolicy", {"paperwork_days": 7})
        with crm.transaction(admin, write=False) as tx:
            assert crm.policies.in_force(tx, "RE-REL-1").paperwork_days == 7


# -- the confidentiality issue's numbers are policies too --------------------------------------


def test_confidentiality_ownership_and_archive_numbers_change_with_crm_policy_set(crm, admin, cli):
    """CORE-CONF-1 (levels), CORE-OWN-1 (staff in contact), CORE-ARC-1 (document limits) and
    CLS-AMT-2 (who manages a tier) are read from the policy store: a change takes effect."""
    from crmcore import NewClient, NewUser
    from crmcore.domain.archives import NewDocument
    from crmcore.domain.security import Clearance, ManagingLevel

    crm.users.add(admin, NewUser(login="lina", name="李娜", roles=("account_manager",)))
    key = crm.clients.add(admin, NewClient(name="甲公司", importance="key"))
    crm.clients.add_co_contact(admin, key.code, "lina")
    assert crm.org.coverage(admin) == []  # owner and lina: two staff in contact
    for args in (
        ("CORE-CONF-1", "client_level=secret"),
        ("CORE-OWN-1", "min_staff_in_contact=3"),
        ("CORE-ARC-1", "max_bytes=16"),
        ("CLS-AMT-2", "vip_managed_by=city"),
    ):
        done = cli("policy", "set", *args, "--reason", "集团新规")
        assert done.exit_code == 0, done.stderr
    assert crm.clients.add(admin, NewClient(name="乙公司")).clearance == Clearance.SECRET
    assert [g.client_code for g in crm.org.coverage(admin)] == [key.code]
    with pytest.raises(InvalidInput, match="the limit is 16"):
        crm.archives.file(
            admin,
            key.code,
            NewDocument(category="basic", title="营业执照", filename="a.txt", content=b"x" * 17),
        )
    with crm.transaction(admin, write=False) as tx:
        assert crm.policies.in_force(tx, "CLS-AMT-2").level_for("vip") == ManagingLevel.CITY
        assert crm.policies.in_force(tx, "CLS-AMT-2").level_for("diamond") == "provincial"
    assert crm.audit.log(admin, action="policy.set")[0].entity_id == "CLS-AMT-2"


@pytest.mark.parametrize(
    ("key", "change", "says"),
    [
        ("CORE-CONF-1", "client_level=top", "CORE-CONF-1.client_level: 'top' is not one of"),
        ("CORE-OWN-1", "min_staff_in_contact=0", "must be from 1 to 20, not 0"),
        ("CORE-ARC-1", "allowed_types=", "CORE-ARC-1.allowed_types"),
        ("CLS-AMT-2", "gold_managed_by=village", "'village' is not one of provincial"),
    ],
)
def test_nonsense_in_security_policies_is_refused(cli, crm, key, change, says):
    before = row_counts(crm)
    result = cli("policy", "set", key, change)
    assert result.exit_code == 3 and says in result.stderr, result.stderr
    assert row_counts(crm) == before


def test_managing_levels_stored_in_the_old_spelling_still_read():
    """Databases where CLS-AMT-2 was changed before the levels became ManagingLevel values."""
    from crmcore import policies

    spec = policies.PolicySpec("CLS-AMT-2", policies.RevenueTiers, "crmcore")
    value = policies.build(
        spec,
        {
            "diamond_managed_by": "provincial_centre",
            "platinum_managed_by": "city_under_provincial_oversight",
        },
    )
    assert (value.level_for("diamond"), value.level_for("platinum")) == ("provincial", "city")


def test_reads_below_the_level_the_policy_names_leave_no_lookup_record(crm, admin, cli):
    """CORE-CONF-1: the level from which a read leaves a look-up record (查阅记录) comes from the
    policy store, read in one statement with the field rules; a change takes effect."""
    from crmcore import NewClient

    code = crm.clients.add(admin, NewClient(name="甲公司")).code  # confidential by default
    crm.clients.get(admin, code)
    assert len(crm.audit.log(admin, action="client.get")) == 1
    done = cli("policy", "set", "CORE-CONF-1", "audit_reads_from=secret", "--reason", "只记机密")
    assert done.exit_code == 0, done.stderr
    crm.clients.get(admin, code)
    assert len(crm.audit.log(admin, action="client.get")) == 1
