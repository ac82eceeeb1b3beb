"""Orders of distributors: price bounds (DIST-PRICE-1), terms (DIST-PAY-1), the credit check
and its approvals (DIST-CRED-1/2), D's strict review and prepayment, the delivery queue
(DIST-DLV-1, CLS-SCORE-2). Classes: K0-K1 A, K2-K4 B, K5-K8 C, K9 D (see conftest)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from crmcore_distribution.domain import NewOrder
from workflow_kit import china, freeze

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied, Vetoed
from crmcore.testing import check_plugin, row_counts


def order(*lines: str, rush: bool = False, exception: str | None = None) -> NewOrder:
    return NewOrder(lines=lines, rush=rush, exception=exception)


def test_the_plugin_loads_with_its_tables(shop):
    check_plugin(shop.crm, "distribution")


@pytest.mark.parametrize(
    ("code", "cls", "lowest", "refused"),
    [
        ("K0", "A", "95.00", "94.99"),  # up to 5% off
        ("K2", "B", "97.00", "96.99"),  # up to 3% off
        ("K5", "C", "100.00", "99.99"),  # not below
        ("K9", "D", "105.00", "104.99"),  # 5% above
    ],
)
def test_dist_price_1_each_class_has_its_floor_against_the_control_price(
    shop, code, cls, lowest, refused
):
    placed = shop.service.place(shop.lina, code, order(f"P1:1:{lowest}"))
    assert placed.lines[0].floor_price == Decimal(lowest)
    before = row_counts(shop.crm)
    with pytest.raises(InvalidInput) as caught:
        shop.service.place(shop.lina, code, order(f"P1:1:{refused}"))
    assert caught.value.field == "lines[1].unit_price"
    assert caught.value.rule == "DIST-PRICE-1"
    assert f"{refused} is below the class {cls} floor {lowest}" in str(caught.value)
    assert row_counts(shop.crm) == before


def test_dist_price_1_an_exception_waits_for_the_general_manager(shop):
    """The source says "in principle" (rules audit 1.13): a lower price needs a reason and
    the general manager's approval; the order waits until then."""
    held = shop.service.place(shop.lina, "K2", order("P1:10:90.00", exception="对手低价竞争"))
    assert (held.status, held.holds) == ("held", ("price_exception",))
    (flow,) = held.workflows
    with pytest.raises(PermissionDenied):
        shop.crm.workflows.advance(shop.sun, flow)  # the department head is not enough
    shop.crm.workflows.advance(shop.zhou, flow)
    assert shop.service.order(shop.admin, held.id).status == "accepted"
    other = shop.service.place(shop.lina, "K3", order("P1:10:90.00", exception="清库存"))
    shop.crm.workflows.reject(shop.zhou, other.workflows[0], "低于成本")
    refused = shop.service.order(shop.admin, other.id)
    assert (refused.status, refused.closed_reason) == ("refused", "低于成本")
    with pytest.raises(InvalidInput, match="no exception to ask for"):
        shop.service.place(shop.lina, "K2", order("P1:1:99.00", exception="不需要"))


def test_dist_price_1_a_new_control_price_applies_from_its_date(shop):
    shop.service.set_control_price(
        shop.admin, "P1", "120.00", effective_from=date(2026, 2, 1), reason="铜价上涨"
    )
    shop.service.place(shop.lina, "K5", order("P1:1:100.00"))  # still 100 in January
    freeze(shop.crm, china(2026, 2, 1, 9))
    with pytest.raises(InvalidInput, match=re.escape("below the class C floor 120.00")):
        shop.service.place(shop.lina, "K5", order("P1:1:100.00"))
    with pytest.raises(InvalidInput, match="is in the past"):
        shop.service.set_control_price(shop.admin, "P1", "90", effective_from=date(2026, 1, 1))


def test_dist_cred_2_a_limit_exactly_reached_passes_exceeded_by_a_fen_is_held(shop):
    """K2 (B) has a limit of 100,000.00 and nothing owed."""
    full = shop.service.place(shop.lina, "K2", order("P1:1000:100.00"))
    assert (full.status, full.exposure, full.credit_limit) == (
        "accepted",
        Decimal("100000.00"),
        Decimal("100000.00"),
    )
    over = shop.service.place(shop.lina, "K2", order("P2:1:250.00"))
    assert (over.status, over.holds, over.exposure) == (
        "held",
        ("credit_override",),
        Decimal("100250.00"),
    )
    other = shop.service.place(shop.lina, "K4", order("P1:999.9:100.00", "P2:0.04:250.25"))
    assert (other.amount, other.status) == (Decimal("100000.01"), "held")  # by 0.01


def test_dist_cred_2_the_department_head_approves_a_small_excess(shop):
    shop.service.place(shop.lina, "K2", order("P1:1000:100.00"))
    held = shop.service.place(shop.lina, "K2", order("P1:10:100.00"))
    (flow,) = held.workflows
    instance = shop.crm.workflows.get(shop.admin, flow)
    assert (instance.state, instance.waiting_for) == ("head", ("dist_department_head",))
    assert instance.data["excess"] == "1000.00"
    with pytest.raises(PermissionDenied):
        shop.crm.workflows.advance(shop.lina, flow)
    done = shop.crm.workflows.advance(shop.sun, flow)
    assert done.state == "approved"  # 1,000 excess <= 100,000: no general manager
    assert shop.service.order(shop.admin, held.id).status == "accepted"


def test_dist_cred_2_above_the_threshold_the_general_manager_approves_too(shop):
    shop.crm.policies.set(shop.admin, "DIST-CRED-2", {"gm_above": "5000"})
    shop.service.place(shop.lina, "K2", order("P1:1000:100.00"))
    held = shop.service.place(shop.lina, "K2", order("P1:60:100.00"))  # 6,000 over
    (flow,) = held.workflows
    assert shop.crm.workflows.advance(shop.sun, flow).state == "gm"
    assert shop.service.order(shop.admin, held.id).status == "held"
    shop.crm.workflows.reject(shop.zhou, flow, "额度已满, 请先回款")
    refused = shop.service.order(shop.admin, held.id)
    assert (refused.status, refused.closed_reason) == ("refused", "额度已满, 请先回款")
    again = shop.service.place(shop.lina, "K2", order("P1:60:100.00"))
    shop.crm.workflows.advance(shop.sun, again.workflows[0])
    shop.crm.workflows.advance(shop.zhou, again.workflows[0])
    assert shop.service.order(shop.admin, again.id).status == "accepted"
    history = [
        (e.action, e.role) for e in shop.crm.workflows.history(shop.admin, again.workflows[0])
    ]
    assert history == [
        ("start", None),
        ("approve", "dist_department_head"),
        ("approve", "dist_general_manager"),
    ]


def test_dist_cred_1_grade_d_never_gets_credit_and_pays_before_shipment(shop):
    """K0 scores A (terms: 3 months) but the committee graded its credit D."""
    shop.service.propose_review(shop.chen, "K0", grade="D", limit="0", reason="连续拖欠")
    review = shop.crm.workflows.list(shop.admin, client_code="K0")[0]
    shop.crm.workflows.advance(shop.wu, review.id)
    big = shop.service.place(shop.lina, "K0", order("P1:5000:95.00"))  # 475,000, no limit
    assert (big.status, big.terms, big.holds) == ("accepted", "prepayment", ())
    invoice = shop.service.invoices(shop.admin, code="K0")[0]
    assert (invoice.due_on, invoice.prepayment) == (date(2026, 1, 5), True)
    with pytest.raises(Conflict, match=re.escape("prepaid (款到发货): 475,000.00 still to pay")):
        shop.service.deliver(shop.zheng, big.id)
    assert [
        q.awaiting_prepayment for q in shop.service.queue(shop.admin) if q.order_id == big.id
    ] == [True]
    shop.service.pay(shop.chen, invoice.id, "475000")
    assert shop.service.deliver(shop.zheng, big.id).status == "delivered"
    assert shop.service.get(shop.admin, "K0").exposure == 0  # a prepayment is no credit
    with pytest.raises(InvalidInput, match="grade D gets no credit at all"):
        shop.service.propose_review(shop.chen, "K0", grade="D", limit="1", reason="试用")


def test_dist_cred_1_grade_c_pays_on_delivery_unless_given_a_small_limit(shop):
    cash = shop.service.place(shop.lina, "K5", order("P1:10:100.00"))
    assert (cash.terms, cash.holds) == ("cash on delivery", ())
    with pytest.raises(InvalidInput, match="grade C gets at most a small limit"):
        shop.service.propose_review(shop.chen, "K5", grade="C", limit="50000.01", reason="x")
    flow = shop.service.propose_review(shop.chen, "K5", grade="C", limit="50000", reason="合作良好")
    shop.crm.workflows.advance(shop.wu, flow.id)
    # C's payment class still says no deferred payment (DIST-PAY-1); the limit allows credit
    # only where the terms defer payment
    assert shop.service.place(shop.lina, "K5", order("P1:10:100.00")).terms == "cash on delivery"
    shop.crm.policies.set(shop.admin, "DIST-PAY-1", {"c_days": "15"})
    assert shop.service.place(shop.lina, "K5", order("P1:10:100.00")).terms == "within 15 days"


def test_dist_dlv_1_class_d_orders_are_reviewed_strictly(shop):
    held = shop.service.place(shop.lina, "K9", order("P1:2:105.00"))
    assert (held.status, held.holds, held.terms) == ("held", ("order_review",), "prepayment")
    shop.crm.workflows.advance(shop.sun, held.workflows[0])
    accepted = shop.service.order(shop.admin, held.id)
    assert (accepted.status, accepted.promised_on) == ("accepted", None)  # D: no promised date


def test_dist_dlv_1_promised_dates_by_class_and_the_queue(shop):
    """A within 20 days, B 30, C 40; A's rush orders jump the queue, B's only with spare
    capacity; otherwise class by class, by score within a class (CLS-SCORE-2)."""
    placed = {
        name: shop.service.place(shop.lina, code, order("P1:1:100.00", rush=rush)).id
        for name, code, rush in (
            ("c5", "K5", False),
            ("b4_rush", "K4", True),
            ("b2", "K2", False),
            ("a1", "K1", False),
            ("a1_rush", "K1", True),
            ("c6_rush", "K6", True),
            ("b3", "K3", False),
        )
    }
    promised = {n: shop.service.order(shop.admin, i).promised_on for n, i in placed.items()}
    assert (promised["a1"], promised["b2"], promised["c5"]) == (
        date(2026, 1, 25),
        date(2026, 2, 4),
        date(2026, 2, 14),
    )
    names = {i: n for n, i in placed.items()}
    assert [names[q.order_id] for q in shop.service.queue(shop.admin)] == [
        "a1_rush",
        "a1",
        "b2",  # 85 points
        "b3",  # 80
        "b4_rush",  # 75: B's rush order waits without spare capacity
        "c5",
        "c6_rush",  # C's rush orders never jump
    ]
    spare = [names[q.order_id] for q in shop.service.queue(shop.admin, spare=1)]
    assert spare[:3] == ["a1_rush", "b4_rush", "a1"]
    freeze(shop.crm, china(2026, 1, 26, 9))
    late = {names[q.order_id]: q.late for q in shop.service.queue(shop.admin)}
    assert (late["a1"], late["b2"]) == (True, False)


def test_delivery_invoices_with_the_due_date_of_the_terms(shop):
    """DIST-PAY-1: A 3 calendar months after delivery, B 30 days, C on delivery."""
    a = shop.service.place(shop.lina, "K0", order("P1:1:95.00"))
    b = shop.service.place(shop.lina, "K2", order("P1:1:97.00"))
    c = shop.service.place(shop.lina, "K5", order("P1:1:100.00"))
    freeze(shop.crm, china(2026, 1, 31, 9))
    for placed in (a, b, c):
        shop.service.deliver(shop.zheng, placed.id)
    due = {i.order_id: i.due_on for i in shop.service.invoices(shop.admin)}
    assert (due[a.id], due[b.id], due[c.id]) == (
        date(2026, 4, 30),
        date(2026, 3, 2),
        date(2026, 1, 31),
    )
    with pytest.raises(Conflict, match="is delivered: only an accepted order ships"):
        shop.service.deliver(shop.zheng, a.id)
    with pytest.raises(PermissionDenied, match=re.escape("distribution.deliver")):
        shop.service.deliver(shop.lina, b.id)


@pytest.mark.parametrize(
    ("code", "lines", "error", "message"),
    [
        ("X1", ["P1:1:100"], NotFound, "distributor: client X1 is not a registered distributor"),
        ("NOPE", ["P1:1:100"], NotFound, "client: unknown client 'NOPE'"),
        ("K5", ["P1:1:-100"], InvalidInput, "lines[1].unit_price: must be more than 0, not -100"),
        ("K5", ["P1:1:abc"], InvalidInput, "lines[1].unit_price: 'abc' is not a decimal number"),
        ("K5", ["P1:1:100.001"], InvalidInput, "lines[1].unit_price: 100.001 has more than 2"),
        ("K5", ["P1:-2:100"], InvalidInput, "lines[1].quantity: must be more than 0, not -2"),
        ("K5", ["P1:0:100"], InvalidInput, "lines[1].quantity: must be more than 0, not 0"),
        ("K5", ["P9:1:100"], InvalidInput, "lines[1].product: unknown product 'P9'"),
        ("K5", ["P1:1"], InvalidInput, "lines[1]: 'P1:1' is not PRODUCT:QUANTITY:UNIT_PRICE"),
        ("K5", [], InvalidInput, "lines: an order needs at least one line"),
        ("K5", ["P1:1:100", "P1:2:100"], InvalidInput, "lines: product P1 is on two lines"),
    ],
)
def test_bad_orders_are_refused_with_one_clear_line_and_nothing_written(
    shop, code, lines, error, message
):
    before = row_counts(shop.crm)
    with pytest.raises(error) as caught:
        shop.service.place(shop.lina, code, {"lines": lines})
    assert str(caught.value).startswith(message)
    assert row_counts(shop.crm) == before


def test_an_unscored_distributor_cannot_order(shop):
    shop.service.register(shop.admin, "X1")
    assert shop.service.get(shop.admin, "X1").credit_grade == "C"  # DIST-CRED-1 initial grade
    with pytest.raises(Conflict, match="has no score class in force") as caught:
        shop.service.place(shop.lina, "X1", order("P1:1:100.00"))
    assert caught.value.rule == "CLS-SCORE-1"
    with pytest.raises(Conflict, match="already a distributor"):
        shop.service.register(shop.admin, "X1")
    with pytest.raises(InvalidInput, match="'E' is not one of A, B, C, D"):
        shop.service.register(shop.admin, "K0", grade="E")


def test_the_plugin_migration_creates_exactly_its_tables(shop, cli):
    """distribution_0001 (depends on the core's 0005_classification) matches tables.py."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from crmcore.store import metadata

    with shop.crm.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert [d for d in diff if "distribution_" in repr(d)] == []
    current = json.loads(cli("db", "current", "--json").stdout)
    # other installed plugins are listed too, not applied here: only these two must be current
    assert current["crmcore"]["up_to_date"] and current["distribution"]["up_to_date"]


def test_an_order_held_twice_is_accepted_only_when_both_approve(shop):
    """A price exception (DIST-PRICE-1) and an excess over the limit (DIST-CRED-2) at once."""
    shop.service.place(shop.lina, "K2", order("P1:1000:100.00"))
    held = shop.service.place(shop.lina, "K2", order("P1:10:90.00", exception="保大客户"))
    assert held.holds == ("price_exception", "credit_override")
    price, credit = held.workflows
    shop.crm.workflows.advance(shop.sun, credit)
    assert shop.service.order(shop.admin, held.id).status == "held"
    shop.crm.workflows.advance(shop.zhou, price)
    assert shop.service.order(shop.admin, held.id).status == "accepted"
    again = shop.service.place(shop.lina, "K2", order("P1:10:90.00", exception="保大客户"))
    price, credit = again.workflows
    shop.crm.workflows.reject(shop.zhou, price, "不同意降价")
    with pytest.raises(Vetoed, match=f"order {again.id} is refused already"):
        shop.crm.workflows.advance(shop.sun, credit)
    shop.crm.workflows.reject(shop.sun, credit, "订单已被拒绝")
    assert shop.service.order(shop.admin, again.id).status == "refused"
