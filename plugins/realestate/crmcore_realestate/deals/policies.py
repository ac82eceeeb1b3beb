"""The numbers of the RE rules this subpackage decides with, as policies (制度参数).

Each default is the rule's number (or, where the source is ambiguous, the rules audit's
recommended reading, named in the docstring). Admins change them with
``crm policy set RE-PRICE-3 min_payment_ratio=60 --from 2027-01-01``; code reads the value in
force with ``tx.crm.policies.in_force(tx, key)``.
"""

from __future__ import annotations

from decimal import Decimal

from attrs import field, frozen

from crmcore import policies
from crmcore.domain import checks

START_MODES = ("any", "all")
RATE_COMPARISONS = ("above", "at_or_above")

#: RE-TEAM-1: the negotiation team's positions (谈判小组), leader first.
TEAM_POSITIONS = (
    "leader",  # 主管大客户副总经理 (组长)
    "project_gm",  # 项目总经理
    "marketing_director",  # 营销总监
    "finance_director",  # 财务总监
    "design_director",  # 研发设计总监
    "key_account_director",  # 大客户部总监
    "property_gm",  # 物业公司总经理
    "lawyer",  # 律师
)

#: RE-SEL-2's criteria, in the source's order (优先 1..4).
RANK_CRITERIA = ("accepted_price", "payment_ratio", "resources_value", "owner_occupier_share")


@frozen(kw_only=True)
class FinancingTrigger:
    """RE-START-1: key-account selling starts only when financing needs it: bank financing
    failed; internal cash flow is short; the social lending rate (社会借贷利息率) is above 10%.

    The source lists the three with no connective (rules audit 1.5/A3): ``mode`` ``any`` (one
    condition suffices, RULES' reading, the default) or ``all``. 「高于10%以上」 is
    contradictory (A2): strictly above the threshold by default (``above``); ``at_or_above``
    counts 10% itself.
    """

    mode: str = field(default="any", validator=checks.one_of(START_MODES))
    lending_rate_threshold: Decimal = field(default=Decimal("10"), validator=policies.percent())
    rate_comparison: str = field(default="above", validator=checks.one_of(RATE_COMPARISONS))


@frozen(kw_only=True)
class NegotiationTeam:
    """RE-TEAM-1: the positions a negotiation team must fill, one person each: the leader (the
    vice general manager for key accounts) and 7 members."""

    positions: tuple[str, ...] = field(default=TEAM_POSITIONS, converter=tuple)

    @positions.validator
    def _known(self, attribute: object, value: tuple[str, ...]) -> None:
        from crmcore import InvalidInput

        unknown = sorted(set(value) - set(TEAM_POSITIONS))
        if unknown:
            raise InvalidInput(
                "positions",
                f"unknown position {unknown[0]!r}; known: {', '.join(TEAM_POSITIONS)}",
                rule="RE-TEAM-1",
            )
        if "leader" not in value:
            raise InvalidInput("positions", "a team needs its leader", rule="RE-TEAM-1")


@frozen(kw_only=True)
class CandidateScreening:
    """RE-SEL-1: at least 3 candidate commissioning units go to the negotiation team; a
    selection is proposed from no fewer (「至少提供给委建房谈判小组3家」, 至少 = ≥)."""

    min_candidates: int = field(default=3, validator=policies.between(1, 100, unit="candidates"))


@frozen(kw_only=True)
class CandidateRanking:
    """RE-SEL-2: candidates rank by these criteria in order, each higher first: accepted price,
    payment ratio, resources offered, share of owner-occupiers. Lexicographic (rules audit A4):
    a later criterion only breaks ties of the earlier ones. The software ranks, the team
    proposes, GM and chairman approve."""

    order: tuple[str, ...] = field(default=RANK_CRITERIA, converter=tuple)

    @order.validator
    def _known(self, attribute: object, value: tuple[str, ...]) -> None:
        from crmcore import InvalidInput

        if sorted(value) != sorted(RANK_CRITERIA):
            raise InvalidInput(
                "order",
                f"name each of {', '.join(RANK_CRITERIA)} once, in the order wanted",
                rule="RE-SEL-2",
            )


@frozen(kw_only=True)
class PricingReferences:
    """RE-PRICE-2: blind pricing (盲目定价) is 80% of comparable nearby prices; experience-based
    pricing (经验定价) is total cost per m² plus 30% for unforeseeable costs. Both are
    reference figures in the price analysis, not floors (rules audit 1.12)."""

    blind_share: Decimal = field(default=Decimal("80"), validator=policies.percent())
    cost_markup: Decimal = field(
        default=Decimal("30"), validator=policies.between(Decimal(0), Decimal(1000), unit="%")
    )


@frozen(kw_only=True)
class PaymentRatio:
    """RE-PRICE-3: the payment ratio is at least 50% (「不应低于50%」: 50% itself is allowed)."""

    min_payment_ratio: Decimal = field(default=Decimal("50"), validator=policies.percent())


@frozen(kw_only=True)
class ExchangeDiscount:
    """RE-PRICE-4: a resource-exchange discount (让利) is at most 70% of the assessed value of
    benefits still to come (「不超过评估值70%」, inclusive), after a risk assessment. For
    benefits already received or being received the source fixes no share (rules audit 1.10):
    the discount is at most ``received_cap`` (default 100%) of their assessed value."""

    future_cap: Decimal = field(default=Decimal("70"), validator=policies.percent())
    received_cap: Decimal = field(default=Decimal("100"), validator=policies.percent())


#: (key, class, title, title_zh) as registered through ``crm_policies``.
POLICIES: tuple[tuple[str, type, str, str], ...] = (
    (
        "RE-START-1",
        FinancingTrigger,
        "Financing trigger for key-account selling",
        "大客户营销启动条件",
    ),
    ("RE-TEAM-1", NegotiationTeam, "Negotiation team positions", "委建房谈判小组"),
    ("RE-SEL-1", CandidateScreening, "Candidate commissioning units", "委建意向单位筛选"),
    ("RE-SEL-2", CandidateRanking, "Ranking of candidates", "委建意向单位排序"),
    (
        "RE-PRICE-2",
        PricingReferences,
        "Blind and experience-based price references",
        "盲目定价/经验定价",
    ),
    ("RE-PRICE-3", PaymentRatio, "Minimum payment ratio", "付款比例下限"),
    ("RE-PRICE-4", ExchangeDiscount, "Resource-exchange discount caps", "资源置换让利上限"),
)
