"""Tables of the real estate plugin, on crmcore's shared metadata (foreign keys to clients resolve).

Nothing is edited in place except a unit's status in the control table, which moves only by a
compare-and-set on its ``version`` (so two sales desks never both take it). Tickets, receipts
and vouchers are paper: a mistake or a change of unit is a red reversal (红字冲红), a row of its
own pointing at exactly one original (a unique index makes a second reversal impossible).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, ForeignKey, Index, Integer, String, Table, Text

from crmcore.security import personal
from crmcore.store import ExactDecimal, JsonDict, Money, UTCDateTime, metadata


def _recorded() -> list[Column]:  # type: ignore[type-arg]
    return [
        Column("recorded_at", UTCDateTime, nullable=False),
        Column("recorded_by", ForeignKey("users.id"), nullable=False),
    ]


# RE-INV-1: projects, buildings and units: the one unit control table (楼盘控制表).
projects = Table(
    "realestate_projects",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(30), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    *_recorded(),
)

buildings = Table(
    "realestate_buildings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("realestate_projects.id"), nullable=False),
    Column("code", String(30), nullable=False),
    Index("ix_realestate_buildings_code", "project_id", "code", unique=True),
)

units = Table(
    "realestate_units",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("project_id", ForeignKey("realestate_projects.id"), nullable=False),
    Column("building_id", ForeignKey("realestate_buildings.id"), nullable=False),
    Column("code", String(30), nullable=False),  # as on the plans, e.g. 0302
    Column("floor", Integer, nullable=False),
    Column("layout", String(30), nullable=False),  # 户型, e.g. 3室2厅
    Column("area", ExactDecimal(2), nullable=False),  # m², built-up area
    # available | reserved (retail) | retail_sold | released (to a commissioning unit)
    # | selected (ticket in force) | sold (voucher in force)
    Column("status", String(12), nullable=False),
    Column("version", Integer, nullable=False),  # compare-and-set on every status change
    Column("client_id", ForeignKey("clients.id")),  # the commissioning unit it is released to
    Column("release_id", ForeignKey("realestate_releases.id")),
    Column("holder", String(100)),  # retail reservation: the customer's name
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_realestate_units_code", "building_id", "code", unique=True),
    Index("ix_realestate_units_project", "project_id", "status"),
)

# RE-PLAN-1: financing targets (融资指标), yearly (quarter NULL) and quarterly; a revision is
# a new row, the newest in force.
targets = Table(
    "realestate_targets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("year", Integer, nullable=False),
    Column("quarter", Integer),  # the quarter the money funds (rules-audit A5)
    Column("amount", Money(), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("note", String(200)),
    *_recorded(),
    Index("ix_realestate_targets_period", "year", "quarter"),
)

# RE-ALLOC-1: a release (发放房源) of units to a commissioning unit, approved by its chain.
releases = Table(
    "realestate_releases",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("project_id", ForeignKey("realestate_projects.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("unit_ids", JsonDict, nullable=False),  # {"ids": [...]}
    Column("status", String(10), nullable=False),  # pending | released | refused
    # none only for the "in principle" exception (原则上, rules-audit 1.13), whose reason
    # is recorded and which the chairman approves too
    Column("target_id", ForeignKey("realestate_targets.id")),
    Column("exception_reason", Text),
    Column("instance_id", ForeignKey("workflow_instances.id")),
    Column("warnings", JsonDict, nullable=False),
    *_recorded(),
)

# RE-LIST-1: the contract's list of eligible buyers (购房人名单) and its three checks.
buyer_lists = Table(
    "realestate_buyer_lists",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("project_id", ForeignKey("realestate_projects.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("selection_deadline", Date),  # RE-DEAD-1
    Column("payment_deadline", Date),
    Column("rename_policy", String(10), nullable=False),  # refuse | charge (RE-RENAME-1, A10)
    *_recorded(),
)

buyers = Table(
    "realestate_buyers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", ForeignKey("realestate_buyer_lists.id"), nullable=False),
    Column("name", String(50), nullable=False),
    *personal.id_number_columns("id_number"),
    Column("flagged", Boolean, nullable=False),  # the same ID on another list (speculator?)
    Column("source", String(10), nullable=False),  # list | rename
    *_recorded(),
)

list_checks = Table(
    "realestate_list_checks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", ForeignKey("realestate_buyer_lists.id"), nullable=False),
    Column("role", String(20), nullable=False),  # audit_legal | finance | lawyer
    Column("note", String(200)),
    *_recorded(),
    Index("ix_realestate_list_checks_role", "list_id", "role", unique=True),
)

# RE-TICKET-1/2: the unit-selection ticket (选房工作票).
tickets = Table(
    "realestate_tickets",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("unit_id", ForeignKey("realestate_units.id"), nullable=False),
    Column("buyer_id", ForeignKey("realestate_buyers.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("unit_price", Money(), nullable=False),
    Column("area", ExactDecimal(2), nullable=False),
    Column("total", Money(), nullable=False),
    Column("discount", Money(), nullable=False),
    Column("discounts", JsonDict, nullable=False),  # {"taken": [...], "waived": [...]}
    Column("payment_mode", String(12), nullable=False),  # full | installment | mortgage
    Column("payment_ratio", ExactDecimal(4), nullable=False),  # 0.5000 .. 1.0000
    Column("due", Money(), nullable=False),
    Column("reservation_fee", Money()),  # 封户费; none when paying in full (rules-audit 1.8)
    Column("carried_over", Money(), nullable=False),  # paid on the reversed ticket it replaces
    Column("replaces_id", ForeignKey("realestate_tickets.id")),
    Column("checked_by", ForeignKey("users.id")),
    Column("checked_at", UTCDateTime),
    # the unit's id while the ticket is in force, NULL once reversed: a unique index is the
    # database's own guarantee that a unit never has two tickets in force (RE-INV-1)
    Column("live_unit_id", Integer),
    *_recorded(),
    Index("ix_realestate_tickets_live_unit", "live_unit_id", unique=True),
    Index("ix_realestate_tickets_buyer", "buyer_id"),
)

# RE-PAY-1: receipts (收据), the ledger's lines of money.
receipts = Table(
    "realestate_receipts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("ticket_id", ForeignKey("realestate_tickets.id"), nullable=False),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    # payment | reservation_fee | supplement | refund (退款, negative: RE-TICKET-3) | handed_in
    # (the rest, from the receipts the buyer handed in: RE-PAY-1) count towards what is due;
    # switch_fee | rename_fee do not
    Column("kind", String(16), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("papers", Text),  # handed_in: the receipts handed in (全部收据)
    *_recorded(),
    Index("ix_realestate_receipts_ticket", "ticket_id"),
)

# RE-PAY-1: pre-numbered selection vouchers (选房凭证), countersigned.
vouchers = Table(
    "realestate_vouchers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("ticket_id", ForeignKey("realestate_tickets.id"), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("countersigned_by", ForeignKey("users.id")),
    Column("countersigned_at", UTCDateTime),
    Column("live_unit_id", Integer),  # as on tickets: one voucher in force per unit
    *_recorded(),
    Index("ix_realestate_vouchers_live_unit", "live_unit_id", unique=True),
    Index("ix_realestate_vouchers_ticket", "ticket_id"),
)

# RE-TICKET-3: red reversals (红字冲红), each of exactly one voucher or one ticket.
reversals = Table(
    "realestate_reversals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("voucher_id", ForeignKey("realestate_vouchers.id"), unique=True),
    Column("ticket_id", ForeignKey("realestate_tickets.id"), unique=True),
    Column("reason", String(24), nullable=False),  # unit_change | supplementary_payment
    Column("returned_papers", Text, nullable=False),
    *_recorded(),
)

# RE-PAY-3 mortgage switches and RE-RENAME-1 renames: changes recorded beside the ticket.
changes = Table(
    "realestate_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("realestate_tickets.id"), nullable=False),
    Column("kind", String(16), nullable=False),  # mortgage_switch | rename
    Column("to_buyer_id", ForeignKey("realestate_buyers.id")),
    Column("fee", Money(), nullable=False),
    Column("detail", JsonDict, nullable=False),
    *_recorded(),
    Index("ix_realestate_changes_ticket", "ticket_id"),
)

# RE-PAY-2: transfers from the commissioning unit's dedicated account (委建办专用帐户) to the
# co-managed account (共管账户), and bank balances finance reconciles with the receipts.
transfers = Table(
    "realestate_transfers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("client_id", ForeignKey("clients.id"), nullable=False),
    Column("kind", String(10), nullable=False),  # transfer | balance
    Column("amount", Money(), nullable=False),
    Column("on_date", Date, nullable=False),
    Column("reference", String(100)),
    *_recorded(),
)

# RE-REL-1: relationship units (关系房) approved by phone in an emergency.
relations = Table(
    "realestate_relations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("unit_id", ForeignKey("realestate_units.id"), nullable=False),
    Column("handler", String(50), nullable=False),  # 经办人
    Column("department", String(50), nullable=False),
    Column("phone_approver", String(50), nullable=False),  # GM level or above
    Column("average_price", Money(), nullable=False),
    Column("payment_ratio", ExactDecimal(4), nullable=False),
    Column("payment_date", Date, nullable=False),
    Column("approved_on", Date, nullable=False),
    Column("paperwork_due", Date, nullable=False),
    Column("paperwork_on", Date),
    *_recorded(),
)

# RE-TICKET-1: the buyer's signed copy of a ticket (客户签字联) is held: with software the
# source keeps only that copy (「留存客户签字联即可」, rules-audit "Document copies"). One row
# per ticket, never edited: a ticket reissued after a change of unit is signed anew.
signatures = Table(
    "realestate_signatures",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("ticket_id", ForeignKey("realestate_tickets.id"), nullable=False, unique=True),
    Column("document_id", ForeignKey("documents.id")),  # the scan, in the client's archive
    *_recorded(),
)

# RE-RENAME-1 (rules-audit 1.9): the contract's list of relationships a buyer may rename to,
# the proofs recognised and each one's price policy. Setting it again is a new version; the
# newest is in force, an empty one falls back to the list's rename_policy.
rename_terms = Table(
    "realestate_rename_terms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("list_id", ForeignKey("realestate_buyer_lists.id"), nullable=False),
    Column("version", Integer, nullable=False),
    # {"terms": [{"relationship": "配偶", "price": "free", "proofs": ["结婚证"]}, ...]}
    Column("terms", JsonDict, nullable=False),
    *_recorded(),
    Index("ix_realestate_rename_terms_version", "list_id", "version", unique=True),
)

# RE-REL-1 (rules-audit 1.16): the key-account department's price policy for relationship
# units, dated, in force once the GM approved it; a late payer pays at the one in force on the
# day of payment (「如逾期,大客户部将按拖延的时间执行新的价格政策」).
relation_prices = Table(
    "realestate_relation_prices",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("average_price", Money(), nullable=False),  # per m²
    Column("valid_from", Date, nullable=False),
    Column("note", String(200)),
    Column("approved_by", ForeignKey("users.id")),  # the GM; NULL: not in force
    Column("approved_at", UTCDateTime),
    *_recorded(),
    Index("ix_realestate_relation_prices_from", "valid_from"),
)

# RE-REL-1: payments for a relationship unit, with the price they were due at: the written
# approval's on time, the price policy in force on the day when paid after its payment date.
relation_payments = Table(
    "realestate_relation_payments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(20), nullable=False, unique=True),
    Column("relation_id", ForeignKey("realestate_relations.id"), nullable=False),
    Column("amount", Money(), nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("late", Boolean, nullable=False),
    Column("unit_price", Money(), nullable=False),  # the average price applied, per m²
    Column("price_id", ForeignKey("realestate_relation_prices.id")),  # late: the policy applied
    Column("due", Money(), nullable=False),  # price × area × ratio, as of this payment
    *_recorded(),
    Index("ix_realestate_relation_payments_relation", "relation_id"),
)

TABLES = (
    projects,
    buildings,
    releases,
    units,
    targets,
    buyer_lists,
    buyers,
    list_checks,
    tickets,
    receipts,
    vouchers,
    reversals,
    changes,
    transfers,
    relations,
    signatures,
    rename_terms,
    relation_prices,
    relation_payments,
)

# Core tables the plugin joins (read only).
clients = metadata.tables["clients"]
clients_code = clients.c.code
users = metadata.tables["users"]
