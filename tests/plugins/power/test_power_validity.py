"""PWR-PLAN-1: a plan is valid from its notice, high voltage 1 year and low voltage 3 months;
an extension asked at least 10 days before expiry adds at most one period; an expired plan
cannot go on to works."""

from __future__ import annotations

from datetime import date

import pytest
from crmcore_utility_power.domain import NewExtension, NewWorks, add_months
from power_kit import apply, drive, freeze

from crmcore import Conflict, InvalidInput
from crmcore.testing import row_counts

WORKS = NewWorks(designer="设计院", builder="安装公司", qualification="承装二级 D1440001")


def notified(crm, power, voltage: str = "10kV", on: date = date(2026, 3, 10)):  # type: ignore[no-untyped-def]
    freeze(crm, on)
    app = apply(power, voltage=voltage)
    return drive(power, app.number, "notified")


@pytest.mark.parametrize(
    ("voltage", "valid_until"),
    [("10kV", date(2027, 3, 10)), ("35kV", date(2027, 3, 10)), ("0.4kV", date(2026, 6, 10))],
)
def test_validity_runs_from_the_notice_by_voltage(crm, power, voltage, valid_until):
    view = notified(crm, power, voltage)
    assert view.validity is not None
    assert (view.validity.notified_on, view.validity.valid_until) == (
        date(2026, 3, 10),
        valid_until,
    )
    assert view.validity.period_months == (3 if voltage == "0.4kV" else 12)


def test_months_end_on_the_corresponding_day_or_the_month_end():
    """《民法典》 art. 200-203: the corresponding day of the last month, else its last day."""
    assert add_months(date(2026, 3, 10), 12) == date(2027, 3, 10)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 29), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 31), 2) == date(2027, 2, 28)


def test_an_extension_asked_10_days_before_expiry_is_accepted_9_refused(crm, power, cli):
    number = notified(crm, power, "0.4kV").number  # valid until 10 Jun 2026
    spec = crm.actor("spec")
    freeze(crm, date(2026, 6, 1))  # 9 days before expiry
    before = row_counts(crm)
    with pytest.raises(InvalidInput) as err:
        power.extend(spec, number, NewExtension(reason="设备到货延迟"))
    assert err.value.rule == "PWR-PLAN-1"
    assert "asked 9 days before expiry (2026-06-10)" in str(err.value)
    assert "by 2026-05-31" in str(err.value)
    assert row_counts(crm) == before
    freeze(crm, date(2026, 5, 31))  # exactly 10 days before
    view = power.extend(spec, number, NewExtension(reason="设备到货延迟"))
    assert view.validity is not None
    assert view.validity.valid_until == date(2026, 9, 10)  # one more period of 3 months
    assert [(e.asked_on, e.months, e.valid_until_before) for e in view.validity.extensions] == [
        (date(2026, 5, 31), 3, date(2026, 6, 10))
    ]


def test_the_cli_refuses_an_extension_asked_too_late_and_writes_nothing(crm, power, cli):
    """The CLI runs on the real clock: a low-voltage plan notified so that it expires 9 days
    (or, at a month's end, a few days fewer) after today."""
    from datetime import datetime, timedelta

    from crmcore.calendar import CHINA

    today = datetime.now(CHINA).date()
    number = notified(crm, power, "0.4kV", on=add_months(today + timedelta(days=9), -3)).number
    before = row_counts(crm)
    result = cli("power", "extend", number, "--reason", "资金未到位", user="spec")
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("error: extension: asked ")
    assert result.stderr.rstrip().endswith("(PWR-PLAN-1)") and result.stderr.count("\n") == 1
    assert row_counts(crm) == before


def test_an_extension_adds_at_most_one_period_and_happens_once(crm, power):
    number = notified(crm, power).number  # high voltage, valid until 10 Mar 2027
    spec = crm.actor("spec")
    freeze(crm, date(2027, 2, 1))
    with pytest.raises(InvalidInput, match="adds 1 to 12 months") as err:
        power.extend(spec, number, NewExtension(reason="规划调整", months=13))
    assert err.value.rule == "PWR-PLAN-1"
    with pytest.raises(InvalidInput, match="reason: is required"):
        power.extend(spec, number, NewExtension(reason=" "))
    view = power.extend(spec, number, NewExtension(reason="规划调整", months=6))
    assert view.validity is not None and view.validity.valid_until == date(2027, 9, 10)
    with pytest.raises(InvalidInput, match="already extended 1 time"):
        power.extend(spec, number, NewExtension(reason="再次延期"))
    # an installation may allow more (rules-audit A9): a policy, from today
    crm.policies.set(crm.actor("admin"), "PWR-PLAN-1", {"max_extensions": 2}, reason="A9")
    view = power.extend(spec, number, NewExtension(reason="再次延期"))
    assert view.validity is not None and view.validity.valid_until == date(2028, 9, 10)


def test_an_expired_plan_cannot_go_on_to_works_nor_be_extended(crm, power):
    number = notified(crm, power, "0.4kV").number  # valid until 10 Jun 2026
    spec = crm.actor("spec")
    freeze(crm, date(2026, 6, 11))
    before = row_counts(crm)
    with pytest.raises(Conflict, match="the supply plan expired on 2026-06-10") as err:
        power.start_works(spec, number, WORKS)
    assert err.value.rule == "PWR-PLAN-1"
    with pytest.raises(InvalidInput, match="expired on 2026-06-10"):
        power.extend(spec, number, NewExtension(reason="迟了"))
    assert row_counts(crm) == before
    view = power.status(spec, number)
    assert view.validity is not None and view.validity.expired
    # works that really started on the last valid day may still be recorded
    from attrs import evolve

    started = power.start_works(spec, number, evolve(WORKS, started_on=date(2026, 6, 10)))
    assert started.stage == "works" and not started.validity.expired  # type: ignore[union-attr]


def test_validity_keeps_the_period_it_was_notified_with(crm, power):
    """A policy change applies to new notices only (the period is stored with the notice)."""
    freeze(crm, date(2026, 3, 10))
    crm.policies.set(
        crm.actor("admin"), "PWR-PLAN-1", {"low_voltage_months": 6}, effective_from=date(2026, 4, 1)
    )
    first = notified(crm, power, "0.4kV").validity
    freeze(crm, date(2026, 4, 1))
    second = drive(power, apply(power, voltage="0.4kV").number, "notified").validity
    assert first is not None and second is not None
    assert (first.period_months, first.valid_until) == (3, date(2026, 6, 10))
    assert (second.period_months, second.valid_until) == (6, date(2026, 10, 1))
