"""Demo records for ``crm demo``: distributors among the demo clients, products with control
prices, orders (one held over its limit, one rush), deliveries, payments (some late), a credit
review waiting for the committee and an investigation waiting for finance.

The core demo has already scored every client and run CLS-SCORE-1, so the score classes exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from crmcore import Client, NewUser, Tx
from crmcore_distribution.domain import NewOrder
from crmcore_distribution.services import SCHEME, DistributionService
from crmcore_distribution.workflows import COMMITTEE, GM, HEAD, LOGISTICS

STAFF = (
    ("sunyan", "孙燕", HEAD),
    ("zhouqiang", "周强", GM),
    ("wujun", "吴军", COMMITTEE),
    ("zhengtao", "郑涛", LOGISTICS),
)
PRODUCTS = (
    ("GP-100", "金鹏电缆 GP-100", "卷", Decimal("1000.00")),
    ("GP-200", "金鹏开关 GP-200", "台", Decimal("250.00")),
    ("GP-300", "金鹏配电箱 GP-300", "套", Decimal("4800.00")),
)
UNIT = "HQ"  # the core demo's head office
FINANCE_GRANT = "经销商应收账款与信用调查 (DIST-PAY-2, DIST-CRED-4)"
GRADES = {"A": ("A", "300000"), "B": ("B", "120000"), "C": ("C", "0"), "D": ("D", "0")}


def load(tx: Tx, clients: Sequence[Client]) -> str:
    for login, name, role in STAFF:
        tx.crm.users.add(tx, NewUser(login=login, name=name, roles=(role,)))
        tx.crm.org.add_member(tx, UNIT, login)  # head office sees every unit's clients
    service = DistributionService(tx.crm)
    for code, name, unit, price in PRODUCTS:
        service.add_product(tx, code, name, price, unit=unit)
    chosen = clients[:10]
    classes = tx.crm.classification.classes_of(tx, SCHEME, [c.id for c in chosen])
    registered = []
    for client in chosen:
        if client.id not in classes:
            continue
        grade, limit = GRADES[classes[client.id].cls]
        service.register(tx, client.code, grade=grade, limit=limit)
        # finance sits beside the sales units, not above them: it reads the distributors it
        # invoices, collects from and investigates through a grant (CORE-CONF-2)
        tx.crm.access.grant(tx, client.code, role="finance", reason=FINANCE_GRANT)
        registered.append((client, classes[client.id].cls))
    placed = delivered = 0
    for i, (client, cls) in enumerate(registered):
        cable, switch = {
            "A": ("960.00", "240.00"),
            "B": ("975.00", "245.00"),
            "C": ("1000.00", "250.00"),
            "D": ("1050.00", "262.50"),
        }[cls]
        order = service.place(
            tx,
            client.code,
            NewOrder(
                lines=(f"GP-100:{20 + 10 * i}:{cable}", f"GP-200:40:{switch}"), rush=i % 3 == 0
            ),
        )
        placed += 1
        if order.status == "accepted" and order.terms != "prepayment" and i % 2 == 0:
            service.deliver(tx, order.id)
            delivered += 1
    finance = _actor(tx, "chenjing")
    paid = 0
    for invoice in service.invoices(tx)[:2]:
        service.pay(finance, invoice.id, (invoice.amount / 2).quantize(Decimal("0.01")))
        paid += 1
    waiting = []
    b = next((c for c, cls in registered if cls == "B"), None)
    if b is not None:  # DIST-CRED-2: over the limit, waits for the department head
        service.place(tx, b.code, NewOrder(lines=("GP-300:30:4700.00",)))
        placed += 1
        waiting.append("an order over its credit limit")
    a = next((c for c, cls in registered if cls == "A"), None)
    if a is not None:  # DIST-PRICE-1 "in principle": a lower price waits for the GM
        service.place(
            tx, a.code, NewOrder(lines=("GP-100:50:900.00",), exception="竞品低价, 保住年度份额")
        )
        placed += 1
        waiting.append("a price exception")
        service.propose_review(
            finance,
            a.code,
            grade="A",
            limit="400000",
            period_sales="450000",
            reason="年度信用核查: 回款及时, 建议上调额度",
        )
        service.request_investigation(
            _actor(tx, a.owner or "admin"), a.code, reason="拟扩大授信, 需银行资信证明"
        )
        waiting += ["a credit review", "an investigation"]
    return (
        f"{len(registered)} distributors, {len(PRODUCTS)} products, {placed} orders, "
        f"{delivered} deliveries, {paid} payments; waiting: {', '.join(waiting) or 'nothing'}"
    )


def _actor(tx: Tx, login: str) -> Any:
    return tx.acting_as(tx.crm.actor(login, door=tx.actor.door, tx=tx))
