"""The period report of CORE-ARC-3: client credit report and sales analysis (信用报告与销售分析).

One row per active client with what the core knows for the period (class, contacts, inquiries
answered on time, open approvals, and the latest yearly sales, collection rate and credit
standing up to the period's year, CORE-REC-3); plugins add the columns only they know (sales, credit limit,
receivables) through ``crm_quarterly_report``. ``crm report quarterly PERIOD`` prints it, writes
CSV or XLSX, and with ``--submit`` / ``--consolidate`` records the CORE-ARC-3 duty as done.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import func, select

from crmcore.app import Service, Tx, query
from crmcore.calendar import Period, end_of_day, start_of_day
from crmcore.domain.clients import ClientStatus
from crmcore.domain.figures import Metric
from crmcore.errors import PluginError
from crmcore.obligations import DutyStatus
from crmcore.security import access
from crmcore.services import lookup
from crmcore.services.classes import scored_classes
from crmcore.services.obligations import ANSWER, REPORTING_SUBJECT
from crmcore.store import tables as t

CORE_COLUMNS = (
    "code",
    "name",
    "region",
    "industry",
    "owner",
    "class",
    "contacts",
    "last_contact",
    "inquiries",
    "answered_on_time",
    "open_approvals",
    # issue 5: the client's latest yearly figures up to the period's year (CORE-REC-3)
    "figures_year",
    "sales_amount",
    "collection_rate",
    "credit_standing",
)
REPORTED_FIGURES = (Metric.SALES_AMOUNT, Metric.COLLECTION_RATE, Metric.CREDIT_STANDING)


@frozen(kw_only=True)
class PeriodReport:
    period: str
    generated_at: datetime
    columns: tuple[str, ...]
    rows: tuple[dict[str, Any], ...]
    summary: dict[str, Any]


class ReportService(Service):
    @query
    def quarterly(self, tx: Tx, period: str | Period, *, unit: str | None = None) -> PeriodReport:
        """The CORE-ARC-3 report for a quarter (or a month, for divisions that report monthly).

        ``unit``: only the clients of that unit and the units below it (a branch's report).
        """
        tx.actor.require("report.read")
        period = Period.parse(period) if isinstance(period, str) else period
        start, end = start_of_day(period.start), end_of_day(period.end)
        c = t.clients.c
        stmt = (
            select(c.id, c.code, c.name, c.region, c.industry, c.owner_id, c.clearance)
            .where(c.status != ClientStatus.ARCHIVED, access.readable_clients(tx))
            .order_by(c.code)
        )
        if unit is not None and unit != REPORTING_SUBJECT:
            stmt = stmt.where(c.unit_id.in_(sorted(lookup.unit_subtree(tx.conn, unit))))
        clients = tx.conn.execute(stmt).all()
        ids = [r.id for r in clients]
        classes = scored_classes(tx, ids)
        owners = lookup.logins(tx.conn, {r.owner_id for r in clients if r.owner_id})
        log = t.contact_logs.c
        activity = {
            r.client_id: r
            for r in tx.conn.execute(
                select(
                    log.client_id,
                    func.count().filter(log.inquiry.is_(False)).label("contacts"),
                    func.count().filter(log.inquiry.is_(True)).label("inquiries"),
                )
                .where(log.occurred_at >= start, log.occurred_at <= end)
                .group_by(log.client_id)
            )
        }
        last_contact = dict(
            tx.conn.execute(
                select(log.client_id, func.max(log.occurred_at))
                .where(log.occurred_at <= end, log.inquiry.is_(False))
                .group_by(log.client_id)
            ).all()
        )
        on_time: dict[str, int] = {}
        for duty in self.crm.obligations.due_between(
            tx, period.start, period.end, obligation=ANSWER
        ):
            if duty.status is DutyStatus.DONE and duty.client_code:
                on_time[duty.client_code] = on_time.get(duty.client_code, 0) + 1
        w = t.workflow_instances.c
        approvals = dict(
            tx.conn.execute(
                select(w.client_id, func.count()).where(w.closed_at.is_(None)).group_by(w.client_id)
            ).all()
        )
        figures = self.crm.figures.latest(tx, ids, REPORTED_FIGURES, period.start.year)
        rows = [
            {
                "code": r.code,
                "name": r.name,
                "region": r.region,
                "industry": r.industry,
                "owner": owners.get(r.owner_id),
                "class": classes.get(r.id),
                "contacts": activity[r.id].contacts if r.id in activity else 0,
                "last_contact": last_contact.get(r.id),
                "inquiries": activity[r.id].inquiries if r.id in activity else 0,
                "answered_on_time": on_time.get(r.code, 0),
                "open_approvals": approvals.get(r.id, 0),
                "figures_year": figures[r.id][0] if r.id in figures else None,
                **{
                    m.value: figures[r.id][1].get(m.value) if r.id in figures else None
                    for m in REPORTED_FIGURES
                },
            }
            for r in clients
        ]
        # a door like any other: field rules on client fields, and a look-up per client
        rows = [
            access.present(
                tx,
                row,
                "client",
                action="report.quarterly",
                client=r,
                record_id=r.code,
            )
            for row, r in zip(rows, clients, strict=True)
        ]
        for row, r in zip(rows, clients, strict=True):
            _judge_figures(tx, row, r, figures.get(r.id))
        columns = list(CORE_COLUMNS)
        codes = [r["code"] for r in rows]
        for plugin, extra in tx.hook("crm_quarterly_report", period=period, clients=codes):
            if not isinstance(extra, Mapping):
                raise PluginError(
                    plugin, "crm_quarterly_report must return {column: {code: value}}"
                )
            for column, values in extra.items():
                name = f"{plugin}.{column}"
                columns.append(name)
                for row in rows:
                    row[name] = values.get(row["code"])
            for row, r in zip(rows, clients, strict=True):
                _judge_plugin_columns(tx, row, r, plugin, list(extra))
        class_a = [r for r in rows if r["class"] == "A"]
        summary = {
            "clients": len(rows),
            "class_a": len(class_a),
            "class_a_contacted": sum(1 for r in class_a if r["contacts"]),
            "inquiries": sum(r["inquiries"] for r in rows),
            "answered_on_time": sum(r["answered_on_time"] for r in rows),
        }
        return PeriodReport(
            period=str(period),
            generated_at=tx.now,
            columns=tuple(columns),
            rows=tuple(rows),
            summary=summary,
        )


def _judge_figures(tx: Tx, row: dict[str, Any], client: Any, found: Any) -> None:
    """The figure columns are the yearly figures' values (CORE-REC-3): withheld, and named in
    ``masked``, from a reader below the rules on ``figure.value``, as ``crm figures show`` does."""
    seen = access.present(
        tx,
        {"value": found},
        "figure",
        action="report.quarterly",
        client=client,
        record_id=client.code,
    )
    if "value" in seen.get("masked", ()):
        _withhold(row, [m.value for m in REPORTED_FIGURES])


def _judge_plugin_columns(
    tx: Tx, row: dict[str, Any], client: Any, plugin: str, names: list[str]
) -> None:
    """A plugin's columns are a door like the core's (CORE-CONF-2): judged by the field rules
    on ``<plugin>.report`` (crm_sensitive_fields), withheld ones None and named in the row's
    ``masked`` as ``plugin.column``; those shown in clear join the client's look-up record."""
    seen = access.present(
        tx,
        {name: row[f"{plugin}.{name}"] for name in names},
        f"{plugin}.report",
        action="report.quarterly",
        client=client,
        record_id=client.code,
    )
    _withhold(row, [f"{plugin}.{name}" for name in seen.get("masked", ())])


def _withhold(row: dict[str, Any], columns: list[str]) -> None:
    """Blank ``columns`` of a report row and name them in its ``masked``."""
    if columns:
        row.update(dict.fromkeys(columns))
        row["masked"] = tuple(sorted({*row.get("masked", ()), *columns}))
