"""Demo records for ``crm demo``: connection staff, key-account profiles, five applications.

The applications were accepted (受理) on business dates around the 2026 Mid-Autumn and National
Day holidays (25 Sep, 1-7 Oct; make-up working days Sun 20 Sep and Sat 10 Oct) and in
November, and are recorded now with those dates, so their deadlines run across the holidays:
one is overdue in planning (it shows in ``crm tasks`` and ``crm sla``), one was notified late,
one is being countersigned on time, one waits for documents, one is connected. Everything is
recorded now: the audit trail says when it was entered, the records say when it happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from crmcore import Client, NewUser, Tx
from crmcore.calendar import china_date
from crmcore_utility_power.domain import (
    CompletionDocument,
    NewApplication,
    NewCompletion,
    NewContract,
    NewInspection,
    NewPlan,
    NewProfile,
    NewSurvey,
    NewWorks,
)
from crmcore_utility_power.policies import ApplicationDocuments
from crmcore_utility_power.services import PowerService

STAFF = (
    ("zhoujie", "周杰", "power_office"),
    ("sunli", "孙丽", "power_specialist"),
    ("wuhao", "吴昊", "power_marketing"),
    ("zhengyu", "郑宇", "power_planning"),
    ("fengqiang", "冯强", "power_dispatch"),
    ("heping", "何平", "power_safety"),
    ("qianjin", "钱进", "power_metering"),
)
SIGNERS = ("wuhao", "zhengyu", "fengqiang", "heping")
PAY_INTO = (
    "中国工商银行广州分行营业部 户名: 广州供电局有限公司 帐号: 3602 0000 0920 0000 000 (demo)"
)
DOCUMENTS = ApplicationDocuments().required_documents
SURVEYORS = ("周杰", "市场营销部 吴昊", "生产计划部 郑宇")

PROFILES = (  # voltage, kVA, load class, priority, kWh/year, revenue/year, credit
    ("10kV", "2500", "2", "key", "8600000", "6020000", "good"),
    ("10kV", "1250", "2", "important", "4100000", "2870000", "good"),
    ("35kV", "8000", "1", "key", "31000000", "19800000", "watch"),
    ("0.4kV", "400", "3", "general", "900000", "720000", "good"),
    ("10kV", "1600", "2", "important", "5200000", "3640000", "good"),
)

#: client index, kind, voltage, kVA, sources, applied, accepted, surveyed, how far it gets
APPLICATIONS: tuple[tuple[Any, ...], ...] = (
    (
        0,
        "new",
        "10kV",
        "800",
        1,
        date(2026, 9, 22),
        date(2026, 9, 24),
        date(2026, 9, 29),
        "planning",
    ),
    (
        1,
        "increase",
        "10kV",
        "630",
        2,
        date(2026, 9, 25),
        date(2026, 9, 28),
        date(2026, 9, 30),
        "notified",
    ),
    (
        2,
        "new",
        "35kV",
        "6300",
        1,
        date(2026, 11, 18),
        date(2026, 11, 20),
        date(2026, 11, 24),
        "countersign",
    ),
    (3, "new", "0.4kV", "250", 1, date(2026, 11, 25), None, None, "applied"),
    (
        4,
        "new",
        "10kV",
        "1250",
        1,
        date(2026, 11, 13),
        date(2026, 11, 16),
        date(2026, 11, 17),
        "connected",
    ),
)


def load(tx: Tx, clients: Sequence[Client]) -> str:
    today = china_date(tx.now)
    power = PowerService(tx.crm)
    for login, name, role in STAFF:
        tx.crm.users.add(
            tx, NewUser(login=login, name=name, roles=(role,), email=f"{login}@example.com.cn")
        )
    clients = clients[: len(PROFILES)]
    _seat_staff(tx, clients)
    staff = {
        login: tx.acting_as(tx.crm.actor(login, door=tx.actor.door, tx=tx)) for login, *_ in STAFF
    }
    tx.crm.policies.set(tx, "PWR-FEE-1", {"pay_into": PAY_INTO}, reason="演示数据")
    for client, (voltage, kva, load_class, priority, kwh, revenue, credit) in zip(
        clients, PROFILES, strict=False
    ):
        power.set_profile(
            tx,
            client.code,
            NewProfile(
                voltage=voltage,
                contracted_capacity_kva=kva,
                load_class=load_class,
                priority=priority,
                annual_consumption_kwh=kwh,
                annual_revenue=revenue,
                credit_status=credit,
            ),
        )
    made = 0
    for index, kind, voltage, kva, sources, applied, accepted, surveyed, goal in APPLICATIONS:
        if index >= len(clients) or applied > today or (accepted and accepted > today):
            continue
        missing_last = goal == "applied"
        app = power.apply(
            staff["zhoujie"],
            clients[index].code,
            NewApplication(
                kind=kind,
                voltage=voltage,
                capacity_kva=kva,
                sources=sources,
                address=clients[index].address,
                documents=DOCUMENTS[:-1] if missing_last else DOCUMENTS,
                applied_on=applied,
            ),
        )
        made += 1
        if goal != "applied":
            _advance(tx, power, staff, app.number, accepted, surveyed, kva, voltage, sources, goal)
    return f"{len(STAFF)} staff, {min(len(clients), len(PROFILES))} profiles, {made} applications"


def _seat_staff(tx: Tx, clients: Sequence[Client]) -> None:
    """The connection staff work in the units that hold these key accounts: whoever takes a
    step must be able to read the client (CORE-CONF-2)."""
    for unit in sorted({c.unit for c in clients if c.unit}):
        for login, *_ in STAFF:
            tx.crm.org.add_member(tx, unit, login)
    for client in (c for c in clients if not c.unit):
        for role in sorted({role for *_, role in STAFF}):
            tx.crm.access.grant(tx, client.code, role=role, reason="业扩报装演示: 供电方案与报装")


def _advance(
    tx: Tx,
    power: PowerService,
    staff: dict[str, Tx],
    number: str,
    accepted: date,
    surveyed: date,
    kva: str,
    voltage: str,
    sources: int,
    goal: str,
) -> None:
    today = china_date(tx.now)
    office, specialist = staff["zhoujie"], staff["sunli"]
    power.review(office, number, accepted_on=accepted)
    power.survey(
        office,
        number,
        NewSurvey(
            surveyed_on=surveyed,
            participants=SURVEYORS,
            findings="现场具备供电条件, 需新建配电室一座",
        ),
    )
    power.hand_over(office, number)
    if goal == "planning":
        return
    lines = ("110kV 科学城站 10kV 912线", "110kV 开发区站 10kV 935线")[:sources]
    if voltage == "35kV":
        lines = ("220kV 萝岗站 35kV 311线",)
    power.plan(specialist, number, NewPlan(voltage=voltage, capacity_kva=kva, sources=lines))
    for login in SIGNERS[: 2 if goal == "countersign" else 4]:
        power.sign(staff[login], number)
    if goal == "countersign":
        return
    power.notify(specialist, number)
    if goal == "notified":
        return
    power.contract(specialist, number, NewContract(number=f"GD-{number}", signed_on=today))
    power.start_works(
        specialist,
        number,
        NewWorks(
            started_on=today,
            designer="广东电力设计研究院有限公司",
            builder="广州电力安装工程有限公司",
            qualification="D144012345 (承装(修、试)电力设施许可证 二级)",
        ),
    )
    power.inspect(
        specialist,
        number,
        NewInspection(
            inspected_on=today,
            findings="电缆沟施工基本符合设计",
            rectifications=("电缆沟盖板缺失两块",),
        ),
    )
    power.complete(
        office, number, NewCompletion(filed_on=today, documents=list(CompletionDocument))
    )
    power.accept(
        specialist,
        number,
        NewInspection(
            inspected_on=today, passed=False, rectifications=("接地电阻超标, 重新敷设接地网",)
        ),
    )
    power.accept(
        specialist, number, NewInspection(inspected_on=today, passed=True, findings="复验合格")
    )
    power.energise(specialist, number)
    power.meter(staff["qianjin"], number)
