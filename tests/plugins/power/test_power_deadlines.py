"""PWR-APP-2: the supply plan is due 20 working days (single source) or 30 (dual) after the
acceptance (受理), the hand-over 5 working days after it; checked against chinese-calendar
across statutory holidays and make-up working days (调休上班), on both backends."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from power_kit import apply, drive, freeze

from crmcore import InvalidInput, NoCalendarData
from crmcore.testing import row_counts

FIXTURE_2027 = Path(__file__).parents[2] / "data" / "calendar-2027-test-fixture.json"


def nth_working_day(start: date, n: int) -> date:
    """The oracle: the n-th working day after ``start``, asking chinese-calendar day by day."""
    day = start
    while n:
        day += timedelta(days=1)
        if chinese_calendar.is_workday(day):
            n -= 1
    return day


def clocks(view):  # type: ignore[no-untyped-def]
    return {c.name: c for c in view.clocks}


@pytest.mark.parametrize(
    ("accepted", "sources", "reply_due", "handover_due"),
    [
        # Fri 18 Sep 2026: Sun 20 Sep is a make-up working day, 中秋 Fri 25 Sep and National
        # Day 1-7 Oct are off, Sat 10 Oct is worked again.
        (date(2026, 9, 18), 1, date(2026, 10, 22), date(2026, 9, 24)),
        (date(2026, 9, 18), 2, date(2026, 11, 5), date(2026, 9, 24)),
        # Tue 10 Feb 2026: Sat 14 Feb worked, Spring Festival 15-23 Feb off, Sat 28 Feb worked.
        (date(2026, 2, 10), 1, date(2026, 3, 16), date(2026, 2, 24)),
        (date(2026, 2, 10), 2, date(2026, 3, 30), date(2026, 2, 24)),
    ],
)
def test_pwr_app_2_due_dates_across_holidays_and_make_up_days(
    crm, power, accepted, sources, reply_due, handover_due
):
    freeze(crm, accepted)
    app = apply(power, sources=sources)
    view = power.review(crm.actor("office"), app.number)
    reply, handover = clocks(view)["reply"], clocks(view)["handover"]
    days = 30 if sources == 2 else 20
    assert (reply.days, reply.unit, reply.due) == (days, "working", reply_due)
    assert reply.due == nth_working_day(accepted, days)
    assert (handover.days, handover.due) == (5, handover_due)
    assert handover.due == nth_working_day(accepted, 5)
    # the holidays matter: Monday-to-Friday counting would give another day
    naive = accepted + timedelta(days=days // 5 * 7)
    assert reply.due != naive
    assert view.accepted_on == accepted and reply.rule == "PWR-APP-2"


def test_the_deadline_counts_from_the_acceptance_date_the_clerk_records(crm, power):
    """Rules-audit 1.17: counted from 受理, not from filing; a clerk may enter it late."""
    freeze(crm, date(2026, 9, 22))
    app = apply(power)
    freeze(crm, date(2026, 9, 28))
    view = power.review(crm.actor("office"), app.number, accepted_on=date(2026, 9, 24))
    assert clocks(view)["reply"].due == nth_working_day(date(2026, 9, 24), 20) == date(2026, 10, 29)
    with pytest.raises(InvalidInput, match="accepted_on: 2026-09-21 is before the application"):
        power.review(crm.actor("office"), apply(power).number, accepted_on=date(2026, 9, 21))


def test_low_voltage_takes_its_own_policy_days(crm, power):
    """The source sets the 20/30 for high voltage only; low voltage uses low_voltage_days."""
    freeze(crm, date(2026, 3, 2))
    crm.policies.set(crm.actor("admin"), "PWR-APP-2", {"low_voltage_days": 10}, reason="低压提速")
    view = power.review(crm.actor("office"), apply(power, voltage="0.4kV", sources=2).number)
    assert clocks(view)["reply"].due == nth_working_day(date(2026, 3, 2), 10)


def test_the_clock_stops_when_the_client_is_notified(crm, power):
    freeze(crm, date(2026, 9, 18))
    app = apply(power)
    drive(power, app.number, "survey")
    freeze(crm, date(2026, 10, 9))
    view = drive(power, app.number, "notified")
    assert {c.name: c.outcome for c in view.clocks} == {"reply": "met", "handover": "missed"}


def test_overdue_work_shows_in_tasks_and_the_sla_report(crm, power, cli):
    freeze(crm, date(2026, 9, 18))
    app = apply(power)
    drive(power, app.number, "planning")  # handed over on the day: on time
    freeze(crm, date(2026, 10, 23))  # the day after the reply was due
    tasks = crm.tasks.waiting(crm.actor("spec"))
    assert [(k.ref, k.overdue, k.due_at.date()) for k in tasks] == [
        (f"workflow {app.workflow_id}", True, date(2026, 10, 22))
    ]
    rows = {
        r.clock: r
        for r in crm.workflows.sla(crm.actor("admin"), date(2026, 9, 1), date(2026, 12, 31))
    }
    assert (rows["reply"].overdue, rows["handover"].met) == (1, 1)
    # and through the CLI (its clock is the real one, long past 22 Oct 2026)
    listed = json.loads(cli("tasks", "--json", user="spec").stdout)
    assert listed[0]["overdue"] is True and listed[0]["client_code"] == "KA1"
    report = json.loads(cli("sla", "--period", "2026Q4", "--json").stdout)
    reply = next(r for r in report["rows"] if r["clock"] == "reply")
    assert (reply["workflow"], reply["overdue"]) == ("power.connection", 1)
    listing = json.loads(cli("power", "list", "--json").stdout)
    assert listing[0]["overdue"] is True and listing[0]["due"] == "2026-10-22"


def test_an_acceptance_whose_deadline_runs_into_an_unloaded_year_is_refused(crm, power, cli):
    """Accepted 4 Dec 2026: 20 working days reach January 2027, which chinese-calendar 1.11 does
    not know. Nothing is recorded; once the year is loaded, the acceptance is recorded with its
    true date and the deadline counts from it."""
    freeze(crm, date(2026, 12, 4))
    app = apply(power)
    before = row_counts(crm)
    with pytest.raises(NoCalendarData) as err:
        power.review(crm.actor("office"), app.number)
    message = str(err.value)
    assert "runs into 2027" in message and "crm calendar load" in message
    assert "--accepted-on 2026-12-04" in message and err.value.rule == "PWR-APP-2"
    assert row_counts(crm) == before
    assert power.status(crm.actor("office"), app.number).stage == "applied"
    # through the CLI (its clock is the real one): dual source accepted 20 Nov 2026, 30
    # working days reach 2027 as well; one line, exit code 4, nothing written
    freeze(crm, date(2026, 11, 20))
    dual = apply(power, sources=2)
    before = row_counts(crm)
    result = cli("power", "review", dual.number, "--accepted-on", "2026-11-20", user="office")
    assert result.exit_code == 4
    assert result.stderr.startswith(f"error: application {dual.number}: the supply plan deadline")
    assert "(PWR-APP-2)" in result.stderr and "Traceback" not in result.output
    assert row_counts(crm) == before
    # the admin loads 2027 (a test fixture, not the official schedule) three days later
    from crmcore.calendar import parse_schedule

    freeze(crm, date(2026, 12, 7))
    crm.calendar.load(crm.actor("admin"), parse_schedule(FIXTURE_2027.read_text("utf-8")))
    view = power.review(crm.actor("office"), app.number, accepted_on=date(2026, 12, 4))
    # 19 working days to Thu 31 Dec; 1 Jan 2027 is 元旦 in the fixture; Mon 4 Jan is the 20th
    assert clocks(view)["reply"].due == date(2027, 1, 4)
    assert view.accepted_on == date(2026, 12, 4)
