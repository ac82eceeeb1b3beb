"""The numbers of the RE rules as policies (制度参数): defaults are the rule's numbers.

``crm policy set RE-PRICE-3 min_payment_ratio=60 --from 2027-01-01``. Where the source gives no
number the help text says so, and the plugin's report lists it for the team to set.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from attrs import field, frozen

from crmcore import InvalidInput, policies


def _help(text: str) -> dict[str, Any]:
    return {"help": text}


@frozen(kw_only=True)
class UnitPriceDifferentials:
    """RE-PRICE-5: unit prices follow from the approved average with floor and layout
    differentials (层高差, 户型差). The source gives no figures: defaults are zero (every unit at
    the average); set your project's scale."""

    reference_floor: int = field(default=1, validator=policies.between(-5, 200))
    floor_step_percent: Decimal = field(
        default=Decimal("0"),
        validator=policies.between(Decimal("-20"), Decimal("20"), unit="%"),
        metadata=_help("per floor above the reference floor; NOT from the source"),
    )
    layout_percent: tuple[str, ...] = field(
        default=(),
        converter=tuple,
        metadata=_help("layout=percent pairs, e.g. 3室2厅=2; NOT from the source"),
    )

    @layout_percent.validator
    def _pairs(self, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
        for item in value:
            name, _, pct = item.partition("=")
            try:
                Decimal(pct)
            except ArithmeticError:
                raise InvalidInput(attribute.name, f"{item!r} is not layout=percent") from None
            if not name.strip():
                raise InvalidInput(attribute.name, f"{item!r} has no layout")

    def layouts(self) -> dict[str, Decimal]:
        return {
            k.strip(): Decimal(v) for k, _, v in (i.partition("=") for i in self.layout_percent)
        }


@frozen(kw_only=True)
class RetailShare:
    """RE-ALLOC-1: a release must leave retail sellable. The source gives no share: the warning
    fires when retail would keep less than this share of a building or of a floor band."""

    min_retail_percent: Decimal = field(
        default=Decimal("30"),
        validator=policies.percent(),
        metadata=_help("NOT from the source (it says only 'leave retail sellable')"),
    )
    floor_band: int = field(
        default=5,
        validator=policies.between(1, 200),
        metadata=_help("floors per band (1-5, 6-10, ...); NOT from the source"),
    )


@frozen(kw_only=True)
class MortgageSwitchFee:
    """RE-PAY-3: switching from full payment to a mortgage costs 1,000 to 3,000 CNY (A11)."""

    min_fee: Decimal = field(default=Decimal("1000"), validator=policies.amount())
    max_fee: Decimal = field(default=Decimal("3000"), validator=policies.amount())

    def __attrs_post_init__(self) -> None:
        policies.ascending("min_fee", "max_fee", rule="RE-PAY-3")(self)


@frozen(kw_only=True)
class RenameFee:
    """RE-RENAME-1: renaming to someone not on the list, where the contract allows it, costs 50%
    of (market price of our other projects at the same stage − contract price), per rename."""

    fee_percent: Decimal = field(default=Decimal("50"), validator=policies.percent())


@frozen(kw_only=True)
class RelationPaperwork:
    """RE-REL-1: after a phone approval the handler files the paperwork within 5 working days,
    or gets no further relationship units (A12)."""

    paperwork_days: int = field(default=5, validator=policies.days(minimum=1))


#: (key, class, title, title_zh)
POLICIES: tuple[tuple[str, type, str, str], ...] = (
    ("RE-PRICE-5", UnitPriceDifferentials, "Floor and layout differentials", "层高差与户型差"),
    ("RE-ALLOC-1", RetailShare, "Retail share a release must leave", "散售房源保留比例"),
    ("RE-PAY-3", MortgageSwitchFee, "Mortgage switch fee", "全款转按揭手续费"),
    ("RE-RENAME-1", RenameFee, "Rename fee share", "更名费比例"),
    ("RE-REL-1", RelationPaperwork, "Relationship unit paperwork", "关系房补办手续期限"),
)
