"""Helpers for the power plugin's tests: staff, a client, a frozen clock, an application driven
to any stage. Imported by basename (``from power_kit import ...``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from crmcore_utility_power.domain import (
    CompletionDocument,
    NewApplication,
    NewCompletion,
    NewContract,
    NewInspection,
    NewPlan,
    NewSurvey,
    NewWorks,
)
from crmcore_utility_power.policies import ApplicationDocuments
from crmcore_utility_power.services import PowerService
from crmcore_utility_power.views import ApplicationView

from crmcore import Crm, NewAssignmentRule, NewClient, NewUnit, NewUser

CHINA = ZoneInfo("Asia/Shanghai")

#: login -> role, one person per role of the connection workflow
STAFF = {
    "office": "power_office",
    "spec": "power_specialist",
    "mkt": "power_marketing",
    "plan": "power_planning",
    "disp": "power_dispatch",
    "safe": "power_safety",
    "meter": "power_metering",
    "am": "account_manager",
}
SIGNERS = ("mkt", "plan", "disp", "safe")
DOCUMENTS = ApplicationDocuments().required_documents  # the PWR-APP-1 default list
PAY_INTO = "工商银行广州分行 供电局 3602000000000000001"
CLIENT = "KA1"
UNIT = "GZ"  # 广州供电局: the staff's unit, which holds KA1 (CORE-OWN-3, CORE-CONF-2)

#: the stages in order, as far as ``drive`` can take an application
STAGES = (
    "applied",
    "survey",
    "handover",
    "planning",
    "countersign",
    "approved",
    "notified",
    "works",
    "acceptance",
    "passed",
    "metering",
    "connected",
)


def china(*args: int) -> datetime:
    return datetime(*args, tzinfo=CHINA)  # type: ignore[misc]


def freeze(crm: Crm, moment: datetime | date) -> None:
    """Every transaction of ``crm`` happens at ``moment`` (a date means 10:00 China time)."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, 10, tzinfo=CHINA)
    crm.clock = lambda: moment.astimezone(UTC)


def setup(crm: Crm) -> PowerService:
    """The staff (one per role) and client KA1; the clock frozen at Mon 2 Mar 2026, 10:00.

    The staff work at the Guangzhou supply bureau (unit GZ), to which the assignment rules
    send Guangdong clients (CORE-OWN-3): whoever approves a step must be able to read the
    client (CORE-CONF-2). The CLI runs on the real clock: :func:`cover_real_years` makes its
    deadlines computable.
    """
    freeze(crm, date(2026, 3, 2))
    admin = crm.actor("admin")
    crm.org.add_unit(
        admin, NewUnit(code=UNIT, name="广州供电局", kind="head_office", region="广东/广州")
    )
    crm.org.add_rule(admin, NewAssignmentRule(unit=UNIT, region="广东"))
    for login, role in STAFF.items():
        crm.users.add(admin, NewUser(login=login, name=login, roles=(role,)))
        crm.org.add_member(admin, UNIT, login)
    crm.clients.add(
        admin, NewClient(name="广州恒达电子科技有限公司", code=CLIENT, region="广东/广州")
    )
    return PowerService(crm)


def apply(
    power: PowerService,
    *,
    voltage: str = "10kV",
    sources: int = 1,
    capacity: str = "800",
    kind: str = "new",
    documents: tuple[str, ...] = DOCUMENTS,
) -> ApplicationView:
    return power.apply(
        power.crm.actor("office"),
        CLIENT,
        NewApplication(
            kind=kind, voltage=voltage, capacity_kva=capacity, sources=sources, documents=documents
        ),
    )


def drive(power: PowerService, number: str, stage: str, **plan: Any) -> ApplicationView:
    """Take application ``number`` from where it is to ``stage``, each step today."""
    crm = power.crm
    view = power.status(crm.actor("admin"), number)
    target = STAGES.index(stage)
    while STAGES.index(view.stage) < target:
        view = step(power, view, **plan)
    return view


def step(power: PowerService, view: ApplicationView, **plan: Any) -> ApplicationView:
    crm, number = power.crm, view.number
    office, spec = crm.actor("office"), crm.actor("spec")
    match view.stage:
        case "applied":
            return power.review(office, number)
        case "survey":
            return power.survey(
                office, number, NewSurvey(participants=("周杰",), findings="具备供电条件")
            )
        case "handover":
            return power.hand_over(office, number)
        case "planning":
            sources = ("110kV 科学城站 912线", "110kV 开发区站 935线")[: view.sources]
            new = NewPlan(
                voltage=plan.get("voltage", view.voltage),
                capacity_kva=plan.get("capacity", view.capacity_kva),
                sources=plan.get("sources", sources),
                pay_into=PAY_INTO,
            )
            return power.plan(spec, number, new)
        case "countersign":
            for login in SIGNERS:
                view = power.sign(crm.actor(login), number)
            return view
        case "approved":
            return power.notify(spec, number)
        case "notified":
            return power.start_works(
                spec,
                number,
                NewWorks(designer="设计院", builder="安装公司", qualification="承装二级 D1440001"),
            )
        case "works":
            return power.complete(office, number, NewCompletion(documents=list(CompletionDocument)))
        case "acceptance":
            return power.accept(spec, number, NewInspection(passed=True))
        case "passed":
            if view.contract is None:
                power.contract(spec, number, NewContract(number=f"HT-{number}"))
            return power.energise(spec, number)
        case "metering":
            return power.meter(crm.actor("meter"), number)
    raise AssertionError(f"cannot step from {view.stage}")


def cover_real_years(crm: Crm) -> None:
    """For tests that go through the CLI (which runs on the real clock): load an invented
    schedule (元旦 only, Monday to Friday otherwise) for this year and the next when
    chinese-calendar does not know them, so that a deadline from today can be computed. It is
    a test fixture, never the official schedule."""
    from crmcore.calendar import library_years, parse_schedule

    known = library_years()
    this_year = datetime.now(CHINA).year
    missing = [y for y in (this_year, this_year + 1) if known is None or y > known[1]]
    if missing:
        days = [{"date": f"{y}-01-01", "kind": "holiday", "name": "元旦"} for y in missing]
        text = json.dumps({"source": "TEST FIXTURE, not an official schedule", "days": days})
        crm.calendar.load(crm.actor("admin"), parse_schedule(text))
