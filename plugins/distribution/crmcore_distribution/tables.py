"""The distribution plugin's tables, on crmcore's metadata (names start with ``distribution_``).

Nothing is deleted: orders are refused rather than removed, payments are added, control
prices are dated rows, and every credit decision (registration, review, downgrade,
investigation) is a row of ``distribution_credit_events``, the client's receivables record
(CORE-ARC-1 category 3) until the archive of issue 4 files them as documents.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from crmcore.store import ExactDecimal, JsonDict, Money, UTCDateTime, metadata

# The distributor profile: its credit grade (set by the credit committee, DIST-CRED-3) and
# limit; the score class is not here, it comes from the CLS-SCORE-1 run in force.
distributors = Table(
    "distribution_distributors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False, unique=True),
    Column("credit_grade", String(1), nullable=False),
    Column("credit_limit", Money(), nullable=False),
    Column("period_sales", Money()),  # DIST-CRED-1: sales in the contracted account period
    Column("version", Integer, nullable=False),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("registered_by", ForeignKey("users.id"), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("credit_grade IN ('A', 'B', 'C', 'D')", name="credit_grade"),
)

products = Table(
    "distribution_products",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("unit", String(20), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
)

# The internal control price (内控价, DIST-PRICE-1), dated: the price in force on a day is the
# newest row with effective_from on or before it.
control_prices = Table(
    "distribution_control_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("product_id", ForeignKey("distribution_products.id"), nullable=False),
    Column("price", Money(), nullable=False),
    Column("effective_from", Date, nullable=False),
    Column("set_at", UTCDateTime, nullable=False),
    Column("set_by", ForeignKey("users.id"), nullable=False),
    Column("reason", Text),
    Index("ix_distribution_control_prices_product", "product_id", "effective_from", "id"),
)

orders = Table(
    "distribution_orders",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("distributor_id", ForeignKey("distribution_distributors.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("status", String(10), nullable=False),  # held | accepted | delivered | refused
    Column("amount", Money(), nullable=False),
    Column("rush", Boolean, nullable=False),
    Column("score_class", String(1), nullable=False),  # CLS-SCORE-1, when placed
    Column("payment_class", String(1), nullable=False),  # after DIST-PAY-2 downgrades
    Column("credit_grade", String(1), nullable=False),
    Column("settlement", String(12), nullable=False),  # deferred | on_delivery | prepay
    Column("terms_months", Integer, nullable=False),
    Column("terms_days", Integer, nullable=False),
    Column("credit_limit", Money(), nullable=False),  # as checked (DIST-CRED-2)
    Column("exposure", Money(), nullable=False),  # receivables + open credit orders + this one
    Column("holds", JsonDict, nullable=False, default=list),  # why it was held
    Column("exception", Text),  # the reason given for a price outside the bound
    Column("placed_on", Date, nullable=False),
    Column("placed_at", UTCDateTime, nullable=False),
    Column("placed_by", ForeignKey("users.id"), nullable=False),
    Column("accepted_on", Date),
    Column("promised_on", Date),  # DIST-DLV-1
    Column("delivered_on", Date),
    Column("closed_reason", Text),
    Column("version", Integer, nullable=False),
    CheckConstraint("status IN ('held', 'accepted', 'delivered', 'refused')", name="status"),
    Index("ix_distribution_orders_distributor", "distributor_id", "status"),
    Index("ix_distribution_orders_status", "status"),
)

order_lines = Table(
    "distribution_order_lines",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("distribution_orders.id"), nullable=False),
    Column("line_no", Integer, nullable=False),
    Column("product_id", ForeignKey("distribution_products.id"), nullable=False),
    Column("quantity", ExactDecimal(scale=3, precision=18), nullable=False),
    Column("unit_price", Money(), nullable=False),
    Column("control_price", Money(), nullable=False),
    Column("floor_price", ExactDecimal(scale=4, precision=20), nullable=False),
    Column("amount", Money(), nullable=False),
    Index("ix_distribution_order_lines_order", "order_id", "line_no", unique=True),
)

invoices = Table(
    "distribution_invoices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("order_id", ForeignKey("distribution_orders.id"), nullable=False, unique=True),
    Column("distributor_id", ForeignKey("distribution_distributors.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("paid", Money(), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("due_on", Date, nullable=False),  # DIST-PAY-1
    Column("settled_on", Date),
    Column("late_on", Date),  # first payment after due_on: the late payment DIST-PAY-2 counts
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", ForeignKey("users.id"), nullable=False),
    CheckConstraint("paid >= 0 AND paid <= amount", name="paid_within_amount"),
    Index("ix_distribution_invoices_distributor", "distributor_id", "settled_on"),
    Index("ix_distribution_invoices_late", "distributor_id", "late_on"),
)

payments = Table(
    "distribution_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("invoice_id", ForeignKey("distribution_invoices.id"), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("recorded_at", UTCDateTime, nullable=False),
    Column("recorded_by", ForeignKey("users.id"), nullable=False),
    Index("ix_distribution_payments_invoice", "invoice_id"),
)

# The receivables record (应收账款档案, CORE-ARC-1 category 3): every credit decision with
# its reasons. ``score_run_id``: the CLS-SCORE-1 run in force at a downgrade; a later run
# (the yearly regrade) restores the terms of the new score class.
credit_events = Table(
    "distribution_credit_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("distributor_id", ForeignKey("distribution_distributors.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("kind", String(20), nullable=False),  # registered | review | downgrade | investigation
    Column("rule", String(20), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("period", String(10)),  # the quarter of a downgrade: one per quarter
    Column("score_run_id", Integer),
    Column("workflow_id", Integer),
    Column("summary", Text, nullable=False),
    Column("detail", JsonDict, nullable=False, default=dict),
    Column("at", UTCDateTime, nullable=False),
    Column("by", ForeignKey("users.id"), nullable=False),
    Index("ix_distribution_credit_events_distributor", "distributor_id", "kind", "occurred_on"),
)

TABLES = (
    distributors,
    products,
    control_prices,
    orders,
    order_lines,
    invoices,
    payments,
    credit_events,
)
