"""Years and months as the rail rules use them: plan years, and months ``YYYY-MM``."""

from __future__ import annotations

from typing import Any

from crmcore import InvalidInput
from crmcore.calendar import Period, PeriodKind

FIRST_YEAR, LAST_YEAR = 1950, 2200


def check_year(value: Any, field: str = "year") -> int:
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not FIRST_YEAR <= value <= LAST_YEAR
    ):
        raise InvalidInput(field, f"{value!r} is not a year ({FIRST_YEAR}-{LAST_YEAR})")
    return value


def YEAR(_inst: Any, attribute: Any, value: Any) -> None:
    """attrs validator: a year a railway form can be about."""
    check_year(value, attribute.name)


def month(text: str, field: str = "month") -> tuple[int, int]:
    """``"2027-03"`` -> (2027, 3); anything else is refused naming ``field``."""
    period = Period.parse(str(text), field)
    if period.kind is not PeriodKind.MONTH:
        raise InvalidInput(field, f"{text!r} is not a month (YYYY-MM)")
    return period.start.year, period.start.month


def month_label(year: int, month_: int) -> str:
    return f"{year:04d}-{month_:02d}"
