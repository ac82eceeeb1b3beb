"""The connection workflow (业扩报装流程) on crmcore's workflow engine, with its clocks.

    applied --review--> survey --survey--> handover --hand_over--> planning --plan-->
    countersign (会签: marketing, production planning, dispatch, safety) --> approved
    --notify--> notified --start_works--> works --complete--> acceptance --accept-->
    passed | rectifying (--accept--> again) ; passed --energise--> metering --meter--> connected

Who acts (from the source, 《电力大客户用电管理制度》 第二节): the supply office's connection
clerk (供电所业扩员) reviews, surveys and passes the application on; the customer-service
centre's connection specialist (客户服务中心业扩专责) drafts the plan, notifies the client,
follows the works and inspects for acceptance; the four departments countersign; the metering
office (计量所) returns the meter work ticket.

Clocks (PWR-APP-2, PWR-MTR-1): the reply runs from the acceptance date (受理日, which the clerk
records at review, possibly a day late) to the notice: 20 working days for a high-voltage
single source, 30 for dual sources, the PWR-APP-2 ``low_voltage_days`` for low voltage; the
handover 5 working days from the acceptance date to the marketing department; the meter work
ticket 5 calendar days from energising to its return (rules-audit A13: 「5日内」 is calendar
days). Day 0 is the acceptance date and the deadline is day N inclusive (rules-audit A13).

Each step that records something (a survey, a plan revision, the works, the completion
report, an acceptance inspection, the ticket's return) is taken by the ``crm power`` command
that records it; the guards refuse the bare step (``crm workflow advance``) without its record,
and every rule (documents, validity, checklist, contract) holds at both doors.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from crmcore import (
    AllOf,
    Clock,
    Conflict,
    DayUnit,
    InvalidInput,
    State,
    StepContext,
    Transition,
    Workflow,
)
from crmcore_utility_power import tables as t
from crmcore_utility_power.domain import VoltageLevel, missing_completion_documents

NAME = "power.connection"
ENTITY = "power_application"

OFFICE = "power_office"  # 供电所业扩员
SPECIALIST = "power_specialist"  # 客户服务中心业扩专责
COUNTERSIGNERS = (
    "power_marketing",  # 市场营销部
    "power_planning",  # 生产计划部
    "power_dispatch",  # 调度运行中心
    "power_safety",  # 安全监察部
)
METERING = "power_metering"  # 计量所

ROLES = {
    OFFICE: "供电所业扩员",
    SPECIALIST: "客户服务中心业扩专责",
    "power_marketing": "市场营销部",
    "power_planning": "生产计划部",
    "power_dispatch": "调度运行中心",
    "power_safety": "安全监察部",
    METERING: "计量所",
}

#: The rule each step of the workflow serves: cited when a step is asked for out of order.
ACTION_RULES = {
    "review": "PWR-APP-1",
    "survey": "PWR-APP-1",
    "hand_over": "PWR-APP-2",
    "plan": "PWR-APP-1",
    "sign": "PWR-APP-1",
    "notify": "PWR-APP-2",
    "start_works": "PWR-PLAN-1",
    "complete": "PWR-ACC-1",
    "accept": "PWR-ACC-1",
    "energise": "PWR-ACC-2",
    "meter": "PWR-MTR-1",
}

COMMANDS = {
    "review": "crm power review",
    "survey": "crm power survey",
    "plan": "crm power plan",
    "start_works": "crm power works",
    "complete": "crm power complete",
    "accept": "crm power accept",
    "meter": "crm power meter",
}


# -- reading the application a step is about ---------------------------------------------------


def application(ctx: StepContext) -> Any:
    return ctx.tx.conn.execute(
        select(t.applications).where(t.applications.c.id == int(ctx.instance.entity_id or 0))
    ).one()


def _recorded(ctx: StepContext, table: Any, action: str) -> Any:
    """The record this step was taken with, or a veto naming the command that records it."""
    c = table.c
    row = ctx.tx.conn.execute(
        select(table).where(
            c.application_id == int(ctx.instance.entity_id or 0),
            c.instance_version == ctx.instance.version,
        )
    ).first()
    if row is None:
        raise Conflict(
            f"{action}: nothing recorded for this step; take it with `{COMMANDS[action]}`, "
            "which records it",
            rule=ACTION_RULES[action],
        )
    return row


# -- guards: a rule broken raises, naming the rule ----------------------------------------------


def documents_complete(ctx: StepContext) -> None:
    """PWR-APP-1: accepted (受理) only with every required document and an acceptance date."""
    app = application(ctx)
    required = ctx.policy("PWR-APP-1").required_documents
    have = set(
        ctx.tx.conn.scalars(
            select(t.documents.c.name).where(t.documents.c.application_id == app.id)
        )
    )
    missing = [d for d in required if d not in have]
    if missing:
        raise InvalidInput(
            "documents",
            f"application {app.number} cannot be accepted: missing {', '.join(missing)}",
            rule="PWR-APP-1",
        )
    if app.accepted_on is None:
        raise Conflict(
            f"review: no acceptance date recorded; take it with `{COMMANDS['review']}`",
            rule="PWR-APP-1",
        )


def survey_recorded(ctx: StepContext) -> None:
    _recorded(ctx, t.surveys, "survey")


def plan_recorded(ctx: StepContext) -> None:
    _recorded(ctx, t.plans, "plan")


def plan_valid_at_works_start(ctx: StepContext) -> None:
    """PWR-PLAN-1: an expired plan cannot go on to works."""
    works = _recorded(ctx, t.works, "start_works")
    app = application(ctx)
    until = valid_until(ctx.tx.conn, app.id)
    if until is not None and works.started_on > until:
        raise Conflict(
            f"application {app.number}: the supply plan expired on {until}; works starting "
            f"{works.started_on} need a new application (or an extension asked in time)",
            rule="PWR-PLAN-1",
        )


def checklist_complete(ctx: StepContext) -> None:
    """PWR-ACC-1: a high-voltage completion report comes with all six documents."""
    report = _recorded(ctx, t.completions, "complete")
    app = application(ctx)
    missing = missing_completion_documents(VoltageLevel(app.voltage), report.documents)
    if missing:
        raise InvalidInput(
            "documents",
            "the completion report lacks "
            + "; ".join(f"{d.value} ({d.label_zh})" for d in missing),
            rule="PWR-ACC-1",
        )


def acceptance_recorded(ctx: StepContext) -> None:
    _acceptance(ctx)


def acceptance_passed(ctx: StepContext) -> bool:
    return bool(_acceptance(ctx).passed)


def _acceptance(ctx: StepContext) -> Any:
    c = t.inspections.c
    row = ctx.tx.conn.execute(
        select(t.inspections).where(
            c.application_id == int(ctx.instance.entity_id or 0),
            c.kind == "acceptance",
            c.instance_version == ctx.instance.version,
        )
    ).first()
    if row is None:
        raise Conflict(
            f"accept: no inspection recorded for this step; take it with `{COMMANDS['accept']}`",
            rule="PWR-ACC-1",
        )
    return row


def contract_signed(ctx: StepContext) -> None:
    """PWR-ACC-2: no energising without a signed supply contract (供用电合同)."""
    app = application(ctx)
    signed = ctx.tx.conn.scalar(
        select(t.contracts.c.id).where(t.contracts.c.application_id == app.id)
    )
    if signed is None:
        raise Conflict(
            f"application {app.number}: energising refused: no signed supply contract "
            "(供用电合同) is recorded; record it first with `crm power contract`",
            rule="PWR-ACC-2",
        )


def ticket_returned(ctx: StepContext) -> None:
    c = t.ticket_returns.c
    returned = ctx.tx.conn.scalar(
        select(c.id)
        .join(t.meter_tickets, t.meter_tickets.c.id == c.ticket_id)
        .where(
            t.meter_tickets.c.application_id == int(ctx.instance.entity_id or 0),
            c.instance_version == ctx.instance.version,
        )
    )
    if returned is None:
        raise Conflict(
            f"meter: the ticket's return is not recorded; take it with `{COMMANDS['meter']}`",
            rule="PWR-MTR-1",
        )


# -- clocks -------------------------------------------------------------------------------------


def reply_days(ctx: StepContext) -> int:
    """PWR-APP-2: 20 (single) / 30 (dual source) for high voltage; the source sets none for
    low voltage, which takes the policy's ``low_voltage_days`` (RULES.md's 20)."""
    app = application(ctx)
    policy = ctx.policy("PWR-APP-2")
    if not VoltageLevel(app.voltage).high:
        return int(policy.low_voltage_days)
    return int(policy.dual_source_days if app.sources >= 2 else policy.single_source_days)


def accepted_on(ctx: StepContext) -> date | None:
    return application(ctx).accepted_on  # type: ignore[no-any-return]


def valid_until(conn: Any, application_id: int) -> date | None:
    """The last valid day of the notified plan after extensions; None before the notice."""
    return valid_until_of(conn, [application_id]).get(application_id)


def valid_until_of(conn: Any, application_ids: list[int]) -> dict[int, date]:
    """:func:`valid_until` for many applications in two queries (those notified only)."""
    n, e = t.notices.c, t.extensions.c
    notices = conn.execute(
        select(n.id, n.application_id, n.valid_until).where(n.application_id.in_(application_ids))
    ).all()
    latest: dict[int, tuple[int, date]] = {}
    for r in conn.execute(
        select(e.notice_id, e.seq, e.valid_until).where(e.notice_id.in_([x.id for x in notices]))
    ):
        if r.notice_id not in latest or r.seq > latest[r.notice_id][0]:
            latest[r.notice_id] = (r.seq, r.valid_until)
    return {x.application_id: latest[x.id][1] if x.id in latest else x.valid_until for x in notices}


def _on_notified(ctx: StepContext) -> None:
    from crmcore_utility_power.services import record_notice

    record_notice(ctx.tx, application(ctx))


def _on_metering(ctx: StepContext) -> None:
    from crmcore_utility_power.services import issue_ticket

    issue_ticket(ctx.tx, application(ctx), ctx.instance.version)


CONNECTION = Workflow(
    name=NAME,
    title="Connection (业扩报装)",
    title_zh="业扩报装",
    rule="PWR-APP-1",
    initial="applied",
    states=(
        State("applied", label="已申请, 待初审受理"),
        State("survey", label="已受理, 待现场勘查"),
        State("handover", label="已勘查, 待传递市场营销部"),
        State("planning", label="供电方案编制"),
        State("approved", label="方案已会签, 待答复客户"),
        State("notified", label="方案已答复, 待受电工程开工", on_enter=_on_notified),
        State("works", label="受电工程施工中"),
        State("acceptance", label="竣工报告已受理, 待验收"),
        State("rectifying", label="验收不合格, 整改后复验"),
        State("passed", label="验收合格, 可以供电"),
        State("metering", label="已装表送电, 待回传装表工作票", on_enter=_on_metering),
        State("connected", terminal=True, label="已建帐立卡"),
    ),
    transitions=(
        Transition("review", "applied", "survey", role=OFFICE, guards=(documents_complete,)),
        Transition("survey", "survey", "handover", role=OFFICE, guards=(survey_recorded,)),
        Transition("hand_over", "handover", "planning", role=OFFICE),
        Transition("plan", "planning", "countersign", role=SPECIALIST, guards=(plan_recorded,)),
        Transition("notify", "approved", "notified", role=SPECIALIST),
        Transition(
            "start_works", "notified", "works", role=SPECIALIST, guards=(plan_valid_at_works_start,)
        ),
        Transition("complete", "works", "acceptance", role=OFFICE, guards=(checklist_complete,)),
        Transition(
            "accept",
            ("acceptance", "rectifying"),
            "passed",
            role=SPECIALIST,
            guards=(acceptance_recorded,),
            when=acceptance_passed,
        ),
        Transition(
            "accept",
            ("acceptance", "rectifying"),
            "rectifying",
            role=SPECIALIST,
            guards=(acceptance_recorded,),
        ),
        Transition("energise", "passed", "metering", role=SPECIALIST, guards=(contract_signed,)),
        Transition("meter", "metering", "connected", role=METERING, guards=(ticket_returned,)),
    ),
    all_of=(
        AllOf(
            "countersign",
            roles=COUNTERSIGNERS,
            then="approved",
            on_reject="planning",
            label="供电方案内部会签",
        ),
    ),
    clocks=(
        Clock(
            "reply",
            start="survey",
            stop="notified",
            days=reply_days,
            since=accepted_on,
            rule="PWR-APP-2",
        ),
        Clock(
            "handover",
            start="survey",
            stop="planning",
            days="PWR-APP-2.handover_days",
            since=accepted_on,
            rule="PWR-APP-2",
        ),
        Clock(
            "meter_ticket",
            start="metering",
            stop="connected",
            days="PWR-MTR-1.return_days",
            unit=DayUnit.CALENDAR,
            rule="PWR-MTR-1",
        ),
    ),
    withdrawable=True,
)
