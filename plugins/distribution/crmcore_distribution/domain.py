"""What the distribution rules decide, without I/O: order input, price floors, payment terms,
due dates, the class one step lower, the delivery queue's order (DIST-*, CLS-SCORE-2)."""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from attrs import field, frozen

from crmcore import InvalidInput

GRADES = ("A", "B", "C", "D")
CENT = Decimal("0.01")
MAX_LINES = 200
PRODUCT_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")


def number(name: str, value: Any, *, places: int, rule: str | None = None) -> Decimal:
    """A decimal as people type it; never a float; at most ``places`` decimals."""
    if isinstance(value, (bool, float)):
        raise InvalidInput(name, 'write amounts as text or Decimal, e.g. "95.50"', rule=rule)
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except InvalidOperation:
        raise InvalidInput(name, f"{value!r} is not a decimal number", rule=rule) from None
    if not result.is_finite():
        raise InvalidInput(name, f"{value!r} is not a decimal number", rule=rule)
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise InvalidInput(name, f"{result} has more than {places} decimal places", rule=rule)
    if abs(result) >= Decimal("1e13"):
        raise InvalidInput(name, f"{result} is too large", rule=rule)
    return result


def amount(name: str, value: Any, *, positive: bool = False, rule: str | None = None) -> Decimal:
    """CNY with at most two decimals, never negative (zero refused when ``positive``)."""
    result = number(name, value, places=2, rule=rule)
    if result < 0 or (positive and result == 0):
        raise InvalidInput(
            name, f"must be {'more than' if positive else 'at least'} 0, not {result}", rule=rule
        )
    return result


@frozen
class OrderLine:
    product: str
    quantity: Decimal
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)


def parse_line(index: int, raw: Any) -> OrderLine:
    """A line as a mapping (product, quantity, unit_price) or the CLI's ``P001:10:95.50``."""
    where = f"lines[{index}]"
    if isinstance(raw, OrderLine):
        raw = {"product": raw.product, "quantity": raw.quantity, "unit_price": raw.unit_price}
    if isinstance(raw, str):
        parts = raw.split(":")
        if len(parts) != 3:
            raise InvalidInput(where, f"{raw!r} is not PRODUCT:QUANTITY:UNIT_PRICE")
        raw = dict(zip(("product", "quantity", "unit_price"), parts, strict=True))
    if not isinstance(raw, dict):
        raise InvalidInput(where, "is not a line (product, quantity, unit_price)")
    product = str(raw.get("product") or "").strip()
    if not PRODUCT_CODE.fullmatch(product):
        raise InvalidInput(f"{where}.product", f"{product!r} is not a product code")
    quantity = number(f"{where}.quantity", raw.get("quantity"), places=3)
    if quantity <= 0:
        raise InvalidInput(f"{where}.quantity", f"must be more than 0, not {quantity}")
    price = amount(f"{where}.unit_price", raw.get("unit_price"), positive=True, rule="DIST-PRICE-1")
    return OrderLine(product, quantity, price)


def _lines(raw: Sequence[Any]) -> tuple[OrderLine, ...]:
    if isinstance(raw, (str, bytes)) or not raw:
        raise InvalidInput("lines", "an order needs at least one line")
    if len(raw) > MAX_LINES:
        raise InvalidInput("lines", f"{len(raw)} lines, at most {MAX_LINES}")
    lines = tuple(parse_line(i + 1, line) for i, line in enumerate(raw))
    products = [line.product for line in lines]
    twice = next((p for p in products if products.count(p) > 1), None)
    if twice:
        raise InvalidInput("lines", f"product {twice} is on two lines: put it on one")
    return lines


def _reason(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if len(text) > 2000:
        raise InvalidInput("exception", "is longer than 2000 characters")
    return text


@frozen(kw_only=True)
class NewOrder:
    """An order of a distributor: lines, rush (加急), and an exception request (the reason)
    for a price outside the class bound (DIST-PRICE-1 "in principle")."""

    lines: tuple[OrderLine, ...] = field(converter=_lines)
    rush: bool = False
    exception: str | None = field(default=None, converter=_reason)

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


def lower(grade: str, steps: int = 1) -> str:
    """The class ``steps`` lower; D stays D (DIST-PAY-2: nothing is below D)."""
    return GRADES[min(GRADES.index(grade) + steps, len(GRADES) - 1)]


class Settlement(enum.StrEnum):
    DEFERRED = "deferred"  # 远期付款: pay within months/days after delivery
    ON_DELIVERY = "on_delivery"  # 货到付款 / 现款现货
    PREPAY = "prepay"  # 款到发货: pay before shipment


@frozen
class Terms:
    """Payment terms of an order: how and by when, after delivery."""

    settlement: Settlement
    months: int = 0
    days: int = 0

    @property
    def on_credit(self) -> bool:
        return self.settlement is Settlement.DEFERRED

    def due(self, delivered: date) -> date:
        return add_months(delivered, self.months) + timedelta(days=self.days)

    def __str__(self) -> str:
        if self.settlement is Settlement.DEFERRED:
            return f"within {self.months} months" if self.months else f"within {self.days} days"
        return "cash on delivery" if self.settlement is Settlement.ON_DELIVERY else "prepayment"


def terms_for(payment_class: str, credit_grade: str, limit: Decimal, policy: Any) -> Terms:
    """DIST-PAY-1 terms of the payment class, capped by the credit grade (DIST-CRED-1): D pays
    first whatever its terms say; C without a limit pays on delivery."""
    if payment_class == "D" or credit_grade == "D":
        return Terms(Settlement.PREPAY)
    if payment_class == "A":
        terms = Terms(Settlement.DEFERRED, months=policy.a_months)
    elif payment_class == "B":
        terms = Terms(Settlement.DEFERRED, days=policy.b_days)
    else:
        terms = Terms(Settlement.DEFERRED, days=policy.c_days)
    if terms.months == 0 and terms.days == 0:
        return Terms(Settlement.ON_DELIVERY)
    if credit_grade == "C" and limit == 0:
        return Terms(Settlement.ON_DELIVERY)
    return terms


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, the month's last day when it has fewer (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


@frozen
class Queued:
    """What the delivery queue sorts by."""

    order_id: int
    cls: str
    score: Decimal
    rush: bool
    placed: Any


def delivery_order(items: Sequence[Queued], spare: int = 0) -> list[Queued]:
    """DIST-DLV-1 and CLS-SCORE-2: A's rush orders jump the queue; then up to ``spare`` of B's
    rush orders (as production allows); then everything else class by class, by score within
    a class (highest first), then first placed first."""

    def normal(q: Queued) -> tuple[Any, ...]:
        return (GRADES.index(q.cls), -q.score, q.placed, q.order_id)

    a_rush = sorted((q for q in items if q.rush and q.cls == "A"), key=normal)
    b_rush = sorted((q for q in items if q.rush and q.cls == "B"), key=normal)[: max(spare, 0)]
    first = {q.order_id for q in [*a_rush, *b_rush]}
    rest = sorted((q for q in items if q.order_id not in first), key=normal)
    return [*a_rush, *b_rush, *rest]
