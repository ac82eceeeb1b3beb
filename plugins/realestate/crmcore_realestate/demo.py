"""Demo data for ``crm demo``: the units of the deals demo's project, a financing target, a
batch released through the RE-ALLOC-1 chain to the commissioning unit whose average the deals
demo approved, a checked buyer list, and tickets at every stage of the money trail (paid,
vouchered, countersigned, changed in red)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from crmcore import Client, NewUser, Tx
from crmcore.calendar import china_date
from crmcore_realestate.deals.demo import PROJECT
from crmcore_realestate.domain import NewTicket
from crmcore_realestate.price_gate import approved_average
from crmcore_realestate.release import APPROVERS
from crmcore_realestate.services import RealEstateService

#: login, name, roles
STAFF = (
    ("re_zhou", "周晓梅", ("re_sales",)),
    ("re_qian", "钱立新", ("re_checker",)),
    ("re_sun", "孙建国", ("marketing_director",)),
    ("re_li", "李红", ("finance_director", "finance")),
    ("re_wu", "吴刚", ("project_gm",)),
    ("re_zheng", "郑国华", ("gm",)),
    ("re_wang", "王律师", ("lawyer",)),
    ("re_feng", "冯审计", ("audit_legal",)),
)
LAYOUTS = ("3室2厅", "2室2厅", "2室1厅", "3室2厅")
AREAS = ("128.60", "98.35", "86.20", "126.40")


def load(tx: Tx, sample: Any, clients: Sequence[Client]) -> str:
    client = next((c for c in clients if approved_average(tx, PROJECT, c.id) is not None), None)
    if client is None:
        return "sales floor: no demo (no approved average price to sell at)"
    re = RealEstateService(tx.crm)
    for login, name, roles in STAFF:
        tx.crm.users.add(tx, NewUser(login=login, name=name, roles=roles))
        if client.unit:
            tx.crm.org.add_member(tx, client.unit, login)
    if not client.unit:
        for role in sorted({r for *_, roles in STAFF for r in roles}):
            tx.crm.access.grant(tx, client.code, role=role, reason="委托建房演示")
    staff = {
        login: tx.acting_as(tx.crm.actor(login, door=tx.actor.door, tx=tx)) for login, *_ in STAFF
    }
    re.add_project(tx, PROJECT, "弘远花园一期")
    rows = [
        {
            "building": b,
            "unit": f"{f:02d}0{n + 1}",
            "floor": str(f),
            "layout": LAYOUTS[n],
            "area": AREAS[n],
        }
        for b in ("1", "2")
        for f in range(1, 11)
        for n in range(4)
    ]
    re.load_units(tx, PROJECT, rows)
    today = china_date(tx.now)
    re.set_target(staff["re_li"], today.year, "60000000", note="年度融资指标")
    re.set_target(staff["re_li"], today.year, "15000000", quarter=(today.month - 1) // 3 + 1)
    batch = [f"1-{f:02d}0{n + 1}" for f in range(1, 7) for n in range(4)]
    release = re.request_release(staff["re_zhou"], PROJECT, client.code, batch)
    for approver, (login, *_ignored) in zip(APPROVERS, STAFF[2:6], strict=True):
        assert approver  # the chain's order is the staff's order
        tx.crm.workflows.advance(staff[login], release.instance_id, "approve")
    people = [(p["name"], p["id_number"]) for p in sample.buyers(16)]
    lst = re.import_buyers(staff["re_zhou"], PROJECT, client.code, people)
    for login, role in (("re_feng", "audit_legal"), ("re_li", "finance"), ("re_wang", "lawyer")):
        re.check_list(staff[login], lst.number, role)
    re.reserve(tx, PROJECT, "2-0101", "散客 陈先生")
    sales, checker = staff["re_zhou"], staff["re_qian"]
    tickets = []
    for i, (name, number) in enumerate(people[:10]):
        full = i % 3 == 0
        new = NewTicket(
            unit=batch[i],
            buyer_name=name,
            id_number=number,
            payment_mode="full" if full else "installment",
            payment_ratio="100" if full else "60",
            reservation_fee=None if full else "10000",
        )
        tickets.append(re.issue_ticket(sales, PROJECT, client.code, new))
    for i, t in enumerate(tickets[:8]):
        re.sign_ticket(sales, t.number)  # RE-TICKET-1: the buyer's signed copy is held
        re.check_ticket(checker, t.number)
        if i < 6:
            re.pay(sales, t.number, t.due)
        else:
            re.pay(sales, t.number, (t.due / 2).quantize(Decimal("0.01")))
    for t in tickets[:4]:
        view = re.ticket(sales, t.number)
        if view.voucher:
            re.countersign(checker, view.voucher)
    moved = re.ticket(sales, tickets[5].number)
    re.reverse(
        sales,
        moved.voucher or moved.number,
        "unit_change",
        "选房凭证客户联、收据3张",
        new_unit=batch[20],
    )
    received = re.reconcile(tx, client.code).receipts
    re.record_account(
        staff["re_li"],
        client.code,
        "transfer",
        (received * Decimal("0.8")).quantize(Decimal("0.01")),
        today,
    )
    return f"1 project, {len(rows)} units, {len(batch)} released, {len(people)} listed buyers, {len(tickets)} tickets"
