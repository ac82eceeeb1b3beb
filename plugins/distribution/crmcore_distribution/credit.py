"""Distributors and credit: registration, the credit committee's reviews (DIST-CRED-3),
investigations (DIST-CRED-4), the receivables record, the period report's columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from crmcore import (
    Conflict,
    InvalidInput,
    Tx,
    query,
    readable_clients,
    use_case,
)
from crmcore.calendar import Period, start_of_day
from crmcore_distribution import domain
from crmcore_distribution import tables as d
from crmcore_distribution.base import (
    CLIENTS,
    DISTRIBUTOR,
    USERS,
    ZERO,
    Base,
)
from crmcore_distribution.domain import GRADES
from crmcore_distribution.views import (
    CreditEventView,
    DistributorView,
)

REVIEW = "distribution.credit_review"  # DIST-CRED-3
INVESTIGATION = "distribution.investigation"  # DIST-CRED-4


class Credit(Base):
    """Distributors, reviews, investigations, the receivables record."""

    # -- distributors ---------------------------------------------------------------------------

    @use_case
    def register(
        self, tx: Tx, code: str, *, grade: str | None = None, limit: Any = None
    ) -> DistributorView:
        """Make a client a distributor, at the initial credit grade (DIST-CRED-1; C unless
        given) and limit (0 unless given). Later changes go through a credit review."""
        tx.actor.require("distribution.manage")
        client = tx.crm.clients.get(tx, code)
        rules = self._policy(tx, "DIST-CRED-1")
        grade = _grade(grade or rules.initial_grade)
        credit = domain.amount("limit", "0" if limit is None else limit, rule="DIST-CRED-1")
        _check_limit(grade, credit, rules, cap=None)
        if tx.conn.scalar(
            select(d.distributors.c.id).where(d.distributors.c.client_id == client.id)
        ):
            raise Conflict(f"client {code} is already a distributor")
        dist_id = tx.conn.execute(
            d.distributors.insert().values(
                client_id=client.id,
                credit_grade=grade,
                credit_limit=credit,
                version=1,
                registered_at=tx.now,
                registered_by=tx.actor.user_id,
                updated_at=tx.now,
            )
        ).inserted_primary_key[0]
        self._event(
            tx,
            dist_id,
            client.id,
            "registered",
            "DIST-CRED-1",
            self._today(tx),
            f"registered as a distributor at credit grade {grade}, limit {credit:,.2f}",
            {"grade": grade, "limit": str(credit)},
        )
        tx.audit(
            "distribution.register",
            "distributor",
            code,
            client_id=client.id,
            detail={"grade": grade},
        )
        return self.get(tx, code)

    @query
    def get(self, tx: Tx, code: str) -> DistributorView:
        self._read(tx)
        return self._views(tx, [self._distributor(tx, code)], action="distribution.show")[0]

    @query
    def list(self, tx: Tx) -> list[DistributorView]:
        self._read(tx)
        rows = tx.conn.execute(
            select(d.distributors)
            .join(CLIENTS, CLIENTS.c.id == d.distributors.c.client_id)
            .where(readable_clients(tx))
            .order_by(CLIENTS.c.code)
        ).all()
        return self._views(tx, rows, action="distribution.list")

    # -- credit: reviews, investigations, the receivables record -------------------------------

    @use_case
    def propose_review(
        self,
        tx: Tx,
        code: str,
        *,
        grade: str,
        limit: Any,
        reason: str,
        period_sales: Any = None,
    ) -> Any:
        """Finance proposes a credit grade and limit (DIST-CRED-3); the credit committee
        approves through the ``distribution.credit_review`` workflow."""
        tx.actor.require("distribution.credit")
        dist = self._distributor(tx, code)
        proposal = self._proposal(tx, dist, grade, limit, period_sales)
        reason = _text("reason", reason, "a credit review needs a reason")
        if any(
            not i.closed
            for i in tx.crm.workflows.for_entity(tx, DISTRIBUTOR, dist.id)
            if i.workflow == REVIEW
        ):
            raise Conflict(
                f"distributor {code} already has a credit review waiting", rule="DIST-CRED-3"
            )
        return tx.crm.workflows.start(
            tx,
            REVIEW,
            code,
            entity_type=DISTRIBUTOR,
            entity_id=dist.id,
            data={
                **proposal,
                "reason": reason,
                "previous_grade": dist.credit_grade,
                "previous_limit": str(dist.credit_limit),
            },
            comment=reason,
        )

    def apply_review(self, tx: Tx, instance: Any, data: Mapping[str, Any]) -> None:
        """The committee approved (called by the workflow): apply grade and limit, checked
        again against the rules in force now."""
        dist = self._distributor_by_id(tx, int(instance.entity_id))
        proposal = self._proposal(tx, dist, data["grade"], data["limit"], data.get("period_sales"))
        grade, limit = proposal["grade"], Decimal(proposal["limit"])
        self._bump_distributor(
            tx,
            dist,
            credit_grade=grade,
            credit_limit=limit,
            period_sales=Decimal(proposal["period_sales"]) if proposal["period_sales"] else None,
        )
        self._event(
            tx,
            dist.id,
            dist.client_id,
            "review",
            "DIST-CRED-3",
            self._today(tx),
            f"credit grade {dist.credit_grade} -> {grade}, limit {dist.credit_limit:,.2f} -> "
            f"{limit:,.2f}, approved by the credit committee",
            {**proposal, "reason": data.get("reason"), "approved_by": tx.actor.login},
            workflow_id=instance.id,
        )
        tx.audit(
            "distribution.review",
            "distributor",
            instance.client_code,
            client_id=dist.client_id,
            detail={"fields": ["credit_grade", "credit_limit"], "workflow": instance.id},
        )

    @use_case
    def request_investigation(self, tx: Tx, code: str, *, reason: str) -> Any:
        """Sales asks finance to investigate a client's credit (DIST-CRED-4)."""
        tx.actor.require("distribution.order")
        dist = self._distributor(tx, code)
        reason = _text("reason", reason, "say why the investigation is needed")
        return tx.crm.workflows.start(
            tx,
            INVESTIGATION,
            code,
            entity_type=DISTRIBUTOR,
            entity_id=dist.id,
            data={"request": reason},
            comment=reason,
        )

    @use_case
    def file_investigation(
        self,
        tx: Tx,
        instance_id: int,
        *,
        channel: str,
        findings: str,
        rating: str | None = None,
    ) -> Any:
        """Finance files the report (channel: a bank, per the source); it goes into the
        client's receivables record (CORE-ARC-1 category 3)."""
        tx.actor.require("distribution.credit")
        data = {"channel": channel, "findings": findings, "rating": rating or ""}
        problem = self.report_problem(tx, data)
        if problem:
            field, message = problem
            raise InvalidInput(field, message, rule="DIST-CRED-4")
        return tx.crm.workflows.advance(tx, instance_id, "file", data=data)

    def report_problem(self, tx: Tx, data: Mapping[str, Any]) -> tuple[str, str] | None:
        channels = self._policy(tx, "DIST-CRED-4").channels
        if str(data.get("channel") or "").strip() not in channels:
            return "channel", f"{data.get('channel')!r} is not one of {', '.join(channels)}"
        findings = str(data.get("findings") or "").strip()
        if not findings:
            return "findings", "an investigation report needs its findings"
        if len(findings) > 4000:
            return "findings", "is longer than 4000 characters"
        return None

    def file_report(self, tx: Tx, instance: Any, data: Mapping[str, Any]) -> None:
        """The report is filed (called by the workflow)."""
        dist = self._distributor_by_id(tx, int(instance.entity_id))
        self._event(
            tx,
            dist.id,
            dist.client_id,
            "investigation",
            "DIST-CRED-4",
            self._today(tx),
            f"credit investigation through {data['channel']}: {str(data['findings'])[:80]}",
            {
                "channel": data["channel"],
                "findings": data["findings"],
                "rating": data.get("rating") or None,
                "requested": data.get("request"),
                "requested_by": instance.started_by,
                "filed_by": tx.actor.login,
            },
            workflow_id=instance.id,
        )
        tx.audit(
            "distribution.investigation",
            "distributor",
            instance.client_code,
            client_id=dist.client_id,
            detail={"channel": data["channel"], "workflow": instance.id},
        )

    @query
    def events(self, tx: Tx, code: str) -> list[CreditEventView]:
        """The client's receivables record: registration, reviews, downgrades, investigations;
        limits, sales and findings masked without ``distribution.credit.read`` (DIST-CRED-1)."""
        self._read(tx)
        return self._events(tx, code, action="distribution.events")

    def _events(self, tx: Tx, code: str, *, action: str | None) -> list[CreditEventView]:
        dist = self._distributor(tx, code)
        e = d.credit_events.c
        rows = tx.conn.execute(
            select(d.credit_events, USERS.c.login)
            .join(USERS, USERS.c.id == e.by)
            .where(e.distributor_id == dist.id)
            .order_by(e.occurred_on, e.id)
        ).all()
        return self._present_all(
            tx,
            [(_event_view(code, r), r.client_id) for r in rows],
            "distribution.credit_event",
            action,
        )

    # -- the quarterly report and the review obligation -----------------------------------------

    def report_columns(
        self, tx: Tx, period: Period, codes: Sequence[str]
    ) -> dict[str, dict[str, Any]]:
        """CORE-ARC-3 columns: credit grade and limit, receivables at the period's end, late
        payments in the period, payment class now."""
        c = CLIENTS.c
        rows = tx.conn.execute(
            select(d.distributors, c.code)
            .join(CLIENTS, c.id == d.distributors.c.client_id)
            .where(c.code.in_(list(codes)))
        ).all()
        if not rows:
            return {}
        ids = [r.id for r in rows]
        i, p = d.invoices.c, d.payments.c
        issued = dict(
            tx.conn.execute(
                select(i.distributor_id, func.sum(i.amount))
                .where(i.distributor_id.in_(ids), i.issued_on <= period.end)
                .group_by(i.distributor_id)
            ).all()
        )
        paid = dict(
            tx.conn.execute(
                select(i.distributor_id, func.sum(p.amount))
                .join(d.invoices, i.id == p.invoice_id)
                .where(i.distributor_id.in_(ids), p.paid_on <= period.end)
                .group_by(i.distributor_id)
            ).all()
        )
        late = dict(
            tx.conn.execute(
                select(i.distributor_id, func.count())
                .where(
                    i.distributor_id.in_(ids), i.late_on >= period.start, i.late_on <= period.end
                )
                .group_by(i.distributor_id)
            ).all()
        )
        standing = {r.id: self._standing(tx, r) for r in rows}
        return {
            "credit_grade": {r.code: standing[r.id].credit_grade for r in rows},
            "credit_limit": {r.code: r.credit_limit for r in rows},
            "receivables": {
                r.code: (issued.get(r.id) or ZERO) - (paid.get(r.id) or ZERO) for r in rows
            },
            "late_payments": {r.code: late.get(r.id, 0) for r in rows},
            "payment_class": {r.code: standing[r.id].payment_class for r in rows},
        }

    def reviews_due(
        self, tx: Tx, start: date, end: date
    ) -> Iterable[tuple[str, str, date, datetime | None]]:
        """DIST-CRED-3: (client code, period, due date, when reviewed) for every distributor
        and review period ending within [start, end]. Periods are blocks of the policy's
        months from January; a distributor owes the periods that begin after it registered."""
        months = self._policy(tx, "DIST-CRED-3", end).review_months
        c, e = CLIENTS.c, d.credit_events.c
        dists = tx.conn.execute(
            select(d.distributors.c.id, d.distributors.c.registered_at, c.code)
            .join(CLIENTS, c.id == d.distributors.c.client_id)
            .order_by(c.code)
        ).all()
        reviews: dict[int, list[datetime]] = {}
        for r in tx.conn.execute(
            select(e.distributor_id, e.at).where(e.kind == "review").order_by(e.at)
        ):
            reviews.setdefault(r.distributor_id, []).append(r.at)
        for year in range(start.year, end.year + 1):
            for first in range(1, 13, months):
                begin = date(year, first, 1)
                finish = domain.add_months(begin, months) - timedelta(days=1)
                if not start <= finish <= end:
                    continue
                label = f"{begin:%Y-%m}..{finish:%Y-%m}"
                for dist in dists:
                    if dist.registered_at > start_of_day(begin):
                        continue
                    done = next(
                        (at for at in reviews.get(dist.id, []) if at >= start_of_day(begin)), None
                    )
                    yield dist.code, label, finish, done

    def _views(
        self, tx: Tx, rows: Sequence[Row[Any]], *, action: str | None = None
    ) -> list[DistributorView]:
        exposure = self._exposure(tx, [r.id for r in rows]) if rows else {}
        clients = {
            r.id: r
            for r in tx.conn.execute(
                select(CLIENTS.c.id, CLIENTS.c.code, CLIENTS.c.name).where(
                    CLIENTS.c.id.in_([r.client_id for r in rows])
                )
            )
        }
        pay = self._policy(tx, "DIST-PAY-1")
        views = []
        for r in rows:
            standing = self._standing(tx, r)
            owed, committed = exposure.get(r.id, (ZERO, ZERO))
            terms = (
                domain.terms_for(standing.payment_class, standing.credit_grade, r.credit_limit, pay)
                if standing.payment_class
                else None
            )
            views.append(
                DistributorView(
                    client_code=clients[r.client_id].code,
                    client_name=clients[r.client_id].name,
                    score_class=standing.score_class,
                    score=standing.score,
                    payment_class=standing.payment_class,
                    downgrades=standing.downgrades,
                    credit_grade=standing.credit_grade,
                    credit_limit=r.credit_limit,
                    period_sales=r.period_sales,
                    terms=str(terms) if terms else None,
                    receivables=owed,
                    committed=committed,
                    exposure=owed + committed,
                    available=r.credit_limit - owed - committed,
                    registered_at=r.registered_at,
                )
            )
        return self._present_all(
            tx,
            [(view, r.client_id) for view, r in zip(views, rows, strict=True)],
            "distribution.distributor",
            action,
        )

    def _proposal(
        self, tx: Tx, dist: Row[Any], grade: Any, limit: Any, period_sales: Any
    ) -> dict[str, Any]:
        grade = _grade(grade)
        credit = domain.amount("limit", limit, rule="DIST-CRED-1")
        sales = (
            None
            if period_sales is None or str(period_sales).strip() == ""
            else domain.amount("period_sales", period_sales, rule="DIST-CRED-1")
        )
        rules = self._policy(tx, "DIST-CRED-1")
        cap = None
        if grade == "A":
            if rules.a_cap == "invoiced":
                months = self._policy(tx, "DIST-PAY-1").a_months
                since = domain.add_months(self._today(tx), -months)
                i = d.invoices.c
                cap = (
                    tx.conn.scalar(
                        select(func.sum(i.amount)).where(
                            i.distributor_id == dist.id, i.issued_on > since
                        )
                    )
                    or ZERO
                )
            elif sales is None:
                raise InvalidInput(
                    "period_sales",
                    "grade A needs the sales of the contracted account period: its limit may "
                    "not exceed them",
                    rule="DIST-CRED-1",
                )
            else:
                cap = sales
        _check_limit(grade, credit, rules, cap=cap)
        return {
            "grade": grade,
            "limit": str(credit),
            "period_sales": str(sales) if sales is not None else None,
        }

    def _bump_distributor(self, tx: Tx, row: Row[Any], **values: Any) -> None:
        c = d.distributors.c
        done = tx.conn.execute(
            update(d.distributors)
            .where(c.id == row.id, c.version == row.version)
            .values(**values, version=row.version + 1, updated_at=tx.now)
        ).rowcount
        if done != 1:
            raise Conflict("the distributor changed meanwhile; try again")


def _grade(value: Any) -> str:
    grade = str(value or "").strip().upper()
    if grade not in GRADES:
        raise InvalidInput("grade", f"{value!r} is not one of A, B, C, D", rule="DIST-CRED-1")
    return grade


def _check_limit(grade: str, limit: Decimal, rules: Any, *, cap: Decimal | None) -> None:
    """DIST-CRED-1: D no credit; C at most a small limit; A no more than its period's sales."""
    if grade == "D" and limit > 0:
        raise InvalidInput(
            "limit",
            f"grade D gets no credit at all: the limit must be 0, not {limit:,.2f}",
            rule="DIST-CRED-1",
        )
    if grade == "C" and limit > rules.c_max_limit:
        raise InvalidInput(
            "limit",
            f"grade C gets at most a small limit ({rules.c_max_limit:,.2f}), not {limit:,.2f}",
            rule="DIST-CRED-1",
        )
    if grade == "A" and cap is not None and limit > cap:
        raise InvalidInput(
            "limit",
            f"grade A's limit may not exceed its sales in the account period ({cap:,.2f}), "
            f"not {limit:,.2f}",
            rule="DIST-CRED-1",
        )


def _text(field: str, value: Any, message: str) -> str:
    text = str(value or "").strip()
    if not text:
        raise InvalidInput(field, message)
    if len(text) > 2000:
        raise InvalidInput(field, "is longer than 2000 characters")
    return text


def _event_view(code: str, r: Row[Any]) -> CreditEventView:
    return CreditEventView(
        id=r.id,
        client_code=code,
        kind=r.kind,
        rule=r.rule,
        occurred_on=r.occurred_on,
        period=r.period,
        summary=r.summary,
        detail=dict(r.detail or {}),
        workflow_id=r.workflow_id,
        at=r.at,
        by=r.login,
    )
