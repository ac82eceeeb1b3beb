"""Client imports read and checked one batch ahead in a second process (issue 9): the same
report, error file, progress, refusals and written rows as in one process.

Every comparison runs the same file both ways against the same database: once in one process,
once with the child forced (``AHEAD_MIN_BYTES = 0``), in batches of 7 rows so that rows,
errors and duplicates cross batch boundaries.
"""

from __future__ import annotations

import contextlib
import csv
import json
import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from stdnum.cn import uscc

from crmcore import InvalidInput, NewClient
from crmcore.domain import checks
from crmcore.services import import_ahead, imports
from crmcore.services.imports import ImportRefused
from crmcore.store import tables as t
from crmcore.testing import row_counts

HEADER = ["code", "name", "credit_code", "postcode", "registered_capital", "size", "owner"]


def credit_code(i: int) -> str:
    body = f"91110000{i:09d}"
    return body + uscc.calc_check_digit(body)


def ledger_rows() -> list[list[str]]:
    """Valid rows, and every kind of bad row, spread over several batches of 7."""
    rows = [
        [f"K{i:03d}", f"广州恒达{i}号电子科技有限公司", credit_code(i), "510000", "100.50", "", ""]
        for i in range(30)
    ]
    rows[3][2] = credit_code(3)[:-1] + ("0" if credit_code(3)[-1] != "0" else "1")  # check char
    rows[5][1] = "中" * 201  # overlong name
    rows[8][3] = "5100"  # postcode
    rows[9][4] = "12.345"  # too many decimals
    rows[11][5] = "huge"  # not a size
    rows[12][6] = "nobody"  # unknown owner
    rows[14][0] = "K001"  # code twice in the file (the first is in another batch)
    rows[16][2] = credit_code(2)  # credit code twice in the file
    rows[17][0] = ""  # no code: one is generated
    rows[19][1] = ""  # no name
    rows[20][0] = "EXIST"  # updates the client made before the import
    rows[21][0] = "ARCH"  # an archived client: refused
    rows[22][2] = f" {credit_code(22).lower()} "  # stripped and upper-cased
    rows[23][1] = "重庆长隆银行"  # polyphonic: several spellings
    return rows


def write(path: Path, rows: list[list[str]], extra: str = "") -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
        f.write(extra)
    return path


@pytest.fixture
def both(crm, admin, monkeypatch):
    """``both(**kwargs)``: the import's outcome in one process, then with the child."""
    monkeypatch.setattr(imports, "BATCH", 7)
    crm.clients.add(admin, NewClient(name="已有公司", code="EXIST", postcode="100000"))
    crm.clients.add(admin, NewClient(name="旧公司", code="ARCH"))
    crm.clients.archive(admin, "ARCH", "closed")
    children: list[Any] = []

    class Counted(import_ahead.Ahead):
        def __init__(self, job: Any) -> None:
            children.append(job.path)
            super().__init__(job)

    monkeypatch.setattr(import_ahead, "Ahead", Counted)

    def run(path: Path, **kwargs: Any) -> list[Any]:
        outcomes = []
        for threshold in (10**12, 0):
            monkeypatch.setattr(import_ahead, "AHEAD_MIN_BYTES", threshold)
            outcomes.append(outcome(crm, admin, path, **kwargs))
        monkeypatch.setattr(import_ahead, "AHEAD_MIN_BYTES", 10**12)
        assert len(children) == 1  # the second run used the child
        children.clear()
        return outcomes

    return run


def outcome(crm, admin, path: Path, **kwargs: Any) -> dict[str, Any]:
    """What a user sees of one import, and what it wrote (then undone)."""
    errors = path.with_suffix(".errors.csv")
    ticks: list[tuple[int, int, int]] = []
    seen: dict[str, Any] = {}

    class Undo(Exception):
        """Raised to roll the import back once it has been looked at."""

    with contextlib.suppress(Undo), crm.transaction(admin) as tx:
        try:
            report = crm.imports.run(
                tx,
                "clients",
                path,
                error_file=errors,
                progress=lambda *tick: ticks.append(tick),
                **kwargs,
            )
            seen["report"] = (report.summary, report.errors, report.loaded, report.rows)
        except (ImportRefused, InvalidInput) as exc:
            seen["refused"] = (type(exc).__name__, str(exc), exc.rule)
        c = t.clients.c
        seen["clients"] = tx.conn.execute(
            select(
                c.code,
                c.name,
                c.credit_code,
                c.postcode,
                c.registered_capital,
                c.size,
                c.owner_id,
                c.version,
                c.name_pinyin,
                c.name_grams,
            ).order_by(c.code)
        ).all()
        seen["found"] = [x.code for x in crm.clients.search(tx, "cqzl")]
        raise Undo
    seen["ticks"] = ticks
    seen["error file"] = errors.read_text("utf-8-sig") if errors.exists() else None
    return seen


def test_the_child_refuses_and_reports_bad_rows_as_one_process_does(both, tmp_path):
    alone, ahead = both(write(tmp_path / "ledger.csv", ledger_rows()))
    assert alone == ahead
    assert alone["refused"][0] == "ImportRefused"
    assert "K003" not in [r.code for r in alone["clients"]]  # nothing loaded


def test_the_child_loads_exactly_the_valid_rows_as_one_process_does(both, tmp_path):
    alone, ahead = both(write(tmp_path / "ledger.csv", ledger_rows()), skip_invalid=True)
    assert alone == ahead
    summary = alone["report"][0]
    assert (summary["created"], summary["updated"], summary["invalid"]) == (19, 1, 10)
    assert alone["found"] == ["K023"]


def test_the_child_dry_run_matches_and_a_second_import_changes_nothing(crm, admin, both, tmp_path):
    path = write(tmp_path / "ledger.csv", ledger_rows())
    alone, ahead = both(path, dry_run=True)
    assert alone == ahead
    crm.imports.run(admin, "clients", path, skip_invalid=True)
    before = row_counts(crm)
    alone, ahead = both(path, skip_invalid=True)
    assert alone == ahead
    summary = alone["report"][0]
    assert (summary["created"], summary["updated"]) == (
        0,
        0,
    )  # the row without a code matches by credit code
    assert row_counts(crm) == before


def test_a_file_broken_after_the_first_batches_is_refused_the_same_way(both, tmp_path):
    rows = [r for r in ledger_rows() if r[0] not in {"EXIST", "ARCH"}]
    broken = write(tmp_path / "broken.csv", rows, extra='K999,"unterminated')
    alone, ahead = both(broken)
    assert alone == ahead
    assert alone["error file"].count("truncated or malformed") == 1
    # undecodable bytes past the part the encoding was detected from
    path = tmp_path / "bad-bytes.csv"
    padding = [[f"P{i:05d}", "甲" * 60, "", "", "", "", ""] for i in range(600)]
    write(path, padding)
    path.write_bytes(path.read_bytes() + b"P99999,\xff\xfe,,,,,\r\n")
    alone, ahead = both(path)
    assert alone == ahead
    assert alone["refused"][0] == "InvalidInput" and "not valid utf-8" in alone["refused"][1]


def test_a_threaded_host_starts_the_child_fresh(crm, admin, tmp_path, monkeypatch):
    """In a process with threads (a server) the child is spawned, not forked."""
    monkeypatch.setattr(import_ahead, "AHEAD_MIN_BYTES", 0)
    monkeypatch.setattr(import_ahead, "_context", lambda: multiprocessing.get_context("spawn"))
    report = crm.imports.run(admin, "clients", write(tmp_path / "x.csv", ledger_rows()[:3]))
    assert (report.created, report.invalid) == (3, 0)
    assert crm.clients.get(admin, "K001").name == "广州恒达1号电子科技有限公司"


def test_small_files_stay_in_one_process(crm, admin, tmp_path, monkeypatch):
    started: list[Any] = []
    monkeypatch.setattr(import_ahead, "Ahead", lambda job: started.append(job))
    crm.imports.run(admin, "clients", write(tmp_path / "x.csv", ledger_rows()[:3]))
    assert started == []
    assert not import_ahead.wanted("contacts", 10**9)


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


@given(
    st.one_of(
        st.text(alphabet=_USCC_CHARS + "IOSVZa -１", min_size=16, max_size=20),
        st.builds(
            lambda digits, rest: digits + rest + uscc.calc_check_digit(digits + rest),
            st.text(alphabet="0123456789", min_size=8, max_size=8),
            st.text(alphabet=_USCC_CHARS, min_size=9, max_size=9),
        ),
    )
)
def test_credit_codes_checked_in_one_pass_are_those_stdnum_accepts_as_written(code):
    """CORE-REC-1: the one-pass check accepts a code only where python-stdnum does (anything
    else still goes to stdnum, which accepts or explains)."""
    assert checks._plainly_valid_credit_code(code) == (
        uscc.is_valid(code) and uscc.compact(code) == code
    )


@pytest.mark.parametrize("fmt", ["jsonl", "xlsx"])
def test_json_lines_and_workbooks_are_read_ahead_the_same_way(both, tmp_path, fmt):
    rows = [dict(zip(HEADER, row, strict=True)) for row in ledger_rows()]
    path = tmp_path / f"ledger.{fmt}"
    if fmt == "jsonl":
        path.write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + '{"code": "K9',
            "utf-8",
        )
    else:
        from openpyxl import Workbook

        book = Workbook()
        book.active.append(HEADER)
        for r in rows:
            book.active.append([r[h] or None for h in HEADER])
        book.save(path)
    alone, ahead = both(path, skip_invalid=True)
    assert alone == ahead
    assert alone["report"][0]["created"] == 19
