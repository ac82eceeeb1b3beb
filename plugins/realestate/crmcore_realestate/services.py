"""Use cases of the real estate plugin: the control table, targets, releases, buyers, tickets
and the money trail.

    from crmcore_realestate.services import RealEstateService
    re = RealEstateService(crm)
    re.add_project(admin, "HY1", "和园一期")
    re.load_units(admin, "HY1", rows)              # RE-INV-1
    ticket = re.issue_ticket(clerk, "HY1", "KA1", NewTicket(unit="1-0302", ...))

Each method is one transaction (pass an Actor to open one, a Tx to join one); a refusal leaves
nothing behind. A unit's status moves only by compare-and-set (status and version in the
WHERE clause), and a unique index on the unit of every ticket and voucher in force backs it,
so racing sales desks never sell one unit twice, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from crmcore import Conflict, Crm, InvalidInput, NotFound, PermissionDenied, Tx, query, use_case
from crmcore.calendar import china_date
from crmcore.security import access, personal
from crmcore_realestate import domain as d
from crmcore_realestate import filing
from crmcore_realestate import tables as t
from crmcore_realestate.price_gate import approved_average

READ = "realestate.read"
INVENTORY = "realestate.inventory"  # projects and units
RESERVE = "realestate.reserve"  # retail reservations and sales
TARGET = "realestate.target"  # finance's financing targets
PRICE = "realestate.price"  # record the approved average (until RE-PRICE-5 is wired in)
RELEASE = "realestate.release"
LIST = "realestate.list"  # import buyer lists
LIST_CHECK = "realestate.list_check"
TICKET = "realestate.ticket"  # narrow: issue tickets (RE-TICKET-1, rules-audit 1.8)
SIGN = "realestate.ticket_sign"  # narrow: record the buyer's signed copy (RE-TICKET-1)
CHECK = "realestate.check"  # second check of tickets, countersigning vouchers
PAY = "realestate.pay"  # receipts
REVERSE = "realestate.reverse"  # red reversals, renames, mortgage switches
RECONCILE = "realestate.reconcile"
RELATION = "realestate.relation"
#: the GM approves the key-account department's price policy for relationship units (RE-REL-1)
RELATION_PRICE_APPROVE = "realestate.relation_price_approve"

#: money that counts towards what a ticket makes due; a refund (退款) is a red receipt with a
#: negative amount, so every sum of receipts is already net of refunds
TOWARDS_DUE = ("payment", "reservation_fee", "supplement", "refund", "handed_in")


def _number(tx: Tx, prefix: str, width: int = 6) -> str:
    from crmcore import next_number

    return f"{prefix}{next_number(tx, 'realestate_' + prefix):0{width}d}"


# -- views ------------------------------------------------------------------------------------


@frozen
class Target:
    year: int
    quarter: int | None
    amount: Decimal
    issued_on: date


@frozen
class Progress:
    """RE-PLAN-1: money received against a financing target."""

    year: int
    quarter: int | None
    target: Decimal | None
    received: Decimal
    percent: Decimal | None
    units_selected: int
    units_sold: int


@frozen
class Release:
    number: str
    client: str
    status: str
    units: tuple[str, ...]
    instance_id: int | None
    warnings: tuple[str, ...]
    #: set when released without a financing target (RE-ALLOC-1's "in principle" exception)
    without_target: str | None = None


@frozen
class Buyer:
    id: int
    name: str
    id_number: str  # masked
    flagged: bool
    source: str


@frozen
class BuyerList:
    number: str
    project: str
    client: str
    checks: tuple[str, ...]
    missing_checks: tuple[str, ...]
    buyers: tuple[Buyer, ...]
    selection_deadline: date | None
    payment_deadline: date | None
    rename_policy: str
    #: RE-RENAME-1: the contract's permitted relationships in force; empty: rename_policy
    rename_terms: tuple[d.RenameTerm, ...] = ()


@frozen
class Ticket:
    number: str
    unit: str
    client: str
    buyer: str
    id_number: str  # masked
    unit_price: Decimal
    area: Decimal
    total: Decimal
    discount: Decimal
    payment_mode: str
    payment_ratio: Decimal
    due: Decimal
    paid: Decimal
    reservation_fee: Decimal | None
    checked_by: str | None
    in_force: bool
    voucher: str | None
    voucher_countersigned: bool
    refunded: Decimal = Decimal(0)  # paid back on a change to a cheaper unit (RE-TICKET-3)
    #: RE-TICKET-1: who recorded that the buyer's signed copy (客户签字联) is held, and when;
    #: the voucher waits for it
    signed_by: str | None = None
    signed_at: datetime | None = None
    signed_copy: int | None = None  # the scan's document id in the client's archive

    @property
    def voucher_waits_for(self) -> tuple[str, ...]:
        """What a ticket in force and paid in full still lacks before its voucher, in the
        order ``_maybe_voucher`` requires them (RE-PAY-1, RE-TICKET-1)."""
        if self.voucher or not self.in_force or self.paid < self.due:
            return ()
        return tuple(
            what
            for what, done in (
                ("the second check", self.checked_by),
                ("the buyer's signed copy", self.signed_by),
            )
            if not done
        )


@frozen
class Receipt:
    number: str
    ticket: str
    kind: str
    amount: Decimal
    paid_on: date
    papers: str | None = None  # handed_in: the receipts the buyer handed in (RE-PAY-1)


@frozen
class Reconciliation:
    """RE-PAY-2: receipts against transfers into the co-managed account and the bank balance."""

    client: str
    receipts: Decimal
    transferred: Decimal
    bank_balance: Decimal | None
    not_transferred: Decimal
    difference: Decimal | None  # bank balance − transferred


@frozen
class Overdue:
    kind: str  # selection | payment
    list: str
    buyer: str
    ticket: str | None
    deadline: date
    outstanding: Decimal | None


@frozen
class RelationPrice:
    """RE-REL-1: the price policy for relationship units from a date, once the GM approved it."""

    number: str
    average_price: Decimal
    valid_from: date
    approved_by: str | None
    note: str | None = None


@frozen
class RelationPayment:
    """RE-REL-1: a payment for a relationship unit and what the unit is due at after it."""

    number: str
    unit: str
    amount: Decimal
    paid_on: date
    late: bool  # after the written approval's payment date
    unit_price: Decimal  # the approval's average on time, the price policy's when late
    price_policy: str | None  # late: the relationship price policy applied
    due: Decimal  # unit_price × area × payment ratio
    paid: Decimal  # all payments for the unit so far
    payment_date: date  # the approval's


@frozen
class RelationUnit:
    """RE-REL-1: a relationship unit's approval, paperwork and payments."""

    unit: str
    handler: str
    department: str
    phone_approver: str
    average_price: Decimal
    payment_ratio: Decimal
    payment_date: date
    paperwork_due: date
    paperwork_on: date | None
    payments: tuple[RelationPayment, ...]
    #: at the approval's price until a late payment reprices it (the last payment's due)
    due: Decimal
    paid: Decimal


# -- the service ------------------------------------------------------------------------------


class RealEstateService:
    """The plugin's use cases; cheap to create (``RealEstateService(crm)``)."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    # -- inventory (RE-INV-1) ---------------------------------------------------------------

    @use_case
    def add_project(self, tx: Tx, code: str, name: str) -> str:
        tx.actor.require(INVENTORY)
        code, name = code.strip(), name.strip()
        if not code or not name:
            raise InvalidInput("project", "give a project code and name", rule="RE-INV-1")
        if tx.conn.execute(select(t.projects.c.id).where(t.projects.c.code == code)).first():
            raise Conflict(f"project {code} exists already", rule="RE-INV-1")
        tx.conn.execute(t.projects.insert().values(code=code, name=name, **_by(tx)))
        tx.audit("realestate.project.add", "realestate_project", code)
        return code

    @use_case
    def load_units(self, tx: Tx, project_code: str, rows: Iterable[Mapping[str, Any]]) -> int:
        """Bulk-load units (building, unit, floor, layout, area); all or nothing."""
        tx.actor.require(INVENTORY)
        project = _project(tx, project_code)
        buildings = dict(
            tx.conn.execute(
                select(t.buildings.c.code, t.buildings.c.id).where(
                    t.buildings.c.project_id == project.id
                )
            ).all()
        )
        seen: set[tuple[str, str]] = set()
        values = []
        for line, cells in enumerate(rows, start=2):
            row = d.unit_row(cells, line)
            if (row.building, row.code) in seen:
                raise InvalidInput(
                    "unit", f"row {line}: {row.building}-{row.code} twice", rule="RE-INV-1"
                )
            seen.add((row.building, row.code))
            if row.building not in buildings:
                buildings[row.building] = tx.conn.execute(
                    t.buildings.insert().values(project_id=project.id, code=row.building)
                ).inserted_primary_key[0]
            values.append(
                {
                    "project_id": project.id,
                    "building_id": buildings[row.building],
                    "code": row.code,
                    "floor": row.floor,
                    "layout": row.layout,
                    "area": row.area,
                    "status": d.AVAILABLE,
                    "version": 1,
                    "updated_at": tx.now,
                }
            )
        if not values:
            raise InvalidInput("file", "no units to load", rule="RE-INV-1")
        existing = _unit_refs(tx, project.id)
        clash = sorted(f"{b}-{c}" for b, c in seen if f"{b}-{c}" in existing)
        if clash:
            raise Conflict(
                f"units already in the control table: {', '.join(clash[:5])}", rule="RE-INV-1"
            )
        tx.conn.execute(t.units.insert(), values)
        tx.audit(
            "realestate.units.load",
            "realestate_project",
            project_code,
            detail={"units": len(values)},
        )
        return len(values)

    @query
    def units(self, tx: Tx, project_code: str) -> list[d.Unit]:
        """The unit control table (楼盘控制表), by building, floor and unit."""
        tx.actor.require(READ)
        return _units(tx, _project(tx, project_code).id)

    @use_case
    def reserve(self, tx: Tx, project_code: str, unit_ref: str, holder: str) -> d.Unit:
        """Retail reserves from the same control table (RE-INV-1)."""
        tx.actor.require(RESERVE)
        if not holder.strip():
            raise InvalidInput("holder", "give the customer's name", rule="RE-INV-1")
        unit = _unit(tx, project_code, unit_ref)
        _move(tx, unit, (d.AVAILABLE,), d.RESERVED, holder=holder.strip())
        tx.audit(
            "realestate.unit.reserve", "realestate_unit", unit_ref, detail={"project": project_code}
        )
        return _unit_view(tx, unit.id)

    @use_case
    def cancel_reservation(self, tx: Tx, project_code: str, unit_ref: str) -> d.Unit:
        tx.actor.require(RESERVE)
        unit = _unit(tx, project_code, unit_ref)
        _move(tx, unit, (d.RESERVED,), d.AVAILABLE, holder=None)
        tx.audit(
            "realestate.unit.unreserve",
            "realestate_unit",
            unit_ref,
            detail={"project": project_code},
        )
        return _unit_view(tx, unit.id)

    @use_case
    def sell_retail(
        self, tx: Tx, project_code: str, unit_ref: str, holder: str | None = None
    ) -> d.Unit:
        tx.actor.require(RESERVE)
        unit = _unit(tx, project_code, unit_ref)
        _move(tx, unit, (d.AVAILABLE, d.RESERVED), d.RETAIL_SOLD, holder=holder or unit.holder)
        tx.audit(
            "realestate.unit.retail_sale",
            "realestate_unit",
            unit_ref,
            detail={"project": project_code},
        )
        return _unit_view(tx, unit.id)

    # -- financing targets (RE-PLAN-1) --------------------------------------------------------

    @use_case
    def set_target(
        self,
        tx: Tx,
        year: int,
        amount: object,
        *,
        quarter: int | None = None,
        issued_on: date | None = None,
        note: str | None = None,
    ) -> Target:
        """A financing target (融资指标): yearly, or for the quarter it funds (rules-audit A5)."""
        tx.actor.require(TARGET)
        if not 2000 <= year <= 2200:
            raise InvalidInput("year", f"{year} is not a plausible year", rule="RE-PLAN-1")
        if quarter is not None and quarter not in (1, 2, 3, 4):
            raise InvalidInput("quarter", "must be 1 to 4", rule="RE-PLAN-1")
        value = d.money(amount, "amount", rule="RE-PLAN-1")
        issued = issued_on or china_date(tx.now)
        tx.conn.execute(
            t.targets.insert().values(
                year=year, quarter=quarter, amount=value, issued_on=issued, note=note, **_by(tx)
            )
        )
        tx.audit(
            "realestate.target.set",
            "realestate_target",
            f"{year}Q{quarter or '-'}",
            detail={"fields": ["amount"]},
        )
        return Target(year, quarter, value, issued)

    @query
    def progress(self, tx: Tx, year: int, quarter: int | None = None) -> Progress:
        """Money received in the period (receipts towards what is due) against its target."""
        tx.actor.require(READ)
        target = _target(tx, year, quarter)
        months = range(1, 13) if quarter is None else range(3 * quarter - 2, 3 * quarter + 1)
        start, end = (
            date(year, months[0], 1),
            date(year + (months[-1] == 12), months[-1] % 12 + 1, 1),
        )
        r = t.receipts.c
        received = tx.conn.execute(
            select(func.coalesce(func.sum(r.amount), 0)).where(
                r.kind.in_(TOWARDS_DUE), r.paid_on >= start, r.paid_on < end
            )
        ).scalar_one()
        received = Decimal(received)
        u = t.units.c
        counts = dict(tx.conn.execute(select(u.status, func.count()).group_by(u.status)).all())
        amount = target.amount if target else None
        percent = (received * 100 / amount).quantize(Decimal("0.1")) if amount else None
        return Progress(
            year,
            quarter,
            amount,
            received,
            percent,
            counts.get(d.SELECTED, 0),
            counts.get(d.SOLD, 0),
        )

    @query
    def unit_price(self, tx: Tx, project_code: str, client_code: str, unit_ref: str) -> Decimal:
        """The approved unit price (RE-PRICE-5); refused before approval (RE-PRICE-6)."""
        tx.actor.require(READ)
        client = access.client_for_read(tx, client_code, action=None)
        return _approved_unit_price(tx, project_code, client.id, _unit(tx, project_code, unit_ref))

    # -- releases (RE-ALLOC-1) ----------------------------------------------------------------

    @use_case
    def request_release(
        self,
        tx: Tx,
        project_code: str,
        client_code: str,
        unit_refs: Sequence[str],
        *,
        without_target: str | None = None,
    ) -> Release:
        """Ask to release units to a commissioning unit; its approval chain starts at once.

        Without a financing target the release is refused, unless ``without_target`` gives the
        reason for the source's "in principle" (原则上) exception (rules-audit 1.13): then the
        chairman approves after the four (workflow ``realestate.release_without_target``)."""
        tx.actor.require(RELEASE)
        reason = None if without_target is None else without_target.strip()
        if reason == "":
            raise InvalidInput(
                "without_target",
                "give the reason for releasing without a financing target",
                rule="RE-ALLOC-1",
            )
        project = _project(tx, project_code)
        client = access.client_for_read(tx, client_code, action=None)
        today = china_date(tx.now)
        g = t.targets.c
        # RE-PLAN-1: a yearly or quarterly target for this year (or next year's, issued in
        # December) is what finance gives; any of them opens releases.
        target = tx.conn.execute(
            select(t.targets)
            .where(g.year.in_((today.year, today.year + 1)))
            .order_by(g.id.desc())
            .limit(1)
        ).first()
        if target is None and reason is None:
            raise Conflict(
                f"no financing target for {today.year} from finance: units are released only "
                "after one (or ask for the exception, with its reason and the chairman's approval)",
                rule="RE-ALLOC-1",
            )
        if target is not None and reason is not None:
            raise InvalidInput(
                "without_target",
                f"finance's financing target for {target.year} exists: no exception is needed",
                rule="RE-ALLOC-1",
            )
        refs = sorted(set(unit_refs))
        if not refs:
            raise InvalidInput("units", "name at least one unit", rule="RE-ALLOC-1")
        rows = [_unit(tx, project_code, ref) for ref in refs]
        taken = [ref for ref, row in zip(refs, rows, strict=True) if row.status != d.AVAILABLE]
        if taken:
            raise Conflict(f"not available for release: {', '.join(taken)}", rule="RE-INV-1")
        pending = {
            unit_id
            for ids in tx.conn.scalars(
                select(t.releases.c.unit_ids).where(
                    t.releases.c.project_id == project.id, t.releases.c.status == "pending"
                )
            )
            for unit_id in ids["ids"]
        }
        held = [ref for ref, row in zip(refs, rows, strict=True) if row.id in pending]
        if held:
            raise Conflict(
                f"in a release awaiting approval already: {', '.join(held)}", rule="RE-INV-1"
            )
        warnings = d.retail_warnings(
            _units(tx, project.id), set(refs), self.crm.policies.in_force(tx, "RE-ALLOC-1")
        )
        number = _number(tx, "FY", 4)
        release_id = tx.conn.execute(
            t.releases.insert().values(
                number=number,
                project_id=project.id,
                client_id=client.id,
                unit_ids={"ids": [r.id for r in rows]},
                status="pending",
                target_id=None if target is None else target.id,
                exception_reason=reason,
                warnings={"warnings": warnings},
                **_by(tx),
            )
        ).inserted_primary_key[0]
        instance = tx.crm.workflows.start(
            tx,
            "realestate.release" if reason is None else "realestate.release_without_target",
            client_code,
            entity_type="realestate_release",
            entity_id=release_id,
            data={"release": number, "units": len(refs)}
            | ({} if reason is None else {"without_target": reason}),
        )
        tx.conn.execute(
            update(t.releases).where(t.releases.c.id == release_id).values(instance_id=instance.id)
        )
        tx.audit(
            "realestate.release.request",
            "realestate_release",
            number,
            client_id=client.id,
            detail={"units": len(refs), "warnings": len(warnings), "exception": reason is not None},
        )
        return _release_view(tx, release_id)

    @query
    def release(self, tx: Tx, number: str) -> Release:
        tx.actor.require(READ)
        row = tx.conn.execute(select(t.releases.c.id).where(t.releases.c.number == number)).first()
        if row is None:
            raise NotFound(f"no release {number}")
        return _release_view(tx, row.id)

    # -- eligible buyers (RE-LIST-1) ----------------------------------------------------------

    @use_case
    def import_buyers(
        self,
        tx: Tx,
        project_code: str,
        client_code: str,
        rows: Iterable[tuple[str, str]],
        *,
        selection_deadline: date | None = None,
        payment_deadline: date | None = None,
        rename_policy: str = "refuse",
    ) -> BuyerList:
        """The contract's list of eligible buyers (name, ID number); the same ID on another list
        is flagged on both (a speculator?)."""
        tx.actor.require(LIST)
        project = _project(tx, project_code)
        client = access.client_for_read(tx, client_code, action=None)
        if rename_policy not in ("refuse", "charge"):
            raise InvalidInput("rename_policy", "refuse or charge", rule="RE-RENAME-1")
        people: list[tuple[str, str]] = []
        seen: set[str] = set()
        for line, (name, raw) in enumerate(rows, start=2):
            if not (name or "").strip():
                raise InvalidInput("name", f"row {line}: name is missing", rule="RE-LIST-1")
            try:
                number = personal.validate_id_number(raw or "", "id_number")
            except InvalidInput as exc:
                raise InvalidInput(
                    "id_number", f"row {line}: {exc.message}", rule="RE-LIST-1"
                ) from None
            if number in seen:
                raise InvalidInput(
                    "id_number",
                    f"row {line}: the same ID number twice on this list",
                    rule="RE-LIST-1",
                )
            seen.add(number)
            people.append((name.strip(), number))
        if not people:
            raise InvalidInput("file", "no buyers on the list", rule="RE-LIST-1")
        list_id = tx.conn.execute(
            t.buyer_lists.insert().values(
                number=_number(tx, "MD", 4),
                project_id=project.id,
                client_id=client.id,
                selection_deadline=selection_deadline,
                payment_deadline=payment_deadline,
                rename_policy=rename_policy,
                **_by(tx),
            )
        ).inserted_primary_key[0]
        flagged = sum(_add_buyer(tx, list_id, name, number, "list") for name, number in people)
        view = _list_view(tx, list_id)
        tx.audit(
            "realestate.list.import",
            "realestate_buyer_list",
            view.number,
            client_id=client.id,
            detail={"buyers": len(people), "flagged": flagged},
        )
        return view

    @use_case
    def check_list(self, tx: Tx, list_number: str, role: str, note: str | None = None) -> BuyerList:
        """One of the three checks against proof of employment (audit/legal, finance, lawyer)."""
        tx.actor.require(LIST_CHECK)
        if role not in d.LIST_CHECKERS:
            raise InvalidInput("role", f"one of {', '.join(d.LIST_CHECKERS)}", rule="RE-LIST-1")
        if role not in tx.actor.roles and "admin" not in tx.actor.roles:
            raise PermissionDenied(
                f"{tx.actor.login} does not hold the role {role}", rule="RE-LIST-1"
            )
        row = _list_row(tx, list_number)
        access.client_by_id(tx, row.client_id)
        c = t.list_checks.c
        if tx.conn.execute(select(c.id).where(c.list_id == row.id, c.role == role)).first():
            raise Conflict(f"{list_number} was checked by {role} already", rule="RE-LIST-1")
        tx.conn.execute(
            t.list_checks.insert().values(list_id=row.id, role=role, note=note, **_by(tx))
        )
        tx.audit(
            "realestate.list.check",
            "realestate_buyer_list",
            list_number,
            client_id=row.client_id,
            detail={"role": role},
        )
        return _list_view(tx, row.id)

    @use_case
    def set_rename_terms(
        self, tx: Tx, list_number: str, terms: Sequence[d.RenameTerm | str]
    ) -> BuyerList:
        """RE-RENAME-1 (rules-audit 1.9): the contract lists the relationships a buyer may be
        renamed to, the proofs the company recognises and each one's price policy, e.g.
        ``配偶:free:结婚证``. A new version each time (the earlier stay); none: back to the
        list's ``rename_policy``."""
        tx.actor.require(LIST)
        parsed = d.rename_terms(terms)
        row = _list_row(tx, list_number)
        access.client_by_id(tx, row.client_id)
        r = t.rename_terms.c
        version = tx.conn.scalar(
            select(func.coalesce(func.max(r.version), 0)).where(r.list_id == row.id)
        )
        tx.conn.execute(
            t.rename_terms.insert().values(
                list_id=row.id,
                version=version + 1,
                terms={"terms": [attrs.asdict(x) for x in parsed]},
                **_by(tx),
            )
        )
        tx.audit(
            "realestate.list.rename_terms",
            "realestate_buyer_list",
            list_number,
            client_id=row.client_id,
            detail={"version": version + 1, "relationships": [x.relationship for x in parsed]},
        )
        return _list_view(tx, row.id)

    @query
    def buyer_list(self, tx: Tx, list_number: str) -> BuyerList:
        tx.actor.require(READ)
        row = _list_row(tx, list_number)
        access.client_by_id(tx, row.client_id)
        return _list_view(tx, row.id)

    @use_case
    def reveal_buyer_id(self, tx: Tx, list_number: str, buyer_id: int, reason: str) -> str | None:
        """A listed buyer's ID number in clear, for checking against proof of employment
        (RE-LIST-1): needs ``personal.reveal`` and a reason; leaves an audit event."""
        tx.actor.require(LIST_CHECK)
        row = _list_row(tx, list_number)
        b = t.buyers.c
        if not tx.conn.execute(select(b.id).where(b.id == buyer_id, b.list_id == row.id)).first():
            raise NotFound(f"no buyer {buyer_id} on list {list_number}")
        return personal.reveal_id_number(
            tx, t.buyers, buyer_id, client_id=row.client_id, reason=reason
        )

    # -- selection tickets (RE-TICKET-1/2) ----------------------------------------------------

    @use_case
    def issue_ticket(self, tx: Tx, project_code: str, client_code: str, new: d.NewTicket) -> Ticket:
        """Issue a unit-selection ticket and mark the unit off at once (RE-TICKET-2)."""
        tx.actor.require(TICKET)
        client = access.client_for_read(tx, client_code, action=None)
        buyer = _listed_buyer(tx, project_code, client.id, new.buyer_name, new.id_number)
        ticket_id = _issue(
            tx, project_code, client.id, buyer, new, carried_over=Decimal(0), replaces=None
        )
        view = _ticket_view(tx, ticket_id)
        tx.audit(
            "realestate.ticket.issue",
            "realestate_ticket",
            view.number,
            client_id=client.id,
            detail={"unit": view.unit},
        )
        return view

    @use_case
    def check_ticket(self, tx: Tx, ticket_number: str) -> Ticket:
        """The independent second check (复核) of a ticket, by someone other than its issuer."""
        tx.actor.require(CHECK)
        row = _ticket_row(tx, ticket_number)
        access.client_by_id(tx, row.client_id)
        if row.live_unit_id is None:
            raise Conflict(f"{ticket_number} is reversed", rule="RE-TICKET-3")
        if row.checked_by is not None:
            raise Conflict(f"{ticket_number} was checked already", rule="RE-TICKET-1")
        _sign(tx, t.tickets, row, "checked", "the second check", "RE-TICKET-1")
        tx.audit(
            "realestate.ticket.check", "realestate_ticket", ticket_number, client_id=row.client_id
        )
        _maybe_voucher(tx, row.id)
        return _ticket_view(tx, row.id)

    @use_case
    def sign_ticket(
        self, tx: Tx, ticket_number: str, *, scan: tuple[str, bytes] | None = None
    ) -> Ticket:
        """RE-TICKET-1: the buyer signed the ticket and the signed copy (客户签字联) is held;
        with software it is the copy kept (「留存客户签字联即可」). ``scan`` (file name, bytes)
        files a scan in the commissioning unit's archive. Recorded once and never edited; a
        ticket reissued after a change of unit is signed anew. The voucher (RE-PAY-1) waits
        for it, so a ticket already checked and paid gets its voucher here."""
        tx.actor.require(SIGN)
        row = _ticket_row(tx, ticket_number)
        client = access.client_by_id(tx, row.client_id)
        if row.live_unit_id is None:
            raise Conflict(
                f"{ticket_number} is reversed: the buyer signs the ticket that replaced it",
                rule="RE-TICKET-3",
            )
        if _signature(tx, row.id) is not None:
            raise Conflict(f"{ticket_number} is signed already", rule="RE-TICKET-1")
        document_id = None
        if scan is not None:
            document_id = filing.file_signed_copy(tx, client.code, row.number, *scan)
        tx.conn.execute(
            t.signatures.insert().values(ticket_id=row.id, document_id=document_id, **_by(tx))
        )
        tx.audit(
            "realestate.ticket.sign",
            "realestate_ticket",
            ticket_number,
            client_id=row.client_id,
            detail={"scan": document_id},
        )
        _maybe_voucher(tx, row.id)
        return _ticket_view(tx, row.id)

    @query
    def ticket(self, tx: Tx, ticket_number: str) -> Ticket:
        tx.actor.require(READ)
        row = _ticket_row(tx, ticket_number)
        access.client_by_id(tx, row.client_id)
        return _ticket_view(tx, row.id)

    # -- money trail (RE-PAY-1/2/3, RE-TICKET-3) ----------------------------------------------

    @use_case
    def pay(
        self,
        tx: Tx,
        ticket_number: str,
        amount: object,
        *,
        paid_on: date | None = None,
        kind: str = "payment",
    ) -> Receipt:
        """A receipt (收据) towards the ticket; the voucher follows when paid equals due."""
        tx.actor.require(PAY)
        if kind not in ("payment", "reservation_fee"):
            raise InvalidInput("kind", "payment or reservation_fee", rule="RE-PAY-1")
        row = _ticket_row(tx, ticket_number)
        access.client_by_id(tx, row.client_id)
        if row.live_unit_id is None:
            raise Conflict(
                f"{ticket_number} is reversed: pay against the ticket that replaced it",
                rule="RE-TICKET-3",
            )
        value = d.money(amount, "amount", rule="RE-PAY-1")
        outstanding = row.due - _paid(tx, row)
        if value > outstanding:
            raise InvalidInput(
                "amount",
                f"{value} exceeds what is still due on {ticket_number} ({outstanding})",
                rule="RE-PAY-1",
            )
        receipt = _receipt(tx, row, kind, value, paid_on)
        _maybe_voucher(tx, row.id)
        return receipt

    @use_case
    def receipts_handed_in(
        self, tx: Tx, ticket_number: str, papers: str, *, paid_on: date | None = None
    ) -> Ticket:
        """RE-PAY-1's other trigger (rules-audit 1.6): 「客户提供全部收据」, the buyer hands in all
        the receipts (e.g. the commissioning unit's, 委建房单位开具收据) of a ticket whose
        amounts were not all entered. Someone other than the ticket's issuer confirms it, naming
        the papers; what is still due is booked as one ``handed_in`` line citing them (so money
        received stays the sum of receipts) and the voucher follows as on the other trigger."""
        tx.actor.require(CHECK)
        if not papers.strip():
            raise InvalidInput("papers", "name the receipts handed in (全部收据)", rule="RE-PAY-1")
        row = _ticket_row(tx, ticket_number)
        access.client_by_id(tx, row.client_id)
        if row.live_unit_id is None:
            raise Conflict(f"{ticket_number} is reversed", rule="RE-TICKET-3")
        if _voucher_in_force(tx, row.id) is not None:
            raise Conflict(f"{ticket_number} has its voucher already", rule="RE-PAY-1")
        if row.recorded_by == tx.actor.user_id:
            raise PermissionDenied(
                f"{ticket_number}: confirming the receipts needs someone other than its issuer",
                rule="RE-PAY-1",
            )
        _require_signature(tx, row)
        outstanding = row.due - _paid(tx, row)
        if outstanding <= 0:
            raise Conflict(
                f"{ticket_number}: nothing outstanding, the voucher follows the check",
                rule="RE-PAY-1",
            )
        _receipt(tx, row, "handed_in", outstanding, paid_on, papers=papers.strip())
        _maybe_voucher(tx, row.id)
        return _ticket_view(tx, row.id)

    @use_case
    def countersign(self, tx: Tx, voucher_number: str) -> Ticket:
        """Countersign a selection voucher (会签): someone other than who issued it."""
        tx.actor.require(CHECK)
        v = _voucher_row(tx, voucher_number)
        access.client_by_id(tx, _ticket_row_by_id(tx, v.ticket_id).client_id)
        if v.live_unit_id is None:
            raise Conflict(f"{voucher_number} is reversed", rule="RE-TICKET-3")
        if v.countersigned_by is not None:
            raise Conflict(f"{voucher_number} is countersigned already", rule="RE-PAY-1")
        _sign(tx, t.vouchers, v, "countersigned", "countersigning", "RE-PAY-1")
        tx.audit("realestate.voucher.countersign", "realestate_voucher", voucher_number)
        return _ticket_view(tx, v.ticket_id)

    @use_case
    def reverse(
        self,
        tx: Tx,
        number: str,
        reason: str,
        returned_papers: str,
        *,
        new_unit: str | None = None,
        amount: object | None = None,
        paid_on: date | None = None,
    ) -> Ticket:
        """Red-letter reversal (红字冲红, RE-TICKET-3) of a voucher (or of a ticket without one).

        ``unit_change``: the voucher and the ticket are reversed, the old unit goes back to the
        commissioning unit, a new ticket for ``new_unit`` carries the money paid over; on a
        cheaper unit what was paid beyond its amount due is refunded (a red receipt TK…).
        ``supplementary_payment`` (rules-audit 1.7): the receipt of ``amount``, the voucher
        reversed and a new one issued for the new total. Never an edit or delete.
        """
        tx.actor.require(REVERSE)
        if reason not in d.REVERSAL_REASONS:
            raise InvalidInput(
                "reason", f"one of {', '.join(d.REVERSAL_REASONS)}", rule="RE-TICKET-3"
            )
        if not returned_papers.strip():
            raise InvalidInput(
                "returned_papers", "list the papers taken back (收回票据)", rule="RE-TICKET-3"
            )
        voucher, ticket = _document(tx, number)
        access.client_by_id(tx, ticket.client_id)
        if voucher is not None and voucher.live_unit_id is None:
            raise Conflict(f"voucher {voucher.number} is reversed already", rule="RE-TICKET-3")
        if ticket.live_unit_id is None:
            raise Conflict(f"ticket {ticket.number} is reversed already", rule="RE-TICKET-3")
        if voucher is None:
            voucher = _voucher_in_force(tx, ticket.id)
        if reason == "supplementary_payment":
            if voucher is None:
                raise Conflict(
                    f"{ticket.number} has no voucher to reverse: record a payment",
                    rule="RE-TICKET-3",
                )
            if amount is None:
                raise InvalidInput("amount", "give the supplementary payment", rule="RE-TICKET-3")
            value = d.money(amount, "amount", rule="RE-TICKET-3")
            _red(tx, reason, returned_papers, voucher=voucher)
            _receipt(tx, ticket, "supplement", value, paid_on)
            _issue_voucher(tx, _ticket_row_by_id(tx, ticket.id))
            return _ticket_view(tx, ticket.id)
        if not new_unit:
            raise InvalidInput(
                "new_unit", "a change of unit names the new unit", rule="RE-TICKET-3"
            )
        carried = _paid(tx, ticket)
        if voucher is not None:
            _red(tx, reason, returned_papers, voucher=voucher)
        _red(tx, reason, returned_papers, ticket=ticket)
        unit = _unit_by_id(tx, ticket.unit_id)
        _move(tx, unit, (d.SELECTED, d.SOLD), d.RELEASED)
        project_code = tx.conn.execute(
            select(t.projects.c.code).where(t.projects.c.id == unit.project_id)
        ).scalar_one()
        buyer = _holder(tx, ticket)
        new = d.NewTicket(
            unit=new_unit,
            buyer_name=buyer.name,
            id_number="",
            payment_mode=ticket.payment_mode,
            payment_ratio=ticket.payment_ratio,
            discount=ticket.discount,
            discounts_taken=tuple(ticket.discounts.get("taken", ())),
            discounts_waived=tuple(ticket.discounts.get("waived", ())),
            reservation_fee=ticket.reservation_fee,
        )
        new_id = _issue(
            tx, project_code, ticket.client_id, buyer, new, carried_over=carried, replaces=ticket.id
        )
        view = _ticket_view(tx, new_id)
        tx.audit(
            "realestate.ticket.change_unit",
            "realestate_ticket",
            ticket.number,
            client_id=ticket.client_id,
            detail={"new_ticket": view.number, "unit": view.unit},
        )
        return view

    @use_case
    def switch_to_mortgage(
        self, tx: Tx, ticket_number: str, fee: object, *, paid_on: date | None = None
    ) -> Receipt:
        """RE-PAY-3: full payment to mortgage, for a fee within the policy's range (A11)."""
        tx.actor.require(REVERSE)
        row = _ticket_row(tx, ticket_number)
        access.client_by_id(tx, row.client_id)
        if row.live_unit_id is None:
            raise Conflict(f"{ticket_number} is reversed", rule="RE-TICKET-3")
        if _mode(tx, row) != "full":
            raise Conflict(f"{ticket_number} is not on full payment", rule="RE-PAY-3")
        value = d.money(fee, "fee", rule="RE-PAY-3")
        policy = self.crm.policies.in_force(tx, "RE-PAY-3")
        if not policy.min_fee <= value <= policy.max_fee:
            raise InvalidInput(
                "fee", f"{value} is outside {policy.min_fee}-{policy.max_fee} CNY", rule="RE-PAY-3"
            )
        tx.conn.execute(
            t.changes.insert().values(
                ticket_id=row.id,
                kind="mortgage_switch",
                fee=value,
                detail={"from": "full", "to": "mortgage"},
                **_by(tx),
            )
        )
        return _receipt(tx, row, "switch_fee", value, paid_on)

    @use_case
    def rename(
        self,
        tx: Tx,
        ticket_number: str,
        new_name: str,
        new_id_number: str,
        *,
        market_price: object | None = None,
        relationship: str | None = None,
        proofs: Sequence[str] = (),
        paid_on: date | None = None,
    ) -> Ticket:
        """RE-RENAME-1: rename the buyer to another person on the list; to someone else only if
        the contract allows it, for the fee (rules-audit 1.9, A10). Where the contract lists its
        permitted relationships (``set_rename_terms``), a rename off the list names the
        ``relationship`` to the buyer and the ``proofs`` presented: a relationship the contract
        does not permit, or a recognised proof missing, is refused; the fee follows that
        relationship's price policy."""
        tx.actor.require(REVERSE)
        row = _ticket_row(tx, ticket_number)
        access.client_by_id(tx, row.client_id)
        if row.live_unit_id is None:
            raise Conflict(f"{ticket_number} is reversed", rule="RE-TICKET-3")
        buyer = _holder(tx, row)
        number = personal.validate_id_number(new_id_number, "id_number")
        lst = tx.conn.execute(
            select(t.buyer_lists).where(t.buyer_lists.c.id == buyer.list_id)
        ).one()
        b = t.buyers.c
        target = tx.conn.execute(
            select(t.buyers).where(
                b.list_id == lst.id,
                b.name == new_name.strip(),
                personal.matches_id_number(tx, t.buyers, number),
            )
        ).first()
        fee = Decimal(0)
        detail: dict[str, Any] = {"from_buyer": buyer.id}
        if target is None:
            terms = _rename_terms(tx, lst.id)
            if terms:
                term = _permitted(lst.number, new_name, terms, relationship, proofs)
                detail |= {
                    "relationship": term.relationship,
                    "proofs": sorted({p.strip() for p in proofs if p.strip()}),
                    "price": term.price,
                }
                charge = term.price == "fee"
            elif lst.rename_policy != "charge":
                raise InvalidInput(
                    "new_name",
                    f"{new_name} is not on list {lst.number}: renaming is refused",
                    rule="RE-RENAME-1",
                )
            else:
                charge = True
            if charge:
                if market_price is None:
                    raise InvalidInput(
                        "market_price",
                        "give the market price of our other projects at the same stage",
                        rule="RE-RENAME-1",
                    )
                market = d.money(market_price, "market_price", rule="RE-RENAME-1")
                percent = self.crm.policies.in_force(tx, "RE-RENAME-1").fee_percent
                fee = d.rename_fee(market, row.unit_price, row.area, percent)
            _add_buyer(tx, lst.id, new_name.strip(), number, "rename")
            target = tx.conn.execute(
                select(t.buyers).where(
                    b.list_id == lst.id, personal.matches_id_number(tx, t.buyers, number)
                )
            ).first()
        assert target is not None
        if target.id == buyer.id:
            raise InvalidInput("new_name", "that is the buyer already", rule="RE-RENAME-1")
        tx.conn.execute(
            t.changes.insert().values(
                ticket_id=row.id,
                kind="rename",
                to_buyer_id=target.id,
                fee=fee,
                detail=detail,
                **_by(tx),
            )
        )
        if fee:
            _receipt(tx, row, "rename_fee", fee, paid_on)
        tx.audit(
            "realestate.ticket.rename",
            "realestate_ticket",
            ticket_number,
            client_id=row.client_id,
            detail={"fee": str(fee), "relationship": detail.get("relationship")},
        )
        return _ticket_view(tx, row.id)

    @query
    def ledger(self, tx: Tx, client_code: str) -> list[Ticket]:
        """The ledger (台帐): every ticket of the commissioning unit with due, paid, voucher."""
        tx.actor.require(READ)
        client = access.client_for_read(tx, client_code, action=None)
        return _ticket_views(tx, t.tickets.c.client_id == client.id)

    @query
    def receipts(self, tx: Tx, client_code: str) -> list[Receipt]:
        tx.actor.require(READ)
        client = access.client_for_read(tx, client_code, action=None)
        r = t.receipts.c
        rows = tx.conn.execute(
            select(
                r.number, t.tickets.c.number.label("ticket"), r.kind, r.amount, r.paid_on, r.papers
            )
            .join(t.tickets, t.tickets.c.id == r.ticket_id)
            .where(r.client_id == client.id)
            .order_by(r.id)
        ).all()
        return [Receipt(x.number, x.ticket, x.kind, x.amount, x.paid_on, x.papers) for x in rows]

    @use_case
    def record_account(
        self,
        tx: Tx,
        client_code: str,
        kind: str,
        amount: object,
        on_date: date,
        reference: str | None = None,
    ) -> None:
        """RE-PAY-2: a transfer into the co-managed account, or its bank balance on a day."""
        tx.actor.require(RECONCILE)
        client = access.client_for_read(tx, client_code, action=None)
        if kind not in ("transfer", "balance"):
            raise InvalidInput("kind", "transfer or balance", rule="RE-PAY-2")
        value = d.money(amount, "amount", rule="RE-PAY-2", positive=kind == "transfer")
        tx.conn.execute(
            t.transfers.insert().values(
                client_id=client.id,
                kind=kind,
                amount=value,
                on_date=on_date,
                reference=reference,
                **_by(tx),
            )
        )
        tx.audit(
            "realestate.account." + kind,
            "client",
            client_code,
            client_id=client.id,
            detail={"fields": ["amount"]},
        )

    @query
    def reconcile(self, tx: Tx, client_code: str) -> Reconciliation:
        """RE-PAY-2: receipts vs transfers into the co-managed account vs its bank balance."""
        tx.actor.require(READ)
        client = access.client_for_read(tx, client_code, action=None)
        received = Decimal(
            tx.conn.execute(
                select(func.coalesce(func.sum(t.receipts.c.amount), 0)).where(
                    t.receipts.c.client_id == client.id
                )
            ).scalar_one()
        )
        x = t.transfers.c
        transferred = Decimal(
            tx.conn.execute(
                select(func.coalesce(func.sum(x.amount), 0)).where(
                    x.client_id == client.id, x.kind == "transfer"
                )
            ).scalar_one()
        )
        balance = tx.conn.execute(
            select(x.amount)
            .where(x.client_id == client.id, x.kind == "balance")
            .order_by(x.on_date.desc(), x.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        return Reconciliation(
            client_code,
            received,
            transferred,
            balance,
            received - transferred,
            None if balance is None else balance - transferred,
        )

    @query
    def overdue(self, tx: Tx, on: date | None = None) -> list[Overdue]:
        """RE-DEAD-1: listed buyers past the selection deadline without a ticket, and tickets
        past the payment deadline with money outstanding: the department chases these."""
        tx.actor.require(READ)
        today = on or china_date(tx.now)
        out: list[Overdue] = []
        lists = tx.conn.execute(
            select(t.buyer_lists).where(
                t.buyer_lists.c.client_id.in_(access.readable_client_ids(tx))
            )
        ).all()
        for lst in lists:
            for buyer in tx.conn.execute(
                select(t.buyers).where(t.buyers.c.list_id == lst.id, t.buyers.c.source == "list")
            ).all():
                tickets = tx.conn.execute(
                    select(t.tickets).where(
                        t.tickets.c.buyer_id == buyer.id, t.tickets.c.live_unit_id.is_not(None)
                    )
                ).all()
                if not tickets and lst.selection_deadline and today > lst.selection_deadline:
                    out.append(
                        Overdue(
                            "selection", lst.number, buyer.name, None, lst.selection_deadline, None
                        )
                    )
                for ticket in tickets:
                    owed = ticket.due - _paid(tx, ticket)
                    if owed > 0 and lst.payment_deadline and today > lst.payment_deadline:
                        out.append(
                            Overdue(
                                "payment",
                                lst.number,
                                buyer.name,
                                ticket.number,
                                lst.payment_deadline,
                                owed,
                            )
                        )
        return out

    # -- relationship units (RE-REL-1) --------------------------------------------------------

    @use_case
    def record_relation(
        self,
        tx: Tx,
        project_code: str,
        unit_ref: str,
        *,
        handler: str,
        department: str,
        phone_approver: str,
        average_price: object,
        payment_ratio: object,
        payment_date: date,
    ) -> date:
        """A relationship unit (关系房) approved by phone in an emergency: the paperwork is due
        within the policy's working days; a handler or department with overdue paperwork gets
        no further units (rules-audit A12). Returns the paperwork deadline."""
        tx.actor.require(RELATION)
        today = china_date(tx.now)
        r = t.relations.c
        late = tx.conn.execute(
            select(r.handler, r.department).where(
                r.paperwork_on.is_(None),
                r.paperwork_due < today,
                (r.handler == handler.strip()) | (r.department == department.strip()),
            )
        ).first()
        if late is not None:
            raise Conflict(
                f"{late.handler} ({late.department}) has relationship-unit paperwork overdue: no further units",
                rule="RE-REL-1",
            )
        price = d.money(average_price, "average_price", rule="RE-REL-1")
        ratio = d.percent_ratio(payment_ratio)
        days = self.crm.policies.in_force(tx, "RE-REL-1").paperwork_days
        due = tx.crm.calendar.due(tx, today, days)
        unit = _unit(tx, project_code, unit_ref)
        _move(tx, unit, (d.AVAILABLE,), d.RELATION, holder=handler.strip())
        tx.conn.execute(
            t.relations.insert().values(
                unit_id=unit.id,
                handler=handler.strip(),
                department=department.strip(),
                phone_approver=phone_approver.strip(),
                average_price=price,
                payment_ratio=ratio,
                payment_date=payment_date,
                approved_on=today,
                paperwork_due=due,
                **_by(tx),
            )
        )
        tx.audit(
            "realestate.relation.record",
            "realestate_unit",
            unit_ref,
            detail={"handler": handler, "paperwork_due": due.isoformat()},
        )
        return due

    @use_case
    def file_relation_paperwork(self, tx: Tx, project_code: str, unit_ref: str) -> None:
        tx.actor.require(RELATION)
        unit = _unit(tx, project_code, unit_ref)
        r = t.relations.c
        done = tx.conn.execute(
            update(t.relations)
            .where(r.unit_id == unit.id, r.paperwork_on.is_(None))
            .values(paperwork_on=china_date(tx.now))
        ).rowcount
        if not done:
            raise NotFound(f"no relationship unit {unit_ref} waiting for paperwork")
        tx.audit("realestate.relation.paperwork", "realestate_unit", unit_ref)

    @use_case
    def set_relation_price(
        self, tx: Tx, average_price: object, valid_from: date, *, note: str | None = None
    ) -> RelationPrice:
        """RE-REL-1 (rules-audit 1.16): the key-account department's price policy for
        relationship units from ``valid_from``; in force once the GM approves it
        (``approve_relation_price``). Late payers pay at it (``pay_relation``)."""
        tx.actor.require(RELATION)
        price = d.money(average_price, "average_price", rule="RE-REL-1")
        number = _number(tx, "GJ", 4)
        tx.conn.execute(
            t.relation_prices.insert().values(
                number=number, average_price=price, valid_from=valid_from, note=note, **_by(tx)
            )
        )
        tx.audit(
            "realestate.relation_price.set",
            "realestate_relation_price",
            number,
            detail={"valid_from": valid_from.isoformat(), "fields": ["average_price"]},
        )
        return RelationPrice(number, price, valid_from, None, note)

    @use_case
    def approve_relation_price(self, tx: Tx, number: str) -> RelationPrice:
        """RE-REL-1: the GM approves a relationship price policy, someone other than who set
        it; once approved it is in force from its date and never edited (a new one follows)."""
        tx.actor.require(RELATION_PRICE_APPROVE)
        p = t.relation_prices.c
        row = tx.conn.execute(select(t.relation_prices).where(p.number == number)).first()
        if row is None:
            raise NotFound(f"no relationship price policy {number}")
        if row.recorded_by == tx.actor.user_id:
            raise PermissionDenied(
                f"{number}: approved by someone other than who set it", rule="RE-REL-1"
            )
        done = tx.conn.execute(
            update(t.relation_prices)
            .where(p.id == row.id, p.approved_by.is_(None))
            .values(approved_by=tx.actor.user_id, approved_at=tx.now)
        ).rowcount
        if done != 1:
            raise Conflict(f"{number} is approved already", rule="RE-REL-1")
        tx.audit("realestate.relation_price.approve", "realestate_relation_price", number)
        return _relation_prices(tx, p.id == row.id)[0]

    @query
    def relation_prices(self, tx: Tx) -> list[RelationPrice]:
        tx.actor.require(READ)
        return _relation_prices(tx)

    @use_case
    def pay_relation(
        self,
        tx: Tx,
        project_code: str,
        unit_ref: str,
        amount: object,
        *,
        paid_on: date | None = None,
    ) -> RelationPayment:
        """RE-REL-1: a payment for a relationship unit. On or before the written approval's
        payment date the unit is due at the approval's average price; after it the payer is
        late and the unit is due at the relationship price policy in force on the day of
        payment (rules-audit 1.16), which must date from on or after the missed payment date:
        without one the payment is refused. Due = price × area × the approval's ratio."""
        tx.actor.require(PAY)
        unit = _unit(tx, project_code, unit_ref)
        relation = _relation_row(tx, unit, project_code, unit_ref)
        value = d.money(amount, "amount", rule="RE-REL-1")
        day = paid_on or china_date(tx.now)
        late = day > relation.payment_date
        price, policy = relation.average_price, None
        if late:
            policy = _relation_price_on(tx, day)
            if policy is None or policy.valid_from < relation.payment_date:
                raise Conflict(
                    f"{unit_ref} was to be paid by {relation.payment_date}: paid late on {day}, "
                    "it is due at the new price policy, and no approved relationship price "
                    f"dated from {relation.payment_date} on is in force on {day} "
                    "(`relation price set`, then the GM approves)",
                    rule="RE-REL-1",
                )
            price = policy.average_price
        _, due = d.amounts(price, unit.area, Decimal(0), relation.payment_ratio)
        paid = _relation_paid(tx, relation.id)
        if value > due - paid:
            raise InvalidInput(
                "amount",
                f"{value} exceeds what is still due on {unit_ref} ({due - paid}"
                + (f", at the late price {price}" if late else "")
                + ")",
                rule="RE-REL-1",
            )
        number = _number(tx, "GF")
        tx.conn.execute(
            t.relation_payments.insert().values(
                number=number,
                relation_id=relation.id,
                amount=value,
                paid_on=day,
                late=late,
                unit_price=price,
                price_id=None if policy is None else policy.id,
                due=due,
                **_by(tx),
            )
        )
        tx.audit(
            "realestate.relation.pay",
            "realestate_unit",
            unit_ref,
            detail={
                "payment": number,
                "late": late,
                "price_policy": None if policy is None else policy.number,
            },
        )
        return _relation_view(tx, relation, unit_ref).payments[-1]

    @query
    def relation(self, tx: Tx, project_code: str, unit_ref: str) -> RelationUnit:
        """RE-REL-1: the relationship unit's approval, paperwork, payments, due and paid."""
        tx.actor.require(READ)
        unit = _unit(tx, project_code, unit_ref)
        return _relation_view(tx, _relation_row(tx, unit, project_code, unit_ref), unit_ref)


# -- called by the release workflow ------------------------------------------------------------


def apply_release(tx: Tx, release_id: int, *, released: bool) -> None:
    """RE-ALLOC-1: on the last approval the units move to the commissioning unit."""
    row = tx.conn.execute(select(t.releases).where(t.releases.c.id == release_id)).one()
    if released:
        for unit_id in row.unit_ids["ids"]:
            _move(
                tx,
                _unit_by_id(tx, unit_id),
                (d.AVAILABLE,),
                d.RELEASED,
                client_id=row.client_id,
                release_id=row.id,
            )
    tx.conn.execute(
        update(t.releases)
        .where(t.releases.c.id == release_id)
        .values(status="released" if released else "refused")
    )
    tx.audit(
        "realestate.release." + ("released" if released else "refused"),
        "realestate_release",
        row.number,
        client_id=row.client_id,
    )


# -- helpers ------------------------------------------------------------------------------------


def _by(tx: Tx) -> dict[str, Any]:
    return {"recorded_at": tx.now, "recorded_by": tx.actor.user_id}


def _project(tx: Tx, code: str) -> Row[Any]:
    row = tx.conn.execute(select(t.projects).where(t.projects.c.code == code)).first()
    if row is None:
        raise NotFound(f"no project {code}")
    return row


def _unit_query() -> Any:
    u, b = t.units.c, t.buildings.c
    return (
        select(t.units, b.code.label("building"), t.clients_code.label("client"))
        .join(t.buildings, b.id == u.building_id)
        .outerjoin(t.clients, t.clients.c.id == u.client_id)
    )


def _units(tx: Tx, project_id: int) -> list[d.Unit]:
    u, b = t.units.c, t.buildings.c
    rows = tx.conn.execute(
        _unit_query().where(u.project_id == project_id).order_by(b.code, u.floor, u.code)
    ).all()
    return [_to_unit(r) for r in rows]


def _to_unit(r: Row[Any]) -> d.Unit:
    return d.Unit(
        f"{r.building}-{r.code}",
        r.building,
        r.code,
        r.floor,
        r.layout,
        r.area,
        r.status,
        r.client,
        r.holder,
    )


def _unit_refs(tx: Tx, project_id: int) -> set[str]:
    return {u.ref for u in _units(tx, project_id)}


def _unit(tx: Tx, project_code: str, ref: str) -> Row[Any]:
    building, code = d.split_unit(ref)
    project = _project(tx, project_code)
    b, u = t.buildings.c, t.units.c
    # the building first, then the unit by its unique (building, code) index: one look-up
    # each, however large the project
    building_id = tx.conn.scalar(select(b.id).where(b.project_id == project.id, b.code == building))
    row = None
    if building_id is not None:
        row = tx.conn.execute(
            _unit_query().where(u.building_id == building_id, u.code == code)
        ).first()
    if row is None:
        raise NotFound(f"no unit {ref} in project {project_code}")
    return row


def _unit_by_id(tx: Tx, unit_id: int) -> Row[Any]:
    return tx.conn.execute(_unit_query().where(t.units.c.id == unit_id)).one()


def _unit_view(tx: Tx, unit_id: int) -> d.Unit:
    return _to_unit(_unit_by_id(tx, unit_id))


def _move(tx: Tx, unit: Row[Any], sources: tuple[str, ...], target: str, **values: Any) -> None:
    """Compare-and-set: the unit moves only if nobody moved it since it was read (RE-INV-1)."""
    u = t.units.c
    done = tx.conn.execute(
        update(t.units)
        .where(u.id == unit.id, u.version == unit.version, u.status.in_(sources))
        .values(status=target, version=u.version + 1, updated_at=tx.now, **values)
    ).rowcount
    if done != 1:
        now = tx.conn.execute(select(u.status).where(u.id == unit.id)).scalar_one()
        raise Conflict(
            f"unit {unit.building}-{unit.code} is {now} ({d.STATUS_ZH.get(now, now)}), not {' or '.join(sources)}: "
            "a unit is never sold twice",
            rule="RE-INV-1",
        )


def _target(tx: Tx, year: int, quarter: int | None) -> Row[Any] | None:
    g = t.targets.c
    where = g.quarter.is_(None) if quarter is None else g.quarter == quarter
    return tx.conn.execute(
        select(t.targets).where(g.year == year, where).order_by(g.id.desc()).limit(1)
    ).first()


def _release_view(tx: Tx, release_id: int) -> Release:
    row = tx.conn.execute(
        select(t.releases, t.clients_code.label("client"))
        .join(t.clients, t.clients.c.id == t.releases.c.client_id)
        .where(t.releases.c.id == release_id)
    ).one()
    refs = tuple(_unit_view(tx, i).ref for i in row.unit_ids["ids"])
    return Release(
        row.number,
        row.client,
        row.status,
        refs,
        row.instance_id,
        tuple(row.warnings["warnings"]),
        row.exception_reason,
    )


def _approved_unit_price(tx: Tx, project_code: str, client_id: int, unit: Row[Any]) -> Decimal:
    average = approved_average(tx, project_code, client_id)
    if average is None:
        raise Conflict(
            f"no approved average price for this commissioning unit in {project_code}: no price may be quoted",
            rule="RE-PRICE-6",
        )
    return d.unit_price(
        average, unit.floor, unit.layout, tx.crm.policies.in_force(tx, "RE-PRICE-5")
    )


def _add_buyer(tx: Tx, list_id: int, name: str, number: str, source: str) -> bool:
    """Add a buyer; flag them (and the other entries) if the ID is on another list."""
    b = t.buyers.c
    others = tx.conn.scalars(
        select(b.id).where(b.list_id != list_id, personal.matches_id_number(tx, t.buyers, number))
    ).all()
    buyer_id = tx.conn.execute(
        t.buyers.insert().values(
            list_id=list_id, name=name, flagged=bool(others), source=source, **_by(tx)
        )
    ).inserted_primary_key[0]
    personal.store_id_number(tx, t.buyers, buyer_id, number)
    if others:
        tx.conn.execute(update(t.buyers).where(b.id.in_(others)).values(flagged=True))
    return bool(others)


def _rename_terms(tx: Tx, list_id: int) -> tuple[d.RenameTerm, ...]:
    """RE-RENAME-1: the newest version of the contract's permitted relationships."""
    r = t.rename_terms.c
    terms = tx.conn.scalar(
        select(r.terms).where(r.list_id == list_id).order_by(r.version.desc()).limit(1)
    )
    return tuple(
        d.RenameTerm(x["relationship"], x["price"], tuple(x["proofs"]))
        for x in (terms or {}).get("terms", ())
    )


def _permitted(
    list_number: str,
    new_name: str,
    terms: Sequence[d.RenameTerm],
    relationship: str | None,
    proofs: Sequence[str],
) -> d.RenameTerm:
    """RE-RENAME-1: the contract's term for a rename off the list, or the refusal."""
    allowed = ", ".join(x.relationship for x in terms if x.price != "refuse") or "none"
    if not (relationship or "").strip():
        raise InvalidInput(
            "relationship",
            f"{new_name} is not on list {list_number}: name their relationship to the buyer "
            f"(the contract permits {allowed})",
            rule="RE-RENAME-1",
        )
    assert relationship is not None
    term = next((x for x in terms if x.relationship == relationship.strip()), None)
    if term is None or term.price == "refuse":
        raise InvalidInput(
            "relationship",
            f"the contract of list {list_number} does not permit renaming to a "
            f"{relationship.strip()} (it permits {allowed}): renaming is refused",
            rule="RE-RENAME-1",
        )
    missing = term.missing(proofs)
    if missing:
        raise InvalidInput(
            "proofs",
            f"for a {term.relationship} the contract recognises {', '.join(term.proofs)}: "
            f"{', '.join(missing)} not presented",
            rule="RE-RENAME-1",
        )
    return term


def _relation_prices(tx: Tx, *where: Any) -> list[RelationPrice]:
    p, u = t.relation_prices.c, t.users.c
    rows = tx.conn.execute(
        select(t.relation_prices, u.login)
        .outerjoin(t.users, u.id == p.approved_by)
        .where(*where)
        .order_by(p.valid_from, p.id)
    ).all()
    return [RelationPrice(x.number, x.average_price, x.valid_from, x.login, x.note) for x in rows]


def _relation_price_on(tx: Tx, day: date) -> Row[Any] | None:
    """RE-REL-1: the approved relationship price policy in force on ``day`` (the latest from a
    date on or before it; of two from the same date, the later set)."""
    p = t.relation_prices.c
    return tx.conn.execute(
        select(t.relation_prices)
        .where(p.approved_by.is_not(None), p.valid_from <= day)
        .order_by(p.valid_from.desc(), p.id.desc())
        .limit(1)
    ).first()


def _relation_row(tx: Tx, unit: Row[Any], project_code: str, unit_ref: str) -> Row[Any]:
    r = t.relations.c
    relation = tx.conn.execute(
        select(t.relations).where(r.unit_id == unit.id).order_by(r.id.desc()).limit(1)
    ).first()
    if relation is None or unit.status != d.RELATION:
        raise NotFound(f"no relationship unit {unit_ref} in {project_code}")
    return relation


def _relation_view(tx: Tx, relation: Row[Any], unit_ref: str) -> RelationUnit:
    x, p = t.relation_payments.c, t.relation_prices.c
    rows = tx.conn.execute(
        select(t.relation_payments, p.number.label("policy"))
        .outerjoin(t.relation_prices, p.id == x.price_id)
        .where(x.relation_id == relation.id)
        .order_by(x.id)
    ).all()
    payments, paid = [], Decimal(0)
    for row in rows:
        paid += row.amount
        payments.append(
            RelationPayment(
                row.number,
                unit_ref,
                row.amount,
                row.paid_on,
                row.late,
                row.unit_price,
                row.policy,
                row.due,
                paid,
                relation.payment_date,
            )
        )
    area = tx.conn.scalar(select(t.units.c.area).where(t.units.c.id == relation.unit_id))
    due = (
        payments[-1].due
        if payments
        else d.amounts(relation.average_price, area, Decimal(0), relation.payment_ratio)[1]
    )
    return RelationUnit(
        unit_ref,
        relation.handler,
        relation.department,
        relation.phone_approver,
        relation.average_price,
        relation.payment_ratio,
        relation.payment_date,
        relation.paperwork_due,
        relation.paperwork_on,
        tuple(payments),
        due,
        paid,
    )


def _relation_paid(tx: Tx, relation_id: int) -> Decimal:
    x = t.relation_payments.c
    return Decimal(
        tx.conn.scalar(
            select(func.coalesce(func.sum(x.amount), 0)).where(x.relation_id == relation_id)
        )
    )


def _list_row(tx: Tx, number: str) -> Row[Any]:
    row = tx.conn.execute(select(t.buyer_lists).where(t.buyer_lists.c.number == number)).first()
    if row is None:
        raise NotFound(f"no buyer list {number}")
    return row


def _list_view(tx: Tx, list_id: int) -> BuyerList:
    row = tx.conn.execute(
        select(t.buyer_lists, t.projects.c.code.label("project"), t.clients_code.label("client"))
        .join(t.projects, t.projects.c.id == t.buyer_lists.c.project_id)
        .join(t.clients, t.clients.c.id == t.buyer_lists.c.client_id)
        .where(t.buyer_lists.c.id == list_id)
    ).one()
    checks = tuple(
        tx.conn.scalars(
            select(t.list_checks.c.role)
            .where(t.list_checks.c.list_id == list_id)
            .order_by(t.list_checks.c.id)
        )
    )
    b = t.buyers.c
    people = tx.conn.execute(
        select(b.id, b.name, b.id_number_masked, b.flagged, b.source)
        .where(b.list_id == list_id)
        .order_by(b.id)
    ).all()
    return BuyerList(
        row.number,
        row.project,
        row.client,
        checks,
        tuple(c for c in d.LIST_CHECKERS if c not in checks),
        tuple(Buyer(p.id, p.name, p.id_number_masked, p.flagged, p.source) for p in people),
        row.selection_deadline,
        row.payment_deadline,
        row.rename_policy,
        _rename_terms(tx, list_id),
    )


def _listed_buyer(tx: Tx, project_code: str, client_id: int, name: str, id_number: str) -> Row[Any]:
    """RE-TICKET-1: the buyer whose name and ID match a checked list of this client."""
    project = _project(tx, project_code)
    try:
        number = personal.validate_id_number(id_number, "id_number")
    except InvalidInput as exc:
        raise InvalidInput("id_number", exc.message, rule="RE-TICKET-1") from None
    b, lst = t.buyers.c, t.buyer_lists.c
    rows = tx.conn.execute(
        select(t.buyers)
        .join(t.buyer_lists, lst.id == b.list_id)
        .where(
            lst.project_id == project.id,
            lst.client_id == client_id,
            personal.matches_id_number(tx, t.buyers, number),
        )
    ).all()
    match = next((r for r in rows if r.name == name.strip()), None)
    if match is None:
        why = (
            "the name does not match the ID number on the list"
            if rows
            else "the ID number is not on the commissioning unit's list"
        )
        raise InvalidInput("id_number", f"{name}: {why}", rule="RE-TICKET-1")
    checked = set(
        tx.conn.scalars(
            select(t.list_checks.c.role).where(t.list_checks.c.list_id == match.list_id)
        )
    )
    missing = [role for role in d.LIST_CHECKERS if role not in checked]
    if missing:
        raise Conflict(
            f"the buyer list is not checked yet by {', '.join(missing)}", rule="RE-LIST-1"
        )
    return match


def _issue(
    tx: Tx,
    project_code: str,
    client_id: int,
    buyer: Row[Any],
    new: d.NewTicket,
    *,
    carried_over: Decimal,
    replaces: int | None,
) -> int:
    unit = _unit(tx, project_code, new.unit)
    if unit.status != d.RELEASED or unit.client_id != client_id:
        status = d.STATUS_ZH.get(unit.status, unit.status)
        raise Conflict(
            f"unit {new.unit} is {unit.status} ({status}), not released to this commissioning unit: it is taken",
            rule="RE-INV-1",
        )
    approved = _approved_unit_price(tx, project_code, client_id, unit)
    price = (
        approved
        if new.unit_price is None
        else d.money(new.unit_price, "unit_price", rule="RE-TICKET-1")
    )
    if price < approved:
        raise InvalidInput(
            "unit_price", f"{price} is below the approved unit price {approved}", rule="RE-TICKET-1"
        )
    if new.payment_mode not in d.PAYMENT_MODES:
        raise InvalidInput(
            "payment_mode", f"one of {', '.join(d.PAYMENT_MODES)}", rule="RE-TICKET-1"
        )
    ratio = Decimal(1) if new.payment_mode == "full" else d.percent_ratio(new.payment_ratio)
    minimum = tx.crm.policies.in_force(tx, "RE-PRICE-3").min_payment_ratio
    if ratio * 100 < minimum:
        raise InvalidInput(
            "payment_ratio",
            f"{ratio * 100:.0f}% is under the minimum {minimum}%",
            rule="RE-PRICE-3",
        )
    fee = None
    if new.payment_mode == "full":
        if new.reservation_fee not in (None, "", "0", 0):
            raise InvalidInput(
                "reservation_fee", "no reservation fee when paying in full", rule="RE-TICKET-1"
            )
    else:
        if new.reservation_fee in (None, ""):
            raise InvalidInput(
                "reservation_fee", "give the reservation fee (封户费)", rule="RE-TICKET-1"
            )
        fee = d.money(new.reservation_fee, "reservation_fee", rule="RE-TICKET-1")
    discount = d.money(new.discount, "discount", rule="RE-TICKET-1", positive=False)
    if discount and not new.discounts_taken:
        raise InvalidInput("discounts_taken", "name the discounts taken", rule="RE-TICKET-1")
    total, due = d.amounts(price, unit.area, discount, ratio)
    if fee is not None and fee > due:
        raise InvalidInput(
            "reservation_fee", f"{fee} exceeds the amount due {due}", rule="RE-TICKET-1"
        )
    _move(tx, unit, (d.RELEASED,), d.SELECTED)
    ticket_id = tx.conn.execute(
        t.tickets.insert().values(
            number=_number(tx, "XP"),
            unit_id=unit.id,
            buyer_id=buyer.id,
            client_id=client_id,
            unit_price=price,
            area=unit.area,
            total=total,
            discount=discount,
            discounts={"taken": list(new.discounts_taken), "waived": list(new.discounts_waived)},
            payment_mode=new.payment_mode,
            payment_ratio=ratio,
            due=due,
            reservation_fee=fee,
            carried_over=carried_over,
            replaces_id=replaces,
            live_unit_id=unit.id,
            **_by(tx),
        )
    ).inserted_primary_key[0]
    if carried_over > due:
        _refund(tx, ticket_id, carried_over - due)
    return int(ticket_id)


def _refund(tx: Tx, ticket_id: int, amount: Decimal) -> Receipt:
    """RE-TICKET-3 on a change to a cheaper unit: what was paid beyond the new amount due goes
    back to the buyer as a red receipt (退款, a negative amount) on the new ticket; the carried
    money is never edited, so paid = carried over − refund = due."""
    return _receipt(tx, _ticket_row_by_id(tx, ticket_id), "refund", -amount, None, prefix="TK")


def _ticket_row(tx: Tx, number: str) -> Row[Any]:
    row = tx.conn.execute(select(t.tickets).where(t.tickets.c.number == number)).first()
    if row is None:
        raise NotFound(f"no ticket {number}")
    return row


def _ticket_row_by_id(tx: Tx, ticket_id: int) -> Row[Any]:
    return tx.conn.execute(select(t.tickets).where(t.tickets.c.id == ticket_id)).one()


def _voucher_row(tx: Tx, number: str) -> Row[Any]:
    row = tx.conn.execute(select(t.vouchers).where(t.vouchers.c.number == number)).first()
    if row is None:
        raise NotFound(f"no voucher {number}")
    return row


def _voucher_in_force(tx: Tx, ticket_id: int) -> Row[Any] | None:
    v = t.vouchers.c
    return tx.conn.execute(
        select(t.vouchers).where(v.ticket_id == ticket_id, v.live_unit_id.is_not(None))
    ).first()


def _document(tx: Tx, number: str) -> tuple[Row[Any] | None, Row[Any]]:
    voucher = tx.conn.execute(select(t.vouchers).where(t.vouchers.c.number == number)).first()
    if voucher is not None:
        return voucher, _ticket_row_by_id(tx, voucher.ticket_id)
    return None, _ticket_row(tx, number)


def _paid(tx: Tx, ticket: Row[Any]) -> Decimal:
    r = t.receipts.c
    received = tx.conn.execute(
        select(func.coalesce(func.sum(r.amount), 0)).where(
            r.ticket_id == ticket.id, r.kind.in_(TOWARDS_DUE)
        )
    ).scalar_one()
    return Decimal(received) + ticket.carried_over


def _receipt(
    tx: Tx,
    ticket: Row[Any],
    kind: str,
    amount: Decimal,
    paid_on: date | None,
    *,
    prefix: str = "SJ",
    papers: str | None = None,
) -> Receipt:
    number = _number(tx, prefix)
    day = paid_on or china_date(tx.now)
    tx.conn.execute(
        t.receipts.insert().values(
            number=number,
            ticket_id=ticket.id,
            client_id=ticket.client_id,
            kind=kind,
            amount=amount,
            paid_on=day,
            papers=papers,
            **_by(tx),
        )
    )
    tx.audit(
        "realestate.receipt",
        "realestate_receipt",
        number,
        client_id=ticket.client_id,
        detail={"ticket": ticket.number, "kind": kind},
    )
    return Receipt(number, ticket.number, kind, amount, day, papers)


def _maybe_voucher(tx: Tx, ticket_id: int) -> None:
    """RE-PAY-1 (software path, rules-audit 1.6): a checked ticket paid in full gets its voucher."""
    row = _ticket_row_by_id(tx, ticket_id)
    if (
        row.checked_by is None
        or row.live_unit_id is None
        or _signature(tx, row.id) is None
        or _voucher_in_force(tx, row.id) is not None
    ):
        return
    if _paid(tx, row) >= row.due:
        _issue_voucher(tx, row)


def _issue_voucher(tx: Tx, ticket: Row[Any]) -> None:
    """Issue the pre-numbered voucher; the checks of the manual path are kept (rules-audit 1.6):
    buyer on the list, price not below the approved one, total re-computed; never from a
    ticket whose buyer's signed copy is not held (RE-TICKET-1)."""
    _require_signature(tx, ticket)
    unit = _unit_by_id(tx, ticket.unit_id)
    project_code = tx.conn.execute(
        select(t.projects.c.code).where(t.projects.c.id == unit.project_id)
    ).scalar_one()
    if ticket.unit_price < _approved_unit_price(tx, project_code, ticket.client_id, unit):
        raise Conflict(f"{ticket.number}: price below the approved one", rule="RE-PAY-1")
    if d.amounts(ticket.unit_price, ticket.area, ticket.discount, ticket.payment_ratio) != (
        ticket.total,
        ticket.due,
    ):
        raise Conflict(f"{ticket.number}: the total does not re-compute", rule="RE-PAY-1")
    if unit.status == d.SELECTED:
        _move(tx, unit, (d.SELECTED,), d.SOLD)
    number = _number(tx, "PZ", 8)
    tx.conn.execute(
        t.vouchers.insert().values(
            number=number,
            ticket_id=ticket.id,
            amount=_paid(tx, ticket),
            live_unit_id=ticket.unit_id,
            **_by(tx),
        )
    )
    tx.audit(
        "realestate.voucher.issue",
        "realestate_voucher",
        number,
        client_id=ticket.client_id,
        detail={"ticket": ticket.number},
    )


def _red(
    tx: Tx,
    reason: str,
    papers: str,
    *,
    voucher: Row[Any] | None = None,
    ticket: Row[Any] | None = None,
) -> None:
    """A red document reversing exactly one voucher or ticket; the original leaves force."""
    number = _number(tx, "HZ")
    table, row = (t.vouchers, voucher) if voucher is not None else (t.tickets, ticket)
    assert row is not None
    done = tx.conn.execute(
        update(table)
        .where(table.c.id == row.id, table.c.live_unit_id.is_not(None))
        .values(live_unit_id=None)
    ).rowcount
    if done != 1:
        raise Conflict(f"{row.number} is reversed already", rule="RE-TICKET-3")
    tx.conn.execute(
        t.reversals.insert().values(
            number=number,
            voucher_id=voucher.id if voucher is not None else None,
            ticket_id=ticket.id if ticket is not None else None,
            reason=reason,
            returned_papers=papers.strip(),
            **_by(tx),
        )
    )
    tx.audit(
        "realestate.reversal",
        "realestate_reversal",
        number,
        client_id=row.client_id if ticket is not None else None,
        detail={"reverses": row.number, "reason": reason},
    )


def _signature(tx: Tx, ticket_id: int) -> Row[Any] | None:
    s = t.signatures.c
    return tx.conn.execute(select(t.signatures).where(s.ticket_id == ticket_id)).first()


def _require_signature(tx: Tx, ticket: Row[Any]) -> None:
    if _signature(tx, ticket.id) is None:
        raise Conflict(
            f"{ticket.number}: the buyer's signed copy is not held: no voucher before "
            f"`ticket sign {ticket.number}`",
            rule="RE-TICKET-1",
        )


def _sign(tx: Tx, table: Any, row: Row[Any], column: str, what: str, rule: str) -> None:
    """A second person's signature (复核, 会签): never the one who recorded the paper."""
    if row.recorded_by == tx.actor.user_id:
        raise PermissionDenied(
            f"{row.number}: {what} needs someone other than its issuer", rule=rule
        )
    tx.conn.execute(
        update(table)
        .where(table.c.id == row.id)
        .values(**{f"{column}_by": tx.actor.user_id, f"{column}_at": tx.now})
    )


def _holder(tx: Tx, ticket: Row[Any]) -> Row[Any]:
    """The buyer the ticket is in the name of now (after renames, RE-RENAME-1)."""
    c = t.changes.c
    renamed = tx.conn.execute(
        select(c.to_buyer_id)
        .where(c.ticket_id == ticket.id, c.kind == "rename")
        .order_by(c.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    return tx.conn.execute(
        select(t.buyers).where(t.buyers.c.id == (renamed or ticket.buyer_id))
    ).one()


def _mode(tx: Tx, ticket: Row[Any]) -> str:
    c = t.changes.c
    switched = tx.conn.execute(
        select(c.id).where(c.ticket_id == ticket.id, c.kind == "mortgage_switch")
    ).first()
    return "mortgage" if switched else ticket.payment_mode


def _ticket_view(tx: Tx, ticket_id: int) -> Ticket:
    return _ticket_views(tx, t.tickets.c.id == ticket_id)[0]


def _ticket_views(tx: Tx, *where: Any) -> list[Ticket]:
    """Tickets as people see them, in three queries however many (the ledger reads thousands)."""
    tk, c, r, v = t.tickets.c, t.changes.c, t.receipts.c, t.vouchers.c
    paid = (
        select(func.coalesce(func.sum(r.amount), 0))
        .where(r.ticket_id == tk.id, r.kind.in_(TOWARDS_DUE))
        .scalar_subquery()
    )
    refunded = (
        select(func.coalesce(func.sum(r.amount), 0))
        .where(r.ticket_id == tk.id, r.kind == "refund")
        .scalar_subquery()
    )
    switched = select(c.id).where(c.ticket_id == tk.id, c.kind == "mortgage_switch").exists()
    checker, signer, sg = t.users.alias("checker"), t.users.alias("signer"), t.signatures.c
    rows = tx.conn.execute(
        select(
            t.tickets,
            t.buildings.c.code.label("building"),
            t.units.c.code.label("unit_code"),
            t.clients_code.label("client"),
            checker.c.login.label("checker"),
            paid.label("received"),
            refunded.label("refunded"),
            switched.label("switched"),
            v.number.label("voucher"),
            v.countersigned_by,
            signer.c.login.label("signer"),
            sg.recorded_at.label("signed_at"),
            sg.document_id.label("signed_copy"),
        )
        .join(t.units, t.units.c.id == tk.unit_id)
        .join(t.buildings, t.buildings.c.id == t.units.c.building_id)
        .join(t.clients, t.clients.c.id == tk.client_id)
        .outerjoin(checker, checker.c.id == tk.checked_by)
        .outerjoin(t.vouchers, (v.ticket_id == tk.id) & v.live_unit_id.is_not(None))
        .outerjoin(t.signatures, sg.ticket_id == tk.id)
        .outerjoin(signer, signer.c.id == sg.recorded_by)
        .where(*where)
        .order_by(tk.id)
    ).all()
    # RE-RENAME-1: the holder is the last rename's buyer, else the ticket's
    holder = {row.id: row.buyer_id for row in rows}
    renames = tx.conn.execute(
        select(c.ticket_id, c.to_buyer_id)
        .where(c.ticket_id.in_(list(holder)), c.kind == "rename")
        .order_by(c.id)
    ).all()
    holder.update({x.ticket_id: x.to_buyer_id for x in renames})
    b = t.buyers.c
    people = {
        x.id: x
        for x in tx.conn.execute(
            select(b.id, b.name, b.id_number_masked).where(b.id.in_(set(holder.values())))
        ).all()
    }
    return [
        Ticket(
            row.number,
            f"{row.building}-{row.unit_code}",
            row.client,
            people[holder[row.id]].name,
            people[holder[row.id]].id_number_masked,
            row.unit_price,
            row.area,
            row.total,
            row.discount,
            "mortgage" if row.switched else row.payment_mode,
            row.payment_ratio,
            row.due,
            Decimal(row.received) + row.carried_over,
            row.reservation_fee,
            row.checker,
            row.live_unit_id is not None,
            row.voucher,
            row.countersigned_by is not None,
            Decimal(0) - Decimal(row.refunded),
            row.signer,
            row.signed_at,
            row.signed_copy,
        )
        for row in rows
    ]
