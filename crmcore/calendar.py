"""Working days (工作日): statutory holidays (法定节假日) and make-up working days (调休上班).

Where a day's status comes from, for each year:

1. an official schedule an admin loaded for that year (``crm calendar load FILE``): the State
   Council (国务院办公厅) publishes the next year's schedule late each year, usually before any
   library release knows it; a loaded year wins over the library, so an installation can also
   correct it;
2. otherwise ``chinese-calendar`` for the years it knows (1.11: 2004-2026);
3. otherwise nothing: :class:`NoCalendarData`. A date no data covers is never guessed to be a
   working day; a deadline that runs into such a year fails loudly until the year is loaded.

Within a year, Monday to Friday are working days and Saturday and Sunday rest days, except the
dates the schedule lists: ``holiday`` (放假, a rest day even on a weekday) and ``workday``
(调休上班, a working Saturday or Sunday).

The file ``crm calendar load`` reads lists exactly those exceptions, one year or several; each
year in the file replaces (as a new version; nothing is deleted) what was loaded for it:

* CSV with a header ``date,kind,name``::

      date,kind,name
      2027-01-01,holiday,元旦
      2027-02-06,workday,春节

* or JSON, a list of such objects, or an object ``{"source": "国办发明电〔2026〕…号",
  "days": [...]}`` whose ``source`` is recorded with the load.

``kind`` is ``holiday`` or ``workday`` (or 休 / 班, as printed on Chinese calendars); ``name``
is required for holidays. A ``workday`` on a Monday to Friday is refused (it could only be a
typo for ``holiday``), as is a date listed twice.

Deadlines: :meth:`WorkCalendar.add_working_days` counts from the day after the start, so
"within 20 working days of the application" is ``add_working_days(applied_on, 20)``, always a
working day. Calendar days are plain date arithmetic. Business dates are dates in China time
(:data:`CHINA`); :class:`Period` names the quarters and months reports and obligations use.
"""

from __future__ import annotations

import csv
import enum
import functools
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from attrs import frozen

from crmcore.errors import InvalidInput, NotFound

CHINA = ZoneInfo("Asia/Shanghai")


class DayKind(enum.StrEnum):
    HOLIDAY = "holiday"  # 放假 / 休
    WORKDAY = "workday"  # 调休上班 / 班


class DayUnit(enum.StrEnum):
    """What a deadline counts: working days (工作日) or calendar days (自然日)."""

    WORKING = "working"
    CALENDAR = "calendar"


class NoCalendarData(NotFound):
    """A date falls in a year for which no holiday schedule is known or loaded."""

    def __init__(self, year: int, known: tuple[int, int] | None) -> None:
        library = f" (chinese-calendar knows {known[0]}-{known[1]})" if known else ""
        super().__init__(
            f"calendar: no holiday schedule for {year}{library}; load the State Council's "
            f"schedule for {year} with `crm calendar load FILE`"
        )
        self.year = year


#: chinese-calendar's English holiday names -> what users say.
HOLIDAY_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

_KIND_WORDS = {
    "holiday": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
}


@frozen
class SpecialDay:
    day: date
    kind: DayKind
    name: str | None


@frozen
class YearSchedule:
    """One year's exceptions to Monday-Friday, and where they come from."""

    year: int
    days: Mapping[date, SpecialDay]
    source: str

    def is_working_day(self, day: date) -> bool:
        special = self.days.get(day)
        if special is not None:
            return special.kind is DayKind.WORKDAY
        return day.weekday() < 5

    def working_days(self) -> int:
        first = date(self.year, 1, 1)
        return sum(
            self.is_working_day(first + timedelta(days=i))
            for i in range((date(self.year + 1, 1, 1) - first).days)
        )


@functools.cache
def library_years() -> tuple[int, int] | None:
    """The years chinese-calendar knows, e.g. (2004, 2026)."""
    import chinese_calendar

    years = {d.year for d in chinese_calendar.holidays} | {
        d.year for d in chinese_calendar.workdays
    }
    return (min(years), max(years)) if years else None


def library_version() -> str:
    import importlib.metadata

    return f"chinese-calendar {importlib.metadata.version('chinese-calendar')}"


@functools.cache
def library_schedule(year: int) -> YearSchedule | None:
    """chinese-calendar's data for ``year``, or None when it does not know the year."""
    import chinese_calendar

    known = library_years()
    if known is None or not known[0] <= year <= known[1]:
        return None
    days: dict[date, SpecialDay] = {}
    for source, kind in (
        (chinese_calendar.holidays, DayKind.HOLIDAY),
        (chinese_calendar.workdays, DayKind.WORKDAY),
    ):
        for day, name in source.items():
            if day.year == year:
                days[day] = SpecialDay(day, kind, HOLIDAY_NAMES_ZH.get(name, name))
    return YearSchedule(year, days, library_version())


class WorkCalendar:
    """Working-day arithmetic over loaded schedules, then chinese-calendar, then an error.

    ``loaded(year)`` returns the schedule an admin loaded for a year, or None; the service
    passes one that reads the database (see ``crm.calendar.calendar(tx)``).
    """

    def __init__(self, loaded: Callable[[int], YearSchedule | None] = lambda _year: None) -> None:
        self._loaded = loaded
        self._years: dict[int, YearSchedule] = {}

    def schedule(self, year: int) -> YearSchedule:
        if year not in self._years:
            found = self._loaded(year) or library_schedule(year)
            if found is None:
                raise NoCalendarData(year, library_years())
            self._years[year] = found
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        return self.schedule(day.year).is_working_day(day)

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
        if days < 0:
            raise InvalidInput("days", "must not be negative")
        day = start
        while days:
            day += timedelta(days=1)
            if self.is_working_day(day):
                days -= 1
        return day

    def add(self, start: date, days: int, unit: DayUnit) -> date:
        if unit is DayUnit.WORKING:
            return self.add_working_days(start, days)
        return add_calendar_days(start, days)

    def days_between(self, start: date, end: date, unit: DayUnit) -> int:
        """Days counted from ``start`` (exclusive) to ``end`` (inclusive); negative if before."""
        if unit is DayUnit.CALENDAR:
            return (end - start).days
        if end < start:
            return -self.days_between(end, start, unit)
        return sum(
            self.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1)
        )


def add_calendar_days(start: date, days: int) -> date:
    if days < 0:
        raise InvalidInput("days", "must not be negative")
    return start + timedelta(days=days)


# -- loading schedules from files ----------------------------------------------------------


@frozen
class ScheduleFile:
    """What a schedule file holds: its special days by year, and the source it names."""

    years: Mapping[int, tuple[SpecialDay, ...]]
    source: str | None


def parse_schedule(text: str, filename: str = "file") -> ScheduleFile:
    """Read a CSV or JSON schedule (see the module docstring); errors name file, line, field."""
    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise InvalidInput(filename, "is empty")
    source: str | None = None
    if stripped[0] in "[{":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InvalidInput(filename, f"is not valid JSON: {exc}") from None
        if isinstance(data, dict):
            source = data.get("source")
            data = data.get("days")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise InvalidInput(filename, 'JSON must be a list of {"date", "kind", "name"} objects')
        rows = [(f"{filename}: entry {i}", r) for i, r in enumerate(data, 1)]
    else:
        reader = csv.DictReader(io.StringIO(stripped))
        missing = {"date", "kind"} - {(h or "").strip() for h in reader.fieldnames or []}
        if missing:
            raise InvalidInput(filename, "CSV needs a header line: date,kind,name")
        rows = [
            (f"{filename}: line {reader.line_num}", {k.strip(): v for k, v in r.items() if k})
            for r in reader
        ]
    seen: dict[date, str] = {}
    years: dict[int, list[SpecialDay]] = {}
    for where, row in rows:
        special = _special_day(where, row)
        if special.day in seen:
            raise InvalidInput(
                f"{where}: date", f"{special.day} is already listed ({seen[special.day]})"
            )
        seen[special.day] = where
        years.setdefault(special.day.year, []).append(special)
    if not years:
        raise InvalidInput(filename, "lists no days")
    return ScheduleFile(
        {y: tuple(sorted(days, key=lambda s: s.day)) for y, days in sorted(years.items())},
        source.strip() if isinstance(source, str) and source.strip() else None,
    )


def _special_day(where: str, row: Mapping[str, object]) -> SpecialDay:
    raw_date = str(row.get("date") or "").strip()
    try:
        day = date.fromisoformat(raw_date)
    except ValueError:
        raise InvalidInput(f"{where}: date", f"{raw_date!r} is not a date (YYYY-MM-DD)") from None
    raw_kind = str(row.get("kind") or "").strip().lower()
    kind = _KIND_WORDS.get(raw_kind)
    if kind is None:
        raise InvalidInput(f"{where}: kind", f"{raw_kind!r} is not holiday or workday")
    name = str(row.get("name") or "").strip() or None
    if kind is DayKind.HOLIDAY and name is None:
        raise InvalidInput(f"{where}: name", f"the holiday on {day} needs a name (e.g. 春节)")
    if name is not None and len(name) > 100:
        raise InvalidInput(f"{where}: name", "is longer than 100 characters")
    if kind is DayKind.WORKDAY and day.weekday() < 5:
        raise InvalidInput(
            f"{where}: kind",
            f"{day} is a {day:%A}: a make-up working day (调休上班) is a Saturday or Sunday",
        )
    return SpecialDay(day, kind, name)


# -- dates in China and reporting periods -------------------------------------------------------


def china_date(moment: datetime) -> date:
    """The business date (China time) of an aware moment."""
    return moment.astimezone(CHINA).date()


def end_of_day(day: date) -> datetime:
    """The last moment of ``day`` in China time: a deadline "by the 6th" means this."""
    return datetime.combine(day, time.max, tzinfo=CHINA)


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


class PeriodKind(enum.StrEnum):
    QUARTER = "quarter"  # 季度
    MONTH = "month"  # 月度


_PERIOD = re.compile(r"(?P<y>\d{4})(?:-?Q(?P<q>[1-4])|-(?P<m>0[1-9]|1[0-2]))", re.IGNORECASE)


@frozen(order=True)
class Period:
    """A calendar quarter (``2026Q3``) or month (``2026-09``) in China time."""

    start: date
    kind: PeriodKind

    @classmethod
    def parse(cls, text: str, field: str = "period") -> Period:
        match = _PERIOD.fullmatch(text.strip())
        if match is None:
            raise InvalidInput(field, f"{text!r} is not a quarter (2026Q3) or a month (2026-09)")
        year = int(match["y"])
        if match["q"]:
            return cls(date(year, 3 * int(match["q"]) - 2, 1), PeriodKind.QUARTER)
        return cls(date(year, int(match["m"]), 1), PeriodKind.MONTH)

    @classmethod
    def containing(cls, day: date, kind: PeriodKind | str) -> Period:
        kind = PeriodKind(kind)
        month = day.month if kind is PeriodKind.MONTH else 3 * ((day.month - 1) // 3) + 1
        return cls(date(day.year, month, 1), kind)

    @property
    def months(self) -> int:
        return 3 if self.kind is PeriodKind.QUARTER else 1

    @property
    def next_start(self) -> date:
        month = self.start.month + self.months
        return date(self.start.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    @property
    def end(self) -> date:
        return self.next_start - timedelta(days=1)

    def next(self) -> Period:
        return Period(self.next_start, self.kind)

    def day_after(self, day_of_month: int) -> date:
        """Day ``day_of_month`` of the month after the period (CORE-ARC-3: "by the 6th")."""
        return self.next_start.replace(day=day_of_month)

    def __str__(self) -> str:
        if self.kind is PeriodKind.QUARTER:
            return f"{self.start.year}Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start:%Y-%m}"


def periods(start: date, end: date, kind: PeriodKind | str) -> Iterable[Period]:
    """Every period of ``kind`` that overlaps [start, end]."""
    period = Period.containing(start, kind)
    while period.start <= end:
        yield period
        period = period.next()
