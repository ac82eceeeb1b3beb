"""``crm obligations`` and ``crm report``: recurring duties and the CORE-ARC-3 period report."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, window


@click.group()
def obligations() -> None:
    """Recurring duties (例行职责) and their on-time record (CORE-LOG-3, CORE-ARC-3, plugins')."""


@obligations.command(name="list")
@click.option(
    "--period", help="Duties due in this quarter (2026Q3) or month; default this quarter."
)
@click.option("--from", "start", help="First due date, YYYY-MM-DD.")
@click.option("--to", "end", help="Last due date, YYYY-MM-DD.")
@click.option("--obligation", help="Only this obligation, e.g. CORE-LOG-3.class_a.")
@click.option("--status", type=click.Choice(["done", "late", "open", "overdue"]))
@json_option
def list_(
    period: str | None,
    start: str | None,
    end: str | None,
    obligation: str | None,
    status: str | None,
    as_json: bool,
) -> None:
    """Every duty due in a period, overdue first, with the on-time rate per obligation."""
    app = current()
    first, last = window(period, start, end)
    duties = app.crm.obligations.duties(
        app.actor, first, last, obligation=obligation, status=status
    )
    summary = app.crm.obligations.summary(app.actor, first, last)
    if as_json:
        render.emit_json({"from": first, "to": last, "duties": duties, "summary": summary})
        return
    render.table(
        f"Duties due {first} .. {last}",
        ["status", "due", "obligation", "subject", "client", "assignee", "done", "detail"],
        [
            (
                d.status.value.upper() if d.status.value == "overdue" else d.status,
                d.due_at,
                d.obligation,
                d.subject,
                d.client_code,
                d.assignee or d.role,
                d.done_at,
                d.detail,
            )
            for d in duties
        ],
    )
    render.table(
        "On-time record",
        ["obligation", "title", "done", "late", "open", "overdue", "on time"],
        [
            (
                s.obligation,
                s.title,
                s.done,
                s.late,
                s.open,
                s.overdue,
                f"{s.on_time_rate}%" if s.on_time_rate is not None else "-",
            )
            for s in summary
        ],
    )


@obligations.command()
@click.argument("obligation")
@click.argument("period")
@click.option(
    "--unit", help="Who did it: a branch (report) or head office (consolidation); default yours."
)
def done(obligation: str, period: str, unit: str | None) -> None:
    """Record that a duty done by an act (a report sent) was done now."""
    app = current()
    duty = app.crm.obligations.record_done(app.actor, obligation, period, unit=unit)
    render.done(
        f"{duty.obligation} for {duty.period}: {duty.status.value} (due {render.cell(duty.due_at)})"
    )


@click.group()
def report() -> None:
    """Reports for people and scripts (JSON, CSV, XLSX)."""


@report.command()
@click.argument("period")
@click.option("--csv", "csv_path", help="Also write the rows to this CSV file.")
@click.option("--xlsx", "xlsx_path", help="Also write the rows to this XLSX file.")
@click.option("--submit", is_flag=True, help="Record the report as sent (CORE-ARC-3, by the 6th).")
@click.option(
    "--consolidate", is_flag=True, help="Record head office's consolidation (by the 8th)."
)
@click.option(
    "--unit", help="A branch (its clients and those of its units), or head office; default yours."
)
@json_option
def quarterly(
    period: str,
    csv_path: str | None,
    xlsx_path: str | None,
    submit: bool,
    consolidate: bool,
    unit: str | None,
    as_json: bool,
) -> None:
    """Client credit report and sales analysis for PERIOD (2026Q3, or 2026-09 monthly).

    The core's columns (class, contacts, inquiries answered on time, open approvals) plus
    those enabled plugins add (sales, credit).
    """
    from crmcore.errors import InvalidInput
    from crmcore.services.obligations import CONSOLIDATION, REPORT

    app = current()
    outputs = [(p, suffix) for p, suffix in ((csv_path, ".csv"), (xlsx_path, ".xlsx")) if p]
    for path, suffix in outputs:
        if not path.lower().endswith(suffix):
            raise InvalidInput(suffix[1:], f"{path!r} does not end in {suffix}")
    made = app.crm.reports.quarterly(app.actor, period, unit=unit)
    recorded = [
        app.crm.obligations.record_done(
            app.actor, key, made.period, unit=unit, reference={"rows": len(made.rows)}
        )
        for flag, key in ((submit, REPORT), (consolidate, CONSOLIDATION))
        if flag
    ]
    rows = [
        [render.MASKED if c in r.get("masked", ()) else r.get(c) for c in made.columns]
        for r in made.rows
    ]
    for path, _ in outputs:
        count = render.write_file(path, f"report {made.period}", made.columns, rows)
        click.echo(f"wrote {count} rows to {path}", err=as_json)
    if as_json:
        render.emit_json({**_plain(made), "recorded": recorded})
        return
    render.table(f"Client report {made.period}", list(made.columns), rows)
    render.fields("Summary", list(made.summary.items()))
    for duty in recorded:
        render.done(f"recorded {duty.obligation} for {duty.period}: {duty.status.value}")


def _plain(obj: object) -> dict[str, object]:
    from crmcore.convert import unstructure

    return dict(unstructure(obj))
