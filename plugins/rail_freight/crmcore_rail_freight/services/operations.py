"""RAIL-OPS-1: monthly plans from the annual volume, actual loadings, freight settlements and
the fulfilment report (plan against actual by month, direction and consignee).

Actual loadings are accepted only for months the client has a plan for: a loading in a
month without a plan means the file is for another client or year, or the plans are not made
yet, and either way counting it would make the report wrong without anyone noticing.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import func, select

from crmcore import Conflict, InvalidInput, NotFound, Service, Tx, query, use_case
from crmcore.calendar import china_date
from crmcore.convert import unstructure
from crmcore.security import access
from crmcore.security.access import present

from ..domain.operations import (
    RULE,
    Fulfilment,
    Loading,
    fulfilment_rows,
    row,
    spread,
    total_row,
)
from ..domain.volumes import VolumeFigures
from ..domain.years import check_year, month, month_label
from ..tables import (
    loading_batches,
    loadings,
    monthly_plan_lines,
    monthly_plans,
    settlements,
)
from .actuals import actuals
from .common import ClientRow, bureaus, client, logins, station_rows, taken_meanwhile
from .volumes import VolumeService

OTHER = "(other)"  # planned tonnes no listed direction or consignee accounts for
NO_CONSIGNEE = "(no consignee)"
BY = ("month", "direction", "consignee")
#: Entities of the field rules (``crm_sensitive_fields``, see ``confidentiality.py``).
LOADING, SETTLEMENT, FULFILMENT_ROW = "rail.loading", "rail.settlement", "rail.fulfilment_row"


@frozen(kw_only=True)
class MonthPlan:
    year: int
    month: int
    label: str  # 2027-03
    version: int
    total: Decimal
    source: str  # annual (spread from the annual volume) or manual
    directions: dict[str, Decimal]
    consignees: dict[str, Decimal]
    note: str | None
    created_at: datetime
    created_by: str


@frozen(kw_only=True)
class ImportResult:
    client_code: str
    batch: int
    granularity: str  # daily | monthly
    rows: int
    months: tuple[str, ...]
    tonnage: Decimal
    freight: Decimal | None


@frozen(kw_only=True)
class Settlement:
    id: int
    client_code: str
    month: str
    amount: Decimal | None  # None: masked (the reader lacks rail.freight.read)
    reference: str
    settled_on: date
    reverses: str | None  # the reference of the settlement this reverses
    reversed: bool
    reason: str | None
    recorded_at: datetime
    recorded_by: str
    masked: tuple[str, ...] = ()


class OperationsService(Service):
    # -- monthly plans ------------------------------------------------------------------------

    @use_case
    def make_plans(self, tx: Tx, code: str, year: int, *, replace: bool = False) -> list[MonthPlan]:
        """Spread the approved annual volume evenly over the twelve months (均衡运输)."""
        tx.actor.require("rail.write")
        record = client(tx, code)
        figures = self._approved(tx, record, year)
        if self._latest(tx, record.id, year) and not replace:
            raise Conflict(
                f"client {code} already has monthly plans for {year}: re-plan a month "
                f"(crm rail plan set) or make them again from the annual volume (--replace)",
                rule=RULE,
            )
        totals = spread(figures.total)
        directions = {d.bureau: spread(d.tonnage) for d in figures.directions}
        consignees: dict[str, Decimal] = defaultdict(Decimal)
        for c in figures.consignees:
            consignees[c.name] += c.tonnage
        consignee_months = {name: spread(t) for name, t in consignees.items()}
        for i in range(12):
            self._add_plan(
                tx,
                record,
                year,
                i + 1,
                totals[i],
                {b: months[i] for b, months in directions.items()},
                {n: months[i] for n, months in consignee_months.items()},
                source="annual",
                note=None,
            )
        tx.audit(
            "rail.plan.make",
            "rail_monthly_plan",
            f"{code}/{year}",
            client_id=record.id,
            detail={"year": year, "replace": replace},
        )
        return self._views(tx, record, year)

    @use_case
    def set_plan(
        self,
        tx: Tx,
        code: str,
        month_text: str,
        total: Decimal,
        *,
        directions: Mapping[str, Decimal] | None = None,
        consignees: Mapping[str, Decimal] | None = None,
        note: str | None = None,
    ) -> MonthPlan:
        """Re-plan one month (a new version; the old one stays)."""
        tx.actor.require("rail.write")
        record = client(tx, code)
        year, month_ = month(month_text)
        self._approved(tx, record, year)
        directions = dict(directions or {})
        consignees = dict(consignees or {})
        for field, value in [
            ("total", total),
            *((f"directions.{k}", v) for k, v in directions.items()),
            *((f"consignees.{k}", v) for k, v in consignees.items()),
        ]:
            if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
                raise InvalidInput(field, f"must be 0 t or more, not {value}", rule=RULE)
        known = bureaus(tx)
        for bureau in directions:
            if bureau not in known:
                raise InvalidInput(
                    f"directions.{bureau}", "no station of the register belongs to it", rule=RULE
                )
        for field, lines in (("directions", directions), ("consignees", consignees)):
            if sum(lines.values(), Decimal(0)) > total:
                raise InvalidInput(field, f"add up to more than the month's {total} t", rule=RULE)
        if note is not None and len(note) > 2000:
            raise InvalidInput("note", "is longer than 2000 characters")
        self._add_plan(
            tx, record, year, month_, total, directions, consignees, source="manual", note=note
        )
        tx.audit(
            "rail.plan.set",
            "rail_monthly_plan",
            f"{code}/{month_label(year, month_)}",
            client_id=record.id,
            detail={"month": month_label(year, month_)},
        )
        return next(p for p in self._views(tx, record, year) if p.month == month_)

    @query
    def plans(self, tx: Tx, code: str, year: int) -> list[MonthPlan]:
        """The plan in force for each planned month of ``year``."""
        record = client(tx, code, action="rail.plan.list")
        check_year(year)
        return self._views(tx, record, year)

    # -- actual loadings ------------------------------------------------------------------

    @use_case
    def import_loadings(
        self,
        tx: Tx,
        code: str,
        rows: Sequence[Loading],
        *,
        filename: str = "rows",
        first_line: int = 1,
        digest: str | None = None,
    ) -> ImportResult:
        """Record a file of actual loadings: daily rows, or monthly totals, never mixed.

        Everything is checked before anything is written: stations in the register, months
        with a plan, no date in the future, no waybill twice, the same file not twice, and a
        month holds either daily loadings or one monthly total.
        """
        tx.actor.require("rail.write")
        record = client(tx, code)
        if not rows:
            raise InvalidInput(filename, "lists no loadings", rule=RULE)
        if any(r.freight is not None for r in rows):  # who may not read freight may not write it
            access.check_write(tx, LOADING, ["freight"])
        kinds = {r.daily for r in rows}
        if len(kinds) > 1:
            raise InvalidInput(
                filename, "holds daily loadings and monthly totals: import them apart", rule=RULE
            )
        daily = kinds.pop()
        today = china_date(tx.now)
        known = station_rows(tx, (c for r in rows for c in (r.origin, r.destination)))
        planned = {
            (r.year, r.month)
            for r in tx.conn.execute(
                select(monthly_plans.c.year, monthly_plans.c.month)
                .where(monthly_plans.c.client_id == record.id)
                .distinct()
            )
        }
        waybills: dict[str, str] = {}
        for i, loading in enumerate(rows):
            where = f"{filename}: line {first_line + i}"
            when = "date" if daily else "month"
            for field in ("origin", "destination"):
                if getattr(loading, field) not in known:
                    raise InvalidInput(
                        f"{where}: {field}",
                        f"unknown station code {getattr(loading, field)!r}: it is not in the "
                        "station register",
                        rule=RULE,
                    )
            year, month_ = loading.year_month
            label = month_label(year, month_)
            if (loading.loaded_on or date(year, month_, 1)) > today:
                raise InvalidInput(
                    f"{where}: {when}", f"{loading.loaded_on or label} is in the future", rule=RULE
                )
            if (year, month_) not in planned:
                raise InvalidInput(
                    f"{where}: {when}",
                    f"{loading.loaded_on or label}: client {code} has no monthly plan for "
                    f"{label} (plans follow the approved annual volume: crm rail plan make "
                    f"{code} --year {year})",
                    rule=RULE,
                )
            if loading.waybill:
                if loading.waybill in waybills:
                    raise InvalidInput(
                        f"{where}: waybill",
                        f"{loading.waybill} is already on {waybills[loading.waybill]}",
                        rule=RULE,
                    )
                waybills[loading.waybill] = where
        digest = (
            digest
            or hashlib.sha256(
                json.dumps(unstructure(list(rows)), sort_keys=True, ensure_ascii=False).encode()
            ).hexdigest()
        )
        earlier = tx.conn.execute(
            select(loading_batches).where(
                loading_batches.c.client_id == record.id, loading_batches.c.sha256 == digest
            )
        ).first()
        if earlier is not None:
            raise Conflict(
                f"{filename}: these loadings were already imported for {code} "
                f"(batch {earlier.id}, {earlier.filename})",
                rule=RULE,
            )
        self._check_not_recorded(tx, record, rows, daily, waybills)
        new_batch = loading_batches.insert().values(
            client_id=record.id,
            filename=filename[:200],
            sha256=digest,
            granularity="daily" if daily else "monthly",
            rows=len(rows),
            imported_at=tx.now,
            imported_by=tx.actor.user_id,
        )
        with taken_meanwhile(f"{filename}: these loadings of {code} were imported", RULE):
            batch = tx.conn.execute(new_batch).inserted_primary_key[0]
        tx.conn.execute(
            loadings.insert(),
            [
                {
                    "batch_id": batch,
                    "client_id": record.id,
                    "year": r.year_month[0],
                    "month": r.year_month[1],
                    "loaded_on": r.loaded_on,
                    "origin_id": known[r.origin].id,
                    "destination_id": known[r.destination].id,
                    "consignee": r.consignee,
                    "tonnage": r.tonnage,
                    "wagons": r.wagons,
                    "freight": r.freight,
                    "waybill": r.waybill,
                }
                for r in rows
            ],
        )
        months = tuple(sorted({month_label(*r.year_month) for r in rows}))
        tx.audit(
            "rail.loadings.import",
            "rail_loading_batch",
            batch,
            client_id=record.id,
            detail={"rows": len(rows), "months": list(months)},
        )
        freights = [r.freight for r in rows if r.freight is not None]
        return ImportResult(
            client_code=record.code,
            batch=batch,
            granularity="daily" if daily else "monthly",
            rows=len(rows),
            months=months,
            tonnage=sum((r.tonnage for r in rows), Decimal(0)),
            freight=sum(freights, Decimal(0)) if freights else None,
        )

    # -- freight settlements ------------------------------------------------------------------

    @use_case
    def settle(
        self,
        tx: Tx,
        code: str,
        month_text: str,
        amount: Decimal,
        reference: str,
        *,
        settled_on: date | None = None,
    ) -> Settlement:
        """Record a freight settlement (运费结算) for a month's loadings."""
        tx.actor.require("rail.settle")
        record = client(tx, code)
        year, month_ = month(month_text)
        if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
            raise InvalidInput(
                "amount", f"must be a positive amount of CNY, not {amount}", rule=RULE
            )
        if amount != amount.quantize(Decimal("0.01")):
            raise InvalidInput("amount", "has more than 2 decimal places", rule=RULE)
        reference = (reference or "").strip()
        if not reference or len(reference) > 38:
            raise InvalidInput(
                "reference", "give the settlement's number (1-38 characters)", rule=RULE
            )
        today = china_date(tx.now)
        settled_on = settled_on or today
        if settled_on > today:
            raise InvalidInput("settled_on", f"{settled_on} is in the future", rule=RULE)
        if self._settlement(tx, record, reference) is not None:
            raise Conflict(f"settlement {reference} of {code} is already recorded", rule=RULE)
        with taken_meanwhile(f"settlement {reference} of {code} was recorded", RULE):
            settlement_id = self._insert_settlement(
                tx,
                client_id=record.id,
                year=year,
                month=month_,
                amount=amount,
                reference=reference,
                settled_on=settled_on,
            )
        tx.audit(
            "rail.settlement.add",
            "rail_settlement",
            settlement_id,
            client_id=record.id,
            detail={"month": month_label(year, month_)},
        )
        return self._settlement_views(tx, record, year, ids=[settlement_id], action=None)[0]

    @use_case
    def reverse_settlement(self, tx: Tx, code: str, reference: str, reason: str) -> Settlement:
        """Reverse a settlement in red (红字冲销): a negative row that names it; nothing is
        deleted."""
        tx.actor.require("rail.settle")
        record = client(tx, code)
        if not reason or not reason.strip():
            raise InvalidInput("reason", "a reversal needs a reason", rule=RULE)
        original = self._settlement(tx, record, reference.strip())
        if original is None:
            raise NotFound(f"settlement: {code} has no settlement {reference!r}", rule=RULE)
        if original.reverses_id is not None:
            raise Conflict(f"settlement {reference} is itself a reversal", rule=RULE)
        done = tx.conn.scalar(
            select(settlements.c.reference).where(settlements.c.reverses_id == original.id)
        )
        if done is not None:
            raise Conflict(f"settlement {reference} is already reversed by {done}", rule=RULE)
        with taken_meanwhile(f"settlement {reference} of {code} was reversed", RULE):
            settlement_id = self._insert_settlement(
                tx,
                client_id=record.id,
                year=original.year,
                month=original.month,
                amount=-original.amount,
                reference=f"{original.reference}-R",
                settled_on=china_date(tx.now),
                reverses_id=original.id,
                reason=reason.strip(),
            )
        tx.audit(
            "rail.settlement.reverse",
            "rail_settlement",
            settlement_id,
            client_id=record.id,
            detail={"reverses": original.id},
        )
        return self._settlement_views(tx, record, original.year, ids=[settlement_id], action=None)[
            0
        ]

    @query
    def settlements(self, tx: Tx, code: str, year: int) -> list[Settlement]:
        record = client(tx, code, action="rail.settlement.list")
        check_year(year)
        return self._settlement_views(tx, record, year, action="rail.settlement.list")

    # -- the fulfilment report ------------------------------------------------------------

    @query
    def fulfilment(self, tx: Tx, code: str, year: int, *, by: str = "month") -> Fulfilment:
        """Plan against actual for ``year``, by month (with freight billed and settled), by
        direction (destination bureau) or by consignee. Every view adds up to the same
        totals: planned tonnes no listed direction or consignee accounts for show as
        ``(other)``. Freight billed and settled are masked for a reader without
        ``rail.freight.read``."""
        record = client(tx, code, action="rail.fulfilment")
        check_year(year)
        if by not in BY:
            raise InvalidInput("by", f"{by!r} is not one of {', '.join(BY)}", rule=RULE)
        plans = self._views(tx, record, year)
        if not plans:
            raise NotFound(
                f"client {code} has no monthly plans for {year} (crm rail plan make)", rule=RULE
            )
        act = actuals(tx, record.id, year)
        plan_total = sum((p.total for p in plans), Decimal(0))
        if by == "month":
            settled = self._settled_by_month(tx, record, year)
            planned = {p.month: p.total for p in plans}
            rows = [
                row(
                    month_label(year, m),
                    planned.get(m, Decimal(0)),
                    act.by_month.get(m, Decimal(0)),
                    freight=act.freight_by_month.get(m),
                    settled=settled.get(m),
                )
                for m in range(1, 13)
            ]
            rows = [*rows, total_row(rows)]
            rows = [
                present(tx, r, FULFILMENT_ROW, action="rail.fulfilment", client=record)
                for r in rows
            ]
        else:
            lines: dict[str, Decimal] = defaultdict(Decimal)
            for p in plans:
                for label, tonnage in (p.directions if by == "direction" else p.consignees).items():
                    lines[label] += tonnage
            other = plan_total - sum(lines.values(), Decimal(0))
            if other:
                lines[OTHER] += other
            if by == "direction":
                actual = dict(act.by_bureau)
            else:
                actual = defaultdict(Decimal)
                for (name, _station), tonnage in act.by_consignee.items():
                    actual[name] += tonnage
                if act.unnamed:
                    actual[NO_CONSIGNEE] += act.unnamed
            rows = fulfilment_rows(lines, actual)
            rows = [*rows, total_row(rows)]
        approved = VolumeService(tx.crm).approved(tx, record.id, year)
        return Fulfilment(
            client_code=record.code,
            client_name=record.name,
            year=year,
            by=by,
            approved_total=approved.total if approved is not None else None,
            rows=tuple(rows[:-1]),
            total=rows[-1],
        )

    # -- internals ----------------------------------------------------------------------------

    def _approved(self, tx: Tx, record: ClientRow, year: int) -> VolumeFigures:
        check_year(year)
        figures = VolumeService(tx.crm).approved(tx, record.id, year)
        if figures is None:
            raise Conflict(
                f"the annual volume of {record.code} for {year} is not approved yet (the "
                "ministry signs it, RAIL-VOL-1): monthly plans follow from it",
                rule=RULE,
            )
        return figures

    def _add_plan(
        self,
        tx: Tx,
        record: ClientRow,
        year: int,
        month_: int,
        total: Decimal,
        directions: Mapping[str, Decimal],
        consignees: Mapping[str, Decimal],
        *,
        source: str,
        note: str | None,
    ) -> None:
        p = monthly_plans.c
        version = tx.conn.scalar(
            select(func.coalesce(func.max(p.version), 0)).where(
                p.client_id == record.id, p.year == year, p.month == month_
            )
        )
        new_plan = monthly_plans.insert().values(
            client_id=record.id,
            year=year,
            month=month_,
            version=version + 1,
            total=total,
            source=source,
            note=note,
            created_at=tx.now,
            created_by=tx.actor.user_id,
        )
        with taken_meanwhile(
            f"the plan of {record.code} for {month_label(year, month_)} changed", RULE
        ):
            plan_id = tx.conn.execute(new_plan).inserted_primary_key[0]
        lines = [
            {"plan_id": plan_id, "kind": kind, "label": label, "tonnage": tonnage}
            for kind, values in (("direction", directions), ("consignee", consignees))
            for label, tonnage in values.items()
        ]
        if lines:
            tx.conn.execute(monthly_plan_lines.insert(), lines)

    def _latest(self, tx: Tx, client_id: int, year: int) -> list[Any]:
        p = monthly_plans.c
        newest = (
            select(p.month, func.max(p.version).label("version"))
            .where(p.client_id == client_id, p.year == year)
            .group_by(p.month)
            .subquery()
        )
        return list(
            tx.conn.execute(
                select(monthly_plans)
                .join(newest, (newest.c.month == p.month) & (newest.c.version == p.version))
                .where(p.client_id == client_id, p.year == year)
                .order_by(p.month)
            )
        )

    def _views(self, tx: Tx, record: ClientRow, year: int) -> list[MonthPlan]:
        rows = self._latest(tx, record.id, year)
        lines: dict[int, dict[str, dict[str, Decimal]]] = {
            r.id: {"direction": {}, "consignee": {}} for r in rows
        }
        if rows:
            for line in tx.conn.execute(
                select(monthly_plan_lines)
                .where(monthly_plan_lines.c.plan_id.in_(list(lines)))
                .order_by(monthly_plan_lines.c.id)
            ):
                lines[line.plan_id][line.kind][line.label] = line.tonnage
        who = logins(tx, [r.created_by for r in rows])
        return [
            MonthPlan(
                year=r.year,
                month=r.month,
                label=month_label(r.year, r.month),
                version=r.version,
                total=r.total,
                source=r.source,
                directions=lines[r.id]["direction"],
                consignees=lines[r.id]["consignee"],
                note=r.note,
                created_at=r.created_at,
                created_by=who[r.created_by],
            )
            for r in rows
        ]

    def _check_not_recorded(
        self,
        tx: Tx,
        record: ClientRow,
        rows: Sequence[Loading],
        daily: bool,
        waybills: Mapping[str, str],
    ) -> None:
        months = sorted({r.year_month for r in rows})
        b, l_ = loading_batches.c, loadings.c
        for year, month_ in months:
            kinds = set(
                tx.conn.scalars(
                    select(b.granularity)
                    .join(loadings, l_.batch_id == b.id)
                    .where(l_.client_id == record.id, l_.year == year, l_.month == month_)
                    .distinct()
                )
            )
            if kinds and (not daily or "monthly" in kinds):
                held = "a monthly total" if "monthly" in kinds else "daily loadings"
                raise Conflict(
                    f"{record.code} already has {held} for {month_label(year, month_)}: a month "
                    "holds daily loadings or one monthly total, so it is not counted twice",
                    rule=RULE,
                )
        if waybills:
            taken = tx.conn.scalar(
                select(l_.waybill)
                .where(l_.client_id == record.id, l_.waybill.in_(list(waybills)))
                .limit(1)
            )
            if taken is not None:
                raise Conflict(f"waybill {taken} of {record.code} is already recorded", rule=RULE)

    def _insert_settlement(self, tx: Tx, **values: Any) -> int:
        row = settlements.insert().values(
            **values, recorded_at=tx.now, recorded_by=tx.actor.user_id
        )
        return int(tx.conn.execute(row).inserted_primary_key[0])

    def _settlement(self, tx: Tx, record: ClientRow, reference: str) -> Any:
        return tx.conn.execute(
            select(settlements).where(
                settlements.c.client_id == record.id, settlements.c.reference == reference
            )
        ).first()

    def _settled_by_month(self, tx: Tx, record: ClientRow, year: int) -> dict[int, Decimal]:
        s = settlements.c
        return {
            r.month: r.amount
            for r in tx.conn.execute(
                select(s.month, func.sum(s.amount).label("amount"))
                .where(s.client_id == record.id, s.year == year)
                .group_by(s.month)
            )
        }

    def _settlement_views(
        self,
        tx: Tx,
        record: ClientRow,
        year: int,
        *,
        action: str | None,
        ids: Sequence[int] | None = None,
    ) -> list[Settlement]:
        s = settlements.c
        stmt = select(settlements).where(s.client_id == record.id, s.year == year)
        if ids is not None:
            stmt = stmt.where(s.id.in_(list(ids)))
        rows = tx.conn.execute(stmt.order_by(s.month, s.id)).all()
        refs = {
            r.id: r.reference
            for r in tx.conn.execute(
                select(s.id, s.reference, s.reverses_id).where(s.client_id == record.id)
            )
        }
        reversed_ids = set(
            tx.conn.scalars(
                select(s.reverses_id).where(s.client_id == record.id, s.reverses_id.is_not(None))
            )
        )
        who = logins(tx, [r.recorded_by for r in rows])
        views = [
            Settlement(
                id=r.id,
                client_code=record.code,
                month=month_label(r.year, r.month),
                amount=r.amount,
                reference=r.reference,
                settled_on=r.settled_on,
                reverses=refs.get(r.reverses_id) if r.reverses_id else None,
                reversed=r.id in reversed_ids,
                reason=r.reason,
                recorded_at=r.recorded_at,
                recorded_by=who[r.recorded_by],
            )
            for r in rows
        ]
        return [present(tx, v, SETTLEMENT, action=action, client=record) for v in views]
