"""RAIL-QUAL-2: apply for, renew and revoke the key-account certificate (铁路大客户证书).

The approval itself is the ``rail.certificate`` workflow (see ``workflows.py``); this module
starts it, moves it for the people who approve, and issues the certificate when it reaches
``certified``. A client holds at most one certificate in force: a renewal supersedes the old
one on the day the new one is issued; a revocation ends it. Nothing is deleted.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Row

from crmcore import (
    Client,
    Conflict,
    Instance,
    InvalidInput,
    NotFound,
    Service,
    StepContext,
    Tx,
    query,
    use_case,
)
from crmcore.calendar import china_date, end_of_day

from ..domain.qualification import QualificationCheck
from ..tables import certificates, qualifications
from ..workflows import NAME, RULE
from .common import (
    MINISTRY,
    client,
    clients_table,
    logins,
    require_role,
    stations_by_id,
    visible_clients,
)
from .qualification import QualificationService

ISSUED, REVOKED, SUPERSEDED, EXPIRED = "issued", "revoked", "superseded", "expired"


@frozen(kw_only=True)
class Certificate:
    number: str
    client_code: str
    client_name: str
    status: str  # in_force | expired | revoked | superseded
    valid_from: date
    valid_until: date
    issued_at: datetime
    party: str
    station: str
    renews: str | None
    application: int  # the workflow instance that approved it
    ended_at: datetime | None
    ended_by: str | None
    end_reason: str | None


@frozen(kw_only=True)
class CertificateFile:
    """A client's certificates (newest first) and its applications (workflow instances)."""

    client_code: str
    client_name: str
    in_force: str | None
    certificates: tuple[Certificate, ...]
    applications: tuple[Instance, ...]


class CertificateService(Service):
    @use_case
    def apply(self, tx: Tx, code: str, *, comment: str | None = None) -> Instance:
        """The client applies to the bureau (铁路大客户申请表); RAIL-QUAL-1 must hold."""
        record, check = self._applicant(tx, code)
        held = self._in_force(tx, record.id)
        if held is not None:
            raise Conflict(
                f"client {code} already holds certificate {held.number}, valid until "
                f"{held.valid_until}: renew it (crm rail cert renew {held.number})",
                rule=RULE,
            )
        return self._start(tx, record, check, None, comment)

    @use_case
    def renew(self, tx: Tx, number: str, *, comment: str | None = None) -> Instance:
        """Apply again for a certificate that was issued (in force or expired)."""
        row = self._by_number(tx, number)
        if row.status != ISSUED:
            raise Conflict(f"certificate {number} is {row.status}; it cannot be renewed", rule=RULE)
        code = self._code(tx, row.client_id)
        record, check = self._applicant(tx, code)
        return self._start(tx, record, check, row.number, comment)

    @use_case
    def approve(self, tx: Tx, code: str, *, comment: str | None = None) -> Instance:
        """The bureau verifies, or the ministry approves, whichever step is waiting."""
        return tx.crm.workflows.advance(tx, self._open_for(tx, code).id, "approve", comment=comment)

    @use_case
    def reject(self, tx: Tx, code: str, reason: str) -> Instance:
        return tx.crm.workflows.reject(tx, self._open_for(tx, code).id, reason)

    @use_case
    def revoke(self, tx: Tx, number: str, reason: str) -> Certificate:
        """The ministry withdraws a certificate in force, with a reason; it stays on record."""
        require_role(tx, MINISTRY, "revoking a certificate", RULE)
        if not reason or not reason.strip():
            raise InvalidInput("reason", "a revocation needs a reason", rule=RULE)
        row = self._by_number(tx, number)
        if row.status != ISSUED:
            raise Conflict(f"certificate {number} is already {row.status}", rule=RULE)
        self._end(tx, row, REVOKED, reason.strip())
        tx.audit("rail.certificate.revoke", "rail_certificate", number, client_id=row.client_id)
        return self._views(tx, [self._by_number(tx, number)])[0]

    @query
    def get(self, tx: Tx, number: str) -> Certificate:
        tx.actor.require("rail.read")
        row = self._by_number(tx, number)
        client(tx, self._code(tx, row.client_id))  # may the actor read its client?
        return self._views(tx, [row])[0]

    @query
    def show(self, tx: Tx, code: str) -> CertificateFile:
        record = client(tx, code)
        rows = tx.conn.execute(
            select(certificates)
            .where(certificates.c.client_id == record.id)
            .order_by(certificates.c.id.desc())
        ).all()
        views = self._views(tx, rows)
        applications = tx.crm.workflows.list(
            tx, client_code=code, workflow=NAME, include_closed=True
        )
        return CertificateFile(
            client_code=record.code,
            client_name=record.name,
            in_force=next((c.number for c in views if c.status == "in_force"), None),
            certificates=tuple(views),
            applications=tuple(applications),
        )

    @query
    def list(self, tx: Tx, *, status: str | None = None) -> list[Certificate]:
        """Every certificate the actor may see, newest first; ``status`` filters the view's
        status (in_force, expired, revoked, superseded)."""
        tx.actor.require("rail.read")
        rows = tx.conn.execute(select(certificates).order_by(certificates.c.id.desc())).all()
        views = self._views(tx, rows)
        return [v for v in views if status is None or v.status == status]

    def in_force_on(self, tx: Tx, client_id: int, day: date) -> str | None:
        """The number of the client's certificate in force on ``day``, if any."""
        c = certificates.c
        return tx.conn.scalar(
            select(c.number)
            .where(
                c.client_id == client_id,
                c.valid_from <= day,
                c.valid_until >= day,
                or_(c.ended_at.is_(None), c.ended_at > end_of_day(day)),
            )
            .order_by(c.id.desc())
            .limit(1)
        )

    # -- issuing (on entering ``certified``) -----------------------------------------------

    def issue(self, ctx: StepContext) -> None:
        """Issue the certificate in the approving transaction. The client's previous one
        ends: superseded if still in force (a renewal), expired if it had run out."""
        tx = ctx.tx
        record = tx.crm.clients.get(tx, ctx.instance.client_code)
        renews = ctx.data.get("renews")
        today = china_date(tx.now)
        previous = tx.conn.execute(
            select(certificates).where(
                certificates.c.client_id == record.id, certificates.c.status == ISSUED
            )
        ).first()
        if previous is not None and previous.valid_until >= today and previous.number != renews:
            raise Conflict(
                f"client {record.code} already holds certificate {previous.number}", rule=RULE
            )
        terms = ctx.policy(RULE)
        number = self._next_number(tx, terms.number_prefix, today.year)
        if previous is not None:
            if previous.valid_until >= today:
                self._end(tx, previous, SUPERSEDED, f"renewed by {number}")
            else:
                self._end(tx, previous, EXPIRED, f"followed by {number}")
        check = QualificationService(tx.crm).check(tx, record.code)
        tx.conn.execute(
            certificates.insert().values(
                number=number,
                client_id=record.id,
                qualification_id=check.facts_id,
                workflow_instance_id=ctx.instance.id,
                renews_id=self._by_number(tx, renews).id if renews else None,
                issued_at=tx.now,
                valid_from=today,
                valid_until=_years_later(today, terms.validity_years) - timedelta(days=1),
                status=ISSUED,
            )
        )
        tx.audit(
            "rail.certificate.issue",
            "rail_certificate",
            number,
            client_id=record.id,
            detail={"renews": renews, "validity_years": terms.validity_years},
        )

    # -- internals ----------------------------------------------------------------------------

    def _applicant(self, tx: Tx, code: str) -> tuple[Client, QualificationCheck]:
        tx.actor.require("rail.write")
        record = client(tx, code)
        check = QualificationService(tx.crm).check(tx, code)
        if not check.qualified:
            raise Conflict(
                f"client {code} does not meet RAIL-QUAL-1: {check.summary()}", rule="RAIL-QUAL-1"
            )
        open_ = tx.crm.workflows.list(tx, client_code=code, workflow=NAME)
        if open_:
            raise Conflict(
                f"client {code} has an open application (workflow {open_[0].id}, "
                f"{open_[0].state_label})",
                rule=RULE,
            )
        return record, check

    def _start(
        self,
        tx: Tx,
        record: Client,
        check: QualificationCheck,
        renews: str | None,
        comment: str | None,
    ) -> Instance:
        data: dict[str, Any] = {"qualification_id": check.facts_id}
        if renews:
            data["renews"] = renews
        return tx.crm.workflows.start(
            tx,
            NAME,
            record.code,
            entity_type="rail_qualification",
            entity_id=check.facts_id,
            data=data,
            comment=comment,
        )

    def _open_for(self, tx: Tx, code: str) -> Instance:
        client(tx, code)
        open_ = tx.crm.workflows.list(tx, client_code=code, workflow=NAME)
        if not open_:
            raise NotFound(f"certificate: client {code} has no open application", rule=RULE)
        return open_[0]

    def _by_number(self, tx: Tx, number: str) -> Row[Any]:
        row = tx.conn.execute(
            select(certificates).where(certificates.c.number == number.strip().upper())
        ).first()
        if row is None:
            raise NotFound(f"certificate: unknown certificate {number!r}", rule=RULE)
        return row

    def _in_force(self, tx: Tx, client_id: int) -> Row[Any] | None:
        c = certificates.c
        return tx.conn.execute(
            select(certificates).where(
                c.client_id == client_id,
                c.status == ISSUED,
                c.valid_until >= china_date(tx.now),
            )
        ).first()

    def _end(self, tx: Tx, row: Row[Any], status: str, reason: str) -> None:
        done = tx.conn.execute(
            update(certificates)
            .where(certificates.c.id == row.id, certificates.c.status == ISSUED)
            .values(status=status, ended_at=tx.now, ended_by=tx.actor.user_id, end_reason=reason)
        ).rowcount
        if done != 1:
            raise Conflict(f"certificate {row.number} changed meanwhile; look again", rule=RULE)

    def _next_number(self, tx: Tx, prefix: str, year: int) -> str:
        stem = f"{prefix}-{year}-"
        taken = tx.conn.scalars(
            select(certificates.c.number).where(certificates.c.number.startswith(stem))
        )
        serials = [int(m[1]) for n in taken if (m := re.fullmatch(re.escape(stem) + r"(\d+)", n))]
        return f"{stem}{max(serials, default=0) + 1:05d}"

    def _code(self, tx: Tx, client_id: int) -> str:
        return tx.conn.scalar(select(clients_table.c.code).where(clients_table.c.id == client_id))

    def _views(self, tx: Tx, rows: list[Row[Any]]) -> list[Certificate]:
        today = china_date(tx.now)
        clients = visible_clients(tx, [r.client_id for r in rows])
        numbers = {
            r.id: r.number
            for r in tx.conn.execute(
                select(certificates.c.id, certificates.c.number).where(
                    certificates.c.id.in_([r.renews_id for r in rows if r.renews_id])
                )
            )
        }
        facts = {
            r.id: r
            for r in tx.conn.execute(
                select(qualifications).where(
                    qualifications.c.id.in_([r.qualification_id for r in rows])
                )
            )
        }
        stations = stations_by_id(tx, [f.station_id for f in facts.values()])
        who = logins(tx, [r.ended_by for r in rows])
        views = []
        for r in rows:
            if r.client_id not in clients:
                continue
            status = r.status
            if status == ISSUED:
                status = "in_force" if r.valid_until >= today else "expired"
            f = facts[r.qualification_id]
            views.append(
                Certificate(
                    number=r.number,
                    client_code=clients[r.client_id].code,
                    client_name=clients[r.client_id].name,
                    status=status,
                    valid_from=r.valid_from,
                    valid_until=r.valid_until,
                    issued_at=r.issued_at,
                    party=f.party,
                    station=stations[f.station_id].code,
                    renews=numbers.get(r.renews_id),
                    application=r.workflow_instance_id,
                    ended_at=r.ended_at,
                    ended_by=who.get(r.ended_by) if r.ended_by else None,
                    end_reason=r.end_reason,
                )
            )
        return views


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)
