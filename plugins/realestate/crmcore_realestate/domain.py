"""Pure rules of the real estate plugin: unit rows, prices and amounts, the retail share check.

Validators raise InvalidInput(field, message, rule=...) naming the RE rule; nothing here reads
the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from attrs import field, frozen

from crmcore import InvalidInput

CENT = Decimal("0.01")
YUAN = Decimal("1")
HUNDRED = Decimal(100)

#: the statuses of a unit in the control table (楼盘控制表)
AVAILABLE, RESERVED, RETAIL_SOLD = "available", "reserved", "retail_sold"
RELEASED, SELECTED, SOLD, RELATION = "released", "selected", "sold", "relation"
STATUS_ZH = {
    AVAILABLE: "可售",
    RESERVED: "散售预留",
    RETAIL_SOLD: "散售已售",
    RELEASED: "已发放",
    SELECTED: "已选",
    SOLD: "已售",
    RELATION: "关系房",
}
PAYMENT_MODES = ("full", "installment", "mortgage")
LIST_CHECKERS = ("audit_legal", "finance", "lawyer")  # RE-LIST-1
REVERSAL_REASONS = ("unit_change", "supplementary_payment")  # RE-TICKET-3, rules-audit 1.7


def money(value: object, name: str, *, rule: str = "", positive: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise InvalidInput(name, f"{value!r} is not an amount", rule=rule or None) from None
    if not amount.is_finite() or amount < 0 or (positive and amount == 0):
        raise InvalidInput(name, f"must be a positive amount, not {value}", rule=rule or None)
    return amount.quantize(CENT, ROUND_HALF_UP)


def percent_ratio(value: object, name: str = "payment_ratio") -> Decimal:
    """A payment ratio given in percent (60) or as a fraction (0.6); stored as a fraction."""
    try:
        ratio = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise InvalidInput(name, f"{value!r} is not a percentage", rule="RE-PRICE-3") from None
    if ratio > 1:
        ratio = ratio / HUNDRED
    if not ratio.is_finite() or ratio <= 0 or ratio > 1:
        raise InvalidInput(name, f"must be between 0 and 100%, not {value}", rule="RE-PRICE-3")
    return ratio.quantize(Decimal("0.0001"))


@frozen(kw_only=True)
class UnitRow:
    """One unit of a bulk load (RE-INV-1): building, unit code, floor, layout, area (m²)."""

    building: str
    code: str
    floor: int
    layout: str
    area: Decimal


def unit_row(cells: Mapping[str, Any], line: int) -> UnitRow:
    def text(name: str) -> str:
        value = (cells.get(name) or "").strip()
        if not value:
            raise InvalidInput(name, f"row {line}: {name} is missing", rule="RE-INV-1")
        return value

    try:
        floor = int(text("floor"))
    except ValueError:
        raise InvalidInput(
            "floor", f"row {line}: floor must be a whole number", rule="RE-INV-1"
        ) from None
    try:
        area = money(text("area"), "area", rule="RE-INV-1")
    except InvalidInput as exc:
        raise InvalidInput("area", f"row {line}: {exc.message}", rule="RE-INV-1") from None
    return UnitRow(
        building=text("building"), code=text("unit"), floor=floor, layout=text("layout"), area=area
    )


def unit_price(average: Decimal, floor: int, layout: str, diffs: Any) -> Decimal:
    """RE-PRICE-5: the approved average with the floor and layout differentials, per m²."""
    factor = Decimal(1) + diffs.floor_step_percent * (floor - diffs.reference_floor) / HUNDRED
    factor *= Decimal(1) + diffs.layouts().get(layout, Decimal(0)) / HUNDRED
    return (average * factor).quantize(CENT, ROUND_HALF_UP)


@frozen(kw_only=True)
class NewTicket:
    """What the sales desk enters for a unit-selection ticket (选房工作票, RE-TICKET-1)."""

    unit: str  # BUILDING-UNIT, e.g. 1-0302
    buyer_name: str
    id_number: str
    payment_mode: str = "installment"
    payment_ratio: object = "50"
    unit_price: object | None = None  # default: the approved unit price
    discounts_taken: tuple[str, ...] = field(default=(), converter=tuple)
    discounts_waived: tuple[str, ...] = field(default=(), converter=tuple)
    discount: object = "0"
    reservation_fee: object | None = None


def amounts(
    price: Decimal, area: Decimal, discount: Decimal, ratio: Decimal
) -> tuple[Decimal, Decimal]:
    """RE-TICKET-1: price × area = total; due = (total − discounts) × payment ratio."""
    total = (price * area).quantize(CENT, ROUND_HALF_UP)
    if discount > total:
        raise InvalidInput("discount", f"{discount} exceeds the total {total}", rule="RE-TICKET-1")
    return total, ((total - discount) * ratio).quantize(CENT, ROUND_HALF_UP)


def rename_fee(
    market_price: Decimal, contract_price: Decimal, area: Decimal, percent: Decimal
) -> Decimal:
    """RE-RENAME-1 (rules-audit 1.9, A10): percent × max(0, market − contract), to the yuan."""
    difference = max(Decimal(0), (market_price - contract_price) * area)
    return (difference * percent / HUNDRED).quantize(YUAN, ROUND_HALF_UP)


#: RE-RENAME-1 (rules-audit 1.9): the price policy a contract sets for a permitted relationship:
#: no fee, the rename fee (RenameFee policy × max(0, market − contract) × area), or refused
RENAME_PRICES = {"free": "不收费", "fee": "收更名费", "refuse": "不予更名"}


@frozen
class RenameTerm:
    """One relationship a contract permits a rename to (「在合同中非常清楚的列明允许哪种关系,
    我公司认可的证明是哪些,对各种关系执行的价格政策是什么」): e.g. 配偶, proofs 结婚证, free."""

    relationship: str
    price: str  # a key of RENAME_PRICES
    proofs: tuple[str, ...] = ()

    def missing(self, presented: Iterable[str]) -> list[str]:
        """The recognised proofs not presented: every one is needed."""
        shown = {p.strip() for p in presented}
        return [p for p in self.proofs if p not in shown]


def rename_term(spec: str) -> RenameTerm:
    """``RELATIONSHIP:PRICE[:PROOF,PROOF...]``, e.g. ``配偶:free:结婚证,户口簿`` (RE-RENAME-1);
    a permitted relationship names the proofs the company recognises."""
    relationship, _, rest = spec.strip().partition(":")
    price, _, proofs = rest.partition(":")
    relationship, price = relationship.strip(), price.strip()
    names = tuple(p.strip() for p in proofs.replace("，", ",").split(",") if p.strip())
    if not relationship or price not in RENAME_PRICES:
        raise InvalidInput(
            "allow",
            f"{spec!r}: give RELATIONSHIP:PRICE[:PROOF,...] with PRICE one of "
            f"{', '.join(RENAME_PRICES)}",
            rule="RE-RENAME-1",
        )
    if price != "refuse" and not names:
        raise InvalidInput(
            "allow",
            f"{spec!r}: name the proofs the company recognises for {relationship}",
            rule="RE-RENAME-1",
        )
    return RenameTerm(relationship, price, names)


def rename_terms(specs: Iterable[RenameTerm | str]) -> tuple[RenameTerm, ...]:
    terms = tuple(x if isinstance(x, RenameTerm) else rename_term(x) for x in specs)
    seen: set[str] = set()
    for term in terms:
        if term.relationship in seen:
            raise InvalidInput("allow", f"{term.relationship} is listed twice", rule="RE-RENAME-1")
        seen.add(term.relationship)
    return terms


def split_unit(ref: str) -> tuple[str, str]:
    building, sep, code = ref.partition("-")
    if not sep or not building or not code:
        raise InvalidInput("unit", f"{ref!r}: give BUILDING-UNIT, e.g. 1-0302", rule="RE-INV-1")
    return building, code


@frozen
class Unit:
    """A unit in the control table as people see it."""

    ref: str  # BUILDING-UNIT
    building: str
    code: str
    floor: int
    layout: str
    area: Decimal
    status: str
    client: str | None
    holder: str | None


def retail_warnings(units: Iterable[Unit], releasing: set[str], policy: Any) -> list[str]:
    """RE-ALLOC-1: where would retail keep less than its share of a building or floor band?"""
    groups: dict[str, list[Unit]] = {}
    for unit in units:
        groups.setdefault(f"building {unit.building}", []).append(unit)
        band = (unit.floor - 1) // policy.floor_band
        low, high = band * policy.floor_band + 1, (band + 1) * policy.floor_band
        groups.setdefault(f"building {unit.building} floors {low}-{high}", []).append(unit)
    warnings = []
    for name, members in groups.items():
        if not any(u.ref in releasing for u in members):
            continue
        retail = sum(
            1
            for u in members
            if u.ref not in releasing and u.status in (AVAILABLE, RESERVED, RETAIL_SOLD)
        )
        share = Decimal(retail) * HUNDRED / len(members)
        if share < policy.min_retail_percent:
            warnings.append(
                f"{name}: retail keeps {share:.0f}% of {len(members)} units, "
                f"below {policy.min_retail_percent}% (RE-ALLOC-1)"
            )
    return warnings


def control_grid(units: Iterable[Unit]) -> dict[str, tuple[list[str], list[list[str]]]]:
    """The control table as a person reads it: per building, one row per floor (top floor
    first), one column per unit position (the code without its floor digits)."""
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    by_building: dict[str, list[Unit]] = {}
    for unit in units:
        by_building.setdefault(unit.building, []).append(unit)
    for building, members in sorted(by_building.items()):
        positions = sorted({_position(u) for u in members})
        floors = sorted({u.floor for u in members}, reverse=True)
        cells = {(u.floor, _position(u)): u for u in members}
        rows = []
        for floor in floors:
            row = [str(floor)]
            for pos in positions:
                u = cells.get((floor, pos))
                row.append("" if u is None else _cell(u))
            rows.append(row)
        out[building] = (["floor", *positions], rows)
    return out


def _position(unit: Unit) -> str:
    """0302 on floor 3 is position 02; codes that do not start with the floor stay whole."""
    prefix = f"{unit.floor:02d}"
    return (
        unit.code[len(prefix) :]
        if unit.code.startswith(prefix) and len(unit.code) > 2
        else unit.code
    )


def _cell(unit: Unit) -> str:
    label = STATUS_ZH.get(unit.status, unit.status)
    return (
        f"{label} {unit.client}"
        if unit.client and unit.status in (RELEASED, SELECTED, SOLD)
        else label
    )


def status_counts(units: Iterable[Unit]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_ZH, 0)
    for unit in units:
        counts[unit.status] = counts.get(unit.status, 0) + 1
    return counts
