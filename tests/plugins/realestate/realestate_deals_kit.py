"""Helpers for the deals tests of the realestate plugin: staff (one per role), clients KA1-KA4,
the project's unit cost and retail reference from their departments (RE-PRICE-5), a started
project with its team and candidates. Imported by basename."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from crmcore_realestate.deals.domain import (
    CandidateAnalysis,
    FinancingNeed,
    NewPriceAnalysis,
    NewPriceInput,
    NewTeam,
)
from crmcore_realestate.deals.services import DealService, deals

from crmcore import Crm, NewClient, NewUnit, NewUser

PROJECT = "HY-01"
#: login -> (team position or None, role); everyone cleared for secret (机密)
STAFF = {
    "vgm": ("leader", "re_key_account_vgm"),
    "kad": ("key_account_director", "director"),
    "mkt": ("marketing_director", "marketing_director"),
    "fin": ("finance_director", "finance_director"),
    "pgm": ("project_gm", "project_gm"),
    "design": ("design_director", "re_design_director"),
    "prop": ("property_gm", "re_property_gm"),
    "lawyer": ("lawyer", "lawyer"),
    "gm": (None, "gm"),
    "chair": (None, "chairman"),
    "cost": (None, "re_cost"),  # 成本部: the unit cost (RE-PRICE-5)
    "retail": (None, "re_retail"),  # 销售部: the retail reference price (RE-PRICE-5)
}
TEAM = {pos: login for login, (pos, _) in STAFF.items() if pos}
APPROVERS = ("mkt", "fin", "pgm", "gm", "chair")  # RE-PRICE-5, in order
CLIENTS = {
    "KA1": "广州恒达电子科技有限公司",
    "KA2": "广东粤海水务股份有限公司",
    "KA3": "广州市第一人民医院",
    "KA4": "中国南方航空股份有限公司",
}
#: RE-SEL-2 figures per client: accepted price, payment ratio, resources, owner-occupiers
OFFERS = {
    "KA1": ("9800", "70", "0", "85"),
    "KA2": ("9800", "70", "500000", "80"),  # ties KA1 on 1 and 2, wins on resources
    "KA3": ("9900", "55", "0", "60"),  # the highest price wins whatever follows
    "KA4": ("9200", "90", "0", "99"),
}


def setup(crm: Crm, *, inputs: bool = True) -> DealService:
    """Staff at the head office (总部), which holds the clients: approvers must be able to read
    what they approve (CORE-CONF-2). ``am`` is an account manager cleared for confidential only.
    With ``inputs``, PROJECT's unit cost (6800) and retail reference (12000) are recorded."""
    admin = crm.actor("admin")
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
    for login, (_, role) in STAFF.items():
        crm.users.add(admin, NewUser(login=login, name=login, roles=(role,), clearance="secret"))
        crm.org.add_member(admin, "HQ", login)
    crm.users.add(
        admin, NewUser(login="am", name="am", roles=("account_manager",), clearance="confidential")
    )
    crm.org.add_member(admin, "HQ", "am")
    crm.org.add_member(admin, "HQ", "admin")
    for code, name in CLIENTS.items():
        crm.clients.add(admin, NewClient(name=name, code=code))
    d = deals(crm)
    if inputs:
        record_inputs(d, crm)
    return d


def record_inputs(
    d: DealService, crm: Crm, project: str = PROJECT, cost: str = "6800", retail: str = "12000"
) -> None:
    """The cost department's unit cost and sales' retail reference of ``project`` (RE-PRICE-5)."""
    for login, kind, value in (("cost", "unit_cost", cost), ("retail", "retail_reference", retail)):
        d.pricing.record_input(
            crm.actor(login), NewPriceInput(project_code=project, kind=kind, value=value)
        )


def start(d: DealService, crm: Crm, project: str = PROJECT) -> None:
    d.record_financing(
        crm.actor("kad"), FinancingNeed(project_code=project, bank_financing_failed=True)
    )


def analysis(client: str, project: str = PROJECT, **changes: Any) -> CandidateAnalysis:
    price, ratio, resources, owners = OFFERS[client]
    values: dict[str, Any] = {
        "project_code": project,
        "client_code": client,
        "first_contacts": "工会主席接洽两次",
        "model_acceptance": "接受委建模式",
        "past_prices_locations": "2024年天河区团购 9500 元/m²",
        "strengths_weaknesses": "地铁口; 交房较晚",
        "buyers_income_housing": "月收入 1.2 万元, 多数租房",
        "price_low": "9000",
        "price_high": "10500",
        "accepted_price": price,
        "payment_ratio": ratio,
        "resources_value": resources,
        "owner_occupier_share": owners,
    }
    values.update(changes)
    return CandidateAnalysis(**values)


def screened(d: DealService, crm: Crm, clients: tuple[str, ...] = ("KA1", "KA2", "KA3")) -> None:
    start(d, crm)
    form_team(d, crm)
    for code in clients:
        d.add_candidate(crm.actor("kad"), analysis(code))


def form_team(d: DealService, crm: Crm, *, pledged: bool = True) -> None:
    """PROJECT's team; with ``pledged``, every member's conduct pledge recorded (RE-TEAM-1)."""
    d.form_team(crm.actor("kad"), NewTeam(project_code=PROJECT, members=TEAM))
    if pledged:
        for login in TEAM.values():
            d.record_pledge(crm.actor("kad"), PROJECT, login)


def price_analysis(client: str = "KA1", **changes: Any) -> NewPriceAnalysis:
    values: dict[str, Any] = {
        "project_code": PROJECT,
        "client_code": client,
        "stage": "listing",
        "comparable_price": "12500",
        "average_price": "9800",
        "payment_ratio": "60",
    }
    values.update(changes)
    return NewPriceAnalysis(**values)


def approve_all(d: DealService, crm: Crm, analysis_id: int) -> None:
    for login in APPROVERS:
        d.pricing.decide(crm.actor(login), analysis_id, approve=True)


D = Decimal
