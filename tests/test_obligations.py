"""Recurring obligations: CORE-LOG-3 (inquiries in 24 h, class A quarterly) and CORE-ARC-3
(credit report and sales analysis by the 6th, consolidation by the 8th); tasks and the report."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal

import pytest
from workflow_kit import china, freeze

from crmcore import Conflict, NewClient, NewLog, NewUser, NotFound
from crmcore.obligations import DutyStatus
from crmcore.testing import row_counts, score_clients

Q3 = (date(2026, 7, 1), date(2026, 9, 30))


@pytest.fixture
def office(crm, admin):
    """Three clients of lina: KA1 and KA2 class A (tied at the top of CLS-SCORE-1), KA3 C.

    Q3 2026: KA1 visited in August, KA2 only contacted in Q2. Inquiries in September: KA3's
    answered in 5 hours, KA1's after two days, KA2's never.
    """
    freeze(crm, china(2026, 10, 10, 12))
    for login, roles in (("lina", ("account_manager",)), ("zhang", ("director",))):
        crm.users.add(admin, NewUser(login=login, name=login, roles=roles))
    for code in ("KA1", "KA2", "KA3"):
        crm.clients.add(admin, NewClient(name=f"客户{code}", code=code, owner="lina"))
    score_clients(crm, admin, {"KA1": 90, "KA2": 90, "KA3": 50})
    lina = crm.actor("lina")
    logs = [
        ("KA1", "visit", china(2026, 8, 10, 9), False),
        ("KA2", "phone", china(2026, 5, 20, 9), False),
        ("KA3", "phone", china(2026, 9, 1, 10), True),
        ("KA3", "email", china(2026, 9, 1, 15), False),
        ("KA1", "letter", china(2026, 9, 2, 10), True),
        ("KA1", "phone", china(2026, 9, 4, 11), False),
        ("KA2", "fax", china(2026, 9, 3, 10), True),
    ]
    for code, channel, at, inquiry in logs:
        crm.logs.add(
            lina,
            code,
            NewLog(channel=channel, summary=f"{channel} {code}", occurred_at=at, inquiry=inquiry),
        )
    return crm


def by_subject(duties, obligation):
    return {d.subject: d for d in duties if d.obligation == obligation}


def test_core_log_3_a_class_a_client_without_contact_in_a_quarter_is_overdue(office, admin):
    duties = office.obligations.duties(admin, *Q3)
    contact = by_subject(duties, "CORE-LOG-3.class_a")
    assert {s: d.status for s, d in contact.items()} == {
        "KA1 2026Q3": DutyStatus.DONE,
        "KA2 2026Q3": DutyStatus.OVERDUE,
    }
    assert contact["KA1 2026Q3"].done_at == china(2026, 8, 10, 9)
    assert (contact["KA2 2026Q3"].assignee, contact["KA2 2026Q3"].client_code) == ("lina", "KA2")
    assert duties[0].status is DutyStatus.OVERDUE  # overdue first
    # a class B client owes no quarterly contact; the next quarter is still open
    q4 = by_subject(
        office.obligations.duties(admin, date(2026, 10, 1), date(2026, 12, 31)),
        "CORE-LOG-3.class_a",
    )
    assert {s: d.status for s, d in q4.items()} == {
        "KA1 2026Q4": DutyStatus.OPEN,
        "KA2 2026Q4": DutyStatus.OPEN,
    }


def test_core_log_3_inquiries_answered_within_24_hours(office, admin):
    answers = by_subject(office.obligations.duties(admin, *Q3), "CORE-LOG-3.answer")
    statuses = {d.client_code: (d.status, d.due_at, d.done_at) for d in answers.values()}
    assert statuses == {
        "KA3": (DutyStatus.DONE, china(2026, 9, 2, 10), china(2026, 9, 1, 15)),
        "KA1": (DutyStatus.LATE, china(2026, 9, 3, 10), china(2026, 9, 4, 11)),
        "KA2": (DutyStatus.OVERDUE, china(2026, 9, 4, 10), None),
    }
    summary = {s.obligation: s for s in office.obligations.summary(admin, *Q3)}
    answer = summary["CORE-LOG-3.answer"]
    assert (answer.done, answer.late, answer.overdue, answer.on_time_rate) == (
        1,
        1,
        1,
        Decimal("33.3"),
    )


def test_a_longer_answer_time_applies_to_inquiries_after_the_change_only(crm, admin):
    """CORE-LOG-3 changed from 24 to 48 hours on 2 Sep: the 1 Sep inquiry keeps 24 hours."""
    freeze(crm, china(2026, 9, 1, 8))
    crm.clients.add(admin, NewClient(name="甲", code="KA1"))
    freeze(crm, china(2026, 9, 1, 10))
    crm.logs.add(admin, "KA1", NewLog(channel="phone", summary="询价", inquiry=True))
    freeze(crm, china(2026, 9, 2, 8))
    crm.policies.set(admin, "CORE-LOG-3", {"answer_within_hours": 48})
    freeze(crm, china(2026, 9, 2, 10))
    crm.logs.add(admin, "KA1", NewLog(channel="letter", summary="来函", inquiry=True))
    freeze(crm, china(2026, 9, 10, 10))
    dues = sorted(
        d.due_at for d in crm.obligations.duties(admin, *Q3, obligation="CORE-LOG-3.answer")
    )
    assert dues == [china(2026, 9, 2, 10), china(2026, 9, 4, 10)]


def test_core_arc_3_reports_by_the_6th_and_consolidation_by_the_8th(office, admin):
    zhang = office.actor("zhang")
    reports = {
        (d.obligation, d.period): d
        for d in office.obligations.duties(admin, date(2026, 10, 1), date(2026, 10, 31))
        if d.obligation.startswith("CORE-ARC-3")
    }
    assert {k: (d.due_at, d.status) for k, d in reports.items()} == {
        ("CORE-ARC-3.report", "2026Q3"): (
            china(2026, 10, 6, 23, 59, 59, 999999),
            DutyStatus.OVERDUE,
        ),
        ("CORE-ARC-3.consolidation", "2026Q3"): (
            china(2026, 10, 8, 23, 59, 59, 999999),
            DutyStatus.OVERDUE,
        ),
    }
    before = row_counts(office)
    with pytest.raises(Conflict, match="cannot consolidate 2026Q3 before every report"):
        office.obligations.record_done(zhang, "CORE-ARC-3.consolidation", "2026Q3")
    with pytest.raises(NotFound, match="not done by recording"):
        office.obligations.record_done(zhang, "CORE-LOG-3.answer", "2026Q3")
    assert row_counts(office) == before
    freeze(office, china(2026, 10, 5, 17))
    sent = office.obligations.record_done(zhang, "CORE-ARC-3.report", "2026Q3")
    assert sent.status is DutyStatus.DONE
    with pytest.raises(Conflict, match="already recorded"):
        office.obligations.record_done(zhang, "CORE-ARC-3.report", "2026Q3")
    freeze(office, china(2026, 10, 9, 9))
    assert office.obligations.record_done(zhang, "CORE-ARC-3.consolidation", "2026q3").status is (
        DutyStatus.LATE
    )
    # monthly reporting (same day numbers) is a policy change
    office.policies.set(admin, "CORE-ARC-3", {"period": "month"}, effective_from=date(2026, 11, 1))
    november = office.obligations.duties(admin, date(2026, 12, 1), date(2026, 12, 31))
    assert {(d.obligation, d.period) for d in november if d.obligation.startswith("CORE-ARC")} == {
        ("CORE-ARC-3.report", "2026-11"),
        ("CORE-ARC-3.consolidation", "2026-11"),
    }


def test_tasks_show_what_waits_on_me_overdue_first(office, admin):
    lina = office.tasks.waiting(office.actor("lina"))
    assert [(k.ref, k.step, k.overdue) for k in lina] == [
        ("CORE-LOG-3.answer", "inquiry log 7", True),
        ("CORE-LOG-3.class_a", "KA2 2026Q3", True),
        ("CORE-LOG-3.class_a", "KA1 2026Q4", False),
        ("CORE-LOG-3.class_a", "KA2 2026Q4", False),
    ]
    director = office.tasks.waiting(office.actor("zhang"))
    assert [(k.ref, k.step, k.overdue) for k in director] == [
        ("CORE-ARC-3.report", "company", True),
        ("CORE-ARC-3.consolidation", "company", True),
    ]
    assert office.tasks.waiting(admin, role="director") == director


def test_cli_obligations_tasks_and_the_quarterly_report(cli, crm, admin, tmp_path):
    crm.users.add(admin, NewUser(login="lina", name="李娜"))
    for code, name in (("KA1", "甲公司"), ("KA2", "乙公司"), ("KA3", "丙公司")):
        crm.clients.add(admin, NewClient(name=name, code=code, owner="lina"))
    score_clients(crm, admin, {"KA1": 90, "KA2": 90, "KA3": 50})  # KA1, KA2 class A
    lina = crm.actor("lina")
    crm.logs.add(
        lina, "KA1", NewLog(channel="visit", summary="拜访", occurred_at=china(2026, 8, 3, 9))
    )
    crm.logs.add(
        lina,
        "KA2",
        NewLog(channel="fax", summary="询价", occurred_at=china(2026, 8, 4, 9), inquiry=True),
    )
    listed = json.loads(cli("obligations", "list", "--period", "2026Q3", "--json").stdout)
    overdue = {
        (d["obligation"], d["subject"]) for d in listed["duties"] if d["status"] == "overdue"
    }
    assert ("CORE-LOG-3.class_a", "KA2 2026Q3") in overdue
    assert ("CORE-LOG-3.answer", "inquiry log 2") in overdue
    assert ("CORE-LOG-3.class_a", "KA1 2026Q3") not in overdue
    only = json.loads(
        cli(
            "obligations",
            "list",
            "--period",
            "2026Q3",
            "--status",
            "overdue",
            "--obligation",
            "CORE-LOG-3.class_a",
            "--json",
        ).stdout
    )
    assert [d["client_code"] for d in only["duties"]] == ["KA2"]
    tasks = json.loads(cli("tasks", "--json", user="lina").stdout)
    assert tasks[0]["overdue"] is True
    assert "KA2 2026Q3" in cli("tasks", user="lina").stdout
    out_csv, out_xlsx = tmp_path / "r.csv", tmp_path / "r.xlsx"
    made = cli(
        "report",
        "quarterly",
        "2026Q3",
        "--json",
        "--csv",
        str(out_csv),
        "--xlsx",
        str(out_xlsx),
        "--submit",
    )
    assert made.exit_code == 0, made.output
    report = json.loads(made.stdout)
    assert report["summary"] == {
        "clients": 3,
        "class_a": 2,
        "class_a_contacted": 1,
        "inquiries": 1,
        "answered_on_time": 0,
    }
    assert [r["code"] for r in report["rows"]] == ["KA1", "KA2", "KA3"]
    assert report["recorded"][0]["obligation"] == "CORE-ARC-3.report"
    with out_csv.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert (rows[0]["name"], rows[0]["class"], rows[0]["contacts"]) == ("甲公司", "A", "1")
    from openpyxl import load_workbook

    sheet = load_workbook(out_xlsx).active
    assert [c.value for c in sheet[1]][:3] == ["code", "name", "region"]
    assert sheet["B3"].value == "乙公司" and sheet["I3"].value == 1  # inquiries, a number
    before = row_counts(crm)
    again = cli("report", "quarterly", "2026Q3", "--submit")
    assert again.exit_code == 5 and "already recorded as done" in again.stderr
    bad = cli("report", "quarterly", "2026Q5")
    assert bad.exit_code == 3 and bad.stderr.startswith("error: period: '2026Q5' is not a quarter")
    wrong = cli("report", "quarterly", "2026Q3", "--xlsx", str(tmp_path / "r.pdf"))
    assert wrong.exit_code == 3
    after = row_counts(crm)
    # the refused --submit still read the report: one look-up per client (CORE-CONF-2)
    assert after.pop("audit_events") == before.pop("audit_events") + 3
    assert after == before
    assert cli("obligations", "done", "CORE-ARC-3.consolidation", "2026Q3").exit_code == 0


def test_core_arc_3_each_branch_reports_and_head_office_consolidates(crm, admin, make_user, cli):
    """CORE-ARC-3 with an organisation: "each company's sales department sends the report by
    the 6th; head office consolidates by the 8th" - one report duty per branch, assigned to its
    manager, and one consolidation for head office once every branch has reported."""
    from crmcore import PermissionDenied
    from crmcore.domain.security import NewAssignmentRule, NewUnit
    from crmcore.services.obligations import CONSOLIDATION, REPORT

    for login in ("hqdir", "gzdir", "szdir"):
        make_user(login, "director")
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office", manager="hqdir"))
    for code, name, boss in (("GZ", "广州分公司", "gzdir"), ("SZ", "深圳分公司", "szdir")):
        crm.org.add_unit(
            admin, NewUnit(code=code, name=name, kind="branch", parent="HQ", manager=boss)
        )
        crm.org.add_member(admin, code, boss)
    crm.org.add_member(admin, "HQ", "hqdir")
    crm.org.add_rule(admin, NewAssignmentRule(unit="GZ", region="广东/广州"))
    crm.clients.add(admin, NewClient(name="广州甲公司", code="G1", region="广东/广州"))
    crm.clients.add(admin, NewClient(name="重庆乙公司", code="C1", region="重庆"))
    freeze(crm, china(2026, 10, 2, 10))
    duties = {
        (d.obligation, d.subject): d.assignee
        for d in crm.obligations.duties(admin, date(2026, 10, 1), date(2026, 10, 31))
        if d.obligation.startswith("CORE-ARC-3")
    }
    assert duties == {
        (REPORT, "GZ"): "gzdir",
        (REPORT, "SZ"): "szdir",
        (CONSOLIDATION, "HQ"): "hqdir",
    }
    gz = crm.actor("gzdir")
    # 2026Q2's report (due 6 July) is overdue, 2026Q3's is due on the 6th
    assert [(k.ref, k.step, k.overdue) for k in crm.tasks.waiting(gz)] == [
        (REPORT, "GZ", True),
        (REPORT, "GZ", False),
    ]
    assert [r["code"] for r in crm.reports.quarterly(gz, "2026Q3", unit="GZ").rows] == ["G1"]
    before = row_counts(crm)
    with pytest.raises(PermissionDenied, match="gzdir does not work at SZ"):
        crm.obligations.record_done(gz, REPORT, "2026Q3", unit="SZ")
    with pytest.raises(Conflict, match="missing: GZ, SZ"):
        crm.obligations.record_done(crm.actor("hqdir"), CONSOLIDATION, "2026Q3")
    assert row_counts(crm) == before
    sent = cli("report", "quarterly", "2026Q3", "--submit", "--json", user="gzdir")
    assert sent.exit_code == 0, sent.stderr
    assert json.loads(sent.stdout)["recorded"][0]["subject"] == "GZ"
    with pytest.raises(Conflict, match="missing: SZ"):
        crm.obligations.record_done(crm.actor("hqdir"), CONSOLIDATION, "2026Q3")
    freeze(crm, china(2026, 10, 7, 9))
    assert crm.obligations.record_done(crm.actor("szdir"), REPORT, "2026Q3").status is (
        DutyStatus.LATE
    )
    done = crm.obligations.record_done(crm.actor("hqdir"), CONSOLIDATION, "2026Q3")
    assert (done.subject, done.status) == ("HQ", DutyStatus.DONE)


def test_the_period_report_is_a_door_like_any_other(crm, admin, make_user):
    """CORE-CONF-2: field rules apply to its columns (the class is CLS-SCORE-1's, the figures
    CORE-REC-3's), and reading it is recorded per client."""
    make_user("zhang", "director")
    crm.clients.add(admin, NewClient(name="甲公司", code="KA1", owner="zhang", region="广东"))
    score_clients(crm, admin, {"KA1": 90}, as_of=date(2026, 7, 1))
    crm.figures.record(admin, "KA1", 2025, {"sales_amount": "1200000"}, source="2025年报")
    crm.access.add_field_rule(admin, "client", "region", clearance="secret")
    crm.access.add_field_rule(admin, "client", "class", clearance="secret")
    (row,) = crm.reports.quarterly(crm.actor("zhang"), "2026Q3").rows
    assert (row["name"], row["region"], row["class"], row["masked"]) == (
        "甲公司",
        None,
        None,
        ("class", "region"),
    )
    (clear,) = crm.reports.quarterly(admin, "2026Q3").rows
    # one client alone: 20% of 1 rounds to no A, 50% of 1 to one B (CLS-SCORE-1)
    assert (clear["class"], clear["figures_year"], clear["sales_amount"]) == (
        "B",
        2025,
        Decimal("1200000.00"),
    )
    assert crm.audit.log(admin, user="zhang")[0].action == "report.quarterly"


def test_the_period_report_masks_the_figures_below_their_clearance(crm, admin, make_user, cli):
    """CORE-REC-3 under CORE-CONF-2: the sales, collection rate and credit standing columns
    are the yearly figures, confidential like `crm figures show`: a director cleared only for
    internal records reads an internal client's row but not them, in the API, table and --json."""
    crm.clients.add(admin, NewClient(name="甲公司", code="KA1", region="广东"))
    crm.figures.record(admin, "KA1", 2025, {"sales_amount": "1234567"}, source="2025年报")
    crm.access.set_level(admin, "KA1", "internal")
    make_user("qian", "director")
    crm.users.set_clearance(admin, "qian", "internal")
    crm.access.grant(admin, "KA1", user="qian", reason="季度报告")
    (row,) = crm.reports.quarterly(crm.actor("qian"), "2026Q3").rows
    assert (row["name"], row["figures_year"], row["sales_amount"], row["masked"]) == (
        "甲公司",
        2025,
        None,
        ("collection_rate", "credit_standing", "sales_amount"),
    )
    assert crm.reports.quarterly(admin, "2026Q3").rows[0]["sales_amount"] == Decimal("1234567.00")
    shown = cli("report", "quarterly", "2026Q3", "--json", user="qian")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["rows"][0]["sales_amount"] is None
    table = cli("report", "quarterly", "2026Q3", user="qian")
    assert "(masked)" in table.stdout and "1234567" not in table.stdout


def test_a_branch_headed_by_someone_who_may_not_report_leaves_it_to_the_directors(
    crm, admin, make_user
):
    from crmcore.domain.security import NewUnit

    make_user("lina", "account_manager")
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
    crm.org.add_unit(
        admin, NewUnit(code="GD", name="广东分公司", kind="branch", parent="HQ", manager="lina")
    )
    (duty,) = [
        d
        for d in crm.obligations.duties(admin, date(2026, 10, 1), date(2026, 10, 31))
        if d.obligation == "CORE-ARC-3.report"
    ]
    assert (duty.subject, duty.assignee, duty.role) == ("GD", None, "director")
