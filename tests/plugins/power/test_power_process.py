"""The connection process end to end (PWR-APP-1, PWR-FEE-1) and its refusals: a step out of
order, bad capacity or voltage, missing documents, a step without its record."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from crmcore_utility_power.domain import NewApplication, NewPlan
from power_kit import CLIENT, DOCUMENTS, PAY_INTO, apply, cover_real_years, drive, freeze

from crmcore import Conflict, InvalidInput, PermissionDenied
from crmcore.testing import check_plugin, row_counts


def test_the_plugin_loads_and_its_migration_matches_its_tables(crm, cli):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from crmcore.store import metadata

    check_plugin(crm, "power")
    with crm.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    ours = [d for d in diffs if "power_" in repr(d)]
    assert ours == []
    # the plugin's branch depends on the core's; both are reported, both up to date
    current = json.loads(cli("db", "current", "--json").stdout)
    assert current["crmcore"]["up_to_date"] and current["power"]["up_to_date"]
    assert current["power"]["current"] == "power_0001"


def test_a_connection_through_the_cli_from_application_to_account(crm, power, cli):
    """Every `crm power` step, each by the person whose role it is."""

    cover_real_years(crm)

    def run(*args: str, user: str = "admin") -> str:
        result = cli("power", *args, user=user)
        assert result.exit_code == 0, result.output
        return result.stdout

    docs = [a for d in DOCUMENTS for a in ("--document", d)]
    out = run(
        "apply",
        CLIENT,
        "--voltage",
        "10kV",
        "--capacity",
        "1000",
        "--sources",
        "2",
        *docs,
        user="office",
    )
    number = out.split(":")[0]
    assert number.startswith("YK") and "next: review by power_office" in out
    assert "due" in run("review", number, user="office")
    run(
        "survey",
        number,
        "--participant",
        "周杰",
        "--participant",
        "吴昊",
        "--findings",
        "具备条件",
        user="office",
    )
    run("handover", number, user="office")
    run(
        "plan", number, "--voltage", "10kV", "--capacity", "1000",
        "--source", "110kV 科学城站 912线", "--source", "110kV 开发区站 935线",
        "--pay-into", PAY_INTO, user="spec",
    )  # fmt: skip
    for login in ("mkt", "plan", "disp", "safe"):
        run("sign", number, user=login)
    assert "plan valid until" in run("notify", number, user="spec")
    quote = run("quote", number)
    assert "高可靠性供电费: 210000.00 元" in quote and PAY_INTO in quote
    run("contract", number, "--number", "GD-001", user="spec")
    run(
        "works",
        number,
        "--designer",
        "设计院",
        "--builder",
        "安装公司",
        "--qualification",
        "D1",
        user="spec",
    )
    run("inspect", number, "--findings", "基础验收", user="spec")
    checklist = [
        a
        for d in (
            "as_built",
            "tests",
            "safety_gear",
            "concealed_works",
            "operating_rules",
            "duty_staff",
        )
        for a in ("--document", d)
    ]
    run("complete", number, *checklist, user="office")
    run("accept", number, "--fail", "--rectify", "接地电阻超标", user="spec")
    run("accept", number, "--pass", user="spec")
    run("energise", number, user="spec")
    assert "已建帐立卡 (connected)" in run("meter", number, user="meter")
    status = json.loads(run("status", number, "--json"))
    assert status["stage"] == "connected" and status["account"] == "HH00000001"
    assert status["fees_due"] == "210500.00"  # the plan's fee and one re-inspection
    timeline = json.loads(run("timeline", number, "--json"))
    whats = [e["what"].split(" ")[0] for e in timeline]
    assert whats[:5] == ["申请登记", "初审受理", "现场勘查", "传递市场营销部", "供电方案"]
    assert "供用电合同" in whats and "中间检查" in whats and whats[-1] == "工作票回传,"
    assert all(e["rule"] and e["rule"].startswith("PWR-") for e in timeline)
    assert "│" in run("status", number) and "Timeline" in run("timeline", number)
    assert json.loads(run("list", "--all", "--json"))[0]["number"] == number


def test_a_step_out_of_order_is_refused_naming_the_rule_and_nothing_changes(crm, power, cli):
    freeze(crm, date(2026, 3, 2))
    number = apply(power).number
    before = row_counts(crm)
    with pytest.raises(Conflict) as err:
        power.notify(crm.actor("spec"), number)
    assert str(err.value) == (
        f"application {number} is at 已申请, 待初审受理 (applied): notify is not possible now "
        "(next: review) (PWR-APP-2)"
    )
    result = cli("power", "energise", number, user="spec")
    assert result.exit_code == 5
    assert result.stderr == (
        f"error: application {number} is at 已申请, 待初审受理 (applied): energise is not "
        "possible now (next: review) (PWR-ACC-2)\n"
    )
    assert cli("power", "meter", number, user="meter").exit_code == 5
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("voltage", "capacity", "field", "message"),
    [
        ("10kV", "0", "capacity_kva", "must be more than 0 kVA, not 0"),
        ("10kV", "-315", "capacity_kva", "must be more than 0 kVA, not -315"),
        ("10kV", "八百", "capacity_kva", "'八百' is not a number of kVA"),
        (
            "11kV",
            "800",
            "voltage",
            "'11kV' is not a supply voltage level (0.4kV, 10kV, 20kV, 35kV, 66kV, 110kV, 220kV)",
        ),
    ],
)
def test_bad_capacity_or_voltage_is_refused_with_the_rule(
    crm, power, cli, voltage, capacity, field, message
):
    """Through the API (the command class refuses it) and the CLI: one line, exit 3, nothing."""
    with pytest.raises(InvalidInput) as err:
        NewApplication(kind="new", voltage=voltage, capacity_kva=capacity)
    assert (err.value.field, err.value.message, err.value.rule) == (field, message, "PWR-APP-1")
    before = row_counts(crm)
    result = cli(
        "power", "apply", CLIENT, "--voltage", voltage, "--capacity", capacity, user="office"
    )
    assert result.exit_code == 3
    assert result.stderr == f"error: {field}: {message} (PWR-APP-1)\n"
    assert row_counts(crm) == before
    # the plan and the profile refuse the same, citing their rules
    with pytest.raises(InvalidInput, match=f"{field}: .*") as err:
        NewPlan(voltage=voltage, capacity_kva=capacity, sources=("912线",))
    assert err.value.rule == "PWR-APP-1"
    profile = cli(
        "power", "profile", "set", CLIENT, "--voltage", voltage, "--capacity", capacity, user="am"
    )
    assert profile.exit_code == 3 and profile.stderr.rstrip().endswith("(PWR-KA-1)")
    assert row_counts(crm) == before


def test_sources_and_documents(crm, power, cli):
    with pytest.raises(InvalidInput, match=r"sources: is 1 \(single source\) or 2") as err:
        NewApplication(kind="new", voltage="10kV", capacity_kva="800", sources=3)
    assert err.value.rule == "PWR-APP-2"
    result = cli(
        "power",
        "apply",
        CLIENT,
        "--voltage",
        "10kV",
        "--capacity",
        "800",
        "--kind",
        "move",
        user="office",
    )
    assert (
        result.exit_code == 3
        and "kind: 'move' is not one of new, increase (PWR-APP-1)" in result.stderr
    )
    # PWR-APP-1: accepted only with every required document; they may come at the review
    number = apply(power, documents=DOCUMENTS[:3]).number
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="missing 用电地址产权证明, 用电设备清单") as err:
        power.review(crm.actor("office"), number)
    assert err.value.rule == "PWR-APP-1"
    assert row_counts(crm) == before
    view = power.review(crm.actor("office"), number, documents=DOCUMENTS[3:])
    assert view.stage == "survey" and view.missing_documents == ()


def test_a_step_taken_without_its_record_is_refused(crm, power, cli):
    """The workflow's own door (`crm workflow advance`) cannot skip what a step records."""
    number = drive(power, apply(power).number, "survey").number
    workflow_id = power.status(crm.actor("office"), number).workflow_id
    before = row_counts(crm)
    result = cli("workflow", "advance", str(workflow_id), "--action", "survey", user="office")
    assert result.exit_code == 5
    assert "take it with `crm power survey`" in result.stderr and "(PWR-APP-1)" in result.stderr
    assert row_counts(crm) == before


def test_countersigning_sends_back_for_a_new_revision_and_revisions_are_kept(crm, power, cli):
    freeze(crm, date(2026, 3, 2))
    number = drive(power, apply(power, sources=2).number, "countersign").number
    power.sign(crm.actor("mkt"), number)
    with pytest.raises(PermissionDenied):
        power.sign(crm.actor("spec"), number)
    back = power.sign(crm.actor("safe"), number, reject="未明确继电保护配置")
    assert back.stage == "planning" and len(back.plans) == 1
    first_quote = power.quote(crm.actor("admin"), number).text
    # the fee schedule changes before the redraft: the first quote keeps its fees
    crm.policies.set(crm.actor("admin"), "PWR-FEE-1", {"rate_10kv": "250"}, reason="新标准")
    view = power.plan(
        crm.actor("spec"),
        number,
        NewPlan(voltage="10kV", capacity_kva="1000", sources=("912线", "935线"), pay_into=PAY_INTO),
    )
    assert [(p.revision, p.quote_number, p.total) for p in view.plans] == [
        (1, f"{number}-F1", Decimal("168000.00")),  # 210 元/kVA × 800 kVA × 1 backup source
        (2, f"{number}-F2", Decimal("250000.00")),  # 250 元/kVA × 1000 kVA
    ]
    assert power.quote(crm.actor("admin"), number, 1).text == first_quote
    assert "第 2 版" in cli("power", "quote", number).stdout
    assert view.stage == "countersign" and view.waiting_for == (
        "power_marketing",
        "power_planning",
        "power_dispatch",
        "power_safety",
    )  # a new round: everyone signs the new revision


def test_fees_by_voltage_level_and_capacity(crm, power):
    """PWR-FEE-1: the high-reliability fee per kVA at the plan's level, on each backup source."""
    spec = crm.actor("spec")
    cases = [
        ("10kV", "1000", 2, "210000.00"),
        ("35kV", "6300", 2, "1039500.00"),
        ("110kV", "40000", 2, "3000000.00"),
        ("10kV", "1000", 1, "0.00"),
    ]
    for voltage, capacity, sources, expected in cases:
        number = drive(
            power,
            apply(power, voltage=voltage, capacity=capacity, sources=sources).number,
            "planning",
        ).number
        lines = ("912线", "935线")[:sources]
        view = power.plan(
            spec,
            number,
            NewPlan(voltage=voltage, capacity_kva=capacity, sources=lines, pay_into=PAY_INTO),
        )
        assert view.plans[-1].total == Decimal(expected)
    assert "无 (none)" in power.quote(spec, number).text


def test_the_quote_needs_the_account_to_pay_into(crm, power):
    number = drive(power, apply(power).number, "planning").number
    before = row_counts(crm)
    with pytest.raises(
        InvalidInput, match="pay_into: the quote tells the client the account"
    ) as err:
        power.plan(
            crm.actor("spec"),
            number,
            NewPlan(voltage="10kV", capacity_kva="800", sources=("912线",)),
        )
    assert err.value.rule == "PWR-FEE-1"
    assert row_counts(crm) == before
    crm.policies.set(
        crm.actor("admin"), "PWR-FEE-1", {"pay_into": "建设银行 供电局 4400"}, reason="帐号"
    )
    view = power.plan(
        crm.actor("spec"), number, NewPlan(voltage="10kV", capacity_kva="800", sources=("912线",))
    )
    assert view.plans[-1].pay_into == "建设银行 供电局 4400"


def test_only_the_role_of_a_step_takes_it(crm, power):
    number = apply(power).number
    for login in ("spec", "am", "admin"):
        with pytest.raises(PermissionDenied):
            power.review(crm.actor(login), number)
    assert power.status(crm.actor("am"), number).stage == "applied"


def test_demo_data_loads_with_applications_across_the_holidays(cli):
    assert cli("demo").exit_code == 0
    listing = json.loads(cli("power", "list", "--all", "--json").stdout)
    assert len(listing) == 5
    stages = {r["number"]: r["stage"] for r in listing}
    assert sorted(stages.values()) == [
        "applied",
        "connected",
        "countersign",
        "notified",
        "planning",
    ]
    overdue = [r for r in listing if r["overdue"]]
    assert [r["due"] for r in overdue] == ["2026-10-29"]  # accepted 24 Sep, across the holidays
    assert cli("power", "status", overdue[0]["number"]).exit_code == 0
