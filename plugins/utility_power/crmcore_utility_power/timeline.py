"""An application's timeline (时间线): the workflow's events with what each step recorded, and
the records that are not steps (extensions, inspections during works, the contract)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from crmcore import Instance, Tx, WorkflowEvent
from crmcore.cli.render import MASKED
from crmcore.security import access
from crmcore.store import metadata
from crmcore_utility_power import connection as wf
from crmcore_utility_power import sensitive
from crmcore_utility_power import tables as t
from crmcore_utility_power.views import TimelineEntry

_users = metadata.tables["users"]

WHAT = {
    "start": "申请登记 (application registered)",
    "review": "初审受理 (accepted)",
    "survey": "现场勘查 (site survey)",
    "hand_over": "传递市场营销部 (handed over)",
    "plan": "供电方案 (plan drafted)",
    "sign": "会签 (countersigned)",
    "reject": "会签退回 (sent back)",
    "notify": "答复客户 (client notified)",
    "start_works": "受电工程开工 (works started)",
    "complete": "竣工报告 (completion report)",
    "accept": "竣工验收 (acceptance inspection)",
    "energise": "装表送电 (energised)",
    "meter": "工作票回传, 建帐立卡 (ticket returned, account opened)",
    "withdraw": "撤回 (withdrawn)",
    "pause": "暂停 (paused: the client holds the ball)",
    "resume": "恢复 (resumed)",
}


def entries(
    tx: Tx, app: Any, instance: Instance, events: Sequence[WorkflowEvent]
) -> list[TimelineEntry]:
    conn = tx.conn
    found: list[tuple[Any, float, TimelineEntry]] = []
    for event in events:
        detail = _step_detail(tx, app, event) or ""
        if event.comment and event.action not in {"plan", "accept"}:
            detail = f"{detail}; {event.comment}" if detail else event.comment
        rule = wf.ACTION_RULES.get(event.action)
        if event.action == "start":
            rule = "PWR-APP-1"
        found.append(
            (
                event.at,
                event.seq,
                TimelineEntry(
                    at=event.at,
                    actor=event.actor,
                    what=WHAT.get(event.action, event.action),
                    detail=detail,
                    rule=rule,
                ),
            )
        )
    notices = select(t.notices.c.id).where(t.notices.c.application_id == app.id)
    extensions = conn.execute(
        _with_login(t.extensions).where(t.extensions.c.notice_id.in_(notices))
    )
    for r in extensions:
        detail = f"{r.valid_until_before} → {r.valid_until} (+{r.months} months): {r.reason}"
        found.append(_record(r, "方案延期 (validity extended)", detail, "PWR-PLAN-1"))
    inspections = conn.execute(
        _with_login(t.inspections).where(
            t.inspections.c.application_id == app.id, t.inspections.c.kind == "works"
        )
    )
    for r in inspections:
        what = f"中间检查 {r.seq} (inspection during works)"
        found.append(_record(r, what, _inspection(r), "PWR-WORK-1"))
    for r in conn.execute(_with_login(t.contracts).where(t.contracts.c.application_id == app.id)):
        contract = _shown(tx, app, sensitive.CONTRACT, {"number": r.number}, r.id)
        detail = f"{contract['number'] or MASKED} signed {r.signed_on}"
        found.append(_record(r, "供用电合同 (supply contract)", detail, "PWR-ACC-2"))
    found.sort(key=lambda item: (item[0], item[1]))
    return [entry for _, _, entry in found]


def _shown(
    tx: Tx, app: Any, entity: str, values: dict[str, Any], record_id: object
) -> dict[str, Any]:
    """``values`` of a record of ``app`` as the actor may see them, the look-up recorded."""
    return access.present(
        tx,
        values,
        entity,
        action="power.timeline",
        client_id=app.client_id,
        clearance=access.client_by_id(tx, app.client_id).clearance,
        record_id=record_id,
    )


def _record(row: Any, what: str, detail: str, rule: str) -> tuple[Any, float, TimelineEntry]:
    """A record that is not a step, placed just after the step it was recorded at."""
    entry = TimelineEntry(at=row.recorded_at, actor=row.login, what=what, detail=detail, rule=rule)
    return row.recorded_at, row.instance_version + 0.5, entry


def _with_login(table: Any) -> Any:
    return select(table, _users.c.login).join(_users, _users.c.id == table.c.recorded_by)


def _at_step(tx: Tx, table: Any, app: Any, event: WorkflowEvent) -> Any:
    """The record a step was taken with: the newest recorded before the step's event (at the
    version before it, or before an automatic resume that preceded it)."""
    c = table.c
    stmt = select(table).where(c.application_id == app.id, c.instance_version < event.seq)
    if table is t.inspections:
        stmt = stmt.where(c.kind == "acceptance")
    return tx.conn.execute(stmt.order_by(c.instance_version.desc()).limit(1)).first()


def _step_detail(tx: Tx, app: Any, event: WorkflowEvent) -> str | None:
    action = event.action
    if action == "start":
        return (
            f"{app.kind} {app.voltage} {app.capacity_kva} kVA, {app.sources} source(s), "
            f"applied {app.applied_on}"
        )
    if action == "review":
        return f"accepted (受理日) {app.accepted_on}"
    if action == "survey":
        row = _at_step(tx, t.surveys, app, event)
        return row and f"{row.surveyed_on} by {', '.join(row.participants)}: {row.findings}"
    if action == "plan":
        row = _at_step(tx, t.plans, app, event)
        if row is None:
            return None
        fees = _shown(tx, app, sensitive.QUOTE, {"total": row.total}, row.quote_number)
        total = MASKED if fees["total"] is None else f"{fees['total']} CNY"
        return (
            f"revision {row.revision} ({row.quote_number}): {row.voltage} {row.capacity_kva} kVA "
            f"from {'; '.join(row.sources)}; fees {total}"
        )
    if action == "notify":
        row = tx.conn.execute(select(t.notices).where(t.notices.c.application_id == app.id)).first()
        return row and f"notified {row.notified_on}, valid until {row.valid_until}"
    if action == "start_works":
        row = _at_step(tx, t.works, app, event)
        return row and (
            f"started {row.started_on}; design {row.designer}, construction {row.builder} "
            f"({row.qualification})"
        )
    if action == "complete":
        row = _at_step(tx, t.completions, app, event)
        return row and f"filed {row.filed_on} with {len(row.documents)} of 6 documents"
    if action == "accept":
        row = _at_step(tx, t.inspections, app, event)
        return row and f"inspection {row.seq}: {_inspection(row)}"
    if action == "energise":
        row = tx.conn.execute(
            select(t.meter_tickets).where(t.meter_tickets.c.application_id == app.id)
        ).first()
        return row and f"meter work ticket {row.number} issued {row.issued_on}"
    if action == "meter":
        account = tx.conn.execute(
            select(t.accounts).where(t.accounts.c.application_id == app.id)
        ).first()
        return account and f"account {account.number} opened {account.opened_on}"
    return None


def _inspection(row: Any) -> str:
    if row.passed is True:
        verdict = "验收合格, 可以供电 (passed)"
    elif row.passed is False:
        verdict = "不合格 (failed)"
    else:
        verdict = row.findings or ""
    parts = [f"{row.inspected_on} {verdict}"]
    if row.passed is not None and row.findings:
        parts.append(row.findings)
    if row.rectifications:
        parts.append("整改: " + "; ".join(row.rectifications))
    if row.fee:
        parts.append(f"复验费 {row.fee} CNY")
    return ", ".join(parts)
