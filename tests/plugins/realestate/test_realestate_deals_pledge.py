"""RE-TEAM-1's conduct rule, 「不收受礼品, 不私下承诺条件」: each negotiation-team member's signed
conduct pledge (廉洁承诺) is recorded once per project (who, when, recorded by whom; never
edited), shown with the team, and a negotiation memo is not written for the team to sign while
a member has none."""

from __future__ import annotations

import json

import pytest
from crmcore_realestate.deals.domain import NewTeam
from realestate_deals_kit import PROJECT, TEAM, form_team, setup

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied
from crmcore.testing import row_counts


@pytest.fixture
def d(crm):  # type: ignore[no-untyped-def]
    service = setup(crm)
    form_team(service, crm, pledged=False)
    return service


def memo_args() -> tuple[str, ...]:
    return ("realestate", "team", "memo", PROJECT, "KA1", "--title", "谈判", "--body", "均价")


def test_re_team_1_a_pledge_is_recorded_once_with_who_and_when(crm, d):
    kad, moment = crm.actor("kad"), crm.clock()
    crm.clock = lambda: moment
    team = d.record_pledge(kad, PROJECT, "lawyer")
    lawyer = next(m for m in team.members if m.login == "lawyer")
    assert lawyer.pledged_at == moment and lawyer.pledge_recorded_by == "kad"
    assert all(m.pledged_at is None for m in team.members if m.login != "lawyer")
    before = row_counts(crm)
    with pytest.raises(Conflict, match="recorded already") as err:
        d.record_pledge(crm.actor("vgm"), PROJECT, "lawyer")
    assert err.value.rule == "RE-TEAM-1"
    assert row_counts(crm) == before
    # re-forming the team keeps the pledges of the people on it (per person and project)
    d.form_team(kad, NewTeam(project_code=PROJECT, members=TEAM))
    again = d.team(kad, PROJECT)
    assert next(m for m in again.members if m.login == "lawyer").pledged_at is not None


def test_re_team_1_only_members_pledge_and_only_the_department_records_it(crm, d, cli):
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="gm is not on the negotiation team") as err:
        d.record_pledge(crm.actor("kad"), PROJECT, "gm")
    assert err.value.rule == "RE-TEAM-1"
    with pytest.raises(NotFound, match="no negotiation team"):
        d.record_pledge(crm.actor("kad"), "HY-09", "lawyer")
    with pytest.raises(PermissionDenied):
        d.record_pledge(crm.actor("mkt"), PROJECT, "mkt")  # an approver, not the department
    result = cli("realestate", "team", "pledge", PROJECT, "gm", user="kad")
    assert result.exit_code == 3
    assert "member" in result.stderr and "RE-TEAM-1" in result.stderr
    assert "Traceback" not in result.output
    assert cli("realestate", "team", "pledge", PROJECT, "mkt", user="mkt").exit_code == 6
    assert row_counts(crm) == before


def test_re_team_1_no_memo_to_sign_for_a_member_without_a_pledge(crm, d, cli):
    kad = crm.actor("kad")
    for login in list(TEAM.values())[:-1]:
        d.record_pledge(kad, PROJECT, login)
    missing = list(TEAM.values())[-1]
    before = row_counts(crm)
    with pytest.raises(Conflict, match=f"members: {missing} of the negotiation team") as err:
        d.write_memo(kad, PROJECT, "KA1", "第一轮谈判", "均价意向")
    assert err.value.rule == "RE-TEAM-1"
    result = cli(*memo_args(), user="kad")
    assert result.exit_code == 5
    assert missing in result.stderr and "RE-TEAM-1" in result.stderr
    assert "Traceback" not in result.output
    assert row_counts(crm) == before
    d.record_pledge(kad, PROJECT, missing)
    memo = d.write_memo(kad, PROJECT, "KA1", "第一轮谈判", "均价意向")
    assert sorted(s.signer for s in memo.signatures) == sorted(TEAM.values())


def test_re_team_1_pledges_through_the_cli(crm, d, cli):
    for login in TEAM.values():
        result = cli("realestate", "team", "pledge", PROJECT, login, user="kad")
        assert result.exit_code == 0, result.output
    assert "every member has signed" in result.stdout
    shown = json.loads(cli("realestate", "team", "show", PROJECT, "--json").stdout)
    assert all(m["pledged_at"] and m["pledge_recorded_by"] == "kad" for m in shown["members"])
    table = cli("realestate", "team", "show", PROJECT).stdout
    assert "廉洁承诺" in table and "not signed" not in table
    assert cli(*memo_args(), user="kad").exit_code == 0
