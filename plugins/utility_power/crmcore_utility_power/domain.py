"""Power-supply connections (业扩报装): what users enter, checked; pure, no I/O.

Each command class refuses bad values on construction with one line naming the field and the
rule (``capacity_kva: must be more than 0 kVA, not -5 (PWR-APP-1)``), whichever door the value
came through. Date checks against "today" take today as an argument: the domain has no clock.
"""

from __future__ import annotations

import calendar as _months
import enum
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import attrs
from attrs import field, frozen

from crmcore import Importance, InvalidInput

CENT = Decimal("0.01")
#: Above any real capacity, consumption or revenue; keeps values inside the stored precision.
LARGEST = Decimal("1e12")


class VoltageLevel(enum.StrEnum):
    """Supply voltage levels (供电电压等级). 0.4 kV is low voltage (低压, 380/220 V)."""

    LV = "0.4kV"
    KV10 = "10kV"
    KV20 = "20kV"
    KV35 = "35kV"
    KV66 = "66kV"
    KV110 = "110kV"
    KV220 = "220kV"

    @property
    def high(self) -> bool:
        """High voltage (高压): 1 kV and above; decides validity (PWR-PLAN-1) and PWR-ACC-1."""
        return self is not VoltageLevel.LV

    @property
    def rate_field(self) -> str:
        """The field of the fee schedule (PWR-FEE-1) holding this level's rate."""
        return "rate_" + self.value.lower().replace(".", "_")


#: What people type for a level, lower-cased without spaces.
_VOLTAGE_WORDS = {
    **{v.value.lower(): v for v in VoltageLevel},
    **{v.value.lower().replace("kv", "千伏"): v for v in VoltageLevel},
    "380v": VoltageLevel.LV,
    "0.38kv": VoltageLevel.LV,
    "低压": VoltageLevel.LV,
}


class ApplicationKind(enum.StrEnum):
    NEW = "new"  # 新装
    INCREASE = "increase"  # 增容


class LoadClass(enum.StrEnum):
    """Load class (负荷等级, GB 50052): how much an outage hurts; class 1 the most."""

    ONE = "1"  # 一级负荷
    TWO = "2"  # 二级负荷
    THREE = "3"  # 三级负荷


class Priority(enum.StrEnum):
    """The account's priority (PWR-KA-1): the power office's word for the core's importance,
    which the assignment rules read (CORE-OWN-3)."""

    KEY = "key"  # 重点
    IMPORTANT = "important"  # 重要
    GENERAL = "general"  # 一般

    @property
    def importance(self) -> Importance:
        return Importance.NORMAL if self is Priority.GENERAL else Importance(self.value)


class CreditStatus(enum.StrEnum):
    GOOD = "good"  # 良好
    WATCH = "watch"  # 关注
    POOR = "poor"  # 不良


class CompletionDocument(enum.StrEnum):
    """PWR-ACC-1: what a high-voltage client files with the completion report (竣工报告)."""

    AS_BUILT = "as_built"  # (1) 工程竣工图及说明
    TESTS = "tests"  # (2) 电气试验及保护整定记录
    SAFETY_GEAR = "safety_gear"  # (3) 安全用具的试验报告
    CONCEALED_WORKS = "concealed_works"  # (4) 隐蔽工程的施工及试验记录
    OPERATING_RULES = "operating_rules"  # (5) 运行管理的有关规定制度
    DUTY_STAFF = "duty_staff"  # (6) 值班人员名单及资格

    @property
    def label_zh(self) -> str:
        return COMPLETION_LABELS[self]


COMPLETION_LABELS = {
    CompletionDocument.AS_BUILT: "工程竣工图及说明",
    CompletionDocument.TESTS: "电气试验及保护整定记录",
    CompletionDocument.SAFETY_GEAR: "安全用具的试验报告",
    CompletionDocument.CONCEALED_WORKS: "隐蔽工程的施工及试验记录",
    CompletionDocument.OPERATING_RULES: "运行管理的有关规定制度",
    CompletionDocument.DUTY_STAFF: "值班人员名单及资格",
}


# -- converters and validators ----------------------------------------------------------------


def voltage(rule: str) -> attrs.Converter:
    """Text to a :class:`VoltageLevel`; an unknown level names the field, the levels and rule."""

    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> VoltageLevel:
        if isinstance(value, VoltageLevel):
            return value
        found = _VOLTAGE_WORDS.get(str(value).strip().lower().replace(" ", ""))
        if found is None:
            levels = ", ".join(v.value for v in VoltageLevel)
            raise InvalidInput(
                attribute.name, f"{value!r} is not a supply voltage level ({levels})", rule=rule
            )
        return found

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def choice(enum_cls: type[enum.StrEnum], rule: str, *, optional: bool = False) -> attrs.Converter:
    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            if optional:
                return None
            raise InvalidInput(attribute.name, "is required", rule=rule)
        if isinstance(value, enum_cls):
            return value
        try:
            return enum_cls(str(value).strip().lower())
        except ValueError:
            choices = ", ".join(m.value for m in enum_cls)
            raise InvalidInput(
                attribute.name, f"{value!r} is not one of {choices}", rule=rule
            ) from None

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def number(rule: str, *, unit: str, positive: bool, optional: bool = False) -> attrs.Converter:
    """Text or Decimal to an exact Decimal of at most 2 places: more than 0 (``positive``) or
    at least 0. Floats are refused: they have lost exactness already."""

    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> Decimal | None:
        name = attribute.name
        if value is None or (isinstance(value, str) and not value.strip()):
            if optional:
                return None
            raise InvalidInput(name, "is required", rule=rule)
        if isinstance(value, (bool, float)):
            raise InvalidInput(name, f"write {unit} as text or a Decimal, e.g. '800'", rule=rule)
        try:
            result = Decimal(str(value).strip().replace(",", ""))
        except InvalidOperation:
            raise InvalidInput(name, f"{value!r} is not a number of {unit}", rule=rule) from None
        if not result.is_finite():
            raise InvalidInput(name, f"{value!r} is not a number of {unit}", rule=rule)
        if positive and result <= 0:
            raise InvalidInput(name, f"must be more than 0 {unit}, not {result}", rule=rule)
        if result < 0:
            raise InvalidInput(name, f"must not be negative, not {result}", rule=rule)
        if result > LARGEST:
            raise InvalidInput(name, f"{result} {unit} is beyond any connection", rule=rule)
        exponent = result.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -2 and result != result.quantize(CENT):
            raise InvalidInput(name, "has more than 2 decimal places", rule=rule)
        return result

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def text(max_length: int, rule: str, *, required: bool = True) -> attrs.Converter:
    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> str | None:
        cleaned = value.strip() if isinstance(value, str) else value
        if not cleaned:
            if required:
                raise InvalidInput(attribute.name, "is required", rule=rule)
            return None
        if not isinstance(cleaned, str):
            raise InvalidInput(attribute.name, "must be text", rule=rule)
        if len(cleaned) > max_length:
            raise InvalidInput(
                attribute.name, f"is {len(cleaned)} characters, at most {max_length}", rule=rule
            )
        return cleaned

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def texts(max_length: int, rule: str) -> attrs.Converter:
    """A list of short texts, blanks dropped, duplicates kept once, order kept."""

    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> tuple[str, ...]:
        return clean_texts(value, max_length, attribute.name, rule)

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def clean_texts(value: Any, max_length: int, field: str, rule: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else list(value or ())
    result: list[str] = []
    for item in items:
        cleaned = str(item).strip()
        if len(cleaned) > max_length:
            raise InvalidInput(field, f"{cleaned[:20]!r}... is longer than {max_length}", rule=rule)
        if cleaned and cleaned not in result:
            result.append(cleaned)
    return tuple(result)


def a_date(rule: str) -> attrs.Converter:
    """A date, or None for "today" (the service knows the day; the domain has no clock)."""

    def convert(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> date | None:
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            raise InvalidInput(
                attribute.name, f"{value!r} is not a date (YYYY-MM-DD)", rule=rule
            ) from None

    return attrs.Converter(convert, takes_self=True, takes_field=True)


def business_date(
    given: date | None,
    today: date,
    field: str,
    rule: str,
    *,
    earliest: date | None = None,
    earliest_what: str = "",
) -> date:
    """The date something happened: ``given`` or today; never in the future, never before
    ``earliest`` (what it follows, e.g. the acceptance before the survey)."""
    day = given or today
    if day > today:
        raise InvalidInput(field, f"{day} is in the future (today is {today})", rule=rule)
    if earliest is not None and day < earliest:
        raise InvalidInput(field, f"{day} is before {earliest_what} ({earliest})", rule=rule)
    return day


# -- the key-account profile (PWR-KA-1) -------------------------------------------------------


@frozen(kw_only=True)
class NewProfile:
    """PWR-KA-1: a key account's supply attributes. A change is a new version, never an edit.

    ``annual_consumption_kwh`` is the consumption contribution (用电量贡献), ``annual_revenue``
    the electricity revenue from the client (电费收入, CNY); industry, size and business scope
    live on the client record itself.
    """

    voltage: VoltageLevel = field(converter=voltage("PWR-KA-1"))
    contracted_capacity_kva: Decimal = field(
        converter=number("PWR-KA-1", unit="kVA", positive=True)
    )
    load_class: LoadClass | None = field(
        default=None, converter=choice(LoadClass, "PWR-KA-1", optional=True)
    )
    priority: Priority | None = field(
        default=None, converter=choice(Priority, "PWR-KA-1", optional=True)
    )
    annual_consumption_kwh: Decimal | None = field(
        default=None, converter=number("PWR-KA-1", unit="kWh", positive=False, optional=True)
    )
    annual_revenue: Decimal | None = field(
        default=None, converter=number("PWR-KA-1", unit="CNY", positive=False, optional=True)
    )
    credit_status: CreditStatus | None = field(
        default=None, converter=choice(CreditStatus, "PWR-KA-1", optional=True)
    )
    standing: str | None = field(default=None, converter=text(200, "PWR-KA-1", required=False))
    business_condition: str | None = field(
        default=None, converter=text(200, "PWR-KA-1", required=False)
    )


# -- the connection process ---------------------------------------------------------------------


@frozen(kw_only=True)
class NewApplication:
    """PWR-APP-1: a new connection or a capacity increase (高压用电申请) with its documents.

    ``capacity_kva`` is the capacity applied for (for an increase: the capacity added);
    ``sources`` 1 or 2 decides the reply deadline (PWR-APP-2).
    """

    kind: ApplicationKind = field(converter=choice(ApplicationKind, "PWR-APP-1"))
    voltage: VoltageLevel = field(converter=voltage("PWR-APP-1"))
    capacity_kva: Decimal = field(converter=number("PWR-APP-1", unit="kVA", positive=True))
    sources: int = field(default=1)
    address: str | None = field(default=None, converter=text(200, "PWR-APP-1", required=False))
    documents: tuple[str, ...] = field(default=(), converter=texts(100, "PWR-APP-1"))
    applied_on: date | None = field(default=None, converter=a_date("PWR-APP-1"))

    @sources.validator
    def _one_or_two(self, attribute: attrs.Attribute[Any], value: Any) -> None:
        if isinstance(value, bool) or value not in (1, 2):
            raise InvalidInput(
                "sources",
                f"is 1 (single source) or 2 (dual source), not {value!r}",
                rule="PWR-APP-2",
            )


@frozen(kw_only=True)
class NewSurvey:
    """The site survey (现场勘查): when, who took part, what was found."""

    participants: tuple[str, ...] = field(converter=texts(50, "PWR-APP-1"))
    findings: str = field(converter=text(4000, "PWR-APP-1"))
    surveyed_on: date | None = field(default=None, converter=a_date("PWR-APP-1"))

    def __attrs_post_init__(self) -> None:
        if not self.participants:
            raise InvalidInput(
                "participants", "name at least one who surveyed the site", rule="PWR-APP-1"
            )


@frozen(kw_only=True)
class NewPlan:
    """The supply plan (供电方案), the quote: voltage, capacity, source(s), the account to pay
    into (PWR-FEE-1; when not given, the one of the PWR-FEE-1 policy)."""

    voltage: VoltageLevel = field(converter=voltage("PWR-APP-1"))
    capacity_kva: Decimal = field(converter=number("PWR-APP-1", unit="kVA", positive=True))
    sources: tuple[str, ...] = field(converter=texts(200, "PWR-APP-1"))
    pay_into: str | None = field(default=None, converter=text(200, "PWR-FEE-1", required=False))
    note: str | None = field(default=None, converter=text(4000, "PWR-APP-1", required=False))

    def __attrs_post_init__(self) -> None:
        if len(self.sources) not in (1, 2):
            raise InvalidInput(
                "sources",
                f"name 1 or 2 supply sources (e.g. 110kV 开发区站 10kV 912线), not {len(self.sources)}",
                rule="PWR-APP-1",
            )


@frozen(kw_only=True)
class NewExtension:
    """PWR-PLAN-1: an extension of validity asked for special circumstances (特殊情况)."""

    reason: str = field(converter=text(2000, "PWR-PLAN-1"))
    months: int | None = None  # None: one full validity period, the most allowed


@frozen(kw_only=True)
class NewWorks:
    """PWR-WORK-1: the client's works (受电工程) start, built by qualified contractors."""

    started_on: date | None = field(default=None, converter=a_date("PWR-WORK-1"))
    designer: str = field(converter=text(200, "PWR-WORK-1"))
    builder: str = field(converter=text(200, "PWR-WORK-1"))
    qualification: str = field(converter=text(100, "PWR-WORK-1"))  # 资质证书编号


@frozen(kw_only=True)
class NewInspection:
    """An inspection: during works (PWR-WORK-1, 中间检查) or for acceptance (PWR-ACC-1, 竣工验收).

    ``passed`` is None during works; an acceptance that fails carries the rectification list
    (整改意见), one that passes carries none.
    """

    inspected_on: date | None = field(default=None, converter=a_date("PWR-WORK-1"))
    findings: str | None = field(default=None, converter=text(4000, "PWR-WORK-1", required=False))
    rectifications: tuple[str, ...] = field(default=(), converter=texts(500, "PWR-ACC-1"))
    passed: bool | None = None

    def __attrs_post_init__(self) -> None:
        if self.passed is False and not self.rectifications:
            raise InvalidInput(
                "rectifications",
                "a failed acceptance lists what to rectify (整改意见)",
                rule="PWR-ACC-1",
            )
        if self.passed is True and self.rectifications:
            raise InvalidInput(
                "rectifications", "a passed acceptance has nothing to rectify", rule="PWR-ACC-1"
            )
        if self.passed is None and not (self.findings or self.rectifications):
            raise InvalidInput(
                "findings",
                "say what the inspection found (or list rectifications)",
                rule="PWR-WORK-1",
            )


@frozen(kw_only=True)
class NewCompletion:
    """PWR-ACC-1: the completion report (竣工报告) and its documents, as a checklist."""

    documents: tuple[CompletionDocument, ...] = field(converter=lambda v: completion_documents(v))
    filed_on: date | None = field(default=None, converter=a_date("PWR-ACC-1"))


def completion_documents(values: Iterable[Any]) -> tuple[CompletionDocument, ...]:
    """Codes (``as_built``) or their Chinese titles to checklist items; unknown ones refused."""
    by_word = {d.value: d for d in CompletionDocument} | {d.label_zh: d for d in CompletionDocument}
    result: list[CompletionDocument] = []
    for value in [values] if isinstance(values, str) else values:
        item = value if isinstance(value, CompletionDocument) else by_word.get(str(value).strip())
        if item is None:
            known = ", ".join(d.value for d in CompletionDocument)
            raise InvalidInput("documents", f"{value!r} is not one of {known}", rule="PWR-ACC-1")
        if item not in result:
            result.append(item)
    return tuple(result)


def missing_completion_documents(
    voltage_level: VoltageLevel, documents: Iterable[CompletionDocument]
) -> list[CompletionDocument]:
    """The checklist items still missing; low-voltage clients file no checklist (PWR-ACC-1
    binds high-voltage clients: 「高压供电客户还应写出竣工书面报告并提供下列资料」)."""
    if not voltage_level.high:
        return []
    have = set(documents)
    return [d for d in CompletionDocument if d not in have]


@frozen(kw_only=True)
class NewContract:
    """PWR-ACC-2: the supply contract (供用电合同) signed before energising."""

    number: str = field(converter=text(64, "PWR-ACC-2"))
    signed_on: date | None = field(default=None, converter=a_date("PWR-ACC-2"))
    #: the signed copy, filed in the client's archive (CORE-ARC-1 checks its type and size)
    filename: str | None = field(default=None, converter=text(255, "PWR-ACC-2", required=False))
    content: bytes | None = field(default=None, repr=False)

    def __attrs_post_init__(self) -> None:
        if (self.filename is None) != (self.content is None):
            raise InvalidInput(
                "file",
                "a copy of the contract needs both its file name and content",
                rule="PWR-ACC-2",
            )


# -- plan validity (PWR-PLAN-1) ---------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later; the month's last day when it has none
    (31 Jan + 1 month = 28/29 Feb), as 《民法典》 art. 200-203 count periods of months."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _months.monthrange(year, month)[1]))


def check_extension(
    *,
    today: date,
    valid_until: date,
    notice_days: int,
    extensions: int,
    max_extensions: int,
    months: int,
    period_months: int,
) -> None:
    """Refuse an extension that PWR-PLAN-1 does not allow; quiet when it may go ahead.

    Asked at least ``notice_days`` calendar days before expiry (「到期前十天」: asked on
    ``valid_until - 10`` is in time, on ``valid_until - 9`` too late), adding at most one
    validity period, at most ``max_extensions`` times (the source says nothing of repeats;
    rules-audit A9 recommends one).
    """
    if today > valid_until:
        raise InvalidInput(
            "extension",
            f"the plan expired on {valid_until}; an expired plan cannot be extended, apply again",
            rule="PWR-PLAN-1",
        )
    left = (valid_until - today).days
    if left < notice_days:
        raise InvalidInput(
            "extension",
            f"asked {left} days before expiry ({valid_until}); an extension must be asked at "
            f"least {notice_days} days before, i.e. by {valid_until - timedelta(days=notice_days)}",
            rule="PWR-PLAN-1",
        )
    if extensions >= max_extensions:
        raise InvalidInput(
            "extension",
            f"the plan was already extended {extensions} time(s), the most allowed is {max_extensions}",
            rule="PWR-PLAN-1",
        )
    if not 1 <= months <= period_months:
        raise InvalidInput(
            "months",
            f"an extension adds 1 to {period_months} months (at most one validity period), not {months}",
            rule="PWR-PLAN-1",
        )


# -- the quote (PWR-FEE-1) --------------------------------------------------------------------


@frozen(kw_only=True)
class FeeLine:
    item: str  # a stable code
    label_zh: str
    basis: str  # how the amount was reached, as the client reads it
    amount: Decimal


def plan_fees(
    rates: dict[str, Decimal], level: VoltageLevel, capacity_kva: Decimal, sources: int
) -> tuple[FeeLine, ...]:
    """The fees due with a plan, from the schedule in force (``rates``: field -> CNY per kVA).

    The high-reliability supply fee (高可靠性供电费) is charged per kVA at the plan's voltage
    level on the capacity of every source beyond the first; a single-source plan owes none.
    """
    extra = sources - 1
    if extra <= 0:
        return ()
    rate = rates[level.rate_field]
    amount = (rate * capacity_kva * extra).quantize(CENT, rounding=ROUND_HALF_UP)
    return (
        FeeLine(
            item="high_reliability",
            label_zh="高可靠性供电费",
            basis=f"{rate} 元/kVA × {capacity_kva} kVA × {extra} 路备用电源 ({level.value})",
            amount=amount,
        ),
    )


def total(lines: Iterable[FeeLine]) -> Decimal:
    return sum((line.amount for line in lines), Decimal("0.00")).quantize(CENT)
