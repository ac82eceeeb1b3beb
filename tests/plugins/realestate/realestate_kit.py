"""Helpers for the real estate plugin's tests: staff, a commissioning unit, a project with two
buildings, a financing target, a released batch, a checked buyer list, the approved average.
Imported by basename (``from realestate_kit import ...``)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from crmcore_realestate.deals.domain import NewPriceAnalysis
from crmcore_realestate.deals.services import deals
from crmcore_realestate.domain import NewTicket
from crmcore_realestate.services import RealEstateService
from realestate_deals_kit import record_inputs

from crmcore import Crm, NewAssignmentRule, NewClient, NewUnit, NewUser

CHINA = ZoneInfo("Asia/Shanghai")
PROJECT = "HY1"
CLIENT = "KA1"
ORG = "HQ"
#: login -> roles
STAFF = {
    "sales": ("re_sales",),
    "sales2": ("re_sales",),
    "checker": ("re_checker",),
    "fin": ("finance",),
    "legal": ("audit_legal",),
    "lawyer": ("lawyer",),
    "mkt": ("marketing_director",),
    "fd": ("finance_director",),
    "pgm": ("project_gm",),
    "gm": ("gm",),
    "chair": ("chairman",),
    "kad": ("director",),  # key-account director: makes the price analysis (RE-PRICE-5)
    "retail": ("re_retail",),  # retail desk; also gives sales' retail reference (RE-PRICE-5)
    "cost": ("re_cost",),  # cost department: the unit cost (RE-PRICE-5)
}
APPROVERS = ("mkt", "fd", "pgm", "gm")
PRICE_APPROVERS = (*APPROVERS, "chair")  # RE-PRICE-5, in order
#: two buildings, floors 1-6, two units per floor; building 1 is released to KA1 floors 1-3
UNIT_ROWS = [
    {
        "building": b,
        "unit": f"{f:02d}0{n}",
        "floor": str(f),
        "layout": "3室2厅" if n == 1 else "2室1厅",
        "area": "100.00" if n == 1 else "80.50",
    }
    for b in ("1", "2")
    for f in range(1, 7)
    for n in (1, 2)
]
RELEASED = [f"1-{f:02d}0{n}" for f in (1, 2, 3) for n in (1, 2)]
AVERAGE = Decimal("8000")
#: valid ID numbers; OTHER is valid and on no list
OTHER = ("张秀悦", "110107197512038684")
#: valid ID numbers (GB 11643-1999 check digits)
BUYERS = [
    ("谢洁", "34062119730719348X"),
    ("孙辉德", "130105198407038514"),
    ("卢玲霞", "610323197806147009"),
    ("蒋力晨", "640122199002110232"),
    ("陈晨", "120106197512081055"),
    ("李娟丽", "620123197907225185"),
    ("谢春磊", "310105198910260052"),
    ("赵晓", "430121197306274338"),
]


def freeze(crm: Crm, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 10, tzinfo=CHINA).astimezone(UTC)
    crm.clock = lambda: moment


def staff(crm: Crm) -> None:
    admin = crm.actor("admin")
    crm.org.add_unit(admin, NewUnit(code=ORG, name="总部", kind="head_office", region="广东"))
    crm.org.add_rule(admin, NewAssignmentRule(unit=ORG, region="广东"))
    for login, roles in STAFF.items():
        # the average price is secret until approved (RE-PRICE-6): who prices it is cleared
        clearance = "secret" if login in (*PRICE_APPROVERS, "kad", "cost") else "confidential"
        crm.users.add(admin, NewUser(login=login, name=login, roles=roles, clearance=clearance))
        crm.org.add_member(admin, ORG, login)
    crm.clients.add(admin, NewClient(name="广州市第一人民医院", code=CLIENT, region="广东/广州"))


def setup(
    crm: Crm, *, release: bool = True, approve: bool = True, buyers: bool = True
) -> RealEstateService:
    freeze(crm, date(2026, 3, 2))
    staff(crm)
    re = RealEstateService(crm)
    admin = crm.actor("admin")
    re.add_project(admin, PROJECT, "和园一期")
    re.load_units(admin, PROJECT, UNIT_ROWS)
    if release:
        re.set_target(crm.actor("fin"), 2026, "50000000")
        do_release(re, RELEASED)
    if approve:
        approve_average(crm, PROJECT, CLIENT, AVERAGE)
    if buyers:
        lst = re.import_buyers(crm.actor("sales"), PROJECT, CLIENT, BUYERS)
        check_all(re, lst.number)
    return re


def approve_average(crm: Crm, project: str, client: str, average: object) -> None:
    """The average price of ``client`` in ``project`` through the five-step chain (RE-PRICE-5),
    from the unit cost and retail reference its departments record: the only way the price
    gate opens."""
    d, kad = deals(crm), crm.actor("kad")
    record_inputs(d, crm, project)
    analysis = d.pricing.analyse(
        kad,
        NewPriceAnalysis(
            project_code=project,
            client_code=client,
            stage="listing",
            comparable_price="12500",
            average_price=str(average),
            payment_ratio="60",
        ),
    )
    d.pricing.submit(kad, analysis.id)
    for login in PRICE_APPROVERS:
        d.pricing.decide(crm.actor(login), analysis.id, approve=True)


def check_all(re: RealEstateService, number: str) -> None:
    """RE-LIST-1: audit/legal, finance and the lawyer check the list."""
    for login, role in (("legal", "audit_legal"), ("fin", "finance"), ("lawyer", "lawyer")):
        re.check_list(re.crm.actor(login), number, role)


def do_release(re: RealEstateService, refs: list[str]) -> str:
    crm = re.crm
    release = re.request_release(crm.actor("sales"), PROJECT, CLIENT, refs)
    assert release.instance_id is not None
    for login in APPROVERS:
        crm.workflows.advance(crm.actor(login), release.instance_id, "approve")
    return release.number


def ticket(unit: str, buyer: int = 0, **kw: object) -> NewTicket:
    name, number = BUYERS[buyer]
    values: dict[str, object] = {
        "unit": unit,
        "buyer_name": name,
        "id_number": number,
        "reservation_fee": "5000",
    }
    values.update(kw)
    return NewTicket(**values)  # type: ignore[arg-type]


def sign(re: RealEstateService, number: str, login: str = "sales") -> None:
    """RE-TICKET-1: the buyer signed the ticket, the desk holds the signed copy."""
    re.sign_ticket(re.crm.actor(login), number)


def fresh_project(re: RealEstateService, code: str, *, units: int = 6) -> list[str]:
    """Another project with ``units`` units on floors 1.., all released to KA1, its average
    approved and the buyer list checked: a clean field for one random sequence."""
    crm, admin = re.crm, re.crm.actor("admin")
    re.add_project(admin, code, f"项目{code}")
    rows = [
        {
            "building": "1",
            "unit": f"{i + 1:02d}01",
            "floor": str(i + 1),
            "layout": "3室2厅",
            "area": "90.00",
        }
        for i in range(units)
    ]
    re.load_units(admin, code, rows)
    refs = [f"1-{i + 1:02d}01" for i in range(units)]
    release = re.request_release(crm.actor("sales"), code, CLIENT, refs)
    for login in APPROVERS:
        crm.workflows.advance(crm.actor(login), release.instance_id, "approve")
    approve_average(crm, code, CLIENT, AVERAGE)
    lst = re.import_buyers(crm.actor("sales"), code, CLIENT, BUYERS)
    check_all(re, lst.number)
    return refs
