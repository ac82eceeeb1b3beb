"""The pure rules of the deals part, property-based: RE-SEL-2 ranking, RE-START-1 trigger,
RE-PRICE-2 references and the RE-PRICE-4 cap, on every input hypothesis can think of."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise

import pytest
from crmcore_realestate.deals import domain
from crmcore_realestate.deals.policies import (
    CandidateRanking,
    ExchangeDiscount,
    FinancingTrigger,
    PricingReferences,
)
from hypothesis import given
from hypothesis import strategies as st

from crmcore import InvalidInput

money = st.decimals(min_value=0, max_value=100000, places=2)
percent = st.decimals(min_value=0, max_value=100, places=2)
NOW = datetime(2026, 11, 27, tzinfo=UTC)


def candidate(i: int, price: Decimal, ratio: Decimal, res: Decimal, own: Decimal):  # type: ignore[no-untyped-def]
    return domain.Candidate(
        id=i, project_code="P", client_code=f"C{i}", client_name="x", first_contacts="",
        model_acceptance="", past_prices_locations="", strengths_weaknesses="",
        buyers_income_housing="", price_low=Decimal(0), price_high=Decimal(0),
        accepted_price=price, payment_ratio=ratio, resources_value=res,
        owner_occupier_share=own, other=None, recorded_by="u", recorded_at=NOW,
    )  # fmt: skip


@given(st.lists(st.tuples(money, percent, money, percent), min_size=1, max_size=8))
def test_re_sel_2_ranking_is_lexicographic_and_ties_share_a_rank(figures):  # type: ignore[no-untyped-def]
    ranked = domain.rank([candidate(i, *f) for i, f in enumerate(figures)], CandidateRanking())
    keys = [
        (c.accepted_price, c.payment_ratio, c.resources_value, c.owner_occupier_share)
        for c in ranked
    ]
    assert keys == sorted(keys, reverse=True)
    assert ranked[0].rank == 1
    for (before, kb), (after, ka) in pairwise(zip(ranked, keys, strict=True)):
        assert (after.rank == before.rank) == (ka == kb)


@given(
    st.booleans(),
    st.booleans(),
    st.one_of(st.none(), percent),
    st.sampled_from(["any", "all"]),
    st.sampled_from(["above", "at_or_above"]),
)
def test_re_start_1_trigger_follows_the_policy(bank, cash, rate, mode, comparison):  # type: ignore[no-untyped-def]
    policy = FinancingTrigger(mode=mode, rate_comparison=comparison)
    need = domain.FinancingNeed(
        project_code="P", bank_financing_failed=bank, cash_flow_short=cash, lending_rate=rate
    )
    high = rate is not None and (rate > 10 or (comparison == "at_or_above" and rate == 10))
    met = [bank, cash, high]
    starts = all(met) if mode == "all" else any(met)
    assert (domain.trigger_reason(need, policy) is None) == starts


@given(money, money)
def test_re_price_2_references(comparable, cost):  # type: ignore[no-untyped-def]
    blind, cost_plus = domain.references(comparable, cost, PricingReferences())
    assert abs(blind - comparable * Decimal("0.8")) <= Decimal("0.005")
    assert abs(cost_plus - cost * Decimal("1.3")) <= Decimal("0.005")


@given(money, money)
def test_re_price_4_future_discount_at_most_70_percent(assessed, discount):  # type: ignore[no-untyped-def]
    exchange = domain.NewExchange(
        description="x",
        timing="future",
        assessed_value=assessed,
        discount=discount,
        risk_assessment="ok",
    )
    cap = (assessed * Decimal("0.7")).quantize(Decimal("0.01"))
    if discount <= cap:
        exchange.check(ExchangeDiscount())
    else:
        with pytest.raises(InvalidInput, match="above the cap") as err:
            exchange.check(ExchangeDiscount())
        assert err.value.rule == "RE-PRICE-4"
