"""Recurring obligations: the core's (CORE-LOG-3, CORE-ARC-3), the listing, "done" records.

See :mod:`crmcore.obligations` for how duties are declared. CORE-LOG-3 is checked against the
contact logs: an inquiry (a log marked ``inquiry``) is answered by the client's next dealing
that is not itself an inquiry; a class A client (see :mod:`crmcore.services.classes`) is
contacted in a quarter by a log on one of the policy's channels (visit or phone) that is not
the client's own inquiry. CORE-ARC-3 duties are done by recording them
(``crm report quarterly PERIOD --submit`` / ``--consolidate``, or ``crm obligations done``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from crmcore.app import Service, Tx, query, use_case
from crmcore.calendar import (
    Period,
    PeriodKind,
    china_date,
    end_of_day,
    start_of_day,
)
from crmcore.errors import (
    Conflict,
    CrmError,
    InvalidInput,
    NotFound,
    PermissionDenied,
    PluginError,
)
from crmcore.obligations import Duty, DutyContext, DutyStatus, Obligation, Registered
from crmcore.plugins import _describe
from crmcore.security import access
from crmcore.services import lookup
from crmcore.services.classes import scored_classes
from crmcore.store import tables as t

#: Who sends and consolidates the period reports (CORE-ARC-3) in an organisation without units.
REPORTING_SUBJECT = "company"
#: Who does it when the unit has no manager (or there are no units).
REPORTING_ROLE = "director"
#: The longest answer time the CORE-LOG-3 policy allows, to bound the look-back for inquiries.
LONGEST_ANSWER = timedelta(days=91)


@frozen(kw_only=True)
class DutyView:
    obligation: str
    title: str
    rule: str
    subject: str
    client_code: str | None
    assignee: str | None
    role: str | None
    period: str | None
    due_at: datetime
    done_at: datetime | None
    status: DutyStatus
    detail: str


@frozen(kw_only=True)
class ObligationSummary:
    obligation: str
    title: str
    done: int
    late: int
    open: int
    overdue: int
    on_time_rate: Decimal | None  # done / (done + late + overdue), percent


class ObligationService(Service):
    @query
    def duties(
        self,
        tx: Tx,
        start: date,
        end: date,
        *,
        obligation: str | None = None,
        status: DutyStatus | str | None = None,
    ) -> list[DutyView]:
        """Every duty due within [start, end], most overdue first."""
        tx.actor.require("report.read")
        return self.due_between(tx, start, end, obligation=obligation, status=status)

    def due_between(
        self,
        tx: Tx,
        start: date,
        end: date,
        *,
        obligation: str | None = None,
        status: DutyStatus | str | None = None,
    ) -> list[DutyView]:
        if end < start:
            raise InvalidInput("to", f"{end} is before {start}")
        wanted = DutyStatus(status) if status else None
        registry = self.crm.obligation_definitions
        if obligation is not None and obligation not in registry:
            raise NotFound(
                f"obligation: unknown obligation {obligation!r} (known: {', '.join(sorted(registry))})"
            )
        ctx = DutyContext(tx, start, end)
        views = []
        for key, reg in sorted(registry.items()):
            if obligation is not None and key != obligation:
                continue
            for duty in _run(reg, ctx):
                state = duty.status(tx.now)
                if wanted is None or state is wanted:
                    views.append(_view(reg.obligation, duty, state))
        views = _readable(tx, views)
        views.sort(key=lambda v: (v.status is not DutyStatus.OVERDUE, v.due_at, v.subject))
        return views

    @query
    def summary(self, tx: Tx, start: date, end: date) -> list[ObligationSummary]:
        """Per obligation: how many duties were done on time, late, are open or overdue."""
        tx.actor.require("report.read")
        counts: dict[str, dict[DutyStatus, int]] = {
            k: dict.fromkeys(DutyStatus, 0) for k in self.crm.obligation_definitions
        }
        for view in self.due_between(tx, start, end):
            counts[view.obligation][view.status] += 1
        result = []
        for key, c in sorted(counts.items()):
            decided = c[DutyStatus.DONE] + c[DutyStatus.LATE] + c[DutyStatus.OVERDUE]
            result.append(
                ObligationSummary(
                    obligation=key,
                    title=self.crm.obligation_definitions[key].obligation.title,
                    done=c[DutyStatus.DONE],
                    late=c[DutyStatus.LATE],
                    open=c[DutyStatus.OPEN],
                    overdue=c[DutyStatus.OVERDUE],
                    on_time_rate=(Decimal(100) * c[DutyStatus.DONE] / decided).quantize(
                        Decimal("0.1")
                    )
                    if decided
                    else None,
                )
            )
        return result

    @use_case
    def record_done(
        self,
        tx: Tx,
        obligation: str,
        period: str,
        *,
        unit: str | None = None,
        reference: Mapping[str, Any] | None = None,
    ) -> DutyView:
        """Record that a duty fulfilled by an act was done now (once per period and unit).

        ``unit`` is who did it, a unit code (:func:`reporting_units`): by default the one
        reporting unit the actor belongs to (a branch's report, head office's consolidation),
        or ``company`` in an organisation without units. Head office consolidates only once
        every reporting unit has sent its report.
        """
        reg = self.crm.obligation_definitions.get(obligation)
        if reg is None or not reg.obligation.done_by_record:
            known = sorted(
                k for k, r in self.crm.obligation_definitions.items() if r.obligation.done_by_record
            )
            raise NotFound(
                f"obligation: {obligation!r} is not done by recording (those are: {', '.join(known)})"
            )
        tx.actor.require("report.write")
        parsed = Period.parse(period)
        if obligation in (REPORT, CONSOLIDATION):
            unit = _reporting_unit(tx, obligation, unit)
        unit = unit or REPORTING_SUBJECT
        d = t.obligations_done.c
        if tx.conn.scalar(
            select(d.id).where(
                d.obligation == obligation, d.period == str(parsed), d.subject == unit
            )
        ):
            raise Conflict(
                f"obligation {obligation} for {parsed} ({unit}) is already recorded as done",
                rule=reg.obligation.rule,
            )
        if obligation == CONSOLIDATION:
            sent = set(
                tx.conn.scalars(
                    select(d.subject).where(d.obligation == REPORT, d.period == str(parsed))
                )
            )
            reporting = [u.code for u in reporting_units(tx)[0]]
            missing = [code for code in reporting if code not in sent]
            if not sent or missing:
                raise Conflict(
                    f"head office cannot consolidate {parsed} before every report for it was "
                    f"sent (missing: {', '.join(missing)})",
                    rule="CORE-ARC-3",
                )
        tx.conn.execute(
            t.obligations_done.insert().values(
                obligation=obligation,
                period=str(parsed),
                subject=unit,
                done_at=tx.now,
                done_by=tx.actor.user_id,
                reference=dict(reference or {}),
            )
        )
        tx.audit(
            "obligation.done",
            "obligation",
            obligation,
            detail={"period": str(parsed), "unit": unit},
        )
        window = self.due_between(tx, parsed.start, parsed.next().end, obligation=obligation)
        return next(v for v in window if v.period == str(parsed) and v.subject == unit)


@frozen
class ReportingUnit:
    code: str
    manager: str | None  # who sends or consolidates; None: the reporting role


def reporting_units(tx: Tx) -> tuple[list[ReportingUnit], list[ReportingUnit]]:
    """(who reports, who consolidates) for CORE-ARC-3: "each company's sales department sends
    the report; head office consolidates". Companies are the branches (分公司), or the head
    office when it has no branch; head offices consolidate, covering the clients of their own
    departments. Each duty goes to the unit's manager if they may record reports, else to
    the reporting role. Without units: the company."""
    u = t.org_units.c
    rows = tx.conn.execute(select(u.code, u.kind, u.manager_id).order_by(u.code)).all()
    logins = lookup.logins(tx.conn, {r.manager_id for r in rows if r.manager_id})
    # a manager who may not record reports (an account manager heading a sales office)
    # leaves the duty to the reporting role
    managers = {i: login for i, login in logins.items() if _may_report(tx, login)}

    def unit(r: Any) -> ReportingUnit:
        return ReportingUnit(r.code, managers.get(r.manager_id) if r.manager_id else None)

    company = ReportingUnit(REPORTING_SUBJECT, None)
    heads = [unit(r) for r in rows if r.kind == "head_office"]
    branches = [unit(r) for r in rows if r.kind == "branch"] or heads or [company]
    return branches, heads or [company]


def _may_report(tx: Tx, login: str) -> bool:
    try:
        return tx.crm.actor(login, tx=tx).can("report.write")
    except PermissionDenied:  # deactivated without a handover
        return False


def _reporting_unit(tx: Tx, obligation: str, given: str | None) -> str:
    """The unit a CORE-ARC-3 duty is recorded for: given, or the actor's own; in reach."""
    reporters, consolidators = reporting_units(tx)
    candidates = consolidators if obligation == CONSOLIDATION else reporters
    codes = [u.code for u in candidates]
    if codes == [REPORTING_SUBJECT]:
        return REPORTING_SUBJECT
    ids = {
        r.code: r.id
        for r in tx.conn.execute(select(t.org_units.c.code, t.org_units.c.id))
        if r.code in codes
    }
    everywhere = tx.actor.can(access.ALL_CLIENTS)
    mine = [code for code in codes if ids[code] in tx.actor.scope]
    if given is None:
        if len(mine) != 1:
            raise InvalidInput(
                "unit", f"say which unit: one of {', '.join(mine or codes)}", rule="CORE-ARC-3"
            )
        return mine[0]
    if given not in codes:
        what = "consolidates" if obligation == CONSOLIDATION else "reports"
        raise InvalidInput(
            "unit",
            f"{given!r} is not a unit that {what} (those are: {', '.join(codes)})",
            rule="CORE-ARC-3",
        )
    if not everywhere and ids[given] not in tx.actor.scope:
        raise PermissionDenied(
            f"unit: {tx.actor.login} does not work at {given} or above it", rule="CORE-ARC-3"
        )
    return given


def _readable(tx: Tx, views: list[DutyView]) -> list[DutyView]:
    """Only duties about clients the actor may read (CORE-CONF-2), and those about none."""
    codes = {v.client_code for v in views if v.client_code}
    if not codes:
        return views
    readable: set[str] = set()
    if tx.actor.can("client.read"):
        c = t.clients.c
        readable = set(
            tx.conn.scalars(select(c.code).where(c.code.in_(codes), access.readable_clients(tx)))
        )
    return [v for v in views if v.client_code is None or v.client_code in readable]


def _run(reg: Registered, ctx: DutyContext) -> Iterator[Duty]:
    try:
        yield from reg.obligation.duties(ctx)
    except CrmError:
        raise
    except Exception as exc:
        raise PluginError(
            reg.owner, f"obligation {reg.obligation.key} failed: {_describe(exc)}"
        ) from exc


def _view(obligation: Obligation, duty: Duty, status: DutyStatus) -> DutyView:
    return DutyView(
        obligation=obligation.key,
        title=obligation.title,
        rule=obligation.rule,
        subject=duty.subject,
        client_code=duty.client_code,
        assignee=duty.assignee,
        role=duty.role,
        period=duty.period,
        due_at=duty.due_at,
        done_at=duty.done_at,
        status=status,
        detail=duty.detail,
    )


# -- the core's obligations ----------------------------------------------------------------------

ANSWER = "CORE-LOG-3.answer"
CONTACT = "CORE-LOG-3.class_a"
REPORT = "CORE-ARC-3.report"
CONSOLIDATION = "CORE-ARC-3.consolidation"


def answer_inquiries(ctx: DutyContext) -> Iterable[Duty]:
    """CORE-LOG-3: every inquiry answered within the policy's hours (24)."""
    tx = ctx.tx
    logs, reply = t.contact_logs, aliased(t.contact_logs)
    answered = (
        select(func.min(reply.c.occurred_at))
        .where(
            reply.c.client_id == logs.c.client_id,
            reply.c.inquiry.is_(False),
            reply.c.occurred_at >= logs.c.occurred_at,
        )
        .scalar_subquery()
    )
    rows = tx.conn.execute(
        select(
            logs.c.id,
            logs.c.occurred_at,
            logs.c.channel,
            logs.c.summary,
            t.clients.c.code,
            t.clients.c.owner_id,
            answered.label("answered_at"),
        )
        .join(t.clients, t.clients.c.id == logs.c.client_id)
        .where(
            logs.c.inquiry.is_(True),
            logs.c.occurred_at >= start_of_day(ctx.start) - LONGEST_ANSWER,
            logs.c.occurred_at <= end_of_day(ctx.end),
        )
        .order_by(logs.c.occurred_at)
    ).all()
    policy = tx.crm.policies.resolver(tx, "CORE-LOG-3")
    owners = lookup.logins(tx.conn, {r.owner_id for r in rows if r.owner_id})
    summaries = access.field_readable(tx, "contact_log", "summary")  # a field rule may hide it
    for r in rows:
        due_at = r.occurred_at + timedelta(hours=policy(r.occurred_at).answer_within_hours)
        if not ctx.start <= china_date(due_at) <= ctx.end:
            continue
        yield Duty(
            obligation=ANSWER,
            subject=f"inquiry log {r.id}",
            client_code=r.code,
            assignee=owners.get(r.owner_id),
            due_at=due_at,
            done_at=r.answered_at,
            detail=f"{r.channel}: {r.summary[:60]}" if summaries else f"{r.channel} (log {r.id})",
        )


def contact_class_a(ctx: DutyContext) -> Iterable[Duty]:
    """CORE-LOG-3: each class A client visited or called at least once a quarter."""
    tx = ctx.tx
    policy = tx.crm.policies.resolver(tx, "CORE-LOG-3")
    classes = scored_classes(tx)
    class_a = [client_id for client_id, cls in classes.items() if cls == "A"]
    if not class_a:
        return
    clients = {
        r.id: r
        for r in tx.conn.execute(
            select(t.clients.c.id, t.clients.c.code, t.clients.c.owner_id).where(
                t.clients.c.id.in_(class_a)
            )
        )
    }
    owners = lookup.logins(tx.conn, {r.owner_id for r in clients.values() if r.owner_id})
    for quarter in _periods_ending(ctx.start, ctx.end, PeriodKind.QUARTER):
        rule = policy(start_of_day(quarter.start))
        log = t.contact_logs.c
        contacts: dict[int, list[datetime]] = {}
        for r in tx.conn.execute(
            select(log.client_id, log.occurred_at)
            .where(
                log.client_id.in_(class_a),
                log.inquiry.is_(False),
                log.channel.in_(rule.class_a_channels),
                log.occurred_at >= start_of_day(quarter.start),
                log.occurred_at <= end_of_day(quarter.end),
            )
            .order_by(log.occurred_at)
        ):
            contacts.setdefault(r.client_id, []).append(r.occurred_at)
        need = rule.class_a_contacts_per_quarter
        for client_id in sorted(class_a, key=lambda i: clients[i].code):
            made = contacts.get(client_id, [])
            yield Duty(
                obligation=CONTACT,
                subject=f"{clients[client_id].code} {quarter}",
                client_code=clients[client_id].code,
                assignee=owners.get(clients[client_id].owner_id),
                period=str(quarter),
                due_at=end_of_day(quarter.end),
                done_at=made[need - 1] if len(made) >= need else None,
                detail=f"{len(made)} of {need} visit/call(s) this quarter",
            )


def _reporting(key: str, day_field: str) -> Any:
    def duties(ctx: DutyContext) -> Iterable[Duty]:
        """CORE-ARC-3: a report per period, due on a day of the month after it."""
        tx = ctx.tx
        policy = tx.crm.policies.resolver(tx, "CORE-ARC-3")
        d = t.obligations_done.c
        done = {
            (r.period, r.subject): r.done_at
            for r in tx.conn.execute(
                select(d.period, d.subject, d.done_at).where(d.obligation == key)
            )
        }
        reporters, consolidators = reporting_units(tx)
        subjects = consolidators if key == CONSOLIDATION else reporters
        # A period's report falls due in the month after it: start from a quarter earlier.
        month = Period.containing(ctx.start - timedelta(days=93), PeriodKind.MONTH)
        while month.start <= ctx.end:
            rule = policy(start_of_day(month.start))
            kind = PeriodKind(rule.period)
            if kind is PeriodKind.MONTH or month.start.month % 3 == 1:
                period = Period(month.start, kind)
                due = period.day_after(getattr(rule, day_field))
                if ctx.start <= due <= ctx.end:
                    for unit in subjects:
                        yield Duty(
                            obligation=key,
                            subject=unit.code,
                            assignee=unit.manager,
                            role=None if unit.manager else REPORTING_ROLE,
                            period=str(period),
                            due_at=end_of_day(due),
                            done_at=done.get((str(period), unit.code)),
                            detail=f"client credit report and sales analysis for {period}",
                        )
            month = month.next()

    return duties


def _periods_ending(start: date, end: date, kind: PeriodKind) -> Iterator[Period]:
    period = Period.containing(start, kind)
    while period.start <= end:
        if start <= period.end <= end:
            yield period
        period = period.next()


#: Registered before any plugin's.
CORE_OBLIGATIONS = (
    Obligation(
        ANSWER, "Answer client inquiries in time", answer_inquiries, "客户来函来电24小时内答复"
    ),
    Obligation(
        CONTACT,
        "Visit or call each class A client every quarter",
        contact_class_a,
        "A类客户每季度至少拜访或电话一次",
    ),
    Obligation(
        REPORT,
        "Send the credit report and sales analysis",
        _reporting(REPORT, "report_day"),
        "报送客户信用报告和销售分析",
        done_by_record=True,
    ),
    Obligation(
        CONSOLIDATION,
        "Head office consolidates the reports",
        _reporting(CONSOLIDATION, "consolidation_day"),
        "总部汇总",
        done_by_record=True,
    ),
)
