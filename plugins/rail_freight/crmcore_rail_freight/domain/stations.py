"""Stations (车站) and the register file that lists them.

RAIL-QUAL-1 item 4 asks that the stations a key account ships from or receives at be on the
railway's FMOS network (FMOS联网车站) and able to load or unload whole trains (整列装(卸)车).
The register says so per station; an admin loads it from a CSV or JSON file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from crmcore import InvalidInput
from crmcore.domain import checks

CODE = r"[A-Z0-9]{2,10}"
FLAGS = ("fmos", "whole_train_loading", "whole_train_unloading")
COLUMNS = ("code", "name", "bureau", *FLAGS)
#: How people write yes and no in a register file, beside true/false, yes/no, 1/0.
_YES_NO = {"是": "true", "否": "false", "y": "true", "n": "false"}


def station_code(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


@frozen(kw_only=True)
class Station:
    """One station of the register (a telegraph code such as ``DTV`` for 大同)."""

    code: str = field(
        converter=station_code,
        validator=checks.pattern(CODE, "a station code (2-10 capital letters or digits)"),
    )
    name: str = field(converter=checks.stripped, validator=checks.text(50, required=True))
    bureau: str = field(converter=checks.stripped, validator=checks.text(50, required=True))
    fmos: bool = False  # on the FMOS network (FMOS联网)
    whole_train_loading: bool = False  # can load whole trains (整列装车)
    whole_train_unloading: bool = False  # can unload whole trains (整列卸车)

    def whole_trains(self, loading: bool) -> bool:
        return self.whole_train_loading if loading else self.whole_train_unloading


def parse_register(text: str, filename: str = "file") -> list[Station]:
    """Read a register file: CSV with a header ``code,name,bureau,fmos,whole_train_loading,
    whole_train_unloading`` or a JSON list of such objects. Errors name the line and field;
    a code listed twice is refused."""
    from crmcore.convert import structure

    stripped = text.lstrip("\ufeff").strip()
    if not stripped:
        raise InvalidInput(filename, "is empty")
    rows: list[tuple[str, Mapping[str, Any]]]
    if stripped[0] == "[":
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise InvalidInput(filename, f"is not valid JSON: {exc}") from None
        if not all(isinstance(r, dict) for r in data):
            raise InvalidInput(filename, "JSON must be a list of station objects")
        rows = [(f"{filename}: entry {i}", r) for i, r in enumerate(data, 1)]
    else:
        reader = csv.DictReader(io.StringIO(stripped))
        header = [(h or "").strip() for h in reader.fieldnames or []]
        missing = [c for c in COLUMNS if c not in header]
        if missing:
            raise InvalidInput(filename, f"CSV needs a header line: {','.join(COLUMNS)}")
        rows = [
            (f"{filename}: line {reader.line_num}", {k.strip(): v for k, v in r.items() if k})
            for r in reader
        ]
    seen: dict[str, str] = {}
    result: list[Station] = []
    for where, row in rows:
        data = {k: _yes_no(v) if k in FLAGS else v for k, v in row.items() if k in COLUMNS}
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            raise InvalidInput(f"{where}: {unknown[0]}", f"is not a column ({', '.join(COLUMNS)})")
        try:
            station = structure(data, Station)
        except InvalidInput as exc:
            raise InvalidInput(f"{where}: {exc.field}", exc.message, rule=exc.rule) from None
        if station.code in seen:
            raise InvalidInput(
                f"{where}: code", f"{station.code} is already listed ({seen[station.code]})"
            )
        seen[station.code] = where
        result.append(station)
    if not result:
        raise InvalidInput(filename, "lists no stations")
    return result


def _yes_no(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return _YES_NO.get(value.lower(), value) or "false"
    return value


def changes(before: Station, after: Station) -> dict[str, list[Any]]:
    """Field -> [before, after] for what a reload changes."""
    return {
        name: [getattr(before, name), getattr(after, name)]
        for name in ("name", "bureau", *FLAGS)
        if getattr(before, name) != getattr(after, name)
    }
