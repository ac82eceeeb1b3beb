"""The working-day calendar as data: official schedules loaded per year, shown per year.

Rules that count working days (PWR-APP-2, RE-REL-1, ...) get their calendar from
:meth:`CalendarService.calendar`, bound to the caller's transaction so a schedule loaded in the
same transaction counts at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import func, select
from sqlalchemy.engine import Row

from crmcore.app import Service, Tx, query, use_case
from crmcore.calendar import (
    DayKind,
    DayUnit,
    NoCalendarData,
    ScheduleFile,
    SpecialDay,
    WorkCalendar,
    YearSchedule,
    library_schedule,
    library_years,
)
from crmcore.errors import InvalidInput
from crmcore.services import lookup
from crmcore.store import tables as t


@frozen(kw_only=True)
class CalendarYear:
    """One year as the calendar sees it: where it comes from and its special days."""

    year: int
    source: str
    loaded_version: int | None  # None: from chinese-calendar
    loaded_at: datetime | None
    loaded_by: str | None
    working_days: int
    days: tuple[SpecialDay, ...]


class CalendarService(Service):
    def calendar(self, tx: Tx) -> WorkCalendar:
        """The working-day calendar for this transaction (loaded schedules first)."""
        cached = tx.state.get("work_calendar")
        if cached is None:
            cached = tx.state["work_calendar"] = WorkCalendar(lambda y: _loaded(tx, y))
        return cached

    @query
    def due(self, tx: Tx, start: date, days: int, unit: DayUnit | str = DayUnit.WORKING) -> date:
        """The deadline ``days`` working (or calendar) days after ``start``."""
        return self.calendar(tx).add(start, days, DayUnit(unit))

    @use_case
    def load(self, tx: Tx, schedule: ScheduleFile) -> list[CalendarYear]:
        """Load official schedules; each year in ``schedule`` becomes a new version of it."""
        tx.actor.require("calendar.admin")
        y = t.calendar_years.c
        for year, days in schedule.years.items():
            if not 1900 < year < 2200:
                raise InvalidInput("date", f"year {year} is out of range")
            version = (tx.conn.scalar(select(func.max(y.version)).where(y.year == year)) or 0) + 1
            tx.conn.execute(
                t.calendar_years.insert().values(
                    year=year,
                    version=version,
                    source=schedule.source,
                    loaded_at=tx.now,
                    loaded_by=tx.actor.user_id,
                )
            )
            tx.conn.execute(
                t.calendar_days.insert(),
                [
                    {"year": year, "version": version, "day": d.day, "kind": d.kind, "name": d.name}
                    for d in days
                ],
            )
            tx.audit(
                "calendar.load",
                "calendar_year",
                year,
                detail={"version": version, "days": len(days), "source": schedule.source},
            )
        tx.state.pop("work_calendar", None)
        return [self._year(tx, year) for year in schedule.years]

    @query
    def show(self, tx: Tx, year: int) -> CalendarYear:
        return self._year(tx, year)

    def _year(self, tx: Tx, year: int) -> CalendarYear:
        loaded = _loaded_row(tx, year)
        schedule = _loaded(tx, year) or library_schedule(year)
        if schedule is None:
            raise NoCalendarData(year, library_years())
        return CalendarYear(
            year=year,
            source=schedule.source,
            loaded_version=loaded.version if loaded else None,
            loaded_at=loaded.loaded_at if loaded else None,
            loaded_by=lookup.logins(tx.conn, {loaded.loaded_by})[loaded.loaded_by]
            if loaded
            else None,
            working_days=schedule.working_days(),
            days=tuple(sorted(schedule.days.values(), key=lambda d: d.day)),
        )


def _loaded_row(tx: Tx, year: int) -> Row[Any] | None:
    y = t.calendar_years.c
    return tx.conn.execute(
        select(t.calendar_years).where(y.year == year).order_by(y.version.desc()).limit(1)
    ).first()


def _loaded(tx: Tx, year: int) -> YearSchedule | None:
    row = _loaded_row(tx, year)
    if row is None:
        return None
    d = t.calendar_days.c
    days = {
        r.day: SpecialDay(r.day, DayKind(r.kind), r.name)
        for r in tx.conn.execute(
            select(d.day, d.kind, d.name).where(d.year == year, d.version == row.version)
        )
    }
    source = f"loaded (version {row.version})" + (f": {row.source}" if row.source else "")
    return YearSchedule(year, days, source)
