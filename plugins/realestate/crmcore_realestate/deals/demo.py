"""Demo data of the deals part, for the plugin's ``crm_demo_data``: a project whose bank loan
failed, its negotiation team, three screened candidates, a memo to sign, the first-ranked unit
selected by GM and chairman, the unit cost from the cost department and the retail reference
from sales (RE-PRICE-5), and the first unit's average price approved through the five-step
chain; the second-ranked unit has a draft analysis (its price may not be quoted yet,
RE-PRICE-6).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from crmcore import Client, NewUser, Tx

from .domain import (
    CandidateAnalysis,
    FinancingNeed,
    NewExchange,
    NewPriceAnalysis,
    NewPriceInput,
    NewTeam,
)
from .roles import (
    CHAIRMAN,
    FINANCE_DIRECTOR,
    GM,
    KEY_ACCOUNT_DIRECTOR,
    KEY_ACCOUNT_VGM,
    LAWYER,
    MARKETING_DIRECTOR,
    PROJECT_GM,
)
from .services import deals

if TYPE_CHECKING:
    from crmcore.sampledata import SampleData

PROJECT = "HY-01"  # 弘远花园一期
#: login -> (team position or None, role)
STAFF = {
    "re_vgm": ("leader", KEY_ACCOUNT_VGM),
    "re_kad": ("key_account_director", KEY_ACCOUNT_DIRECTOR),
    "re_mkt": ("marketing_director", MARKETING_DIRECTOR),
    "re_fin": ("finance_director", FINANCE_DIRECTOR),
    "re_pgm": ("project_gm", PROJECT_GM),
    "re_design": ("design_director", "re_design_director"),
    "re_property": ("property_gm", "re_property_gm"),
    "re_lawyer": ("lawyer", LAWYER),
    "re_gm": (None, GM),
    "re_chair": (None, CHAIRMAN),
    "re_cost": (None, "re_cost"),  # 成本部
    "re_retail": (None, "re_retail"),  # 销售部 (散售)
}
#: RE-PRICE-5's inputs: (login, kind, value per m², note)
INPUTS = (
    ("re_cost", "unit_cost", "6800", "未含配套费调整, 可能影响约 200 元/m²"),
    ("re_retail", "retail_reference", "12000", "周边楼盘 11500-12800 元/m², 品牌溢价约 3%"),
)
#: accepted price, payment ratio, resources, owner-occupiers: three distinct RE-SEL-2 rankings
OFFERS = (
    ("9800", "70", "0", "85"),
    ("9800", "60", "2000000", "90"),
    ("9200", "80", "0", "95"),
)


def load(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> str:
    if len(clients) < 3:
        return "deals: no demo (needs 3 clients)"
    d = deals(tx.crm)
    for login, (_, role) in STAFF.items():
        tx.crm.users.add(
            tx, NewUser(login=login, name=sample.person_name(), roles=(role,), clearance="secret")
        )
    chosen = clients[:3]
    for client in chosen:
        for _, role in STAFF.values():
            tx.crm.access.grant(
                tx, client.code, role=role, reason="委建房谈判与审批 (RE-TEAM-1, RE-PRICE-5)"
            )

    def as_(login: str) -> Tx:
        return tx.acting_as(tx.crm.actor(login, tx=tx))

    kad = as_("re_kad")
    d.record_financing(
        kad,
        FinancingNeed(
            project_code=PROJECT,
            bank_financing_failed=True,
            lending_rate=Decimal("12.5"),
            note="工商银行开发贷未获批准",
        ),
    )
    d.form_team(
        kad,
        NewTeam(
            project_code=PROJECT,
            members={pos: login for login, (pos, _) in STAFF.items() if pos},
        ),
    )
    for client, (price, ratio, resources, owners) in zip(chosen, OFFERS, strict=True):
        d.add_candidate(
            kad,
            CandidateAnalysis(
                project_code=PROJECT,
                client_code=client.code,
                first_contacts="工会主席接洽两次, 意向明确",
                model_acceptance="接受委建模式, 需职代会通过",
                past_prices_locations="2024年在天河区团购 9500 元/m²",
                strengths_weaknesses="地铁口; 交房时间较晚",
                buyers_income_housing="职工月收入 1.2 万元, 多数租房",
                price_low="9000",
                price_high="10500",
                accepted_price=price,
                payment_ratio=ratio,
                resources_value=resources,
                owner_occupier_share=owners,
            ),
        )
    for login, (position, _) in STAFF.items():
        if position:  # each member signs the conduct pledge (廉洁承诺, RE-TEAM-1)
            d.record_pledge(kad, PROJECT, login)
    first = d.candidates(kad, PROJECT)[0]
    d.write_memo(
        kad, PROJECT, first.client_code, "第一轮谈判", "双方就均价区间和付款比例达成初步意向。"
    )
    picked = d.propose(kad, PROJECT, first.client_code)
    for login in ("re_gm", "re_chair"):
        d.decide_selection(as_(login), picked.id, approve=True)
    for login, kind, value, note in INPUTS:  # RE-PRICE-5: 成本部, 销售部
        d.pricing.record_input(
            as_(login), NewPriceInput(project_code=PROJECT, kind=kind, value=value, note=note)
        )
    analysis = d.pricing.analyse(
        kad,
        NewPriceAnalysis(
            project_code=PROJECT,
            client_code=first.client_code,
            stage="listing",
            comparable_price="12500",
            average_price="9800",
            payment_ratio="70",
        ),
    )
    d.pricing.add_exchange(
        kad,
        analysis.id,
        NewExchange(
            description="委建单位协调的市政配套道路",
            timing="future",
            assessed_value="1000000",
            discount="600000",
            risk_assessment="道路规划已立项, 风险低",
        ),
    )
    d.pricing.submit(kad, analysis.id)
    for login in ("re_mkt", "re_fin", "re_pgm", "re_gm", "re_chair"):
        d.pricing.decide(as_(login), analysis.id, approve=True)
    second = d.candidates(kad, PROJECT)[1]
    d.pricing.analyse(
        kad,
        NewPriceAnalysis(
            project_code=PROJECT,
            client_code=second.client_code,
            stage="listing",
            comparable_price="12500",
            average_price="9600",
            payment_ratio="60",
        ),
    )
    return f"deals: project {PROJECT}, 3 candidates, 1 unit selected and priced"
