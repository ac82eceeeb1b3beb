"""RAIL-OPS-1: monthly plans (月计划), daily loading (日装车) and freight settlement (运费结算).

The annual volume is managed month by month. Monthly plans are derived from the approved
annual volume by spreading it evenly over the twelve months (the source asks for balanced
transport, 均衡运输); a month can then be re-planned. Actual loadings arrive as files, one
row per loading (daily) or per month (monthly totals), and the fulfilment report sets them
against the plan by month, direction (the destination's bureau) and consignee.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_DOWN, Decimal
from typing import Any

from attrs import field, frozen

from crmcore import InvalidInput
from crmcore.domain import checks

from .stations import station_code
from .years import month

RULE = "RAIL-OPS-1"
TONNE = Decimal("0.001")
COLUMNS = (
    "date",
    "month",
    "origin",
    "destination",
    "consignee",
    "tonnage",
    "wagons",
    "freight",
    "waybill",
)


def spread(total: Decimal, parts: int = 12) -> list[Decimal]:
    """``total`` in ``parts`` whole-tonne shares that add up to it exactly: the first months
    take the spare tonnes, the last one any fraction of a tonne."""
    whole = total.to_integral_value(rounding=ROUND_DOWN)
    base = (whole / parts).to_integral_value(rounding=ROUND_DOWN)
    spare = int(whole - base * parts)
    shares = [base + (1 if i < spare else 0) for i in range(parts)]
    shares[-1] += total - whole
    return [s.quantize(TONNE) for s in shares]


@frozen(kw_only=True)
class Loading:
    """One row of an actuals file: a loading on a day, or a month's total."""

    loaded_on: date | None = None
    month: str | None = None
    origin: str = field(converter=station_code, validator=checks.text(10, required=True))
    destination: str = field(converter=station_code, validator=checks.text(10, required=True))
    consignee: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(100)
    )
    tonnage: Decimal = field(validator=checks.amount(places=3, rule=RULE))
    wagons: int | None = None
    freight: Decimal | None = field(default=None, validator=checks.amount(places=2, rule=RULE))
    waybill: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(40)
    )

    def __attrs_post_init__(self) -> None:
        if (self.loaded_on is None) == (self.month is None):
            raise InvalidInput("date", "give the loading's date or its month, not both", rule=RULE)
        if self.wagons is not None and self.wagons < 0:
            raise InvalidInput("wagons", f"must be at least 0, not {self.wagons}", rule=RULE)
        if self.month is not None:
            month(self.month)

    @property
    def year_month(self) -> tuple[int, int]:
        if self.loaded_on is not None:
            return self.loaded_on.year, self.loaded_on.month
        assert self.month is not None
        return month(self.month)

    @property
    def daily(self) -> bool:
        return self.loaded_on is not None


def parse_loadings(text: str, filename: str = "file") -> list[Loading]:
    """Read an actuals CSV: a header with ``date`` (daily) or ``month`` (monthly totals), then
    ``origin,destination,tonnage`` and optionally ``consignee,wagons,freight,waybill``.
    Errors name the line and column; every row is checked before anything is written."""
    from crmcore.convert import structure

    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise InvalidInput(filename, "is empty")
    reader = csv.DictReader(io.StringIO(stripped))
    header = [(h or "").strip() for h in reader.fieldnames or []]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise InvalidInput(f"{filename}: {unknown[0]}", f"is not a column ({', '.join(COLUMNS)})")
    needed = [c for c in ("origin", "destination", "tonnage") if c not in header]
    if needed or ("date" in header) == ("month" in header):
        raise InvalidInput(
            filename,
            "CSV needs a header with date (daily) or month (monthly), origin, destination, tonnage",
            rule=RULE,
        )
    rows: list[Loading] = []
    for row in reader:
        where = f"{filename}: line {reader.line_num}"
        data: dict[str, Any] = {
            ("loaded_on" if k.strip() == "date" else k.strip()): v
            for k, v in row.items()
            if k and v is not None and str(v).strip() != ""
        }
        try:
            rows.append(structure(data, Loading))
        except InvalidInput as exc:
            name = "date" if exc.field == "loaded_on" else exc.field
            raise InvalidInput(f"{where}: {name}", exc.message, rule=exc.rule or RULE) from None
    if not rows:
        raise InvalidInput(filename, "lists no loadings")
    return rows


@frozen(kw_only=True)
class FulfilmentRow:
    key: str  # a month (2027-03), a bureau, a consignee, or "total"
    plan: Decimal
    actual: Decimal
    difference: Decimal  # actual - plan
    rate: Decimal | None  # actual as a percentage of plan; None when nothing was planned
    freight: Decimal | None = None  # freight billed on the loadings (by month only)
    settled: Decimal | None = None  # freight settled (by month only)
    masked: tuple[str, ...] = ()  # fields withheld from the reader (crm access field rules)


def row(
    key: str,
    plan: Decimal,
    actual: Decimal,
    *,
    freight: Decimal | None = None,
    settled: Decimal | None = None,
) -> FulfilmentRow:
    rate = (actual * 100 / plan).quantize(Decimal("0.1")) if plan else None
    return FulfilmentRow(
        key=key,
        plan=plan,
        actual=actual,
        difference=actual - plan,
        rate=rate,
        freight=freight,
        settled=settled,
    )


@frozen(kw_only=True)
class Fulfilment:
    """Plan against actual for one client and year (RAIL-OPS-1)."""

    client_code: str
    client_name: str
    year: int
    by: str  # month | direction | consignee
    approved_total: Decimal | None
    rows: tuple[FulfilmentRow, ...]
    total: FulfilmentRow
    rule: str = RULE


def fulfilment_rows(
    plan: Mapping[str, Decimal], actual: Mapping[str, Decimal], order: Sequence[str] = ()
) -> list[FulfilmentRow]:
    """Rows for every key planned or loaded: ``order`` first, then by plan, largest first."""
    keys = [*order, *sorted(set(plan) | set(actual), key=lambda k: (-plan.get(k, 0), k))]
    seen: set[str] = set()
    rows = []
    for key in keys:
        if key in seen:
            continue
        seen.add(key)
        rows.append(row(key, plan.get(key, Decimal(0)), actual.get(key, Decimal(0))))
    return rows


def total_row(rows: Sequence[FulfilmentRow]) -> FulfilmentRow:
    def add(values: list[Decimal | None]) -> Decimal | None:
        known = [v for v in values if v is not None]
        return sum(known, Decimal(0)) if known else None

    return row(
        "total",
        sum((r.plan for r in rows), Decimal(0)),
        sum((r.actual for r in rows), Decimal(0)),
        freight=add([r.freight for r in rows]),
        settled=add([r.settled for r in rows]),
    )
