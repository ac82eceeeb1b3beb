"""Approval workflows: chains, sign-offs, guards, rejection, withdrawal, pause, concurrency.

The workflows come from a throw-away plugin (tests/workflow_kit.py) that declares the shapes the
industry plugins need: RE-PRICE-5, RE-ALLOC-1, PWR-APP-2, RAIL-QUAL-2, DIST-CRED-2.
"""

from __future__ import annotations

import json
import multiprocessing
import textwrap
import types
from datetime import date
from pathlib import Path

import pytest
from workflow_kit import china, freeze

from crmcore import (
    Conflict,
    Crm,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PluginError,
    Vetoed,
    hookimpl,
)
from crmcore.domain.plugins import PluginInfo
from crmcore.testing import row_counts

PRICE_CHAIN = ["mkt", "fin", "pgm", "gm", "chair"]
FIXTURES = Path(__file__).parent / "data"
#: Invented for the tests: NOT the official 2027 schedule, which is not published yet.
FIXTURE_2027 = FIXTURES / "calendar-2027-test-fixture.json"


def submitted_price(crm: Crm) -> int:
    kad = crm.actor("kad")
    instance = crm.workflows.start(kad, "retest.price", "KA1", data={"average_price": "12800"})
    crm.workflows.advance(kad, instance.id, "submit")
    return instance.id


def test_re_price_5_chain_advances_only_in_order_and_only_by_the_right_role(wf):
    instance_id = submitted_price(wf)
    assert wf.workflows.get(wf.actor("admin"), instance_id).state == "approval:marketing_director"
    before = row_counts(wf)
    # the general manager cannot jump the queue, nor can an admin approve in someone's name
    for login in ("gm", "admin", "fin"):
        with pytest.raises(PermissionDenied, match="is for marketing_director") as err:
            wf.workflows.advance(wf.actor(login), instance_id)
        assert err.value.rule == "RE-PRICE-5"
    assert row_counts(wf) == before
    for i, login in enumerate(PRICE_CHAIN):
        moved = wf.workflows.advance(wf.actor(login), instance_id, comment=f"同意 {i}")
        if i + 1 < len(PRICE_CHAIN):
            with pytest.raises(Conflict, match=f"{login} already did 'approve'"):
                wf.workflows.advance(wf.actor(login), instance_id)  # twice
    assert (moved.state, moved.closed) == ("approved", True)
    history = wf.workflows.history(wf.actor("admin"), instance_id)
    assert [(e.action, e.actor) for e in history] == [
        ("start", "kad"),
        ("submit", "kad"),
        *[("approve", login) for login in PRICE_CHAIN],
    ]
    assert [e.role for e in history[2:]] == [
        "marketing_director",
        "finance_director",
        "project_gm",
        "gm",
        "chairman",
    ]
    # every step had its own 2-working-day clock, each stopped when its approver acted
    clocks = wf.workflows.get(wf.actor("admin"), instance_id).clocks
    assert [(c.name, c.outcome) for c in clocks] == [
        (f"approval:{r}", "met") for r in [e.role for e in history[2:]]
    ]
    with pytest.raises(Conflict, match="is closed"):
        wf.workflows.advance(wf.actor("chair"), instance_id)


def test_a_guard_vetoes_with_its_reason_and_nothing_changes(wf):
    kad = wf.actor("kad")
    instance = wf.workflows.start(kad, "retest.price", "KA1")
    before = row_counts(wf)
    with pytest.raises(Vetoed, match="refused by plugin retest: no average price set") as err:
        wf.workflows.advance(kad, instance.id, "submit")
    assert err.value.rule == "RE-PRICE-5"
    assert row_counts(wf) == before
    moved = wf.workflows.advance(kad, instance.id, "submit", data={"average_price": "12800"})
    assert moved.state == "approval:marketing_director"
    assert moved.data == {"average_price": "12800"}


def test_rejection_returns_to_draft_and_the_chain_starts_again(wf):
    instance_id = submitted_price(wf)
    wf.workflows.advance(wf.actor("mkt"), instance_id)
    with pytest.raises(InvalidInput, match="reason: a rejection needs a reason"):
        wf.workflows.reject(wf.actor("fin"), instance_id, " ")
    with pytest.raises(PermissionDenied):
        wf.workflows.reject(wf.actor("gm"), instance_id, "太低")
    back = wf.workflows.reject(wf.actor("fin"), instance_id, "均价低于成本加成")
    assert (back.state, back.waiting_for) == ("draft", ("key_account_director",))
    wf.workflows.advance(wf.actor("kad"), instance_id, "submit")
    again = wf.workflows.get(wf.actor("admin"), instance_id)
    assert again.state == "approval:marketing_director"
    events = wf.workflows.history(wf.actor("admin"), instance_id)
    assert (events[3].action, events[3].comment, events[3].to_state) == (
        "reject",
        "均价低于成本加成",
        "draft",
    )


def test_withdrawal_by_its_starter_closes_it_and_cancels_its_clocks(wf):
    instance_id = submitted_price(wf)
    with pytest.raises(PermissionDenied, match="only whoever started it"):
        wf.workflows.withdraw(wf.actor("mkt"), instance_id, "不需要了")
    with pytest.raises(InvalidInput, match="reason"):
        wf.workflows.withdraw(wf.actor("kad"), instance_id, "")
    gone = wf.workflows.withdraw(wf.actor("kad"), instance_id, "委建单位放弃")
    assert (gone.state, gone.closed) == ("withdrawn", True)
    assert [c.outcome for c in gone.clocks] == ["cancelled"]
    with pytest.raises(Conflict, match="is closed"):
        wf.workflows.advance(wf.actor("mkt"), instance_id)
    with pytest.raises(Conflict, match="is closed"):
        wf.workflows.withdraw(wf.actor("kad"), instance_id, "again")


def test_re_alloc_1_every_director_signs_once_in_any_order(wf):
    instance = wf.workflows.start(wf.actor("admin"), "retest.release", "KA1")
    assert set(instance.waiting_for) == {
        "marketing_director",
        "finance_director",
        "project_gm",
        "gm",
    }
    after_gm = wf.workflows.advance(wf.actor("gm"), instance.id)
    assert after_gm.state == "release"
    assert [(s.role, s.signer) for s in after_gm.signatures] == [("gm", "gm")]
    assert "gm" not in after_gm.waiting_for
    with pytest.raises(Conflict, match="gm has already signed"):
        wf.workflows.advance(wf.actor("gm"), instance.id)
    for login in ("fin", "mkt"):
        wf.workflows.advance(wf.actor(login), instance.id, "sign")
    with pytest.raises(Conflict, match="mkt has already signed"):
        wf.workflows.advance(wf.actor("mkt"), instance.id)
    with pytest.raises(PermissionDenied, match="mkt2 holds marketing_director"):
        wf.workflows.advance(wf.actor("mkt2"), instance.id)  # that role has signed
    done = wf.workflows.advance(wf.actor("pgm"), instance.id)
    assert (done.state, done.closed) == ("released", True)


def test_rail_qual_2_bureau_then_ministry(wf):
    instance = wf.workflows.start(wf.actor("admin"), "retest.cert", "KA1")
    with pytest.raises(PermissionDenied):
        wf.workflows.advance(wf.actor("ministry"), instance.id)
    wf.workflows.advance(wf.actor("bureau"), instance.id, comment="核实通过")
    assert wf.workflows.advance(wf.actor("ministry"), instance.id).state == "certified"


@pytest.mark.parametrize(
    ("excess", "path"), [("100000", ["approved"]), ("100000.01", ["gm_review", "approved"])]
)
def test_dist_cred_2_department_head_and_above_the_threshold_the_general_manager(wf, excess, path):
    instance = wf.workflows.start(
        wf.actor("admin"), "retest.credit", "KA1", data={"excess": excess}
    )
    states = [wf.workflows.advance(wf.actor("head"), instance.id).state]
    if states[-1] == "gm_review":
        states.append(wf.workflows.advance(wf.actor("boss"), instance.id).state)
    assert states == path


def test_assignees_narrow_a_role_to_named_people(wf):
    instance = wf.workflows.start(
        wf.actor("admin"), "retest.release", "KA1", assignees={"marketing_director": ["mkt2"]}
    )
    with pytest.raises(PermissionDenied):
        wf.workflows.advance(wf.actor("mkt"), instance.id)
    assert wf.workflows.advance(wf.actor("mkt2"), instance.id).signatures[0].signer == "mkt2"
    with pytest.raises(InvalidInput, match="fin does not hold role 'gm'"):
        wf.workflows.start(wf.actor("admin"), "retest.release", "KA1", assignees={"gm": ["fin"]})


def test_unknown_instance_workflow_and_action_are_clear_errors(wf):
    admin = wf.actor("admin")
    with pytest.raises(NotFound, match="unknown workflow instance 999"):
        wf.workflows.advance(admin, 999)
    with pytest.raises(NotFound, match=r"unknown workflow 'retest\.nope'"):
        wf.workflows.start(admin, "retest.nope", "KA1")
    with pytest.raises(NotFound, match="unknown client"):
        wf.workflows.start(admin, "retest.cert", "NOPE")
    with pytest.raises(PermissionDenied, match="only key_account_director may start it"):
        wf.workflows.start(wf.actor("mkt"), "retest.price", "KA1")
    instance = wf.workflows.start(admin, "retest.cert", "KA1")
    with pytest.raises(Conflict, match="'submit' is not possible at 'verification: bureau'"):
        wf.workflows.advance(wf.actor("bureau"), instance.id, "submit")
    with pytest.raises(Conflict, match="no longer at 'draft'"):
        wf.workflows.advance(wf.actor("bureau"), instance.id, expected_state="draft")


# -- deadlines -----------------------------------------------------------------------------


def test_pwr_app_2_deadlines_across_national_day_single_and_dual_source(wf):
    """Applied Mon 28 Sep 2026: National Day 1-7 Oct is off, Sat 10 Oct is a working day."""
    import chinese_calendar

    freeze(wf, china(2026, 9, 28, 10))
    office = wf.actor("office")
    single = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    dual = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "2"})
    assert single.due == date(2026, 10, 30)
    assert dual.due == date(2026, 11, 13)
    for instance, days in ((single, 20), (dual, 30)):
        counted = chinese_calendar.get_workdays(date(2026, 9, 29), instance.due)
        assert len(counted) == days and instance.due in counted


def test_a_clock_counts_from_the_business_date_it_names(wf):
    """PWR-APP-2 counts from the acceptance date (受理日), which a clerk may enter late:
    accepted Thu 24 Sep 2026, entered Mon 28 Sep; 中秋 25 Sep and National Day are off."""
    import chinese_calendar

    freeze(wf, china(2026, 9, 28, 10))
    office = wf.actor("office")
    instance = wf.workflows.start(
        office, "retest.supply", "KA1", data={"sources": "1", "accepted_on": "2026-09-24"}
    )
    counted = chinese_calendar.get_workdays(date(2026, 9, 25), instance.due)
    assert len(counted) == 20 and instance.due in counted
    assert instance.due == date(2026, 10, 29)
    reply = next(c for c in instance.clocks if c.name == "reply")
    assert reply.started_at == china(2026, 9, 28, 10)  # when it was entered


def test_pause_while_the_client_holds_the_ball_resumes_with_the_days_left(wf):
    freeze(wf, china(2026, 9, 28, 10))
    office = wf.actor("office")
    instance = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    freeze(wf, china(2026, 10, 12, 9))  # 6 working days used (29, 30 Sep, 8, 9, 10, 12 Oct)
    paused = wf.workflows.pause(office, instance.id, "客户补充用电负荷资料")
    assert paused.paused and paused.due is None
    with pytest.raises(Conflict, match="already paused"):
        wf.workflows.pause(office, instance.id, "again")
    freeze(wf, china(2026, 10, 19, 9))  # a week later the papers arrive
    resumed = wf.workflows.resume(office, instance.id)
    assert resumed.due == date(2026, 11, 6)  # 14 working days left, counted from 19 Oct
    with pytest.raises(Conflict, match="not paused"):
        wf.workflows.resume(office, instance.id)
    wf.workflows.pause(office, instance.id, "等客户确认")
    freeze(wf, china(2026, 10, 20, 9))
    planned = wf.workflows.advance(office, instance.id)  # the client answered: clocks run again
    assert (planned.state, planned.paused, planned.due) == ("plan_ready", False, date(2026, 10, 27))
    actions = [e.action for e in wf.workflows.history(office, instance.id)]
    assert actions == ["start", "pause", "resume", "pause", "resume", "plan"]


def test_a_deadline_into_a_year_without_data_fails_until_the_year_is_loaded(wf, tmp_path):
    """20 working days from Fri 4 Dec 2026 land in 2027, which chinese-calendar 1.11 lacks."""
    from crmcore.calendar import parse_schedule

    freeze(wf, china(2026, 12, 4, 10))
    office = wf.actor("office")
    before = row_counts(wf)
    with pytest.raises(NotFound, match="no holiday schedule for 2027") as err:
        wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    assert "crm calendar load" in str(err.value)
    assert row_counts(wf) == before
    fixture = FIXTURE_2027.read_text(encoding="utf-8")
    wf.calendar.load(wf.actor("admin"), parse_schedule(fixture))
    instance = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    # 19 working days to Thu 31 Dec; Fri 1 Jan 2027 is 元旦 in the fixture; Mon 4 Jan is the 20th
    assert instance.due == date(2027, 1, 4)


def test_a_policy_change_applies_to_new_decisions_only(wf):
    """PWR-APP-2 changed from 20 to 15 days: instances started before keep their deadline."""
    office, admin = wf.actor("office"), wf.actor("admin")
    freeze(wf, china(2026, 9, 1, 9))
    before = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    freeze(wf, china(2026, 9, 1, 11))
    wf.policies.set(admin, "PWR-APP-2", {"single_source_days": 15}, reason="提速")
    wf.policies.set(
        admin, "PWR-APP-2", {"single_source_days": 10}, effective_from=date(2026, 9, 10)
    )
    freeze(wf, china(2026, 9, 1, 14))
    after = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    freeze(wf, china(2026, 9, 10, 9))
    later = wf.workflows.start(office, "retest.supply", "KA1", data={"sources": "1"})
    assert [c.days for i in (before, after, later) for c in i.clocks] == [20, 15, 10]
    assert wf.workflows.get(admin, before.id).due == date(2026, 9, 29)
    # the value in force is asked per moment: before the change, the default
    assert (
        wf.policies.show(admin, "PWR-APP-2", at=date(2026, 8, 31)).value["single_source_days"] == 20
    )


def test_sla_on_time_rate_per_workflow_and_step_on_a_known_data_set(wf):
    """Four price approvals in September 2026; marketing has 2 working days per step.

    Marketing acts in time on three, late on one (75%); finance acts in time once, is late
    once, and two are still waiting past due (25%).
    """
    starts = [china(2026, 9, d, 9) for d in (1, 2, 3, 4)]
    ids = []
    for moment in starts:
        freeze(wf, moment)
        ids.append(submitted_price(wf))
    acts = [  # (instance, login, when)
        (0, "mkt", china(2026, 9, 2, 10)),
        (1, "mkt", china(2026, 9, 4, 16)),
        (2, "mkt", china(2026, 9, 7, 10)),  # due Mon 7 Sep: in time
        (3, "mkt", china(2026, 9, 9, 10)),  # due Tue 8 Sep: late
        (0, "fin", china(2026, 9, 3, 10)),
        (1, "fin", china(2026, 9, 9, 10)),  # due Tue 8 Sep: late
    ]
    for index, login, moment in acts:
        freeze(wf, moment)
        wf.workflows.advance(wf.actor(login), ids[index])
    freeze(wf, china(2026, 9, 30, 18))
    rows = {
        r.clock: r for r in wf.workflows.sla(wf.actor("admin"), date(2026, 9, 1), date(2026, 9, 30))
    }
    marketing = rows["approval:marketing_director"]
    finance = rows["approval:finance_director"]
    assert (marketing.met, marketing.late, marketing.overdue, marketing.on_time_rate) == (
        3,
        1,
        0,
        75,
    )
    assert (finance.met, finance.late, finance.overdue, finance.on_time_rate) == (1, 1, 2, 25)
    assert rows["approval:project_gm"].overdue == 2  # reached on 3 and 9 Sep, nobody acted


# -- registration --------------------------------------------------------------------------


BAD = {
    "unknown role": (
        'Workflow(name="bad.x", title="x", initial="a", states=(State("a"), State("b", terminal=True)),'
        ' transitions=(Transition("go", "a", "b", role="emperor"),))',
        "workflow bad.x: transition 'go' needs role 'emperor', which no plugin or the core defines",
    ),
    "unreachable": (
        'Workflow(name="bad.x", title="x", initial="a", states=(State("a"), State("limbo"),'
        ' State("b", terminal=True)), transitions=(Transition("go", "a", "b", role="gm"),'
        ' Transition("go", "limbo", "b", role="gm")))',
        "workflow bad.x: state 'limbo' is unreachable from 'a'",
    ),
    "unknown state": (
        'Workflow(name="bad.x", title="x", initial="a", states=(State("a"), State("b", terminal=True)),'
        ' transitions=(Transition("go", "a", "c", role="gm"),))',
        "workflow bad.x: transition 'go' names unknown state 'c'",
    ),
    "dead end": (
        'Workflow(name="bad.x", title="x", initial="a", states=(State("a"), State("b"),'
        ' State("c", terminal=True)), transitions=(Transition("go", "a", "b", role="gm"),'
        ' Transition("go", "a", "c", role="gm", when=lambda ctx: True)))',
        "workflow bad.x: state 'b' is a dead end",
    ),
    "unknown policy": (
        'Workflow(name="bad.x", title="x", initial="a", states=(State("a"), State("b", terminal=True)),'
        ' transitions=(Transition("go", "a", "b", role="gm"),),'
        ' clocks=(Clock("c", "a", days="CORE-LOG-3.nope"),))',
        "workflow bad.x: clock 'c': policy CORE-LOG-3 has no field 'nope'",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_definition_is_refused_at_registration_naming_the_plugin(crm_url, case):
    definition, message = BAD[case]
    module = types.ModuleType("badwf")
    exec(  # a throw-away plugin module
        textwrap.dedent(f"""
        from crmcore import Clock, PluginInfo, State, Transition, Workflow, hookimpl

        @hookimpl
        def crm_plugin_info():
            return PluginInfo(name="badwf")

        @hookimpl
        def crm_roles(register):
            register("gm", ["client.read"])

        @hookimpl
        def crm_workflows(register):
            register({definition})
        """),
        module.__dict__,
    )
    with pytest.raises(PluginError) as err:
        Crm.open(crm_url, extra_plugins={"badwf": module})
    assert err.value.plugin == "badwf"
    assert message in str(err.value)


def test_enabling_a_plugin_with_a_bad_workflow_is_refused_and_changes_nothing(
    cli, crm, plugin_installer
):
    definition, message = BAD["unreachable"]
    plugin_installer(
        "badwf",
        f"""
from crmcore import Clock, PluginInfo, State, Transition, Workflow, hookimpl

@hookimpl
def crm_plugin_info():
    return PluginInfo(name="badwf")

@hookimpl
def crm_roles(register):
    register("gm", ["client.read"])

@hookimpl
def crm_workflows(register):
    register({definition})
""",
    )
    before = row_counts(crm)
    result = cli("plugins", "enable", "badwf")
    assert result.exit_code == 7 and result.stdout == ""
    assert result.stderr.strip() == f"error: plugin badwf: {message}"
    assert row_counts(crm) == before
    assert cli("client", "list").exit_code == 0  # the CLI still starts


# -- two processes advancing the same step -------------------------------------------------


def _approve(url: str, login: str, instance_id: int, barrier: object) -> str:
    with Crm.open(url) as crm:
        actor = crm.actor(login)
        barrier.wait()  # type: ignore[attr-defined]
        try:
            crm.workflows.advance(actor, instance_id, expected_state="approval:marketing_director")
        except Conflict as exc:
            return f"conflict: {exc}"
        return "won"


def test_concurrent_advancers_exactly_one_wins(wf, crm_url):
    """Eight marketing directors in eight processes approve the same step at the same moment."""
    from crmcore import NewUser

    logins = [f"m{i}" for i in range(8)]
    for login in logins:
        wf.users.add(
            wf.actor("admin"), NewUser(login=login, name=login, roles=("marketing_director",))
        )
        wf.org.add_member(wf.actor("admin"), "HQ", login)
    instance_id = submitted_price(wf)
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(len(logins))
        with ctx.Pool(len(logins)) as pool:
            results = pool.starmap(
                _approve, [(crm_url, login, instance_id, barrier) for login in logins]
            )
    assert results.count("won") == 1, results
    assert all("no longer at 'approval:marketing_director'" in r for r in results if r != "won")
    history = wf.workflows.history(wf.actor("admin"), instance_id)
    assert [e.action for e in history] == ["start", "submit", "approve"]
    instance = wf.workflows.get(wf.actor("admin"), instance_id)
    assert (instance.state, instance.version) == ("approval:finance_director", 3)


# -- the command line ----------------------------------------------------------------------


def one_line_error(result, code: int) -> str:
    assert result.exit_code == code, result.output
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_cli_start_advance_reject_withdraw_show_history(wf, cli):
    started = cli(
        "workflow", "start", "retest.price", "KA1", "--data", "average_price=12800", user="kad"
    )
    assert started.exit_code == 0, started.output
    assert "started workflow 1 (retest.price)" in started.stdout
    assert (
        "waiting for marketing_director"
        in cli("workflow", "advance", "1", "--action", "submit", user="kad").stdout
    )
    assert (
        "waiting for finance_director"
        in cli("workflow", "advance", "1", "--comment", "同意", user="mkt").stdout
    )
    assert (
        "now at 起草 (draft)"
        in cli("workflow", "reject", "1", "--reason", "成本不符", user="fin").stdout
    )
    shown = json.loads(cli("workflow", "show", "1", "--json").stdout)
    assert (shown["state"], shown["waiting_for"], shown["actions"]) == (
        "draft",
        ["key_account_director"],
        ["submit"],
    )
    history = json.loads(cli("workflow", "history", "1", "--json").stdout)
    assert [(e["action"], e["actor"], e["comment"]) for e in history] == [
        ("start", "kad", None),
        ("submit", "kad", None),
        ("approve", "mkt", "同意"),
        ("reject", "fin", "成本不符"),
    ]
    shown_table = cli("workflow", "show", "1")
    assert shown_table.exit_code == 0 and "起草 (draft)" in shown_table.stdout
    assert "approval:marketing_director" in shown_table.stdout  # its clock, met
    table = cli("workflow", "history", "1").stdout
    assert "成本不符" in table and "finance_director" in table
    listed = json.loads(cli("workflow", "list", "--client", "KA1", "--json").stdout)
    assert [i["id"] for i in listed] == [1]
    assert cli("workflow", "withdraw", "1", "--reason", "放弃", user="kad").exit_code == 0
    assert json.loads(cli("workflow", "list", "--json").stdout) == []
    defs = json.loads(cli("workflow", "definitions", "--json").stdout)
    assert {d["name"] for d in defs} >= {"retest.price", "retest.supply"}


def test_cli_bad_input_is_one_line_and_changes_nothing(wf, cli):
    kad = wf.actor("kad")
    instance = wf.workflows.start(kad, "retest.price", "KA1", data={"average_price": "1"})
    wf.workflows.advance(kad, instance.id, "submit")
    wf.workflows.advance(wf.actor("mkt"), instance.id)
    before = row_counts(wf)
    cases = [
        (
            ["workflow", "advance", "1"],
            "gm",
            6,
            "error: workflow 1: 'approve' at 'approval: finance_director' is for finance_director; gm holds gm (RE-PRICE-5)",
        ),
        (["workflow", "advance", "1"], "mkt", 5, "error: workflow 1: mkt already did 'approve'"),
        (
            ["workflow", "advance", "1", "--expect", "approval:marketing_director"],
            "fin",
            5,
            "error: workflow 1 is no longer at 'approval:marketing_director'",
        ),
        (
            ["workflow", "advance", "1", "--action", "submit"],
            "fin",
            5,
            "error: workflow 1: 'submit' is not possible at 'approval: finance_director'",
        ),
        (["workflow", "advance", "99"], "fin", 4, "error: workflow: unknown workflow instance 99"),
        (
            ["workflow", "reject", "1", "--reason", " "],
            "fin",
            3,
            "error: reason: a rejection needs a reason",
        ),
        (
            ["workflow", "withdraw", "1", "--reason", "x"],
            "fin",
            6,
            "error: workflow 1: only whoever started it",
        ),
        (
            ["workflow", "start", "retest.nope", "KA1"],
            "kad",
            4,
            "error: workflow: unknown workflow 'retest.nope'",
        ),
        (
            ["workflow", "start", "retest.price", "KA1", "--entity", "price"],
            "kad",
            3,
            "error: entity: 'price' is not TYPE:ID",
        ),
        (["workflow", "resume", "1"], "fin", 5, "error: workflow 1 is not paused"),
        (["tasks", "--role", "emperor"], "admin", 3, "error: role: unknown role 'emperor'"),
        (
            ["sla", "--from", "2026-09-30", "--to", "2026-09-01"],
            "admin",
            3,
            "error: to: 2026-09-01 is before 2026-09-30",
        ),
    ]
    for args, user, code, expected in cases:
        line = one_line_error(cli(*args, user=user), code)
        assert line.startswith(expected), (args, line)
    assert row_counts(wf) == before


def test_cli_tasks_and_sla(wf, cli):
    instance_id = submitted_price(wf)
    mine = json.loads(cli("tasks", "--json", user="mkt").stdout)
    assert [(t["ref"], t["step"], t["waiting_for"]) for t in mine] == [
        (f"workflow {instance_id}", "approval: marketing_director", "marketing_director")
    ]
    assert json.loads(cli("tasks", "--json", user="fin").stdout) == []
    queue = json.loads(cli("tasks", "--role", "marketing_director", "--json", user="gm").stdout)
    assert len(queue) == 1
    cli("workflow", "advance", str(instance_id), user="mkt")
    report = json.loads(cli("sla", "--json").stdout)
    rows = {r["clock"]: r for r in report["rows"]}
    assert rows["approval:marketing_director"]["met"] == 1
    assert rows["approval:marketing_director"]["on_time_rate"] == "100.0"
    assert "approval:marketing_director" in cli("sla", "--workflow", "retest.price").stdout


# -- confidentiality (CORE-CONF-2): approvers read what they approve, doors are recorded --------


def test_an_approver_must_be_able_to_read_the_client(wf):
    """Holding the step's role is not enough: the approver must be able to read the client,
    by relationship, unit or grant, and be cleared for its level (access.may_act)."""
    from crmcore import NewUser
    from crmcore.security import access

    instance_id = submitted_price(wf)
    admin = wf.actor("admin")
    wf.users.add(admin, NewUser(login="mkt3", name="外地营销总监", roles=("marketing_director",)))
    outsider = wf.actor("mkt3")  # holds the role, but works in no unit that holds KA1
    before = row_counts(wf)
    with pytest.raises(PermissionDenied, match="mkt3 may not read client KA1"):
        wf.workflows.advance(outsider, instance_id)
    assert row_counts(wf) == before
    assert [k for k in wf.tasks.waiting(outsider) if k.kind == "workflow"] == []
    client_id = wf.clients.get(admin, "KA1").id
    with wf.transaction(outsider, write=False) as tx:
        assert not access.may_act(tx, "marketing_director", client_id=client_id)
    # a grant lets the outsider see and approve it
    wf.access.grant(admin, "KA1", user="mkt3", reason="代审")
    assert [k.ref for k in wf.tasks.waiting(outsider)] == [f"workflow {instance_id}"]
    # a record above one's clearance cannot be approved, whatever the relationship
    wf.access.set_level(admin, "KA1", "secret")
    with pytest.raises(PermissionDenied, match="may not read client KA1"):
        wf.workflows.advance(outsider, instance_id)
    wf.users.set_clearance(admin, "mkt3", "secret")
    moved = wf.workflows.advance(wf.actor("mkt3"), instance_id)
    assert moved.state == "approval:finance_director"


def test_workflow_doors_mask_fields_and_record_look_ups(wf, cli):
    instance_id = submitted_price(wf)
    admin = wf.actor("admin")
    wf.access.add_field_rule(admin, "workflow_instance", "data", clearance="secret")
    wf.access.add_field_rule(admin, "workflow_event", "comment", clearance="secret")
    wf.workflows.advance(wf.actor("mkt"), instance_id, comment="成本加成合理")
    fin = wf.actor("fin")  # cleared for confidential, not secret
    shown = wf.workflows.get(fin, instance_id)
    assert (shown.data, shown.masked) == (None, ("data",))
    assert {e.comment for e in wf.workflows.history(fin, instance_id)} == {None}
    assert [i.data for i in wf.workflows.list(fin)] == [None]
    events = wf.audit.log(admin, user="fin", limit=10)
    assert [e.action for e in events] == ["workflow.list", "workflow.history", "workflow.get"]
    assert events[-1].detail["masked"] == ["workflow_instance.data"]
    assert events[-1].client_code == "KA1"
    assert wf.workflows.get(admin, instance_id).data == {"average_price": "12800"}
    assert wf.workflows.history(admin, instance_id)[-1].comment == "成本加成合理"
    # the command line shows what the API shows
    text = cli("workflow", "show", str(instance_id), user="fin").stdout
    assert "(masked)" in text and "12800" not in text
    as_json = json.loads(cli("workflow", "show", str(instance_id), "--json", user="fin").stdout)
    assert (as_json["data"], as_json["masked"]) == (None, ["data"])
    history = cli("workflow", "history", str(instance_id), "--json", user="fin").stdout
    assert "成本加成合理" not in history
    assert "成本加成合理" not in cli("workflow", "history", str(instance_id), user="fin").stdout


def test_a_rule_on_one_data_key_masks_that_key_only_through_every_workflow_door(wf, cli):
    """CORE-CONF-4: a cost under approval is secret while the average price beside it is not.

    A rule on ``data.cost_per_m2`` withholds that key alone: the API, ``workflow show`` and
    ``list`` (tables and JSON) show the other keys; history withholds the same key where a
    step gave it; a reader who may not read it may not write it either (CORE-CONF-2).
    """
    admin = wf.actor("admin")
    wf.access.add_field_rule(admin, "workflow_instance", "data.cost_per_m2", clearance="secret")
    for login in ("kad", "mkt"):
        wf.users.set_clearance(admin, login, "secret")
    kad = wf.actor("kad")
    started = wf.workflows.start(
        kad, "retest.price", "KA1", data={"average_price": "12800", "cost_per_m2": "9050"}
    )
    wf.workflows.advance(kad, started.id, "submit")
    wf.workflows.advance(
        wf.actor("mkt"), started.id, data={"cost_per_m2": "9100", "remark": "成本加成合理"}
    )
    fin = wf.actor("fin")  # cleared for confidential, not secret
    shown = wf.workflows.get(fin, started.id)
    expected = {"average_price": "12800", "cost_per_m2": None, "remark": "成本加成合理"}
    assert (shown.data, shown.masked) == (expected, ("data.cost_per_m2",))
    assert [(i.data, i.masked) for i in wf.workflows.list(fin)] == [
        (expected, ("data.cost_per_m2",))
    ]
    step = wf.workflows.history(fin, started.id)[-1]
    assert (step.detail, step.masked) == (
        {"cost_per_m2": None, "remark": "成本加成合理"},
        ("detail.cost_per_m2",),
    )
    # the look-up record names the withheld key, never its value
    events = wf.audit.log(admin, user="fin", limit=10)
    assert [e.action for e in events] == ["workflow.history", "workflow.list", "workflow.get"]
    assert events[-1].detail["masked"] == ["workflow_instance.data.cost_per_m2"]
    assert "9100" not in repr(events)
    # cleared readers see it all, and their reading the key in clear is recorded
    assert wf.workflows.get(admin, started.id).data["cost_per_m2"] == "9100"
    assert wf.audit.log(admin, user="admin", limit=1)[0].detail["unmasked"] == [
        "workflow_instance.data.cost_per_m2"
    ]
    # writing the key one may not read is refused; other keys may be written
    before = row_counts(wf)
    with pytest.raises(
        PermissionDenied, match=r"fin may not write workflow_instance\.data\.cost_per_m2"
    ):
        wf.workflows.advance(fin, started.id, data={"cost_per_m2": "1"})
    assert row_counts(wf) == before
    assert wf.workflows.advance(fin, started.id, data={"checked": "是"}).state == (
        "approval:project_gm"
    )
    # the command line shows what the API shows: the other keys in clear, this one (masked)
    text = cli("workflow", "show", str(started.id), user="fin").stdout
    assert "12800" in text and "cost_per_m2=(masked)" in text.replace(" ", "")
    assert "9100" not in text and "9050" not in text
    for args in (["show", str(started.id)], ["list"]):
        out = json.loads(cli("workflow", *args, "--json", user="fin").stdout)
        view = out if isinstance(out, dict) else out[0]
        assert view["data"] == {**expected, "checked": "是"}
        assert view["masked"] == ["data.cost_per_m2"]
    history = cli("workflow", "history", str(started.id), "--json", user="fin").stdout
    assert "成本加成合理" in history and "9100" not in history
    # keys of other core fields are judged whole: a rule may not name one
    refused = cli("access", "field", "client", "profile.age", "--level", "secret")
    assert refused.exit_code == 3 and "name a whole field" in refused.stderr


# -- handover (CORE-OWN-2): a leaver's open approvals move with the rest -------------------------


class FailingHandover:
    """A plugin whose part of a handover fails after the core steps ran."""

    @staticmethod
    @hookimpl
    def crm_plugin_info():
        return PluginInfo(name="boom")

    @staticmethod
    @hookimpl
    def crm_handover(tx, from_user, to_user, handover_id, record):
        raise RuntimeError("task table is locked")


def test_a_handover_moves_the_leavers_open_approvals(wf):
    admin = wf.actor("admin")
    named = wf.workflows.start(
        admin, "retest.release", "KA1", assignees={"marketing_director": ["mkt"]}
    )
    other = wf.workflows.start(admin, "retest.release", "KA1", assignees={"gm": ["gm"]})
    done = wf.handover.run(admin, "mkt", "mkt2", reason="离职")
    assert [(i.role, i.client_code) for i in done.items] == [("workflow_task", "KA1")]
    assert wf.workflows.get(admin, named.id).assignees == {"marketing_director": ["mkt2"]}
    assert wf.workflows.get(admin, other.id).assignees == {"gm": ["gm"]}
    last = wf.workflows.history(admin, named.id)[-1]
    assert (last.action, last.actor, last.detail["to"]) == ("reassign", "admin", "mkt2")
    event = wf.audit.log(admin, action="workflow.reassign")[0]
    assert (event.entity_id, event.detail["handover"]) == (str(named.id), done.id)
    assert [k.ref for k in wf.tasks.waiting(wf.actor("mkt2"))] == [
        f"workflow {named.id}",
        f"workflow {other.id}",
    ]
    signed = wf.workflows.advance(wf.actor("mkt2"), named.id)
    assert [s.signer for s in signed.signatures] == ["mkt2"]


def test_a_handover_that_fails_half_way_moves_no_approval(wf, crm_url):
    admin = wf.actor("admin")
    named = wf.workflows.start(
        admin, "retest.release", "KA1", assignees={"marketing_director": ["mkt"]}
    )
    before = row_counts(wf)
    # a successor who could never act on the step: refused, nothing moves
    with pytest.raises(Conflict, match="names mkt as marketing_director, which fin does not hold"):
        wf.handover.run(admin, "mkt", "fin", reason="离职")
    assert row_counts(wf) == before
    # a plugin failing after the workflows' step: that step is rolled back with the rest
    with (
        Crm.open(crm_url, extra_plugins={"boom": FailingHandover}) as failing,
        pytest.raises(PluginError, match="plugin boom: crm_handover failed"),
    ):
        failing.handover.run(failing.actor("admin"), "mkt", "mkt2", reason="离职")
    assert row_counts(wf) == before
    assert wf.workflows.get(admin, named.id).assignees == {"marketing_director": ["mkt"]}
    assert wf.actor("mkt").login == "mkt"  # still active
