"""Reading rows from CSV, JSON Lines and XLSX files, with clear errors for files that are not.

Every reader yields :class:`Row` objects: the row number people see (the header is row 1, as
in Excel), and the cells as text or None. Numbers in XLSX become their shortest exact text
(a float's repr), so money never passes through a float unnoticed; dates become ISO text.
A cell written by our exports as ``'=…`` (formula neutralised) reads back as ``=…``.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from attrs import define, field

from crmcore.errors import InvalidInput

HEAD_BYTES = 1 << 16
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))


@define
class Row:
    number: int
    cells: dict[str, str | None] | None  # None: the row could not be read (see ``problem``)
    problem: str | None = None
    extra: list[str] = field(factory=list)  # cells beyond the header (CSV, XLSX)


@define
class Source:
    """An open file of rows: its header, its rows, and how far reading has got (bytes)."""

    path: Path
    format: str
    encoding: str | None
    header: list[str]
    rows: Iterator[Row]
    size: int
    _position: Any = None

    def position(self) -> int:
        """Bytes read so far (the whole file once it is closed)."""
        try:
            return int(self._position()) if self._position else 0
        except ValueError:
            return self.size


def cell_text(value: Any) -> str | None:
    """A cell as text without surrounding spaces; None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_START:
        return value[1:]
    return value


def detect_encoding(head: bytes) -> str:
    """UTF-8 (with or without BOM) or GB18030 (a superset of GBK, as Chinese Excel saves CSV)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise InvalidInput(
        "file", "is neither UTF-8 nor GBK/GB18030 text: give --encoding, or check the file"
    )


def _check_text(path: Path, head: bytes, fmt: str) -> None:
    if head.startswith(b"PK\x03\x04"):
        raise InvalidInput("file", f"{path.name} is a ZIP/XLSX file, not {fmt.upper()}")
    if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InvalidInput("file", f"{path.name} looks like a binary file, not {fmt.upper()} text")


def open_source(path: Path, fmt: str, encoding: str | None = None) -> Source:
    if not path.is_file():
        raise InvalidInput("file", f"{path} does not exist or is not a file")
    size = path.stat().st_size
    if fmt == "xlsx":
        return _xlsx(path, size)
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    _check_text(path, head, fmt)
    if not head.strip():
        raise InvalidInput("file", f"{path.name} is empty")
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InvalidInput(
                "encoding", f"{encoding!r} is not an encoding Python knows"
            ) from None
    else:
        encoding = detect_encoding(head)
    binary = path.open("rb")
    text = _DecodeErrors(codecs.getreader(encoding)(binary, errors="strict"), encoding, path.name)
    if fmt == "csv":
        return _csv(path, text, binary, encoding, size)
    return _jsonl(path, text, binary, encoding, size)


class _DecodeErrors:
    """A text stream whose decoding errors name the encoding and suggest --encoding."""

    def __init__(self, stream: IO[str], encoding: str, name: str) -> None:
        self.stream, self.encoding, self.name = stream, encoding, name

    def __iter__(self) -> Iterator[str]:
        while True:
            try:
                line = self.stream.readline()
            except UnicodeDecodeError as exc:
                raise InvalidInput(
                    "file",
                    f"{self.name} is not valid {self.encoding} ({exc.reason}): "
                    "give the right --encoding (e.g. gb18030, utf-8)",
                ) from None
            if not line:
                return
            yield line

    def close(self) -> None:
        self.stream.close()


def _csv(path: Path, text: _DecodeErrors, binary: IO[bytes], encoding: str, size: int) -> Source:
    reader = csv.reader(iter(text), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        text.close()
        raise InvalidInput("file", f"{path.name} has no header row") from None
    except csv.Error as exc:
        text.close()
        raise InvalidInput("file", f"{path.name}: the header row is not valid CSV: {exc}") from None
    header = [h.lstrip("\ufeff").strip() for h in header]

    def rows() -> Iterator[Row]:
        number = 1
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    yield Row(number + 1, None, f"not valid CSV ({exc}): truncated or malformed")
                    return
                number += 1
                if not any(cells):
                    continue
                values = [_clean(c) if c != "" else None for c in cells]
                yield Row(
                    number,
                    dict(zip(header, values, strict=False)),
                    None
                    if len(cells) == len(header)
                    else f"has {len(cells)} cells, the header has {len(header)}",
                    [c for c in cells[len(header) :] if c],
                )
        finally:
            text.close()

    return Source(path, "csv", encoding, header, rows(), size, binary.tell)


def _jsonl(path: Path, text: _DecodeErrors, binary: IO[bytes], encoding: str, size: int) -> Source:
    from crmcore.convert import loads

    def rows() -> Iterator[Row]:
        try:
            for number, line in enumerate(text, start=1):
                line = line.strip().lstrip("\ufeff")
                if not line:
                    continue
                try:
                    data = loads(line)
                except json.JSONDecodeError as exc:
                    yield Row(number, None, f"not valid JSON ({exc.msg}): truncated or malformed")
                    continue
                if not isinstance(data, dict):
                    yield Row(number, None, "is not a JSON object")
                    continue
                yield Row(number, {k: _json_cell(v) for k, v in data.items()})
        finally:
            text.close()

    return Source(path, "jsonl", encoding, [], rows(), size, binary.tell)


def _json_cell(value: Any) -> Any:
    if isinstance(value, str):
        return _clean(value) if value.strip() else None
    if isinstance(value, bool):
        return value
    if isinstance(value, (int,)):
        return str(value)
    return value  # Decimal, lists and objects stay as they are (profile, participants)


def _xlsx(path: Path, size: int) -> Source:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
        sheet = book.worksheets[0]
        values = sheet.iter_rows(values_only=True)
        header_cells = next(values, None)
    except (BadZipFile, KeyError, OSError, ValueError, IndexError) as exc:
        raise InvalidInput(
            "file", f"{path.name} is not a readable XLSX workbook (truncated or not XLSX): {exc}"
        ) from None
    if header_cells is None:
        book.close()
        raise InvalidInput("file", f"{path.name} has no header row")
    header = [str(h).strip() if h is not None else "" for h in header_cells]
    while header and not header[-1]:
        header.pop()
    width = len(header)
    done = [0]

    def rows() -> Iterator[Row]:
        try:
            for number, cells in enumerate(values, start=2):
                done[0] = number
                texts = [_xlsx_cell(v) for v in cells]
                if not any(t is not None for t in texts):
                    continue
                extra = [t for t in texts[width:] if t is not None]
                yield Row(
                    number,
                    dict(zip(header, texts[:width], strict=False)),
                    f"has {width + len(extra)} cells, the header has {width}" if extra else None,
                    extra,
                )
        except (BadZipFile, KeyError, OSError, ValueError) as exc:
            yield Row(done[0] + 1, None, f"cannot be read: the workbook is damaged ({exc})")
        finally:
            book.close()

    rows_total = max(sheet.max_row or 1, 1)
    return Source(path, "xlsx", None, header, rows(), size, lambda: size * done[0] // rows_total)


def _xlsx_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(int(value)) if value.is_integer() else repr(value)
    text = str(value)
    return _clean(text) if text.strip() else None
