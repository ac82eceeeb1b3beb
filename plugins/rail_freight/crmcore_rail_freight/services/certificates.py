"""RAIL-QUAL-2: apply for, renew and revoke the key-account certificate (铁路大客户证书).

The approval itself is the ``rail.certificate`` workflow (see ``workflows.py``); this module
starts it, moves it for the people who approve, and issues the certificate when it reaches
``certified``. A client holds at most one certificate in force: a renewal supersedes the old
one on the day the new one is issued; a revocation ends it. Nothing is deleted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from attrs import frozen
from sqlalchemy import select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from crmcore import (
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
from crmcore.security.access import present

from .. import archive
from ..domain.qualification import QualificationCheck
from ..tables import certificates, qualifications
from ..workflows import NAME, RULE
from .common import (
    MINISTRY,
    ClientRow,
    client,
    client_by_id,
    clients_by_id,
    logins,
    readable_ids,
    require_may_act,
    stations_by_id,
)
from .qualification import QualificationService

ISSUED, REVOKED, SUPERSEDED, EXPIRED = "issued", "revoked", "superseded", "expired"
ENTITY = "rail.certificate"
#: How often issuing takes the next number when another transaction took it meanwhile
#: (PostgreSQL runs approvals concurrently; SQLite one writer at a time). DESIGN.md: a
#: bounded retry, then a Conflict the user can act on.
NUMBER_ATTEMPTS = 5


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
    document: int | None  # the copy filed in the client's archive (crm archive show)
    masked: tuple[str, ...] = ()


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
        record, check = self._applicant(tx, client_by_id(tx, row.client_id).code)
        if row.status != ISSUED:
            raise Conflict(f"certificate {number} is {row.status}; it cannot be renewed", rule=RULE)
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
        """The ministry withdraws a certificate in force, with a reason; it stays on record.

        Who may is the core's decision (``access.may_act``): the ministry's role *and* the
        client readable by the person's units, relationships, grants and clearance.
        """
        row = self._by_number(tx, number)
        record = client_by_id(tx, row.client_id)
        require_may_act(tx, MINISTRY, record, "revoking a certificate", RULE)
        if not reason or not reason.strip():
            raise InvalidInput("reason", "a revocation needs a reason", rule=RULE)
        if row.status != ISSUED:
            raise Conflict(f"certificate {number} is already {row.status}", rule=RULE)
        self._end(tx, row, REVOKED, reason.strip())
        tx.audit("rail.certificate.revoke", "rail_certificate", number, client_id=row.client_id)
        return self._views(tx, [self._by_number(tx, number)], {record.id: record}, None)[0]

    @query
    def get(self, tx: Tx, number: str) -> Certificate:
        row = self._by_number(tx, number)
        record = client_by_id(tx, row.client_id, action="rail.cert.show")
        return self._views(tx, [row], {record.id: record}, "rail.cert.show")[0]

    @query
    def show(self, tx: Tx, code: str) -> CertificateFile:
        record = client(tx, code, action="rail.cert.show")
        rows = tx.conn.execute(
            select(certificates)
            .where(certificates.c.client_id == record.id)
            .order_by(certificates.c.id.desc())
        ).all()
        views = self._views(tx, rows, {record.id: record}, "rail.cert.show")
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
        """Every certificate of the clients the actor may read, newest first; ``status``
        filters the view's status (in_force, expired, revoked, superseded)."""
        c = certificates.c
        rows = tx.conn.execute(
            select(certificates).where(c.client_id.in_(readable_ids(tx))).order_by(c.id.desc())
        ).all()
        views = self._views(
            tx, rows, clients_by_id(tx, [r.client_id for r in rows]), "rail.cert.list"
        )
        return [v for v in views if status is None or v.status == status]

    def in_force_on(self, tx: Tx, client_id: int, day: date) -> str | None:
        """The number of the client's certificate in force on ``day``, if any."""
        return self.in_force_of(tx, {client_id: day})[client_id]

    def in_force_of(self, tx: Tx, days: Mapping[int, date]) -> dict[int, str | None]:
        """:meth:`in_force_on` for many clients (client id -> day) in one query."""
        c = certificates.c
        rows = tx.conn.execute(
            select(c.client_id, c.number, c.valid_from, c.valid_until, c.ended_at)
            .where(c.client_id.in_(sorted(days)))
            .order_by(c.id.desc())
        )
        found: dict[int, str | None] = dict.fromkeys(days)
        for r in rows:
            day = days[r.client_id]
            if (
                found[r.client_id] is None
                and r.valid_from <= day <= r.valid_until
                and (r.ended_at is None or r.ended_at > end_of_day(day))
            ):
                found[r.client_id] = r.number
        return found

    # -- issuing (on entering ``certified``) -----------------------------------------------

    def issue(self, ctx: StepContext) -> None:
        """Issue the certificate in the approving transaction and file it in the client's
        archive. The client's previous one ends: superseded if still in force (a renewal),
        expired if it had run out."""
        tx = ctx.tx
        record = client(tx, ctx.instance.client_code)
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
        if previous is not None:
            ending = SUPERSEDED if previous.valid_until >= today else EXPIRED
            self._end(tx, previous, ending, "renewed" if ending == SUPERSEDED else "followed")
        check = QualificationService(tx.crm).assess(tx, record)
        valid_until = _years_later(today, terms.validity_years) - timedelta(days=1)
        number = self._insert_numbered(
            tx,
            record,
            terms.number_prefix,
            today.year,
            qualification_id=check.facts_id,
            workflow_instance_id=ctx.instance.id,
            renews_id=previous.id if previous is not None and renews else None,
            issued_at=tx.now,
            valid_from=today,
            valid_until=valid_until,
            status=ISSUED,
        )
        if previous is not None:
            tx.conn.execute(
                update(certificates)
                .where(certificates.c.id == previous.id)
                .values(end_reason=f"{'renewed by' if renews else 'followed by'} {number}")
            )
        document = archive.file(
            tx,
            record.code,
            archive.CERTIFICATES,
            title=f"铁路大客户证书 {number}",
            filename=f"{number}.txt",
            lines=_certificate_lines(number, record, check, today, valid_until, renews, tx),
            dated=today,
            on=(certificates, certificates.c.number == number),
        )
        tx.audit(
            "rail.certificate.issue",
            "rail_certificate",
            number,
            client_id=record.id,
            detail={
                "renews": renews,
                "validity_years": terms.validity_years,
                "document": document,
            },
        )

    def _insert_numbered(
        self, tx: Tx, record: ClientRow, prefix: str, year: int, **values: Any
    ) -> str:
        """Insert the certificate under the next free number.

        On PostgreSQL two approvals can read the same highest serial at once; the second
        insert then meets the unique number (it waits for the first to commit). It takes the
        next number in a savepoint, up to NUMBER_ATTEMPTS times. If what it met is a
        certificate issued to the same client meanwhile, it stops with a Conflict.
        """
        for _ in range(NUMBER_ATTEMPTS):
            number = self._next_number(tx, prefix, year)
            try:
                with tx.conn.begin_nested():
                    tx.conn.execute(
                        certificates.insert().values(number=number, client_id=record.id, **values)
                    )
                return number
            except IntegrityError:
                held = self._in_force(tx, record.id)
                if held is not None:
                    raise Conflict(
                        f"client {record.code} was issued certificate {held.number} meanwhile",
                        rule=RULE,
                    ) from None
        raise Conflict(
            f"certificate numbers {prefix}-{year}-... were taken by other approvals "
            f"{NUMBER_ATTEMPTS} times in a row; approve again",
            rule=RULE,
        )

    # -- internals ----------------------------------------------------------------------------

    def _applicant(self, tx: Tx, code: str) -> tuple[ClientRow, QualificationCheck]:
        tx.actor.require("rail.write")
        record = client(tx, code)
        check = QualificationService(tx.crm).assess(tx, record)
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
        record: ClientRow,
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

    def _views(
        self,
        tx: Tx,
        rows: list[Row[Any]],
        clients: dict[int, ClientRow],
        action: str | None,
    ) -> list[Certificate]:
        """Certificates as the actor may see them; ``rows`` are of readable ``clients``."""
        today = china_date(tx.now)
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
                    document=r.document_id,
                )
            )
        return [
            present(tx, v, ENTITY, action=action, client=clients[r.client_id], record_id=v.number)
            for r, v in zip(rows, views, strict=True)
        ]


def _certificate_lines(
    number: str,
    record: ClientRow,
    check: QualificationCheck,
    valid_from: date,
    valid_until: date,
    renews: str | None,
    tx: Tx,
) -> list[str]:
    """The certificate as filed in the archive (text)."""
    station = check.station
    return [
        "铁路大客户证书 / Railway key-account certificate (RAIL-QUAL-2)",
        f"证书编号 Number: {number}",
        f"客户 Client: {record.code} {record.name}",
        f"认定 As: {check.party.value} at {station.code} {station.name} ({station.bureau})",
        f"有效期 Valid: {valid_from} to {valid_until}",
        *([f"续期 Renews: {renews}"] if renews else []),
        f"签发 Issued: {china_date(tx.now)} by {tx.actor.login} (铁道部)",
    ]


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year
        return day.replace(year=day.year + years, day=28)
