"""``crm power ...``: parse, call the service, render. No business rule lives here."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, parse_date

if TYPE_CHECKING:
    from crmcore_utility_power.services import PowerService
    from crmcore_utility_power.views import ApplicationView, ProfileVersion

DATE = "YYYY-MM-DD, default today"
CHECKLIST = "as_built, tests, safety_gear, concealed_works, operating_rules, duty_staff"


def _service() -> tuple[PowerService, Any]:
    from crmcore_utility_power.services import PowerService

    app = current()
    return PowerService(app.crm), app.actor


def _write(call: Callable[[PowerService, Any], ApplicationView]) -> None:
    """Run a step and say where the application is now."""
    service, actor = _service()
    view = call(service, actor)
    due = min((c.due for c in view.clocks if c.stopped_at is None and not c.paused), default=None)
    parts = [f"{view.number}: {view.stage_label} ({view.stage})"]
    if view.next_steps:
        parts.append(f"next: {', '.join(view.next_steps)} by {', '.join(view.waiting_for)}")
    if due:
        parts.append(f"due {due}")
    if view.validity and not view.works:
        parts.append(f"plan valid until {view.validity.valid_until}")
    render.done("; ".join(parts))


@click.group(name="power")
def power() -> None:
    """Power-supply key accounts (业扩报装): application, plan and quote, works, acceptance."""


# -- profile -------------------------------------------------------------------------------


@power.group()
def profile() -> None:
    """Key-account profile (大客户档案, PWR-KA-1)."""


@profile.command(name="set")
@click.argument("client_code")
@click.option(
    "--voltage",
    required=True,
    help="Supply voltage level: 0.4kV, 10kV, 20kV, 35kV, 66kV, 110kV, 220kV.",
)
@click.option("--capacity", required=True, help="Contracted capacity, kVA.")
@click.option("--load-class", help="Load class (负荷等级) 1, 2 or 3.")
@click.option("--priority", help="key (重点), important (重要) or general (一般).")
@click.option("--consumption", help="Annual consumption, kWh (用电量贡献).")
@click.option("--revenue", help="Annual electricity revenue, CNY (电费收入).")
@click.option("--credit", help="Credit status: good, watch or poor.")
@click.option("--standing", help="Standing in its industry (行业地位).")
@click.option("--condition", help="Business condition (经营状况).")
@click.option("--manager", help="Assign this account manager (CORE-OWN-1).")
@click.option(
    "--assign",
    is_flag=True,
    help="Let the assignment rules pick unit and manager by region, industry and priority "
    "(CORE-OWN-3).",
)
def profile_set(
    client_code: str,
    voltage: str,
    capacity: str,
    load_class: str | None,
    priority: str | None,
    consumption: str | None,
    revenue: str | None,
    credit: str | None,
    standing: str | None,
    condition: str | None,
    manager: str | None,
    assign: bool,
) -> None:
    """Set the profile as a new version (the previous ones are kept)."""
    from crmcore_utility_power.domain import NewProfile

    new = NewProfile(
        voltage=voltage,
        contracted_capacity_kva=capacity,
        load_class=load_class,
        priority=priority,
        annual_consumption_kwh=consumption,
        annual_revenue=revenue,
        credit_status=credit,
        standing=standing,
        business_condition=condition,
    )
    service, actor = _service()
    view = service.set_profile(actor, client_code, new, manager=manager, assign=assign)
    assert view.current is not None
    render.done(
        f"{view.client_code}: profile version {view.current.version}; "
        f"unit {view.unit or '-'}, account manager {view.account_manager or '-'}"
    )


@profile.command(name="show")
@click.argument("client_code")
@json_option
def profile_show(client_code: str, as_json: bool) -> None:
    """The current profile and its earlier versions."""
    service, actor = _service()
    view = service.profile(actor, client_code)
    if as_json:
        render.emit_json(view)
        return
    p = view.current
    render.fields(
        f"{view.client_name} ({view.client_code})",
        [
            ("unit / account manager", f"{view.unit or '-'} / {view.account_manager or '-'}"),
            (
                "industry / size / region / importance",
                f"{view.industry or '-'} / {view.size or '-'} / {view.region or '-'}"
                f" / {view.importance or '-'}",
            ),
            ("voltage", p and p.voltage),
            ("contracted capacity", p and f"{p.contracted_capacity_kva} kVA"),
            ("load class", p and p.load_class),
            ("priority", p and p.priority),
            ("consumption", _figure(p, "annual_consumption_kwh", "kWh/year")),
            ("revenue", _figure(p, "annual_revenue", "CNY/year")),
            ("credit", _figure(p, "credit_status")),
            ("standing", p and p.standing),
            ("condition", p and p.business_condition),
            ("version", p and f"{p.version} by {p.source}, {render.cell(p.recorded_at)}"),
            ("accounts", view.accounts),
        ],
    )


def _figure(p: ProfileVersion | None, name: str, unit: str = "") -> object:
    """A profile figure for people: ``(masked)`` when withheld (PWR-KA-1, CORE-CONF-2)."""
    if p is None:
        return None
    value = render.shown(p, name)
    return f"{value} {unit}" if unit and value not in (None, render.MASKED) else value


# -- the connection ------------------------------------------------------------------------


@power.command()
@click.argument("client_code")
@click.option("--kind", default="new", show_default=True, help="new (新装) or increase (增容).")
@click.option("--voltage", required=True, help="Voltage level applied for, e.g. 10kV.")
@click.option("--capacity", required=True, help="Capacity applied for (an increase: added), kVA.")
@click.option(
    "--sources", type=int, default=1, show_default=True, help="1 (single) or 2 (dual source)."
)
@click.option("--address", help="Where the supply is needed (用电地址).")
@click.option("--document", "documents", multiple=True, help="A document handed in (repeat).")
@click.option("--applied-on", help=f"When the client filed it, {DATE}.")
def apply(
    client_code: str,
    kind: str,
    voltage: str,
    capacity: str,
    sources: int,
    address: str | None,
    documents: tuple[str, ...],
    applied_on: str | None,
) -> None:
    """Register an application (高压用电申请) and start its workflow."""
    from crmcore_utility_power.domain import NewApplication

    new = NewApplication(
        kind=kind,
        voltage=voltage,
        capacity_kva=capacity,
        sources=sources,
        address=address,
        documents=documents,
        applied_on=parse_date(applied_on, "applied_on"),
    )
    _write(lambda s, a: s.apply(a, client_code, new))


@power.command()
@click.argument("number")
@click.option("--accepted-on", help=f"The acceptance date (受理日), {DATE}.")
@click.option("--document", "documents", multiple=True, help="A document handed in now (repeat).")
@click.option("--comment")
def review(
    number: str, accepted_on: str | None, documents: tuple[str, ...], comment: str | None
) -> None:
    """Initial review: accept (受理) an application whose documents are complete (PWR-APP-1/2)."""
    day = parse_date(accepted_on, "accepted_on")
    _write(lambda s, a: s.review(a, number, accepted_on=day, documents=documents, comment=comment))


@power.command()
@click.argument("number")
@click.option("--on", "surveyed_on", help=f"Survey date, {DATE}.")
@click.option(
    "--participant", "participants", multiple=True, required=True, help="Who surveyed (repeat)."
)
@click.option("--findings", required=True)
def survey(
    number: str, surveyed_on: str | None, participants: tuple[str, ...], findings: str
) -> None:
    """Record the site survey (现场勘查)."""
    from crmcore_utility_power.domain import NewSurvey

    new = NewSurvey(
        surveyed_on=parse_date(surveyed_on, "surveyed_on"),
        participants=participants,
        findings=findings,
    )
    _write(lambda s, a: s.survey(a, number, new))


@power.command()
@click.argument("number")
@click.option("--comment")
def handover(number: str, comment: str | None) -> None:
    """Pass the application to the marketing department (5 working days, PWR-APP-2)."""
    _write(lambda s, a: s.hand_over(a, number, comment))


@power.command()
@click.argument("number")
@click.option("--voltage", required=True, help="Supply voltage of the plan, e.g. 10kV.")
@click.option("--capacity", required=True, help="Capacity of the plan, kVA.")
@click.option(
    "--source", "sources", multiple=True, required=True, help="A supply source (repeat for dual)."
)
@click.option("--pay-into", help="The account to pay into (default: the PWR-FEE-1 policy's).")
@click.option("--note")
def plan(
    number: str,
    voltage: str,
    capacity: str,
    sources: tuple[str, ...],
    pay_into: str | None,
    note: str | None,
) -> None:
    """Draft the supply plan and its quote (a new revision) for countersigning."""
    from crmcore_utility_power.domain import NewPlan

    new = NewPlan(
        voltage=voltage, capacity_kva=capacity, sources=sources, pay_into=pay_into, note=note
    )
    _write(lambda s, a: s.plan(a, number, new))


@power.command()
@click.argument("number")
@click.option("--reject", metavar="REASON", help="Send the plan back for redrafting, with why.")
def sign(number: str, reject: str | None) -> None:
    """Countersign the plan (会签) in your department's role, or send it back."""
    _write(lambda s, a: s.sign(a, number, reject=reject))


@power.command()
@click.argument("number")
@click.option("--comment")
def notify(number: str, comment: str | None) -> None:
    """Notify the client: plan, fees and account to pay into; validity starts (PWR-PLAN-1)."""
    _write(lambda s, a: s.notify(a, number, comment))


@power.command()
@click.argument("number")
@click.option("--revision", type=int, help="Which revision (default the latest).")
@click.option("--output", type=click.Path(dir_okay=False), help="Write the document to this file.")
@json_option
def quote(number: str, revision: int | None, output: str | None, as_json: bool) -> None:
    """The quote document (供电方案答复单) of a plan revision."""
    service, actor = _service()
    document = service.quote(actor, number, revision)
    if as_json:
        render.emit_json(document)
    elif output:
        from pathlib import Path

        Path(output).write_text(document.text, encoding="utf-8")
        render.done(f"{document.number} written to {output}")
    else:
        click.echo(document.text, nl=False)


@power.command()
@click.argument("number")
@click.option("--reason", required=True, help="The special circumstances (特殊情况).")
@click.option("--months", type=int, help="How long (default: one full validity period, the most).")
def extend(number: str, reason: str, months: int | None) -> None:
    """Extend the plan's validity, asked at least 10 days before expiry (PWR-PLAN-1)."""
    from crmcore_utility_power.domain import NewExtension

    new = NewExtension(reason=reason, months=months)
    _write(lambda s, a: s.extend(a, number, new))


@power.command()
@click.argument("number")
@click.option("--started-on", help=f"Works start, {DATE}.")
@click.option("--designer", required=True, help="Design unit (设计单位).")
@click.option("--builder", required=True, help="Construction unit (施工单位).")
@click.option("--qualification", required=True, help="Its qualification certificate (资质证书).")
def works(
    number: str, started_on: str | None, designer: str, builder: str, qualification: str
) -> None:
    """The client's works start (PWR-WORK-1); refused when the plan has expired (PWR-PLAN-1)."""
    from crmcore_utility_power.domain import NewWorks

    new = NewWorks(
        started_on=parse_date(started_on, "started_on"),
        designer=designer,
        builder=builder,
        qualification=qualification,
    )
    _write(lambda s, a: s.start_works(a, number, new))


@power.command()
@click.argument("number")
@click.option("--on", "inspected_on", help=f"Inspection date, {DATE}.")
@click.option("--findings", help="What the inspection found.")
@click.option("--rectify", "rectifications", multiple=True, help="Something to rectify (repeat).")
def inspect(
    number: str, inspected_on: str | None, findings: str | None, rectifications: tuple[str, ...]
) -> None:
    """An inspection during works (中间检查, PWR-WORK-1)."""
    from crmcore_utility_power.domain import NewInspection

    new = NewInspection(
        inspected_on=parse_date(inspected_on, "inspected_on"),
        findings=findings,
        rectifications=rectifications,
    )
    _write(lambda s, a: s.inspect(a, number, new))


@power.command()
@click.argument("number")
@click.option("--filed-on", help=f"When the report came in, {DATE}.")
@click.option(
    "--document", "documents", multiple=True, help=f"A document filed (repeat): {CHECKLIST}."
)
def complete(number: str, filed_on: str | None, documents: tuple[str, ...]) -> None:
    """The completion report and its checklist (竣工报告, PWR-ACC-1): all six for high voltage."""
    from crmcore_utility_power.domain import NewCompletion

    new = NewCompletion(filed_on=parse_date(filed_on, "filed_on"), documents=documents)
    _write(lambda s, a: s.complete(a, number, new))


@power.command()
@click.argument("number")
@click.option("--pass/--fail", "passed", required=True, help="Did it pass (验收合格)?")
@click.option("--on", "inspected_on", help=f"Inspection date, {DATE}.")
@click.option("--findings")
@click.option(
    "--rectify", "rectifications", multiple=True, help="What to rectify when it fails (repeat)."
)
def accept(
    number: str,
    passed: bool,
    inspected_on: str | None,
    findings: str | None,
    rectifications: tuple[str, ...],
) -> None:
    """The acceptance inspection: pass, or a rectification list; re-inspections are charged."""
    from crmcore_utility_power.domain import NewInspection

    new = NewInspection(
        inspected_on=parse_date(inspected_on, "inspected_on"),
        findings=findings,
        rectifications=rectifications,
        passed=passed,
    )
    _write(lambda s, a: s.accept(a, number, new))


@power.command()
@click.argument("number")
@click.option("--number", "contract_number", required=True, help="The contract's number.")
@click.option("--signed-on", help=f"When it was signed, {DATE}.")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False),
    help="The signed copy (PDF, scan), filed in the client's archive under contracts.",
)
def contract(number: str, contract_number: str, signed_on: str | None, path: str | None) -> None:
    """Record the signed supply contract (供用电合同, PWR-ACC-2)."""
    from pathlib import Path

    from crmcore_utility_power.domain import NewContract

    copy = Path(path) if path else None
    new = NewContract(
        number=contract_number,
        signed_on=parse_date(signed_on, "signed_on"),
        filename=copy.name if copy else None,
        content=copy.read_bytes() if copy else None,
    )
    _write(lambda s, a: s.contract(a, number, new))


@power.command()
@click.argument("number")
@click.option("--comment")
def energise(number: str, comment: str | None) -> None:
    """Energise and issue the meter work ticket; refused without a contract (PWR-ACC-2)."""
    _write(lambda s, a: s.energise(a, number, comment))


@power.command()
@click.argument("number")
@click.option("--returned-on", help=f"When the ticket came back, {DATE}.")
def meter(number: str, returned_on: str | None) -> None:
    """The meter work ticket is returned (5 days, PWR-MTR-1); the account is created."""
    day = parse_date(returned_on, "returned_on")
    _write(lambda s, a: s.meter(a, number, returned_on=day))


# -- reading -------------------------------------------------------------------------------


@power.command(name="list")
@click.option("--client", "client_code", help="Only this client's.")
@click.option("--all", "include_closed", is_flag=True, help="Include connected and withdrawn ones.")
@json_option
def list_(client_code: str | None, include_closed: bool, as_json: bool) -> None:
    """Applications, newest first, with their stage and next deadline."""
    service, actor = _service()
    rows = service.list(actor, client_code=client_code, include_closed=include_closed)
    if as_json:
        render.emit_json(rows)
        return
    render.table(
        "Connection applications (业扩报装)",
        [
            "",
            "application",
            "client",
            "kind",
            "voltage",
            "kVA",
            "src",
            "stage",
            "due",
            "valid until",
        ],
        [
            (
                "OVERDUE" if r.overdue else "",
                r.number,
                f"{r.client_name} ({r.client_code})",
                r.kind,
                r.voltage,
                r.capacity_kva,
                r.sources,
                r.stage_label,
                r.due,
                r.valid_until,
            )
            for r in rows
        ],
    )


@power.command()
@click.argument("number")
@json_option
def status(number: str, as_json: bool) -> None:
    """Everything about one application: stage, deadlines, plan, validity, works, acceptance."""
    service, actor = _service()
    view = service.status(actor, number)
    if as_json:
        render.emit_json(view)
        return
    validity = view.validity
    render.fields(
        f"{view.number}: {view.client_name} ({view.client_code})",
        [
            (
                "application",
                f"{view.kind} {view.voltage} {view.capacity_kva} kVA, {view.sources} source(s)",
            ),
            ("applied / accepted", f"{view.applied_on} / {view.accepted_on or '-'}"),
            ("documents", view.documents),
            ("missing", view.missing_documents),
            ("stage", f"{view.stage_label} ({view.stage})" + (" OVERDUE" if view.overdue else "")),
            (
                "next",
                f"{', '.join(view.next_steps) or '-'} by {', '.join(view.waiting_for) or '-'}",
            ),
            (
                "plan",
                view.plan
                and f"revision {view.plan.revision} ({view.plan.quote_number}), fees "
                + (render.MASKED if view.plan.total is None else f"{view.plan.total} CNY"),
            ),
            (
                "validity",
                validity
                and f"notified {validity.notified_on}, valid until {validity.valid_until}"
                + (f", {len(validity.extensions)} extension(s)" if validity.extensions else "")
                + (" EXPIRED" if validity.expired else "")
                + (
                    f"; quote filed as archive document {validity.quote_document}"
                    if validity.quote_document
                    else ""
                ),
            ),
            (
                "works",
                view.works and f"started {view.works['started_on']} by {view.works['builder']}",
            ),
            (
                "completion",
                view.completion
                and f"{sum(i.filed for i in view.completion)} of 6 documents, filed {view.completion_filed_on}",
            ),
            (
                "contract",
                view.contract
                and f"{view.contract['number'] or render.MASKED} signed {view.contract['signed_on']}"
                + (
                    f", archive document {view.contract['document']}"
                    if view.contract["document"]
                    else ""
                ),
            ),
            (
                "meter ticket",
                view.meter_ticket
                and f"{view.meter_ticket['number']} issued {view.meter_ticket['issued_on']}, due {view.meter_ticket['due']}, returned {view.meter_ticket['returned_on'] or '-'}",
            ),
            ("account", view.account),
            ("fees due", render.MASKED if view.fees_due is None else f"{view.fees_due} CNY"),
        ],
    )
    if view.clocks:
        render.table(
            "Deadlines (时限)",
            ["clock", "rule", "days", "due", "outcome"],
            [
                (
                    c.name,
                    c.rule,
                    f"{c.days} {c.unit}",
                    c.due,
                    "OVERDUE" if c.overdue else "paused" if c.paused else c.outcome or "running",
                )
                for c in view.clocks
            ],
        )
    if view.inspections:
        render.table(
            "Inspections",
            ["kind", "#", "on", "result", "rectify", "fee"],
            [
                (
                    i.kind,
                    i.seq,
                    i.inspected_on,
                    {True: "passed", False: "failed", None: i.findings}[i.passed],
                    i.rectifications,
                    i.fee,
                )
                for i in view.inspections
            ],
        )


@power.command()
@click.argument("number")
@json_option
def timeline(number: str, as_json: bool) -> None:
    """What happened to an application, oldest first, with the rule each step served."""
    service, actor = _service()
    entries = service.timeline(actor, number)
    if as_json:
        render.emit_json(entries)
        return
    render.table(
        f"Timeline of {number}",
        ["when", "who", "what", "detail", "rule"],
        [(e.at, e.actor, e.what, e.detail, e.rule) for e in entries],
    )
