"""Policies as data (制度参数): every number in RULES.md is a default an admin can change.

A policy is a frozen attrs class whose field defaults are the rule's numbers and whose
validators refuse nonsense (a share above 100%, negative days). Core and plugins register
their classes under the rule's ID (``crm_policies(register)``)::

    @frozen(kw_only=True)
    class SupplyPlanDeadlines:
        "PWR-APP-2: reply with the supply plan within 20 (single) / 30 (dual source) working days."
        single_source_days: int = field(default=20, validator=policies.days())
        dual_source_days: int = field(default=30, validator=policies.days())

    @hookimpl
    def crm_policies(register):
        register("PWR-APP-2", SupplyPlanDeadlines, title="Supply plan deadlines", title_zh="供电方案答复时限")

A change is stored, never overwritten: a new complete value that takes effect from a date
(today or later) and is audited. A decision uses the value in force at its moment:
``crm.policies.in_force(tx, "PWR-APP-2")`` (the newest value whose date has come and which was
set before that moment), so a change applies to new decisions only. Values are checked through
the shared cattrs converter; an error names the policy and the field
(``CLS-SCORE-1.share_a: must be at most 100``).
"""

from __future__ import annotations

import itertools
import re
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from crmcore.domain import checks
from crmcore.domain.archives import ArchivePolicy
from crmcore.domain.security import ConfidentialityPolicy, ManagingLevel, OwnershipPolicy
from crmcore.errors import InvalidInput, NotFound, PluginError

KEY_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")


@frozen
class PolicySpec:
    """A registered policy: its key (the rule ID), class and who declared it."""

    key: str
    cls: type
    owner: str
    title: str = ""
    title_zh: str = ""

    @property
    def fields(self) -> tuple[attrs.Attribute[Any], ...]:
        return tuple(attrs.fields(self.cls))

    def default(self) -> Any:
        return self.cls()


def check_spec(spec: PolicySpec, known: Mapping[str, PolicySpec]) -> None:
    """Refuse a policy class that cannot work: raised as a PluginError naming its owner."""

    def fail(message: str) -> PluginError:
        return PluginError(spec.owner, f"policy {spec.key}: {message}")

    if not KEY_PATTERN.fullmatch(spec.key):
        raise fail("the key must be a rule ID such as PWR-APP-2")
    if spec.key in known:
        raise fail(f"is already registered by {known[spec.key].owner}")
    if not attrs.has(spec.cls):
        raise fail("the policy class must be an attrs class")
    missing = [f.name for f in attrs.fields(spec.cls) if f.default is attrs.NOTHING]
    if missing:
        raise fail(f"field {missing[0]} has no default (the rule's number)")
    try:
        spec.cls()
    except Exception as exc:
        raise fail(f"its defaults are refused by its own validators: {exc}") from None


def build(spec: PolicySpec, data: Mapping[str, Any]) -> Any:
    """A policy object from plain data, or one InvalidInput naming ``KEY.field``."""
    from crmcore.convert import structure

    names = {f.name for f in spec.fields}
    for name in data:
        if name not in names:
            raise InvalidInput(
                f"{spec.key}.{name}",
                f"is not a field of {spec.key} (fields: {', '.join(sorted(names))})",
                rule=spec.key,
            )
    try:
        return structure(dict(data), spec.cls)
    except InvalidInput as exc:
        name = exc.field if exc.field in names else (exc.field.split(".")[0] or spec.cls.__name__)
        raise InvalidInput(f"{spec.key}.{name}", exc.message, rule=exc.rule or spec.key) from None


def value_of(policy: Any) -> dict[str, Any]:
    """Plain data of a policy object (Decimals as text), as stored and shown."""
    from crmcore.convert import unstructure

    return dict(unstructure(policy))


def from_text(spec: PolicySpec, name: str, text: str) -> Any:
    """What a user typed for one field (``share_a=25``), ready for :func:`build`.

    Tuples are written comma-separated (``visit,phone``); everything else is structured by the
    converter from the text itself.
    """
    attribute = next((f for f in spec.fields if f.name == name), None)
    if attribute is None:
        return text
    hints = typing.get_type_hints(spec.cls)
    if typing.get_origin(hints.get(name)) is tuple:
        return [part.strip() for part in text.split(",") if part.strip()]
    return text


# -- validators for policy fields ----------------------------------------------------------


def days(*, minimum: int = 0, maximum: int = 3660) -> Any:
    """A whole number of days, never negative."""
    return between(minimum, maximum, unit="days")


def between(minimum: Any, maximum: Any, *, unit: str = "") -> Any:
    suffix = "%" if unit == "%" else f" {unit}" if unit else ""

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value < minimum:
            raise InvalidInput(attribute.name, f"must be {minimum}{suffix} or more, not {value}")
        if value > maximum:
            raise InvalidInput(attribute.name, f"must be {maximum}{suffix} or less, not {value}")

    return check


def percent() -> Any:
    """A share in percent, 0 to 100."""
    return between(Decimal(0), Decimal(100), unit="%")


def amount() -> Any:
    """A positive amount of CNY."""

    def check(_inst: Any, attribute: attrs.Attribute[Any], value: Decimal) -> None:
        if value <= 0:
            raise InvalidInput(attribute.name, f"must be a positive amount of CNY, not {value}")

    return check


def ascending(*names: str, rule: str) -> Any:
    """A class-level check: the named thresholds must rise strictly in this order."""

    def check(self: Any) -> None:
        for low_name, high_name in itertools.pairwise(names):
            low, high = getattr(self, low_name), getattr(self, high_name)
            if not low < high:
                raise InvalidInput(
                    high_name, f"must be above {low_name} ({high} <= {low})", rule=rule
                )

    return check


# -- core policies (defaults: the numbers of RULES.md) -----------------------------------------


@frozen(kw_only=True)
class PurchaseTiers:
    """CLS-AMT-1: key-account tiers by annual purchase amount (CNY), lower bounds."""

    ordinary_from: Decimal = field(default=Decimal("5000000"), validator=amount())  # 普通大客户
    partner_from: Decimal = field(default=Decimal("20000000"), validator=amount())  # 伙伴式
    strategic_from: Decimal = field(default=Decimal("50000000"), validator=amount())  # 战略性

    def __attrs_post_init__(self) -> None:
        ascending("ordinary_from", "partner_from", "strategic_from", rule="CLS-AMT-1")(self)


#: Spellings stored before the managing levels became ManagingLevel values.
_LEGACY_LEVELS = {"provincial_centre": "provincial", "city_under_provincial_oversight": "city"}


def _level(value: Any, _inst: Any, attribute: attrs.Attribute[Any]) -> ManagingLevel:
    text = str(getattr(value, "value", value)).strip().lower()
    try:
        return ManagingLevel(_LEGACY_LEVELS.get(text, text))
    except ValueError:
        choices = ", ".join(m.value for m in ManagingLevel)
        raise InvalidInput(
            attribute.name, f"{value!r} is not one of {choices}", rule="CLS-AMT-2"
        ) from None


_managing_level = attrs.Converter(_level, takes_self=True, takes_field=True)


@frozen(kw_only=True)
class RevenueTiers:
    """CLS-AMT-2: tiers by annual revenue (CNY), lower bounds, and who manages each tier.

    ``branch_scale`` multiplies every threshold for smaller branches (0.8 to 0.9 in the rule;
    1 is head office).
    """

    vip_from: Decimal = field(default=Decimal("10000"), validator=amount())  # VIP
    gold_from: Decimal = field(default=Decimal("200000"), validator=amount())  # 黄金
    platinum_from: Decimal = field(default=Decimal("2000000"), validator=amount())  # 白金
    diamond_from: Decimal = field(default=Decimal("5000000"), validator=amount())  # 钻石
    branch_scale: Decimal = field(
        default=Decimal("1"), validator=between(Decimal("0.8"), Decimal("1"))
    )
    # Who manages each tier (分级管理): ``crm org assign CODE --tier T`` moves a client to the
    # unit at this level. "The city under provincial oversight" needs no flag: a provincial
    # unit sees every client of the units below it.
    diamond_managed_by: ManagingLevel = field(
        default=ManagingLevel.PROVINCIAL,
        converter=_managing_level,  # 省中心
    )
    platinum_managed_by: ManagingLevel = field(
        default=ManagingLevel.CITY,
        converter=_managing_level,  # 市级 (省监管)
    )
    gold_managed_by: ManagingLevel = field(default=ManagingLevel.CITY, converter=_managing_level)
    vip_managed_by: ManagingLevel = field(default=ManagingLevel.COUNTY, converter=_managing_level)

    def __attrs_post_init__(self) -> None:
        ascending("vip_from", "gold_from", "platinum_from", "diamond_from", rule="CLS-AMT-2")(self)

    def level_for(self, tier: str | None) -> ManagingLevel | None:
        """The level managing a tier (diamond, platinum, gold, vip); None for no or another."""
        if tier is None:
            return None
        return {
            "diamond": self.diamond_managed_by,
            "platinum": self.platinum_managed_by,
            "gold": self.gold_managed_by,
            "vip": self.vip_managed_by,
        }.get(tier.strip().lower())


@frozen(kw_only=True)
class ScoreShares:
    """CLS-SCORE-1: clients ranked by a 100-point score; top 20% A, 30% B, 40% C, 10% D."""

    max_points: int = field(default=100, validator=between(1, 1000, unit="points"))
    criteria: int = field(default=8, validator=between(1, 50))
    share_a: Decimal = field(default=Decimal("20"), validator=percent())
    share_b: Decimal = field(default=Decimal("30"), validator=percent())
    share_c: Decimal = field(default=Decimal("40"), validator=percent())
    share_d: Decimal = field(default=Decimal("10"), validator=percent())

    def __attrs_post_init__(self) -> None:
        total = self.share_a + self.share_b + self.share_c + self.share_d
        if total != 100:
            raise InvalidInput("share_d", f"the four shares add up to {total}%, not 100%")


@frozen(kw_only=True)
class ResponseTimes:
    """CORE-LOG-3: answer inquiries within 24 hours; visit or call class A clients quarterly."""

    answer_within_hours: int = field(default=24, validator=between(1, 24 * 90, unit="hours"))
    class_a_contacts_per_quarter: int = field(default=1, validator=between(1, 100))
    class_a_channels: tuple[str, ...] = field(
        default=("visit", "phone"), converter=tuple, validator=attrs.validators.min_len(1)
    )

    @class_a_channels.validator
    def _known_channels(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        from crmcore.domain.logs import Channel

        known = {c.value for c in Channel}
        for channel in value:
            if channel not in known:
                raise InvalidInput(
                    attribute.name, f"{channel!r} is not one of {', '.join(sorted(known))}"
                )


@frozen(kw_only=True)
class ReportingDays:
    """CORE-ARC-3: credit report and sales analysis by the 6th after each quarter, head office
    consolidates by the 8th. Some divisions report monthly, same day numbers."""

    period: str = field(default="quarter", validator=checks.one_of(("quarter", "month")))
    report_day: int = field(default=6, validator=days(minimum=1, maximum=28))
    consolidation_day: int = field(default=8, validator=days(minimum=1, maximum=28))

    def __attrs_post_init__(self) -> None:
        if self.consolidation_day < self.report_day:
            raise InvalidInput(
                "consolidation_day",
                f"head office consolidates after the reports arrive: day {self.consolidation_day}"
                f" is before day {self.report_day}",
            )


#: (key, class, title, title_zh): registered before any plugin's.
CORE_POLICIES: tuple[tuple[str, type, str, str], ...] = (
    ("CLS-AMT-1", PurchaseTiers, "Key-account tiers by annual purchase", "大客户分级(采购额)"),
    ("CLS-AMT-2", RevenueTiers, "Key-account tiers by annual revenue", "大客户分级(收入)"),
    ("CLS-SCORE-1", ScoreShares, "Scored classes A-D and their shares", "客户评分分级比例"),
    ("CORE-LOG-3", ResponseTimes, "Answering inquiries and contacting class A", "客户响应时限"),
    (
        "CORE-ARC-3",
        ReportingDays,
        "Credit report and sales analysis days",
        "信用报告与销售分析报送",
    ),
    # confidentiality, ownership and archives (issue 4)
    (
        "CORE-CONF-1",
        ConfidentialityPolicy,
        "Record levels and look-up records",
        "保密级别与查阅记录",
    ),
    ("CORE-OWN-1", OwnershipPolicy, "Staff in contact with important clients", "联系报告制"),
    ("CORE-ARC-1", ArchivePolicy, "Archive document size and types", "档案文件限制"),
)


def lookup(specs: Mapping[str, PolicySpec], key: str) -> PolicySpec:
    spec = specs.get(key) or specs.get(key.upper())
    if spec is None:
        raise NotFound(f"policy: unknown policy {key!r} (known: {', '.join(sorted(specs))})")
    return spec
