"""What a deal is made of, pure: inputs checked on construction, the financing trigger, the
ranking of candidates and the price references. No database here."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from types import SimpleNamespace
from typing import Any

from attrs import field, frozen

from crmcore import InvalidInput
from crmcore.domain import checks

from .policies import (
    RANK_CRITERIA,
    CandidateRanking,
    ExchangeDiscount,
    FinancingTrigger,
    PaymentRatio,
    PricingReferences,
)

CENT = Decimal("0.01")


def decimal_or_none(value: Any) -> Decimal | None:
    """Text or a number as an exact Decimal (None stays None); never a float's noise."""
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    try:
        result = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        return value  # the validator names the field
    return result


def _number(
    *, rule: str, minimum: Decimal = Decimal(0), maximum: Decimal | None = None, places: int = 2
) -> Any:
    def check(_inst: Any, attribute: Any, value: Any) -> None:
        if value is None:
            return
        if not isinstance(value, Decimal) or not value.is_finite():
            raise InvalidInput(attribute.name, f"{value!r} is not a number", rule=rule)
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -places:
            raise InvalidInput(attribute.name, f"has more than {places} decimal places", rule=rule)
        if value < minimum:
            raise InvalidInput(
                attribute.name, f"must be at least {minimum}, not {value}", rule=rule
            )
        if maximum is not None and value > maximum:
            raise InvalidInput(attribute.name, f"must be at most {maximum}, not {value}", rule=rule)

    return check


def _required(rule: str) -> Any:
    def check(_inst: Any, attribute: Any, value: Any) -> None:
        if value is None:
            raise InvalidInput(attribute.name, "is required", rule=rule)

    return check


PROJECT_CODE = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}"


def project_code(rule: str) -> Any:
    return [
        checks.text(40, required=True, rule=rule),
        checks.pattern(PROJECT_CODE, "a project code (letters, digits, - _ .)", rule=rule),
    ]


def percent_of(rule: str) -> Any:
    return _number(rule=rule, maximum=Decimal(100))


# -- RE-START-1: why key-account selling starts ----------------------------------------------


@frozen(kw_only=True)
class FinancingNeed:
    """The financing situation of a project when key-account selling is considered (RE-START-1)."""

    project_code: str = field(converter=checks.stripped, validator=project_code("RE-START-1"))
    bank_financing_failed: bool = False  # 对银行融资失败
    cash_flow_short: bool = False  # 公司内部资金周转困难
    lending_rate: Decimal | None = field(  # 社会借贷利息率, % a year
        default=None, converter=decimal_or_none, validator=percent_of("RE-START-1")
    )
    note: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(2000)
    )


def conditions_met(need: FinancingNeed, policy: FinancingTrigger) -> dict[str, bool]:
    """Each RE-START-1 condition and whether it holds (an unknown lending rate does not)."""
    rate = need.lending_rate
    threshold = policy.lending_rate_threshold
    if rate is None:
        rate_high = False
    elif policy.rate_comparison == "at_or_above":
        rate_high = rate >= threshold
    else:
        rate_high = rate > threshold
    return {
        "bank_financing_failed": need.bank_financing_failed,
        "cash_flow_short": need.cash_flow_short,
        "lending_rate_high": rate_high,
    }


def trigger_reason(need: FinancingNeed, policy: FinancingTrigger) -> str | None:
    """None when the conditions start key-account selling, else why not (RE-START-1)."""
    met = conditions_met(need, policy)
    comparison = ">" if policy.rate_comparison == "above" else "≥"
    wanted = (
        "bank financing failed, cash flow short, "
        f"social lending rate {comparison} {policy.lending_rate_threshold}%"
    )
    if policy.mode == "all" and not all(met.values()):
        missing = ", ".join(k for k, v in met.items() if not v)
        return f"all three conditions are required ({wanted}); not met: {missing}"
    if policy.mode == "any" and not any(met.values()):
        return f"none of the conditions holds ({wanted})"
    return None


# -- RE-TEAM-1: the negotiation team ---------------------------------------------------------


@frozen(kw_only=True)
class NewTeam:
    """Who fills each position of a project's negotiation team: ``{position: login}``."""

    project_code: str = field(converter=checks.stripped, validator=project_code("RE-TEAM-1"))
    members: Mapping[str, str] = field(converter=dict)

    def check(self, positions: Sequence[str]) -> None:
        """Every position of the policy filled, nothing else, each by a different person."""
        unknown = sorted(set(self.members) - set(positions))
        if unknown:
            raise InvalidInput(
                "members",
                f"{unknown[0]!r} is not a position of the team ({', '.join(positions)})",
                rule="RE-TEAM-1",
            )
        missing = [p for p in positions if not self.members.get(p)]
        if missing:
            raise InvalidInput(
                "members",
                f"the team needs a person for each position; missing: {', '.join(missing)}",
                rule="RE-TEAM-1",
            )
        logins = list(self.members.values())
        twice = sorted({x for x in logins if logins.count(x) > 1})
        if twice:
            raise InvalidInput(
                "members", f"{twice[0]} holds two positions; one each", rule="RE-TEAM-1"
            )


# -- RE-SEL-1/2: candidates ------------------------------------------------------------------


@frozen(kw_only=True)
class CandidateAnalysis:
    """The client analysis of a candidate commissioning unit (RE-SEL-1, 客户分析): the six
    points of the source (「包括但不限于」: ``other`` for more), plus the RE-SEL-2 figures."""

    project_code: str = field(converter=checks.stripped, validator=project_code("RE-SEL-1"))
    client_code: str = field(converter=checks.stripped, validator=checks.text(40, required=True))
    first_contacts: str = field(validator=checks.text(4000, required=True, rule="RE-SEL-1"))
    model_acceptance: str = field(validator=checks.text(4000, required=True, rule="RE-SEL-1"))
    past_prices_locations: str = field(validator=checks.text(4000, required=True, rule="RE-SEL-1"))
    strengths_weaknesses: str = field(validator=checks.text(4000, required=True, rule="RE-SEL-1"))
    buyers_income_housing: str = field(validator=checks.text(4000, required=True, rule="RE-SEL-1"))
    price_low: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-SEL-1"), _number(rule="RE-SEL-1")]
    )
    price_high: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-SEL-1"), _number(rule="RE-SEL-1")]
    )
    # RE-SEL-2's criteria: the price per m² it accepts, the payment ratio it offers (%), the
    # assessed value of the resources it offers in exchange (CNY), its owner-occupiers (%)
    accepted_price: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-SEL-2"), _number(rule="RE-SEL-2")]
    )
    payment_ratio: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-SEL-2"), percent_of("RE-SEL-2")]
    )
    resources_value: Decimal = field(
        default=Decimal(0), converter=decimal_or_none, validator=_number(rule="RE-SEL-2")
    )
    owner_occupier_share: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-SEL-2"), percent_of("RE-SEL-2")]
    )
    other: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(4000)
    )

    def __attrs_post_init__(self) -> None:
        if self.price_high < self.price_low:
            raise InvalidInput(
                "price_high",
                f"the acceptable range ends ({self.price_high}) below its start ({self.price_low})",
                rule="RE-SEL-1",
            )


@frozen(kw_only=True)
class Candidate:
    id: int
    project_code: str
    client_code: str
    client_name: str
    first_contacts: str
    model_acceptance: str
    past_prices_locations: str
    strengths_weaknesses: str
    buyers_income_housing: str
    price_low: Decimal
    price_high: Decimal
    accepted_price: Decimal
    payment_ratio: Decimal
    resources_value: Decimal
    owner_occupier_share: Decimal
    other: str | None
    recorded_by: str
    recorded_at: datetime
    rank: int = 0  # 1 = first under RE-SEL-2; equal figures share a rank


def rank(candidates: Sequence[Candidate], policy: CandidateRanking) -> list[Candidate]:
    """RE-SEL-2, lexicographic in the policy's order, each criterion higher first; candidates
    with equal figures on every criterion share a rank (the team decides between them)."""
    order = policy.order or RANK_CRITERIA

    def key(c: Candidate) -> tuple[Decimal, ...]:
        return tuple(getattr(c, name) for name in order)

    ranked = sorted(candidates, key=lambda c: (tuple(-v for v in key(c)), c.id))
    result: list[Candidate] = []
    for position, candidate in enumerate(ranked, start=1):
        same = result and key(result[-1]) == key(candidate)
        result.append(_with_rank(candidate, result[-1].rank if same else position))
    return result


def _with_rank(candidate: Candidate, value: int) -> Candidate:
    import attrs

    return attrs.evolve(candidate, rank=value)


# -- RE-PRICE: the price analysis ------------------------------------------------------------


class Stage(enum.StrEnum):
    """RE-PRICE-1: the project stage; prices rise from one to the next (土地/挂牌/建设阶段).

    Each has three milestones in the source (rules audit §2): land negotiation → demolition →
    listing; listing → confirmation → land certificate; start of works → topping out →
    completion.
    """

    LAND = "land"  # 土地阶段
    LISTING = "listing"  # 挂牌阶段
    CONSTRUCTION = "construction"  # 建设阶段

    @property
    def order(self) -> int:
        return list(Stage).index(self)


EXCHANGE_TIMINGS = ("received", "receiving", "future")  # 已受益, 正在受益, 未来受益


class PriceInputKind(enum.StrEnum):
    """RE-PRICE-5: who gives which input of a price analysis."""

    UNIT_COST = "unit_cost"  # 成本部: 单位成本 (total cost per m², secret, RE-PRICE-6)
    RETAIL_REFERENCE = "retail_reference"  # 销售部: 散售参考价 (retail reference price per m²)


@frozen(kw_only=True)
class NewPriceInput:
    """A department's input to a project's price analyses (RE-PRICE-5): a value per m² and a
    note (the cost department names the uncertainties of its estimate and what they may cost,
    sales the nearby prices and brand value it used)."""

    project_code: str = field(converter=checks.stripped, validator=project_code("RE-PRICE-5"))
    kind: PriceInputKind = field(converter=checks.enum_of(PriceInputKind, rule="RE-PRICE-5"))
    value: Decimal = field(converter=decimal_or_none)
    note: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(8000)
    )

    def __attrs_post_init__(self) -> None:
        # errors name the input (unit_cost, retail_reference), not the generic "value"
        named = SimpleNamespace(name=self.kind.value)
        _required("RE-PRICE-5")(self, named, self.value)
        _number(rule="RE-PRICE-5", minimum=CENT)(self, named, self.value)


@frozen(kw_only=True)
class NewPriceAnalysis:
    """What the key-account department writes (RE-PRICE-5): the stage, the comparable nearby
    price, the meeting's average price and payment ratio. The unit cost and the retail
    reference are the departments' latest recorded inputs (:class:`NewPriceInput`)."""

    project_code: str = field(converter=checks.stripped, validator=project_code("RE-PRICE-5"))
    client_code: str = field(converter=checks.stripped, validator=checks.text(40, required=True))
    stage: Stage = field(converter=checks.enum_of(Stage, rule="RE-PRICE-1"))
    comparable_price: Decimal = field(  # 周边相同水平楼盘销售价格, per m²
        converter=decimal_or_none, validator=[_required("RE-PRICE-2"), _number(rule="RE-PRICE-2")]
    )
    average_price: Decimal = field(  # the meeting's average price per m² (均价)
        converter=decimal_or_none, validator=[_required("RE-PRICE-5"), _number(rule="RE-PRICE-5")]
    )
    payment_ratio: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-PRICE-3"), percent_of("RE-PRICE-3")]
    )
    notes: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(8000)
    )

    def check_payment_ratio(self, policy: PaymentRatio) -> None:
        check_payment_ratio(self.payment_ratio, policy)


def check_payment_ratio(ratio: Decimal, policy: PaymentRatio) -> None:
    """RE-PRICE-3: it is financing, so at least the policy's share is paid (50%, inclusive)."""
    if ratio < policy.min_payment_ratio:
        raise InvalidInput(
            "payment_ratio",
            f"{ratio}% is below the minimum payment ratio of {policy.min_payment_ratio}%",
            rule="RE-PRICE-3",
        )


def references(
    comparable_price: Decimal, unit_cost: Decimal | None, policy: PricingReferences
) -> tuple[Decimal, Decimal | None]:
    """RE-PRICE-2: (blind reference, experience-based reference), per m², to the fen."""
    blind = (comparable_price * policy.blind_share / 100).quantize(CENT, ROUND_HALF_UP)
    if unit_cost is None:
        return blind, None
    cost_plus = (unit_cost * (100 + policy.cost_markup) / 100).quantize(CENT, ROUND_HALF_UP)
    return blind, cost_plus


@frozen(kw_only=True)
class NewExchange:
    """A resource offered by the commissioning unit in exchange for a discount (RE-PRICE-4)."""

    description: str = field(
        converter=checks.stripped, validator=checks.text(500, required=True, rule="RE-PRICE-4")
    )
    timing: str = field(validator=checks.one_of(EXCHANGE_TIMINGS, rule="RE-PRICE-4"))
    assessed_value: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-PRICE-4"), _number(rule="RE-PRICE-4")]
    )
    discount: Decimal = field(
        converter=decimal_or_none, validator=[_required("RE-PRICE-4"), _number(rule="RE-PRICE-4")]
    )
    risk_assessment: str | None = field(
        default=None, converter=checks.blank_to_none, validator=checks.text(4000)
    )

    def check(self, policy: ExchangeDiscount) -> None:
        """At most 70% of the assessed value for future benefits, after a risk assessment; at
        most ``received_cap`` of it for benefits received or being received."""
        if self.timing == "future":
            if not self.risk_assessment:
                raise InvalidInput(
                    "risk_assessment",
                    "a future benefit needs its risk assessment (风险评估)",
                    rule="RE-PRICE-4",
                )
            cap_share = policy.future_cap
        else:
            cap_share = policy.received_cap
        cap = (self.assessed_value * cap_share / 100).quantize(CENT, ROUND_HALF_UP)
        if self.discount > cap:
            raise InvalidInput(
                "discount",
                f"{self.discount} is above the cap of {cap} ({cap_share}% of the assessed value "
                f"{self.assessed_value} for a {self.timing} benefit)",
                rule="RE-PRICE-4",
            )


# -- views -----------------------------------------------------------------------------------


@frozen(kw_only=True)
class Financing:
    """A recorded financing need that started key-account selling for a project (RE-START-1)."""

    id: int
    project_code: str
    bank_financing_failed: bool
    cash_flow_short: bool
    lending_rate: Decimal | None
    conditions: Mapping[str, Any]  # condition -> met; "policy": the RE-START-1 value used
    note: str | None
    recorded_by: str
    recorded_at: datetime


@frozen(kw_only=True)
class TeamMember:
    position: str
    login: str
    name: str
    #: RE-TEAM-1: when this member's signed conduct pledge (廉洁承诺) for the project was
    #: recorded, and by whom; None until then (no negotiation memo is written for them to sign)
    pledged_at: datetime | None = None
    pledge_recorded_by: str | None = None


@frozen(kw_only=True)
class Team:
    id: int
    project_code: str
    members: tuple[TeamMember, ...]
    formed_by: str
    formed_at: datetime

    @property
    def logins(self) -> tuple[str, ...]:
        return tuple(m.login for m in self.members)


@frozen(kw_only=True)
class Selection:
    """A proposed commissioning unit and its GM/chairman approval (RE-SEL-2)."""

    id: int
    project_code: str
    client_code: str
    client_name: str
    ranking: Mapping[str, Any]  # {"order": [...], "ranked": [{client, rank, ...}, ...]}
    reason: str | None
    status: str  # submitted | approved | rejected | withdrawn
    waiting_for: str | None
    workflow_id: int
    proposed_by: str
    proposed_at: datetime


@frozen(kw_only=True)
class Exchange:
    id: int
    description: str
    timing: str
    assessed_value: Decimal
    discount: Decimal
    cap: Decimal
    risk_assessment: str | None


@frozen(kw_only=True)
class PriceAnalysis:
    """The price analysis of one commissioning unit (RE-PRICE-5), as a reader may see it: the
    cost, what reveals it and an unapproved average are None when masked (RE-PRICE-6)."""

    id: int
    project_code: str
    client_code: str
    client_name: str
    stage: str
    comparable_price: Decimal
    blind_reference: Decimal  # 盲目定价参考价 (RE-PRICE-2)
    unit_cost: Decimal | None  # secret
    cost_plus_reference: Decimal | None  # 经验定价参考价, secret (it reveals the cost)
    retail_reference: Decimal
    average_price: Decimal | None  # secret until approved
    payment_ratio: Decimal
    exchanges: tuple[Exchange, ...]
    total_discount: Decimal
    notes: str | None
    unit_cost_version: int | None  # the cost department's input used (None before 0005)
    retail_reference_version: int | None  # sales' input used
    status: str  # draft | submitted | approved | rejected | withdrawn
    waiting_for: str | None
    workflow_id: int | None
    stage_warning: str | None  # RE-PRICE-1: below an average approved at an earlier stage
    recorded_by: str
    recorded_at: datetime
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class PriceInput:
    """A recorded department input of RE-PRICE-5, as a reader may see it: a unit cost's value
    and note are None when masked (RE-PRICE-6)."""

    id: int
    project_code: str
    kind: str  # unit_cost | retail_reference
    version: int
    value: Decimal | None
    note: str | None
    recorded_by: str
    recorded_at: datetime
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class Quote:
    """What may be told to a commissioning unit once its average price is approved."""

    project_code: str
    client_code: str
    average_price: Decimal
    payment_ratio: Decimal
    approved_at: datetime
