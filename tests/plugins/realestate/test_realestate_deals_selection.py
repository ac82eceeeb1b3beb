"""Why key-account selling starts and with whom (RE-START-1, RE-TEAM-1, CORE-LOG-2, RE-SEL-1/2):
the financing trigger as a policy, the negotiation team and memos signed by every member, the
candidates' ranking, and a selection from at least 3 candidates approved by GM then chairman."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from crmcore_realestate.deals.domain import FinancingNeed, NewTeam
from realestate_deals_kit import PROJECT, TEAM, analysis, form_team, screened, setup, start

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied
from crmcore.testing import row_counts


@pytest.fixture
def d(crm):  # type: ignore[no-untyped-def]
    return setup(crm)


# -- RE-START-1 -------------------------------------------------------------------------------


def test_re_start_1_any_one_condition_starts_key_account_selling(crm, d):
    kad = crm.actor("kad")
    assert d.financing(kad, PROJECT) is None
    found = d.record_financing(kad, FinancingNeed(project_code=PROJECT, cash_flow_short=True))
    assert found.conditions["cash_flow_short"] is True
    assert found.conditions["policy"]["mode"] == "any"
    assert d.financing(kad, PROJECT).id == found.id


def test_re_start_1_lending_rate_must_exceed_the_threshold_not_equal_it(crm, d):
    """「高于10%以上」 read as strictly above 10% (rules audit A2), a policy."""
    kad = crm.actor("kad")
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="none of the conditions") as err:
        d.record_financing(kad, FinancingNeed(project_code=PROJECT, lending_rate="10"))
    assert err.value.rule == "RE-START-1"
    assert row_counts(crm) == before
    d.record_financing(kad, FinancingNeed(project_code=PROJECT, lending_rate="10.01"))


def test_re_start_1_the_policy_can_require_all_conditions_or_count_the_threshold(crm, d, admin):
    crm.policies.set(admin, "RE-START-1", {"mode": "all", "rate_comparison": "at_or_above"})
    kad = crm.actor("kad")
    with pytest.raises(InvalidInput, match="not met: lending_rate_high"):
        d.record_financing(
            kad,
            FinancingNeed(project_code=PROJECT, bank_financing_failed=True, cash_flow_short=True),
        )
    found = d.record_financing(
        kad,
        FinancingNeed(
            project_code=PROJECT,
            bank_financing_failed=True,
            cash_flow_short=True,
            lending_rate=Decimal("10"),
        ),
    )
    assert all(found.conditions[k] for k in ("bank_financing_failed", "lending_rate_high"))


def test_re_start_1_no_candidate_before_selling_has_started(crm, d):
    before = row_counts(crm)
    with pytest.raises(Conflict, match="has not started") as err:
        d.add_candidate(crm.actor("kad"), analysis("KA1"))
    assert err.value.rule == "RE-START-1"
    assert row_counts(crm) == before


def test_re_start_1_refused_through_the_cli_nothing_written(crm, d, cli):
    before = row_counts(crm)
    result = cli("realestate", "financing", "record", PROJECT, "--lending-rate", "8", user="kad")
    assert result.exit_code == 3
    assert "RE-START-1" in result.stderr and "Traceback" not in result.output
    assert row_counts(crm) == before
    ok = cli("realestate", "financing", "record", PROJECT, "--bank-failed", user="kad")
    assert ok.exit_code == 0, ok.output
    shown = json.loads(cli("realestate", "financing", "show", PROJECT, "--json").stdout)
    assert shown["bank_financing_failed"] is True


# -- RE-TEAM-1, CORE-LOG-2 ----------------------------------------------------------------------


def test_re_team_1_a_team_fills_every_position_once(crm, d):
    kad = crm.actor("kad")
    form_team(d, crm)
    team = d.team(kad, PROJECT)
    assert [m.position for m in team.members][:2] == ["leader", "project_gm"]
    assert len(team.members) == 8  # the leader and 7 members
    missing = {k: v for k, v in TEAM.items() if k != "lawyer"}
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="missing: lawyer") as err:
        d.form_team(kad, NewTeam(project_code=PROJECT, members=missing))
    assert err.value.rule == "RE-TEAM-1"
    with pytest.raises(InvalidInput, match="holds two positions"):
        d.form_team(kad, NewTeam(project_code=PROJECT, members={**TEAM, "lawyer": "vgm"}))
    with pytest.raises(InvalidInput, match="not a position"):
        d.form_team(kad, NewTeam(project_code=PROJECT, members={**TEAM, "cook": "am"}))
    with pytest.raises(NotFound, match="nobody"):
        d.form_team(kad, NewTeam(project_code=PROJECT, members={**TEAM, "lawyer": "nobody"}))
    assert row_counts(crm) == before


def test_re_team_1_team_through_the_cli(crm, d, cli):
    members = [a for p, login in TEAM.items() for a in ("--member", f"{p}={login}")]
    before = row_counts(crm)
    bad = cli("realestate", "team", "form", PROJECT, *members[:-2], user="kad")
    assert bad.exit_code == 3 and "missing: lawyer" in bad.stderr and "RE-TEAM-1" in bad.stderr
    assert row_counts(crm) == before
    assert cli("realestate", "team", "form", PROJECT, *members, user="kad").exit_code == 0
    shown = json.loads(cli("realestate", "team", "show", PROJECT, "--json").stdout)
    assert shown["members"][0] == {
        "position": "leader",
        "login": "vgm",
        "name": "vgm",
        "pledged_at": None,  # RE-TEAM-1: the conduct pledge is recorded on its own
        "pledge_recorded_by": None,
    }


def test_re_team_1_no_selection_without_a_team(crm, d):
    start(d, crm)
    for code in ("KA1", "KA2", "KA3"):
        d.add_candidate(crm.actor("kad"), analysis(code))
    with pytest.raises(Conflict, match="no negotiation team") as err:
        d.propose(crm.actor("kad"), PROJECT, "KA3")
    assert err.value.rule == "RE-TEAM-1"


def test_core_log_2_a_negotiation_memo_is_complete_once_every_member_signed(crm, d):
    form_team(d, crm)
    memo = d.write_memo(crm.actor("kad"), PROJECT, "KA1", "第一轮谈判", "均价意向 9800 元/m²")
    assert sorted(s.signer for s in memo.signatures) == sorted(TEAM.values())
    for login in list(TEAM.values())[:-1]:
        crm.memos.sign(crm.actor(login), memo.id)
    [listed] = d.memos(crm.actor("kad"), PROJECT)
    assert not listed.complete
    crm.memos.sign(crm.actor(list(TEAM.values())[-1]), memo.id)
    assert d.memos(crm.actor("kad"), PROJECT)[0].complete
    with pytest.raises(PermissionDenied, match="not on its list"):
        crm.memos.sign(crm.actor("gm"), memo.id)


def test_core_log_2_memo_through_the_cli(crm, d, cli):
    form_team(d, crm)
    result = cli(
        "realestate", "team", "memo", PROJECT, "KA1", "--title", "谈判", "--body", "x", user="kad"
    )
    assert result.exit_code == 0, result.output
    memos = json.loads(cli("realestate", "team", "memos", PROJECT, "--json").stdout)
    assert memos[0]["complete"] is False and len(memos[0]["unsigned"]) == 8


# -- RE-SEL-1/2 ----------------------------------------------------------------------------------


def test_re_sel_2_candidates_rank_lexicographically(crm, d):
    screened(d, crm, ("KA1", "KA2", "KA3", "KA4"))
    ranked = d.candidates(crm.actor("kad"), PROJECT)
    # KA3 has the highest accepted price; KA1 and KA2 tie on price and ratio, KA2 offers more
    assert [(c.client_code, c.rank) for c in ranked] == [
        ("KA3", 1),
        ("KA2", 2),
        ("KA1", 3),
        ("KA4", 4),
    ]


def test_re_sel_2_the_order_of_criteria_is_a_policy(crm, d, admin):
    crm.policies.set(
        admin,
        "RE-SEL-2",
        {"order": ["payment_ratio", "accepted_price", "resources_value", "owner_occupier_share"]},
    )
    screened(d, crm, ("KA1", "KA3", "KA4"))
    assert [c.client_code for c in d.candidates(crm.actor("kad"), PROJECT)] == [
        "KA4",
        "KA1",
        "KA3",
    ]


def test_re_sel_1_the_analysis_covers_the_six_points(crm, d):
    with pytest.raises(InvalidInput, match="buyers_income_housing") as err:
        analysis("KA1", buyers_income_housing=" ")
    assert err.value.rule == "RE-SEL-1"
    with pytest.raises(InvalidInput, match="price_high"):
        analysis("KA1", price_low="11000", price_high="10000")


def test_re_sel_1_a_selection_needs_three_candidates(crm, d, cli):
    screened(d, crm, ("KA1", "KA2"))
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="at least 3") as err:
        d.propose(crm.actor("kad"), PROJECT, "KA2")
    assert err.value.rule == "RE-SEL-1"
    result = cli("realestate", "selection", "propose", PROJECT, "KA2", user="kad")
    assert result.exit_code == 3 and "RE-SEL-1" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before


def test_re_sel_2_gm_then_chairman_approve_the_selection(crm, d):
    screened(d, crm)
    picked = d.propose(crm.actor("kad"), PROJECT, "KA3")
    assert (picked.status, picked.waiting_for) == ("submitted", "gm")
    assert [r["client"] for r in picked.ranking["ranked"]] == ["KA3", "KA2", "KA1"]
    with pytest.raises(PermissionDenied):  # the chairman does not sign before the GM
        d.decide_selection(crm.actor("chair"), picked.id, approve=True)
    d.decide_selection(crm.actor("gm"), picked.id, approve=True)
    done = d.decide_selection(crm.actor("chair"), picked.id, approve=True)
    assert done.status == "approved"
    with pytest.raises(Conflict, match="already proposed or selected"):
        d.propose(crm.actor("kad"), PROJECT, "KA3")


def test_re_sel_2_choosing_below_the_first_needs_a_reason(crm, d):
    screened(d, crm)
    with pytest.raises(InvalidInput, match="ranks 3") as err:
        d.propose(crm.actor("kad"), PROJECT, "KA1")
    assert err.value.rule == "RE-SEL-2"
    picked = d.propose(crm.actor("kad"), PROJECT, "KA1", reason="职工自住比例更可靠")
    assert picked.reason == "职工自住比例更可靠"
    rejected = d.decide_selection(crm.actor("gm"), picked.id, approve=False, comment="价格偏低")
    assert rejected.status == "rejected"


def test_re_sel_2_selection_through_the_cli(crm, d, cli):
    screened(d, crm)
    out = cli("realestate", "selection", "propose", PROJECT, "KA3", user="kad")
    assert out.exit_code == 0 and "waiting for gm" in out.stdout, out.output
    assert cli("realestate", "selection", "approve", "1", user="gm").exit_code == 0
    done = cli("realestate", "selection", "approve", "1", user="chair")
    assert "approved" in done.stdout, done.output
    listed = json.loads(cli("realestate", "candidate", "list", PROJECT, "--json").stdout)
    assert [c["client_code"] for c in listed] == ["KA3", "KA2", "KA1"]
    chosen = json.loads(cli("realestate", "selection", "list", PROJECT, "--json").stdout)
    assert [(s["client_code"], s["status"]) for s in chosen] == [("KA3", "approved")]


def test_re_sel_1_candidate_through_the_cli(crm, d, cli):
    start(d, crm)
    args = [
        "realestate", "candidate", "add", PROJECT, "KA1",
        "--first-contacts", "a", "--model", "b", "--past-prices", "c", "--strengths", "d",
        "--buyers", "e", "--price-low", "9000", "--price-high", "10000",
        "--accepted-price", "9500", "--payment-ratio", "101", "--owner-occupiers", "80",
    ]  # fmt: skip
    before = row_counts(crm)
    bad = cli(*args, user="kad")
    assert bad.exit_code == 3 and "payment_ratio" in bad.stderr and "RE-SEL-2" in bad.stderr
    assert row_counts(crm) == before
    args[args.index("101")] = "65"
    assert cli(*args, user="kad").exit_code == 0
