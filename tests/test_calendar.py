"""Working days: statutory holidays, make-up working days, years without data, loaded schedules."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import chinese_calendar
import pytest

from crmcore import NotFound, WorkCalendar
from crmcore.calendar import DayUnit, Period, parse_schedule
from crmcore.errors import InvalidInput
from crmcore.testing import row_counts

FIXTURE_2027 = Path(__file__).parent / "data" / "calendar-2027-test-fixture.json"


def library_count(start: date, days: int) -> date:
    """The same deadline counted with chinese-calendar alone, as the reference."""
    day = start
    while days:
        day += timedelta(days=1)
        days -= chinese_calendar.is_workday(day)
    return day


@pytest.mark.parametrize(
    ("start", "days", "expected", "why"),
    [
        (date(2026, 9, 28), 5, date(2026, 10, 10), "National Day 1-7 Oct off, Sat 10 Oct worked"),
        (date(2026, 9, 30), 1, date(2026, 10, 8), "the whole National Day week is skipped"),
        (date(2026, 2, 10), 4, date(2026, 2, 14), "Sat 14 Feb is a make-up working day"),
        (date(2026, 2, 10), 10, date(2026, 3, 2), "Spring Festival 15-23 Feb, Sat 28 Feb worked"),
        (date(2025, 12, 31), 1, date(2026, 1, 4), "into 2026: 元旦 1-3 Jan off, Sun 4 Jan worked"),
    ],
)
def test_working_days_across_holidays_and_make_up_days(start, days, expected, why):
    calendar = WorkCalendar()
    assert calendar.add_working_days(start, days) == expected, why
    assert library_count(start, days) == expected
    assert calendar.days_between(start, expected, DayUnit.WORKING) == days
    assert calendar.add(start, days, DayUnit.CALENDAR) == start + timedelta(days=days)


def test_a_year_nobody_knows_is_an_error_never_a_working_day():
    calendar = WorkCalendar()
    with pytest.raises(NotFound, match="no holiday schedule for 2027"):
        calendar.is_working_day(date(2027, 1, 4))  # a Monday: still not guessed
    with pytest.raises(NotFound, match="chinese-calendar knows 2004-2026"):
        calendar.add_working_days(date(2026, 12, 4), 20)
    with pytest.raises(NotFound, match="2003"):
        calendar.is_working_day(date(2003, 6, 2))


def test_a_loaded_year_counts_and_wins_over_the_library(crm, admin):
    loaded = crm.calendar.load(admin, parse_schedule(FIXTURE_2027.read_text(encoding="utf-8")))
    assert [y.year for y in loaded] == [2027]
    assert crm.calendar.due(admin, date(2026, 12, 4), 20) == date(2027, 1, 4)
    assert crm.calendar.due(admin, date(2027, 2, 5), 1) == date(2027, 2, 15)
    assert crm.calendar.due(admin, date(2027, 2, 19), 1) == date(2027, 2, 20)  # make-up Sat
    year = crm.calendar.show(admin, 2027)
    assert year.source.startswith("loaded (version 1): TEST FIXTURE")
    assert (year.loaded_by, len(year.days)) == ("admin", 11)
    # a loaded year replaces chinese-calendar's data for that year as a whole
    crm.calendar.load(admin, parse_schedule("date,kind,name\n2026-10-08,holiday,调整\n"))
    assert crm.calendar.due(admin, date(2026, 9, 30), 1) == date(2026, 10, 1)
    assert crm.calendar.due(admin, date(2026, 10, 7), 1) == date(2026, 10, 9)
    assert crm.calendar.show(admin, 2026).loaded_version == 1
    assert crm.calendar.show(admin, 2025).source.startswith("chinese-calendar")


def test_reloading_a_year_keeps_the_old_version(crm, admin):
    crm.calendar.load(admin, parse_schedule("date,kind,name\n2027-01-01,holiday,元旦\n"))
    crm.calendar.load(
        admin, parse_schedule("date,kind,name\n2027-01-01,休,元旦\n2027-01-02,休,元旦\n")
    )
    year = crm.calendar.show(admin, 2027)
    assert (year.loaded_version, [d.day.day for d in year.days]) == (2, [1, 2])
    from sqlalchemy import func, select

    from crmcore.store import tables as t

    with crm.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.calendar_days)) == 3


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (
            "date,kind,name\n2027-02-30,holiday,春节\n",
            "f: line 2: date",
            "'2027-02-30' is not a date",
        ),
        (
            "date,kind,name\n2027-01-04,workday,x\n",
            "f: line 2: kind",
            "a make-up working day (调休上班) is a Saturday or Sunday",
        ),
        (
            "date,kind,name\n2027-01-01,party,x\n",
            "f: line 2: kind",
            "'party' is not holiday or workday",
        ),
        ("date,kind,name\n2027-01-01,holiday,\n", "f: line 2: name", "needs a name"),
        (
            "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-01,holiday,元旦\n",
            "f: line 3: date",
            "already listed",
        ),
        ("day,what\n2027-01-01,holiday\n", "f", "CSV needs a header line: date,kind,name"),
        ('{"days": 3}', "f", "JSON must be a list"),
        ("", "f", "is empty"),
    ],
)
def test_bad_schedule_files_name_the_line_and_field(text, field, message):
    with pytest.raises(InvalidInput) as err:
        parse_schedule(text, "f")
    assert err.value.field == field
    assert message in err.value.message


def test_cli_calendar_load_and_show(cli, tmp_path, crm):
    missing = cli("calendar", "show", "2027")
    assert missing.exit_code == 4 and "crm calendar load FILE" in missing.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("date,kind,name\n2027-01-04,workday,补班\n", encoding="utf-8")
    before = row_counts(crm)
    result = cli("calendar", "load", str(bad))
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.strip().startswith("error: bad.csv: line 2: kind: 2027-01-04 is a Monday")
    assert row_counts(crm) == before
    refused = cli("calendar", "load", str(FIXTURE_2027), user="nobody")
    assert refused.exit_code == 4  # unknown user
    loaded = cli("calendar", "load", str(FIXTURE_2027))
    assert loaded.exit_code == 0, loaded.output
    assert "loaded 2027 (version 1): 10 holidays, 1 make-up working days" in loaded.stdout
    shown = json.loads(cli("calendar", "show", "2027", "--json").stdout)
    assert shown["days"][0] == {"day": "2027-01-01", "kind": "holiday", "name": "元旦"}
    assert "TEST FIXTURE" in shown["source"]
    assert "春节" in cli("calendar", "show", "2026").stdout


def test_non_admins_cannot_load_schedules(cli, tmp_path):
    cli("user", "add", "lina", "--name", "李娜")
    result = cli("calendar", "load", str(FIXTURE_2027), user="lina")
    assert result.exit_code == 6 and "calendar.admin" in result.stderr


def test_periods_name_quarters_and_months():
    q3 = Period.parse("2026Q3")
    assert (q3.start, q3.end, str(q3), q3.day_after(6)) == (
        date(2026, 7, 1),
        date(2026, 9, 30),
        "2026Q3",
        date(2026, 10, 6),
    )
    q4 = Period.parse("2026-q4")
    assert (q4.end, q4.day_after(8)) == (date(2026, 12, 31), date(2027, 1, 8))
    month = Period.parse("2026-09")
    assert (month.end, str(month), month.day_after(6)) == (
        date(2026, 9, 30),
        "2026-09",
        date(2026, 10, 6),
    )
    with pytest.raises(InvalidInput, match="is not a quarter"):
        Period.parse("2026Q5")
