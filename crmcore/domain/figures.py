"""Yearly figures (年度业绩与财务数据) and scorecards (评分表) of a client: CORE-REC-3, CLS-SCORE-1.

A *figure* is one number about one client for one year, with its source: the annual purchase
or sales amount, revenue, collection rate, credit standing, and the key numbers of the
financial statements. Amount schemes (CLS-AMT-1/2) classify by them and archive listings
(CORE-ARC-2) sort by them. A *scorecard* is the eight CLS-SCORE-1 criteria scored 0-100 for
one year; the weighted total ranks clients into A-D.

Every value is checked here, so the Python API, the CLI and a CSV import refuse the same
things with the same words: a negative amount, a rate above 100, text where a number belongs,
a score outside 0-100, a criterion missing.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from attrs import field, frozen

from crmcore.domain import checks
from crmcore.errors import InvalidInput

FIRST_YEAR, LAST_YEAR = 1980, 2200
#: Amounts beyond this are typing errors, and would overflow exact storage on SQLite.
AMOUNT_LIMIT = Decimal("1e14")


class Kind(enum.StrEnum):
    AMOUNT = "amount"  # CNY, not negative
    SIGNED = "signed"  # CNY, may be negative (a loss)
    PERCENT = "percent"  # 0-100
    SCORE = "score"  # 0-100, higher is better


@frozen
class MetricSpec:
    kind: Kind
    label: str
    label_zh: str
    headings: tuple[str, ...] = ()  # other column names a ledger uses for it


class Metric(enum.StrEnum):
    """What a yearly figure measures. CLS-AMT-1 reads ``purchase_amount``: what *we buy from*
    the client (the source's key accounts are suppliers, rules audit 1.4); ``sales_amount`` is
    what the client buys from us."""

    PURCHASE_AMOUNT = "purchase_amount"
    SALES_AMOUNT = "sales_amount"
    REVENUE = "revenue"
    COLLECTION_RATE = "collection_rate"
    CREDIT_STANDING = "credit_standing"
    TOTAL_ASSETS = "total_assets"
    TOTAL_LIABILITIES = "total_liabilities"
    NET_ASSETS = "net_assets"
    OPERATING_REVENUE = "operating_revenue"
    NET_PROFIT = "net_profit"
    OPERATING_CASH_FLOW = "operating_cash_flow"


METRICS: dict[Metric, MetricSpec] = {
    Metric.PURCHASE_AMOUNT: MetricSpec(
        Kind.AMOUNT, "annual purchases from the client", "年采购额", ("采购额", "我方采购额")
    ),
    Metric.SALES_AMOUNT: MetricSpec(
        Kind.AMOUNT, "annual sales to the client", "年销售额", ("销售额", "年销售量")
    ),
    Metric.REVENUE: MetricSpec(Kind.AMOUNT, "annual revenue", "年收入", ("收入", "业务收入")),
    Metric.COLLECTION_RATE: MetricSpec(Kind.PERCENT, "collection rate %", "回款率", ()),
    Metric.CREDIT_STANDING: MetricSpec(
        Kind.SCORE, "credit standing (0-100)", "信誉度", ("信用评分", "信用状况")
    ),
    Metric.TOTAL_ASSETS: MetricSpec(Kind.AMOUNT, "total assets", "资产总额", ("总资产",)),
    Metric.TOTAL_LIABILITIES: MetricSpec(Kind.AMOUNT, "total liabilities", "负债总额", ("总负债",)),
    Metric.NET_ASSETS: MetricSpec(Kind.SIGNED, "net assets", "净资产", ("所有者权益",)),
    Metric.OPERATING_REVENUE: MetricSpec(Kind.AMOUNT, "operating revenue", "营业收入", ()),
    Metric.NET_PROFIT: MetricSpec(Kind.SIGNED, "net profit", "净利润", ()),
    Metric.OPERATING_CASH_FLOW: MetricSpec(
        Kind.SIGNED, "operating cash flow", "经营活动现金流量净额", ("经营现金流",)
    ),
}

#: The eight CLS-SCORE-1 criteria, in the source's order, with the words of the source.
CRITERIA: dict[str, str] = {
    "sales_scale": "销售规模",
    "payment_reliability": "付款信誉",
    "product_margin": "产品利润率",
    "order_volume": "产品订量",
    "sales_model": "销售模式",
    "product_share": "我方产品在其销售总额中的比例",
    "years_selling": "经营产品历史",
    "industry_reputation": "行业知名度",
}
#: Scores are 0-100 with at most one decimal (87.5), so a weighted total stays exact.
SCORE_PLACES = 1
MAX_SCORE = Decimal(100)


def decimal_of(name: str, value: Any, *, rule: str) -> Decimal:
    """A number as people write it ("1,234.50", 87.5 as text); never a float or a bool."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (bool, float)):
        raise InvalidInput(name, 'write numbers as text or Decimal, e.g. "1234.50"', rule=rule)
    elif isinstance(value, (int, str)):
        text = str(value).strip().replace(",", "").replace("，", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise InvalidInput(name, f"{value!r} is not a decimal number", rule=rule) from None
    else:
        raise InvalidInput(name, f"{value!r} is not a decimal number", rule=rule)
    if not result.is_finite():
        raise InvalidInput(name, f"{value!r} is not a decimal number", rule=rule)
    return result


def shown(value: Decimal) -> str:
    """A value as people read it: thousands separated, two places when that loses nothing
    (measured values are kept with four)."""
    if value == value.quantize(Decimal("0.01")):
        return f"{value:,.2f}"
    return f"{value.normalize():,f}"


def _places(name: str, value: Decimal, places: int, rule: str) -> None:
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places:
        raise InvalidInput(name, f"{value} has more than {places} decimal places", rule=rule)


def check_figure(metric: str, value: Any) -> tuple[Metric, Decimal]:
    """One figure, checked for its kind (rule CORE-REC-3)."""
    rule = "CORE-REC-3"
    try:
        known = Metric(str(metric).strip().lower())
    except ValueError:
        names = ", ".join(m.value for m in Metric)
        raise InvalidInput(
            str(metric), f"is not a known figure (known: {names})", rule=rule
        ) from None
    number = decimal_of(known.value, value, rule=rule)
    _places(known.value, number, 2, rule)
    kind = METRICS[known].kind
    if kind in (Kind.PERCENT, Kind.SCORE) and not 0 <= number <= 100:
        raise InvalidInput(known.value, f"{number} is outside 0-100", rule=rule)
    if kind is Kind.AMOUNT and number < 0:
        raise InvalidInput(known.value, f"must not be negative, not {number}", rule=rule)
    if abs(number) >= AMOUNT_LIMIT:
        raise InvalidInput(known.value, f"{number} is too large (at most 1e14)", rule=rule)
    return known, number


def check_scores(raw: Mapping[str, Any]) -> dict[str, Decimal]:
    """All eight CLS-SCORE-1 criteria, each 0-100 with at most one decimal."""
    rule = "CLS-SCORE-1"
    unknown = [k for k in raw if k not in CRITERIA]
    if unknown:
        raise InvalidInput(
            unknown[0], f"is not a criterion (criteria: {', '.join(CRITERIA)})", rule=rule
        )
    missing = [c for c in CRITERIA if raw.get(c) is None or str(raw[c]).strip() == ""]
    if missing:
        raise InvalidInput(
            "scores", f"missing {len(missing)} of 8 criteria: {', '.join(missing)}", rule=rule
        )
    scores = {}
    for name in CRITERIA:
        number = decimal_of(name, raw[name], rule=rule)
        if not 0 <= number <= MAX_SCORE:
            raise InvalidInput(name, f"score {number} is outside 0-100", rule=rule)
        _places(name, number, SCORE_PLACES, rule)
        scores[name] = number
    return scores


def _year(_inst: Any, attribute: Any, value: int) -> None:
    if not FIRST_YEAR <= value <= LAST_YEAR:
        raise InvalidInput(attribute.name, f"{value} is not a plausible year", rule="CORE-REC-3")


def _int_year(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if not text.isdigit():
        raise InvalidInput("year", f"{value!r} is not a year such as 2025", rule="CORE-REC-3")
    return int(text)


def _figures(raw: Mapping[str, Any] | None) -> dict[Metric, Decimal]:
    result: dict[Metric, Decimal] = {}
    for metric, value in (raw or {}).items():
        if value is None or (isinstance(value, str) and not value.strip()):
            continue  # an empty cell: nothing to record
        known, number = check_figure(metric, value)
        result[known] = number
    return result


def _scores(raw: Mapping[str, Any] | None) -> dict[str, Decimal] | None:
    if raw is None or not any(v is not None and str(v).strip() for v in raw.values()):
        return None
    return check_scores(raw)


@frozen(kw_only=True)
class YearlyEntry:
    """One client's figures and/or scorecard for one year, from one source.

    ``figures`` maps a :class:`Metric` to its value; ``scores`` (optional) maps all eight
    :data:`CRITERIA` to 0-100. Values may be Decimal, int or text, never float.
    """

    client_code: str = field(converter=checks.stripped, validator=checks.text(32, required=True))
    year: int = field(converter=_int_year, validator=_year)
    source: str = field(
        converter=checks.stripped, validator=checks.text(200, required=True, rule="CORE-REC-3")
    )
    figures: dict[Metric, Decimal] = field(factory=dict, converter=_figures)
    scores: dict[str, Decimal] | None = field(default=None, converter=_scores)

    def __attrs_post_init__(self) -> None:
        if not self.figures and self.scores is None:
            raise InvalidInput(
                "figures", "give at least one figure or a scorecard", rule="CORE-REC-3"
            )
