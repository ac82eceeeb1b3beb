"""What the distribution services hand out: plain, frozen views (JSON through ``--json``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen

#: Who sees the credit figures (DIST-CRED-1): those who sell, approve, collect or audit on
#: credit; not logistics (储运) nor read-only users, who see the classes and the terms only.
CREDIT_READ = "distribution.credit.read"
#: Fields of these views that need CREDIT_READ (crm_sensitive_fields; None and named in
#: ``masked`` for the others). The entity names are what the services pass to access.present.
SENSITIVE: dict[str, dict[str, str]] = {
    "distribution.distributor": {
        "score": "评分",
        "credit_limit": "信用限度",
        "period_sales": "期间销售额",
        "receivables": "应收账款",
        "committed": "在途订单",
        "exposure": "信用占用",
        "available": "可用额度",
    },
    "distribution.order": {"credit_limit": "信用限度", "exposure": "信用占用"},
    "distribution.queue_entry": {"score": "评分"},  # the order of the queue shows the ranking
    # unpaid invoices add up to the receivables (DIST-PAY-1): what was paid and is still owed
    "distribution.invoice": {"paid": "已付金额", "outstanding": "未付金额"},
    # the receivables record (应收账款档案): the limits a registration or review set, the sales
    # they rested on, an investigation's findings; the summary repeats them (not a downgrade's)
    "distribution.credit_event": {
        "summary": "摘要",
        "detail.limit": "信用限度",
        "detail.period_sales": "期间销售额",
        "detail.findings": "调查结论",
        "detail.rating": "资信评级",
    },
    # the columns the plugin adds to the CORE-ARC-3 period report (crm_quarterly_report)
    "distribution.report": {"credit_limit": "信用限度", "receivables": "应收账款"},
    # the same figures in the data of the plugin's approvals (crm workflow show / history)
    "workflow_instance": {
        "data.limit": "信用限度",
        "data.previous_limit": "原信用限度",
        "data.period_sales": "期间销售额",
        "data.exposure": "信用占用",
        "data.excess": "超限金额",
        "data.findings": "调查结论",
        "data.rating": "资信评级",
    },
}


def _ours(instance: Any) -> bool:
    return str(instance.workflow).startswith("distribution.")


#: Rules of SENSITIVE that hold for some records only (FieldRule.when); a rule on workflow data
#: keys holds for this plugin's approvals (and, as crmcore does for a rule with ``when``, when
#: the instance is not known yet: starting one with such a key).
WHEN: dict[tuple[str, str], Callable[[Any], bool]] = {
    ("distribution.credit_event", "summary"): lambda event: event.kind != "downgrade",
    **{("workflow_instance", key): _ours for key in SENSITIVE["workflow_instance"]},
}


@frozen(kw_only=True)
class Standing:
    """Where a distributor stands today."""

    score_class: str | None  # CLS-SCORE-1 in force
    score: Decimal | None
    score_run_id: int | None
    downgrades: int  # DIST-PAY-2 steps since that run
    payment_class: str | None
    credit_grade: str


@frozen(kw_only=True)
class DistributorView:
    client_code: str
    client_name: str
    score_class: str | None
    score: Decimal | None
    payment_class: str | None
    downgrades: int
    credit_grade: str
    credit_limit: Decimal | None
    period_sales: Decimal | None
    terms: str | None
    receivables: Decimal | None  # unpaid invoices (not prepayments)
    committed: Decimal | None  # open orders on credit, not invoiced yet
    exposure: Decimal | None
    available: Decimal | None  # limit - exposure (negative: over the limit)
    registered_at: datetime
    masked: tuple[str, ...] = ()  # fields withheld from this reader (CREDIT_READ)


@frozen(kw_only=True)
class LineView:
    line_no: int
    product: str
    quantity: Decimal
    unit_price: Decimal
    control_price: Decimal
    floor_price: Decimal
    amount: Decimal


@frozen(kw_only=True)
class OrderView:
    id: int
    client_code: str
    status: str
    amount: Decimal
    rush: bool
    score_class: str
    payment_class: str
    credit_grade: str
    terms: str
    credit_limit: Decimal | None
    exposure: Decimal | None
    holds: tuple[str, ...]
    workflows: tuple[int, ...]
    exception: str | None
    placed_on: date
    accepted_on: date | None
    promised_on: date | None
    delivered_on: date | None
    closed_reason: str | None
    invoice_id: int | None
    lines: tuple[LineView, ...]
    masked: tuple[str, ...] = ()  # fields withheld from this reader (CREDIT_READ)


@frozen(kw_only=True)
class InvoiceView:
    id: int
    order_id: int
    client_code: str
    amount: Decimal
    paid: Decimal | None
    outstanding: Decimal | None
    issued_on: date
    due_on: date
    settled_on: date | None
    late_on: date | None
    prepayment: bool
    masked: tuple[str, ...] = ()  # fields withheld from this reader (CREDIT_READ)


@frozen(kw_only=True)
class CreditEventView:
    id: int
    client_code: str
    kind: str
    rule: str
    occurred_on: date
    period: str | None
    summary: str | None
    detail: dict[str, Any]
    workflow_id: int | None
    at: datetime
    by: str
    masked: tuple[str, ...] = ()  # summary and detail keys withheld (CREDIT_READ)


@frozen(kw_only=True)
class PaymentResult:
    invoice: InvoiceView
    late: bool
    downgrade: CreditEventView | None  # DIST-PAY-2, when this payment triggered one


@frozen(kw_only=True)
class ProductView:
    code: str
    name: str
    unit: str
    control_price: Decimal | None
    since: date | None


@frozen(kw_only=True)
class QueueEntry:
    position: int
    order_id: int
    client_code: str
    client_name: str
    score_class: str
    score: Decimal | None
    rush: bool
    placed_on: date
    promised_on: date | None
    late: bool  # past its promised date
    awaiting_prepayment: bool  # DIST-PAY-1: D ships only when paid
    masked: tuple[str, ...] = ()
