"""Writing rows to CSV, JSON Lines and XLSX, safe to open in a spreadsheet.

Formula injection: a cell that starts with ``=`` ``+`` ``-`` ``@`` (or a tab or carriage return)
is run as a formula by Excel and WPS; a client named ``=HYPERLINK(...)`` would become a link
that sends data away. CSV and XLSX cells that start so get a leading ``'`` (OWASP's advice),
which spreadsheets show as text; our readers take it off again, so an export re-imports as it
was. JSON Lines is data, not a spreadsheet, and is written unchanged.

CSV is UTF-8 with a BOM, which Excel needs to read Chinese correctly.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from crmcore.io.readers import FORMULA_START

CHINA = ZoneInfo("Asia/Shanghai")


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as text, never runs as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def plain(value: Any) -> Any:
    """A value as JSON-ready data: exact decimals as text, times in China time, enums by value."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(CHINA).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return str(value)


def cell_text(value: Any) -> str:
    """One spreadsheet cell as text; lists join with 、 (as Chinese ledgers write them)."""
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return neutralise(str(value))


class Writer:
    """Rows out to one file; ``columns`` is the header."""

    def __init__(self, path: Path, fmt: str, columns: Sequence[str]) -> None:
        self.path, self.format, self.columns = path, fmt, list(columns)
        self.rows = 0
        self._file: IO[str] | None = None
        if fmt == "xlsx":
            from openpyxl import Workbook

            self._book = Workbook(write_only=True)
            self._sheet = self._book.create_sheet()
            self._sheet.append([self._xlsx(c) for c in self.columns])
        else:
            self._file = path.open(
                "w", encoding="utf-8-sig" if fmt == "csv" else "utf-8", newline=""
            )
            if fmt == "csv":
                self._csv = csv.writer(self._file)
                self._csv.writerow([neutralise(c) for c in self.columns])

    def write(self, values: Sequence[Any]) -> None:
        self.rows += 1
        if self.format == "csv":
            self._csv.writerow([cell_text(v) for v in values])
        elif self.format == "jsonl":
            record = {c: plain(v) for c, v in zip(self.columns, values, strict=True)}
            assert self._file is not None
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            self._sheet.append([self._xlsx(v) for v in values])

    @staticmethod
    def _xlsx(value: Any) -> Any:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        text = cell_text(value)
        return ILLEGAL_CHARACTERS_RE.sub("", text) if text else None

    def close(self) -> None:
        if self.format == "xlsx":
            self._book.save(self.path)
        elif self._file is not None:
            self._file.close()

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
