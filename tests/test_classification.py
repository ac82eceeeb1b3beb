"""Classification (CLS-AMT-1/2, CLS-SCORE-1/2): schemes as policies, runs kept with their
policy and inputs, the cuts and bounds at their boundaries, explain, history, the hook."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select
from workflow_kit import china, freeze

from crmcore import Crm, InvalidInput, NewClient, NotFound, PermissionDenied, PluginError
from crmcore.classification import cuts
from crmcore.domain.figures import CRITERIA
from crmcore.store import tables as t
from crmcore.testing import row_counts, score_clients

AS_OF = date(2026, 1, 15)


@pytest.fixture
def office(crm, admin):
    freeze(crm, china(2026, 1, 15, 9))
    return crm


def add_clients(crm, admin, codes):
    for code in codes:
        crm.clients.add(admin, NewClient(name=f"客户{code}", code=code))


def classes(crm, admin, scheme):
    listing = crm.classification.show(admin, scheme, limit=1000)
    return {r.client_code: r.cls for r in listing.rows}


def test_cls_score_1_cuts_round_the_cumulative_shares_half_up():
    shares = [("A", Decimal(20)), ("B", Decimal(30)), ("C", Decimal(40)), ("D", Decimal(10))]
    assert cuts(shares, 10) == {"A": 2, "B": 5, "C": 9, "D": 10}
    assert cuts(shares, 7) == {"A": 1, "B": 4, "C": 6, "D": 7}  # 1.4, 3.5 -> 4, 6.3
    assert cuts(shares, 2) == {"A": 0, "B": 1, "C": 2, "D": 2}  # too few clients for an A
    assert cuts(shares, 0) == {"A": 0, "B": 0, "C": 0, "D": 0}


def test_cls_score_1_the_client_exactly_at_the_20_percent_cut_is_a(office, admin):
    """Ten scored clients: ranks 1-2 are A (20%), 3-5 B, 6-9 C, 10 D."""
    codes = [f"K{i:02d}" for i in range(10)]
    add_clients(office, admin, codes)
    run = score_clients(office, admin, {c: 95 - 5 * i for i, c in enumerate(codes)})
    assert (run.population, run.counts) == (10, {"A": 2, "B": 3, "C": 4, "D": 1})
    assert run.detail == {"cuts": {"A": 2, "B": 5, "C": 9, "D": 10}, "ties": "share_better_class"}
    got = classes(office, admin, "CLS-SCORE-1")
    assert (got["K01"], got["K02"]) == ("A", "B")  # rank 2 is the last A, rank 3 the first B
    assert (got["K08"], got["K09"]) == ("C", "D")


def test_cls_score_1_ties_at_the_cut_share_the_better_class(office, admin):
    codes = [f"K{i:02d}" for i in range(10)]
    add_clients(office, admin, codes)
    scores = {c: 90 - 5 * i for i, c in enumerate(codes)}
    scores["K02"] = scores["K01"]  # ranks 2 and 3 tie at the A cut
    run = score_clients(office, admin, scores)
    got = classes(office, admin, "CLS-SCORE-1")
    assert (got["K01"], got["K02"], got["K03"]) == ("A", "A", "B")
    assert run.counts == {"A": 3, "B": 2, "C": 4, "D": 1}  # A outgrows its 20%, B shrinks
    listing = office.classification.show(admin, "CLS-SCORE-1", cls="A")
    assert [(r.client_code, r.rank) for r in listing.rows] == [("K00", 1), ("K01", 2), ("K02", 2)]


def test_cls_score_1_ties_by_client_code_keep_the_shares_exact(office, admin):
    codes = [f"K{i:02d}" for i in range(10)]
    add_clients(office, admin, codes)
    office.policies.set(admin, "CLS-SCORE-1", {"ties": "by_code"}, reason="分级名额严格按比例")
    scores = {c: 90 - 5 * i for i, c in enumerate(codes)}
    scores["K02"] = scores["K01"]
    run = score_clients(office, admin, scores)
    got = classes(office, admin, "CLS-SCORE-1")
    assert (got["K01"], got["K02"]) == ("A", "B")  # equal scores: the smaller code first
    assert run.counts == {"A": 2, "B": 3, "C": 4, "D": 1}


def test_cls_score_1_weights_are_a_policy_and_explain_shows_them(office, admin):
    add_clients(office, admin, ["KA1", "KA2", "KA3", "KA4", "KA5"])
    base = dict.fromkeys(CRITERIA, "60")
    office.figures.record(
        admin, "KA1", 2025, source="评审会", scores={**base, "sales_scale": "100"}
    )
    office.figures.record(
        admin, "KA2", 2025, source="评审会", scores={**base, "industry_reputation": "90"}
    )
    for code in ("KA3", "KA4", "KA5"):
        office.figures.record(admin, code, 2025, source="评审会", scores=base)
    office.policies.set(
        admin,
        "CLS-SCORE-1",
        {
            "weight_sales_scale": "30",
            "weight_industry_reputation": "7.5",
            "weight_order_volume": "0",
        },
        reason="销售规模权重加大",
    )
    office.classification.run(admin, "CLS-SCORE-1")
    (why,) = office.classification.explain(admin, "KA1", scheme="CLS-SCORE-1")
    assert (why.cls, why.value, why.rank) == ("A", Decimal("72.0000"), 1)  # 60 + 40 * 30%
    assert why.run.policy_from == AS_OF
    text = "\n".join(why.reasons)
    assert "policy CLS-SCORE-1 in force since 2026-01-15" in text
    assert "sales_scale 100.0 x 30% + payment_reliability 60.0 x 12.5%" in text
    assert "= 72.00" in text
    assert "score 72.00 ranks 1 of 5 (ties share the better class); class A is ranks 1-1: A" in text
    with pytest.raises(InvalidInput, match=re.escape("the eight weights add up to 107.5%")):
        office.policies.set(admin, "CLS-SCORE-1", {"weight_sales_scale": "37.5"})
    with pytest.raises(
        InvalidInput, match=re.escape("weight_sales_scale: 30.25 has more than 1 decimal")
    ):
        office.policies.set(admin, "CLS-SCORE-1", {"weight_sales_scale": "30.25"})


def test_cls_score_2_within_a_class_clients_are_served_by_score(office, admin):
    codes = ["KB", "KA", "KC", "KD", "KE", "KF", "KG", "KH", "KI", "KJ"]
    add_clients(office, admin, codes)
    scores = dict(zip(codes, [70, 70, 72, 90, 91, 40, 39, 38, 37, 36], strict=True))
    score_clients(office, admin, scores)
    b = office.classification.show(admin, "CLS-SCORE-1", cls="B")
    # B holds ranks 3-5: KC (72), then KA and KB tied at 70, served by code
    assert [(r.client_code, r.value) for r in b.rows] == [
        ("KC", Decimal("72.0000")),
        ("KA", Decimal("70.0000")),
        ("KB", Decimal("70.0000")),
    ]
    whole = office.classification.show(admin, "CLS-SCORE-1")
    assert [r.cls for r in whole.rows] == ["A", "A", "B", "B", "B", "C", "C", "C", "C", "D"]
    assert [r.position for r in whole.rows] == list(range(1, 11))


@pytest.mark.parametrize(
    ("amount", "tier"),
    [
        ("4999999.99", "below"),
        ("5000000", "ordinary"),
        ("19999999.99", "ordinary"),
        ("20000000", "partner"),
        ("50000000", "strategic"),
    ],
)
def test_cls_amt_1_tiers_include_their_lower_bound(office, admin, amount, tier):
    """CLS-AMT-1 on what we buy from the client (rules audit 1.4), lower bounds inclusive (A2)."""
    add_clients(office, admin, ["KA1"])
    office.figures.record(admin, "KA1", 2025, {"purchase_amount": amount}, source="采购台账")
    office.classification.run(admin, "CLS-AMT-1")
    assert classes(office, admin, "CLS-AMT-1") == {"KA1": tier}


def test_cls_amt_2_branch_scale_management_level_and_the_beyond_city_override(office, admin):
    add_clients(office, admin, ["KA1", "KA2", "KA3"])
    office.clients.edit(admin, "KA3", {"profile": {"mails_beyond_city": "是"}})
    for code, revenue in (("KA1", "4000000"), ("KA2", "9000"), ("KA3", "3000000")):
        office.figures.record(admin, code, 2025, {"revenue": revenue}, source="函件收入")
    office.classification.run(admin, "CLS-AMT-2")
    listing = office.classification.show(admin, "CLS-AMT-2")
    assert {r.client_code: (r.cls, r.note) for r in listing.rows} == {
        "KA1": ("platinum", "city"),  # under provincial oversight: the province sees it
        "KA3": ("platinum", "provincial"),  # beyond the city with 3M: as diamond
        "KA2": ("below", None),
    }
    office.policies.set(admin, "CLS-AMT-2", {"branch_scale": "0.8"}, reason="第三组市局")
    office.classification.run(admin, "CLS-AMT-2")
    assert classes(office, admin, "CLS-AMT-2") == {
        "KA1": "diamond",
        "KA2": "vip",
        "KA3": "platinum",
    }
    office.policies.set(admin, "CLS-AMT-2", {"scale_applies_to": "vip"})
    office.classification.run(admin, "CLS-AMT-2")
    assert classes(office, admin, "CLS-AMT-2")["KA1"] == "platinum"  # 5M unscaled again
    with pytest.raises(InvalidInput, match=re.escape("branch_scale: must be 0.8 or more")):
        office.policies.set(admin, "CLS-AMT-2", {"branch_scale": "0.75"})


def test_runs_are_kept_in_force_from_their_date_and_explain_names_what_was_used(office, admin):
    add_clients(office, admin, ["KA1", "KA2"])
    office.figures.record(admin, "KA1", 2024, {"purchase_amount": "6000000"}, source="2024")
    office.figures.record(admin, "KA1", 2025, {"purchase_amount": "25000000"}, source="初报")
    first = office.classification.run(admin, "CLS-AMT-1", as_of=date(2025, 1, 10))
    assert first.year == 2024
    second = office.classification.run(admin, "CLS-AMT-1")
    assert (second.year, second.as_of) == (2025, AS_OF)
    # a later correction does not change what the run used
    office.figures.record(admin, "KA1", 2025, {"purchase_amount": "19000000"}, source="审计后")
    (why,) = office.classification.explain(admin, "KA1", scheme="CLS-AMT-1")
    assert why.cls == "partner"
    assert "25,000,000.00 (source: 初报; recorded by admin)" in "\n".join(why.reasons)
    (before,) = office.classification.explain(admin, "KA1", scheme="CLS-AMT-1", on=date(2025, 6, 1))
    assert (before.cls, before.run.id) == ("ordinary", first.id)
    history = office.classification.history(admin, "KA1", scheme="CLS-AMT-1")
    assert [(h.run_id, h.cls, h.year) for h in history] == [
        (second.id, "partner", 2025),
        (first.id, "ordinary", 2024),
    ]
    (none,) = office.classification.explain(admin, "KA2", scheme="CLS-AMT-1")
    assert none.cls is None and "no purchase_amount for 2025" in none.reasons[0]
    (early,) = office.classification.explain(admin, "KA1", scheme="CLS-AMT-1", on=date(2024, 1, 1))
    assert early.reasons == ("no CLS-AMT-1 run in force on 2024-01-01",)


def test_a_policy_change_after_a_run_leaves_the_run_as_it_was(office, admin):
    add_clients(office, admin, ["KA1"])
    office.figures.record(admin, "KA1", 2025, {"purchase_amount": "6000000"}, source="x")
    run = office.classification.run(admin, "CLS-AMT-1")
    office.policies.set(admin, "CLS-AMT-1", {"ordinary_from": "8000000"})
    view = office.classification.distribution(admin, "CLS-AMT-1")
    assert view.run.policy["ordinary_from"] == "5000000" and view.run.id == run.id
    assert [(s.cls, s.count, s.share) for s in view.shares] == [
        ("strategic", 0, Decimal(0)),
        ("partner", 0, Decimal(0)),
        ("ordinary", 1, Decimal("100.0")),
        ("below", 0, Decimal(0)),
    ]
    rerun = office.classification.run(admin, "CLS-AMT-1")
    assert rerun.counts == {"below": 1} and rerun.policy_from == AS_OF


def test_archived_clients_are_not_classified_and_lose_their_class(office, admin):
    add_clients(office, admin, ["KA1", "KA2", "KA3"])
    score_clients(office, admin, {"KA1": 90, "KA2": 80, "KA3": 70})
    office.clients.archive(admin, "KA1", "合作终止")
    with office.transaction(admin, write=False) as tx:
        from crmcore.services.classes import scored_classes

        assert set(scored_classes(tx).values()) <= {"A", "B", "C", "D"}
        assert office.clients.get(admin, "KA1").id not in scored_classes(tx)
    run = office.classification.run(admin, "CLS-SCORE-1")
    assert run.population == 2


def test_bad_runs_are_refused_and_write_nothing(office, admin, make_user):
    manager = make_user("lina", "account_manager")
    before = row_counts(office)
    with pytest.raises(NotFound, match="unknown classification scheme 'CLS-XYZ'"):
        office.classification.run(admin, "CLS-XYZ")
    with pytest.raises(InvalidInput, match="year: 2027 is not a year up to 2026"):
        office.classification.run(admin, "CLS-SCORE-1", year=2027)
    with pytest.raises(PermissionDenied, match=re.escape("classification.run")):
        office.classification.run(manager, "CLS-SCORE-1")
    with pytest.raises(NotFound, match="no CLS-SCORE-1 run in force"):
        office.classification.show(admin, "CLS-SCORE-1")
    assert row_counts(office) == before


def test_an_empty_population_is_a_run_too(office, admin):
    run = office.classification.run(admin, "CLS-SCORE-1")
    assert (run.population, run.counts) == (0, {})
    assert all(
        s.count == 0 for s in office.classification.distribution(admin, "CLS-SCORE-1").shares
    )


PLUGIN = '''
from decimal import Decimal

from attrs import field, frozen

from crmcore import PluginInfo, hookimpl, policies
from crmcore.classification import FigureMeasure, ThresholdScheme


@frozen(kw_only=True)
class CollectionTiers:
    """CLSX-COL-1: good payers collect at least 95%, fair ones 80%."""

    good_from: Decimal = field(default=Decimal("95"), validator=policies.percent())
    fair_from: Decimal = field(default=Decimal("80"), validator=policies.percent())


@hookimpl
def crm_plugin_info():
    return PluginInfo(name="clsx", version="1.0")


@hookimpl
def crm_policies(register):
    register("CLSX-COL-1", CollectionTiers, title="Collection tiers")


@hookimpl
def crm_classifiers(register):
    register(
        ThresholdScheme(
            key="CLSX-COL-1",
            title="Payers by collection rate",
            policy="CLSX-COL-1",
            measure=FigureMeasure("collection_rate"),
            bounds=lambda p: (("good", p.good_from), ("fair", p.fair_from)),
        )
    )
'''


def test_a_plugin_registers_a_scheme_with_its_own_policy(crm_url, plugin_installer):
    plugin_installer("clsx", PLUGIN)
    with Crm.open(crm_url) as crm:
        crm.plugins.enable(crm.actor("admin"), "clsx")
    with Crm.open(crm_url) as crm:
        admin = crm.actor("admin")
        assert {s.key: s.owner for s in crm.classification.schemes(admin)}["CLSX-COL-1"] == "clsx"
        add_clients(crm, admin, ["KA1", "KA2"])
        crm.figures.record(admin, "KA1", 2025, {"collection_rate": "95"}, source="财务部")
        crm.figures.record(admin, "KA2", 2025, {"collection_rate": "79.99"}, source="财务部")
        crm.classification.run(admin, "CLSX-COL-1", as_of=date(2026, 3, 1))
        assert classes(crm, admin, "CLSX-COL-1") == {"KA1": "good", "KA2": "below"}


def test_a_scheme_naming_an_unknown_policy_is_refused_naming_the_plugin(crm_url, plugin_installer):
    plugin_installer("clsx", PLUGIN.replace('policy="CLSX-COL-1"', 'policy="CLSX-NOPE-1"'))
    with Crm.open(crm_url) as crm, pytest.raises(PluginError) as caught:
        crm.plugins.enable(crm.actor("admin"), "clsx")
    assert str(caught.value) == (
        "plugin clsx: classification scheme CLSX-COL-1: names policy 'CLSX-NOPE-1', "
        "which nobody registered"
    )


def test_the_migration_matches_the_tables(crm):
    """0005_classification creates exactly what crmcore/store/tables.py declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from crmcore.store import metadata

    mine = {"client_figures", "client_scorecards", "classification_runs", "classification_results"}
    with crm.engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), metadata
        )
    assert [d for d in diff if any(name in repr(d) for name in mine)] == []


def test_cli_classify_run_show_explain_history_and_report(cli, office, admin):
    add_clients(office, admin, [f"K{i}" for i in range(5)])
    for i in range(5):
        office.figures.record(
            admin, f"K{i}", 2025, source="评审", scores=dict.fromkeys(CRITERIA, str(50 + 10 * i))
        )
    ran = cli("classify", "run", "CLS-SCORE-1", "--as-of", "2026-01-15")
    assert ran.exit_code == 0, ran.output
    assert "run 1: CLS-SCORE-1 as of 2026-01-15 on 2025 figures, 5 clients" in ran.stdout
    assert "█" in ran.stdout
    report = json.loads(cli("classify", "report", "CLS-SCORE-1", "--json").stdout)
    assert [(s["cls"], s["count"], s["share"]) for s in report["shares"]] == [
        ("A", 1, "20.0"),
        ("B", 2, "40.0"),  # A+B = round(2.5) = 3: half up
        ("C", 2, "40.0"),  # A+B+C = round(4.5) = 5: five clients leave no D
        ("D", 0, "0.0"),
    ]
    shown = json.loads(cli("classify", "show", "CLS-SCORE-1", "--class", "B", "--json").stdout)
    assert [r["client_code"] for r in shown["rows"]] == ["K3", "K2"]
    explained = cli("classify", "explain", "K4", "--scheme", "CLS-SCORE-1")
    assert "CLS-SCORE-1 (Scored classes A-D): A" in explained.stdout
    assert "ranks 1 of 5" in explained.stdout
    history = json.loads(cli("classify", "history", "K4", "--json").stdout)
    assert [(h["scheme"], h["cls"]) for h in history] == [("CLS-SCORE-1", "A")]
    assert "CLS-AMT-2" in cli("classify", "schemes").stdout
    assert json.loads(cli("classify", "runs", "--json").stdout)[0]["population"] == 5
    before = row_counts(office)
    unknown = cli("classify", "run", "NOPE-1")
    assert unknown.exit_code == 4 and unknown.stderr.startswith("error: scheme: unknown")
    bad_date = cli("classify", "run", "CLS-SCORE-1", "--as-of", "2026-13-01")
    assert (bad_date.exit_code, bad_date.stderr.strip()) == (
        3,
        "error: as-of: '2026-13-01' is not a date (YYYY-MM-DD)",
    )
    bad_class = cli("classify", "show", "CLS-SCORE-1", "--class", "E")
    assert bad_class.exit_code == 3 and "'E' is not one of A, B, C, D" in bad_class.stderr
    assert row_counts(office) == before


def test_every_run_is_audited(office, admin):
    run = office.classification.run(admin, "CLS-AMT-1")
    with office.engine.connect() as conn:
        row = conn.execute(
            select(t.audit_events.c.entity_id, t.audit_events.c.body).where(
                t.audit_events.c.action == "classification.run"
            )
        ).one()
    assert row.entity_id == str(run.id) and '"scheme":"CLS-AMT-1"' in row.body


def test_scores_amounts_and_figures_are_masked_below_their_clearance(office, admin, make_user):
    """CORE-REC-3, CLS-SCORE-1 under CORE-CONF-2: a reader cleared only for internal records
    sees the classes but not the figures, scores or the reasons that quote them; a reader in
    clear leaves a look-up record."""
    add_clients(office, admin, ["KA1", "KA2"])
    score_clients(office, admin, {"KA1": 90, "KA2": 80})
    office.figures.record(admin, "KA1", 2025, {"sales_amount": "1200000"}, source="年报")
    office.access.set_level(admin, "KA1", "internal")
    office.access.set_level(admin, "KA2", "internal")
    make_user("qian", "director")
    office.users.set_clearance(admin, "qian", "internal")
    office.access.grant(admin, "KA1", user="qian", reason="季度分析")
    low = office.actor("qian")
    (row,) = office.classification.show(low, "CLS-SCORE-1").rows  # KA2 is not granted
    assert (row.client_code, row.cls, row.value, row.masked) == ("KA1", "B", None, ("value",))
    (why,) = office.classification.explain(low, "KA1", scheme="CLS-SCORE-1")
    assert (why.cls, why.value, why.reasons) == ("B", None, None)
    sheet = office.figures.sheet(low, "KA1")
    assert [(f.metric, f.value) for f in sheet.figures] == [("sales_amount", None)]
    assert sheet.scorecards[0].scores is None
    assert office.figures.sheet(admin, "KA1").figures[0].value == Decimal("1200000.00")
    read = office.audit.log(admin, user="admin")[0]
    assert (read.action, read.detail["unmasked"]) == (
        "figures.sheet",
        ["figure.value", "scorecard.scores"],
    )


def test_a_runs_policy_and_cuts_are_masked_below_their_clearance(office, admin, make_user, cli):
    """CLS-AMT-1, CLS-SCORE-1 under CORE-CONF-2: a run keeps the policy it applied (the amount
    bounds) and its cuts; a reader cleared only for internal records sees the runs, their
    dates and counts, not those, in `classify runs`, `show`, `distribution` and `explain`, the
    API and --json; a reader in clear leaves a look-up record."""
    add_clients(office, admin, ["KA1", "KA2"])
    score_clients(office, admin, {"KA1": 90, "KA2": 80})
    office.classification.run(admin, "CLS-AMT-1", as_of=AS_OF)
    office.access.set_level(admin, "KA1", "internal")
    make_user("qian", "director")
    office.users.set_clearance(admin, "qian", "internal")
    office.access.grant(admin, "KA1", user="qian", reason="季度分析")
    low = office.actor("qian")
    amounts, scores = office.classification.runs(low)
    assert (amounts.scheme, amounts.as_of, amounts.policy, amounts.detail) == (
        "CLS-AMT-1",
        AS_OF,
        None,
        None,
    )
    assert scores.masked == ("detail", "policy")
    assert office.classification.show(low, "CLS-SCORE-1").run.detail is None
    assert office.classification.distribution(low, "CLS-AMT-1").run.policy is None
    (why,) = office.classification.explain(low, "KA1", scheme="CLS-SCORE-1")
    assert (why.cls, why.run.policy, why.run.detail) == ("B", None, None)
    clear = office.classification.runs(admin)[0]
    assert clear.policy["ordinary_from"] == "5000000" and clear.masked == ()
    assert office.audit.log(admin, user="admin")[0].action == "classification.runs"
    shown = cli("classify", "runs", "--json", user="qian")
    assert shown.exit_code == 0, shown.output
    assert [r["policy"] for r in json.loads(shown.stdout)] == [None, None]
    assert "5000000" not in shown.stdout and "cuts" not in shown.stdout
    assert "5000000" in cli("classify", "runs", "--json").stdout
    table = cli("classify", "runs", user="qian")
    assert table.exit_code == 0 and "CLS-AMT-1" in table.stdout


def test_cls_amt_2_the_run_in_force_decides_where_crm_org_assign_puts_the_client(
    office, admin, cli
):
    """CLS-AMT-2 分级管理: without --tier, ``org assign`` takes the tier and managing level of
    the run in force: a platinum client to the city unit, one mailing beyond its city with 3M
    to the provincial centre (as diamond, rules audit 1.2), one below VIP stays put."""
    from crmcore import NewAssignmentRule, NewUnit

    for code, kind, parent, level, region in [
        ("HQ", "head_office", None, None, None),
        ("GD", "branch", "HQ", "provincial", "广东"),
        ("GZ", "region", "GD", "city", "广东/广州"),
        ("PY", "region", "GZ", "county", "广东/广州/番禺"),
    ]:
        office.org.add_unit(
            admin,
            NewUnit(code=code, name=code, kind=kind, parent=parent, level=level, region=region),
        )
    office.org.add_rule(admin, NewAssignmentRule(unit="PY", region="广东/广州/番禺"))
    for code in ("KA1", "KA2", "KA3"):
        office.clients.add(admin, NewClient(name=f"客户{code}", code=code, region="广东/广州/番禺"))
    office.clients.edit(admin, "KA2", {"profile": {"mails_beyond_city": "是"}})
    for code, revenue in (("KA1", "2500000"), ("KA2", "3000000"), ("KA3", "9000")):
        office.figures.record(admin, code, 2025, {"revenue": revenue}, source="函件收入")
    assert office.org.assign(admin, "KA1").unit == "PY"  # no run yet: the rule alone
    office.classification.run(admin, "CLS-AMT-2")
    moved = office.org.assign(admin, "KA1")
    assert (moved.unit, moved.level.value) == ("GZ", "city")
    assert "tier platinum managed at city level" in moved.reason
    assert office.org.assign(admin, "KA2").unit == "GD"
    assert office.org.assign(admin, "KA3").unit == "PY"
    assert office.org.assign(admin, "KA1", tier="vip", apply=False).unit == "PY"  # --tier wins
    shown = json.loads(cli("org", "assign", "KA2", "--dry-run", "--json").stdout)
    assert (shown[0]["unit"], shown[0]["level"]) == ("GD", "provincial")
