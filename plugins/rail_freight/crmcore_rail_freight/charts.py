"""The fulfilment chart: bars in the terminal (rich) and a bar chart in an XLSX (openpyxl)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from crmcore import InvalidInput
from crmcore.cli.render import shown

from .domain.operations import Fulfilment, FulfilmentRow

WIDTH = 40
COLUMNS = ("plan (t)", "actual (t)", "difference (t)", "rate (%)")


def bars(report: Fulfilment, *, width: int = WIDTH) -> None:
    """Plan (grey) over actual (green when at or above plan, red below) per row."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    top = max((max(r.plan, r.actual) for r in report.rows), default=Decimal(0)) or Decimal(1)
    grid = Table(
        title=f"Plan vs actual, {report.client_code} {report.year}, by {report.by}",
        title_justify="left",
        show_header=False,
        box=None,
        padding=(0, 1),
    )
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_column(justify="right")
    for row in report.rows:
        bar = Text()
        bar.append("█" * _length(row.plan, top, width) or "·", style="grey50")
        bar.append("\n")
        style = "green" if row.actual >= row.plan else "red"
        bar.append("█" * _length(row.actual, top, width) or "·", style=style)
        rate = f"{row.rate}%" if row.rate is not None else "-"
        grid.add_row(row.key, bar, f"{_t(row.plan)}\n{_t(row.actual)}  {rate}")
    Console(width=None if sys.stdout.isatty() else 200).print(grid)


def xlsx(report: Fulfilment, path: str) -> Path:
    """The report as a sheet with a clustered bar chart of plan against actual."""
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise InvalidInput("xlsx", f"{path!r}: the chart goes into an .xlsx file")
    book = Workbook()
    sheet = book.active
    sheet.title = f"{report.year} by {report.by}"[:31]
    months = report.by == "month"
    sheet.append([report.by, *COLUMNS, *(("freight (CNY)", "settled (CNY)") if months else ())])
    for row in [*report.rows, report.total]:
        sheet.append(_cells(row, months))
    sheet.freeze_panes = "A2"
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{report.client_name} {report.year}: plan vs actual by {report.by}"
    chart.y_axis.title = "t"
    count = len(report.rows)
    data = Reference(sheet, min_col=2, max_col=3, min_row=1, max_row=count + 1)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=count + 1))
    chart.width, chart.height = 24, 12
    sheet.add_chart(chart, f"A{count + 4}")
    book.save(target)
    return target


def _cells(row: FulfilmentRow, months: bool) -> Sequence[Any]:
    cells: list[Any] = [row.key, row.plan, row.actual, row.difference, row.rate]
    if months:
        cells += [shown(row, "freight"), shown(row, "settled")]
    return cells


def _length(value: Decimal, top: Decimal, width: int) -> int:
    return int((value * width / top).to_integral_value()) if value > 0 else 0


def _t(value: Decimal) -> str:
    return f"{value.normalize():,f}"
