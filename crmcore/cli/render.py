"""Output: JSON for scripts, rich tables for people. Both come from the same view objects."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import click

from crmcore.domain.security import MASKED


def emit_json(data: Any) -> None:
    from crmcore.convert import to_json

    click.echo(to_json(data))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", show_lines=False)
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*(cell(v) for v in row))
    _console().print(grid)


def fields(title: str, pairs: Iterable[tuple[str, Any]]) -> None:
    from rich.table import Table

    grid = Table(title=title, title_justify="left", show_header=False, box=None, padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column(overflow="fold")
    for key, value in pairs:
        grid.add_row(key, cell(value))
    _console().print(grid)


def cell(value: Any) -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items()) or "-"
    if hasattr(value, "label"):  # Clearance: shown as its name, not its rank
        return str(value.label)
    return str(getattr(value, "value", value))


def shown(view: Any, name: str) -> Any:
    """A view's field for a table, or ``(masked)`` when access control withheld it."""
    if name in getattr(view, "masked", ()):
        return MASKED
    return getattr(view, name)


def write_file(path: str, title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a table for people as CSV (UTF-8 with BOM, so Excel reads Chinese) or XLSX."""
    from decimal import Decimal
    from pathlib import Path

    from crmcore.errors import InvalidInput

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in {".csv", ".xlsx"}:
        raise InvalidInput("output", f"{path!r}: write .csv or .xlsx")
    data = [list(row) for row in rows]
    if suffix == ".csv":
        import csv

        with target.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows([[cell(v) if v is not None else "" for v in row] for row in data])
        return len(data)
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(list(columns))
    for row in data:
        # Numbers stay numbers for Excel; dates and times as people read them.
        sheet.append(
            [v if v is None or isinstance(v, (int, Decimal, str)) else cell(v) for v in row]
        )
    sheet.freeze_panes = "A2"
    book.save(target)
    return len(data)


def done(message: str) -> None:
    click.echo(message)


def _console() -> Any:
    """A terminal gets its own width; a pipe gets wide lines so grep sees whole names."""
    import sys

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 200)
