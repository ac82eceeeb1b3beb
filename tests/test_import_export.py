"""Bulk import and export (issue 9): encodings, bad files and rows, idempotence, injection,
access control; one audit event per job; plugins called once per batch."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from crmcore import InvalidInput, NewClient, NewUser, PermissionDenied
from crmcore.services.imports import ImportRefused
from crmcore.store import tables as t
from crmcore.testing import VALID_CREDIT_CODES as VALID_USCC
from crmcore.testing import row_counts

HEADER = ["code", "name", "credit_code", "phone", "registered_capital", "region"]
ROWS = [
    ["KA-1", "广州恒达电子科技有限公司", VALID_USCC[0], "020-87654321", "5000000.00", "广东/广州"],
    ["KA-2", "重庆银行股份有限公司", VALID_USCC[1], "", "", "重庆/重庆"],
    ["KA-3", "长隆集团有限公司", "", "", "12.50", ""],
]


def write_csv(path: Path, rows, header=HEADER, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def audit_actions(crm) -> list[str]:
    with crm.engine.connect() as conn:
        return list(conn.scalars(select(t.audit_events.c.action).order_by(t.audit_events.c.seq)))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_any_encoding_chinese_excel_saves_is_detected(crm, admin, tmp_path, encoding):
    path = write_csv(tmp_path / "ledger.csv", ROWS, encoding=encoding)
    report = crm.imports.run(admin, "clients", path)
    assert (report.created, report.invalid) == (3, 0)
    assert crm.clients.get(admin, "KA-2").name == "重庆银行股份有限公司"
    assert [c.code for c in crm.clients.search(admin, "cqyh")] == ["KA-2"]


def test_wrong_encoding_given_is_one_clear_error_and_nothing_is_written(crm, admin, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", ROWS, encoding="gbk")
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match=r"not valid utf-8.*--encoding"):
        crm.imports.run(admin, "clients", path, encoding="utf-8")
    assert row_counts(crm) == before


def test_importing_the_same_file_twice_changes_nothing(crm, admin, tmp_path):
    path = write_csv(tmp_path / "ledger.csv", ROWS)
    crm.imports.run(admin, "clients", path)
    before = row_counts(crm)
    again = crm.imports.run(admin, "clients", path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    after = row_counts(crm)
    assert after["audit_events"] == before["audit_events"] + 1  # the job, nothing else
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }


def test_reimport_updates_by_code_and_versions_the_change(crm, admin, tmp_path):
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    changed = [list(r) for r in ROWS]
    changed[0][3] = "020-11112222"
    changed[2][1] = "海天味业有限公司"
    report = crm.imports.run(admin, "clients", write_csv(tmp_path / "b.csv", changed))
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    ka1 = crm.clients.get(admin, "KA-1")
    assert (ka1.phone, ka1.version) == ("020-11112222", 2)
    last = crm.clients.history(admin, "KA-1")[-1]
    assert last["action"] == "import"
    assert last["changes"] == {"phone": ["020-87654321", "020-11112222"]}
    assert [c.code for c in crm.clients.search(admin, "htwy")] == ["KA-3"]
    assert crm.clients.search(admin, "长隆") == []


def test_every_bad_row_is_reported_and_nothing_is_half_loaded(crm, admin, tmp_path):
    rows = [
        *ROWS,
        ["KA-4", "", "", "", "", ""],  # no name
        ["KA-5", "甲公司", "91110000600037341X", "", "", ""],  # bad check character
        ["KA-1", "又一个公司", "", "", "", ""],  # duplicate code in the file
        ["KA-6", "乙公司", "", "", "1.001", ""],  # too many decimals
        ["KA-7", "中" * 201, "", "", "", ""],  # overlong
        ["KA-8", "丙公司", VALID_USCC[0], "", "", ""],  # credit code twice in the file
    ]
    errors = tmp_path / "errors.csv"
    before = row_counts(crm)
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(admin, "clients", write_csv(tmp_path / "x.csv", rows), error_file=errors)
    assert row_counts(crm) == before
    report = refused.value.report
    assert (report.rows, report.invalid, report.loaded) == (9, 6, False)
    with errors.open(encoding="utf-8-sig") as f:
        listed = [(int(r["row"]), r["field"], r["check"]) for r in csv.DictReader(f)]
    assert listed == [
        (5, "name", "CORE-REC-1"),
        (6, "credit_code", "CORE-REC-1"),
        (7, "code", "duplicate"),
        (8, "registered_capital", "CORE-REC-1"),
        (9, "name", "CORE-REC-1"),
        (10, "credit_code", "CORE-REC-1"),
    ]


def test_skip_invalid_loads_exactly_the_valid_rows(crm, admin, tmp_path):
    rows = [*ROWS, ["KA-4", "", "", "", "", ""], ["KA-5", "甲公司", "bad", "", "", ""]]
    report = crm.imports.run(
        admin, "clients", write_csv(tmp_path / "x.csv", rows), skip_invalid=True
    )
    assert (report.created, report.invalid, report.loaded) == (3, 2, True)
    assert audit_actions(crm)[-1] == "import.clients"
    assert [c.code for c in crm.clients.list(admin)] == ["KA-1", "KA-2", "KA-3"]


def test_dry_run_checks_against_the_database_and_writes_nothing(crm, admin, tmp_path):
    crm.clients.add(admin, NewClient(name="已有公司", code="OLD", credit_code=VALID_USCC[0]))
    before = row_counts(crm)
    report = crm.imports.run(admin, "clients", write_csv(tmp_path / "x.csv", ROWS), dry_run=True)
    assert (report.created, report.invalid) == (2, 1)  # KA-1's credit code belongs to OLD
    assert report.errors[0].check == "CORE-REC-1"
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binary\x00", "binary"),
        (b"PK\x03\x04zipzip", "ZIP"),
        ("code,name,colour\nK1,甲,红\n".encode(), "unknown column 'colour'"),
        ("phone,region\n020-1,广东\n".encode(), "missing column name, code or credit_code"),
        (b"", "empty"),
    ],
)
def test_unreadable_files_and_bad_headers_are_refused_whole(crm, admin, tmp_path, content, message):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match=message):
        crm.imports.run(admin, "clients", path)
    assert row_counts(crm) == before


def test_truncated_csv_is_reported_at_the_broken_row(crm, admin, tmp_path):
    path = write_csv(tmp_path / "t.csv", ROWS)
    path.write_bytes(path.read_bytes() + 'KA-9,"未闭合的引号公司'.encode())
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(admin, "clients", path)
    problem = refused.value.report.errors[0]
    assert (problem.row, problem.check) == (5, "file")
    assert "truncated" in problem.message


def test_truncated_xlsx_is_refused(crm, admin, tmp_path):
    good = tmp_path / "good.xlsx"
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    crm.exports.run(admin, "clients", good)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(InvalidInput, match="not a readable XLSX"):
        crm.imports.run(admin, "clients", bad)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_export_then_import_round_trips_unchanged(crm, admin, tmp_path, fmt):
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    crm.clients.edit(admin, "KA-1", {"profile": {"age": "30年"}})
    out = tmp_path / f"out.{fmt}"
    report = crm.exports.run(admin, "clients", out)
    assert report.rows == 3
    again = crm.imports.run(admin, "clients", out)
    assert (again.unchanged, again.created, again.updated, again.invalid) == (3, 0, 0, 0)


FORMULAS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "=cmd|' /C calc'!A0"]


def test_tab_and_carriage_return_starts_are_neutralised_too():
    from crmcore.io.writers import neutralise

    assert neutralise("\t=1+1") == "'\t=1+1"
    assert neutralise("\r=1+1") == "'\r=1+1"
    assert neutralise("广州 -1") == "广州 -1"


def test_formulas_in_cells_are_neutralised_in_csv_and_xlsx(crm, admin, tmp_path):
    for i, text in enumerate(FORMULAS):
        crm.clients.add(admin, NewClient(name=f"公司{i}", code=f"F{i}", address=text))
    csv_out, xlsx_out = tmp_path / "out.csv", tmp_path / "out.xlsx"
    crm.exports.run(admin, "clients", csv_out)
    crm.exports.run(admin, "clients", xlsx_out)
    with csv_out.open(encoding="utf-8-sig") as f:
        addresses = [r["address"] for r in csv.DictReader(f)]
    assert addresses == ["'" + text for text in FORMULAS]
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx_out).worksheets[0]
    column = [c.value for c in next(sheet.iter_cols(min_col=5, max_col=5, min_row=2))]
    assert column == ["'" + text for text in FORMULAS]
    assert all(c.data_type == "s" for row in sheet.iter_rows() for c in row if c.value)
    # and reading our own export gives the original text back
    again = crm.imports.run(admin, "clients", csv_out)
    assert again.unchanged == len(FORMULAS)


def test_formula_like_values_are_kept_as_text_in_json_lines(crm, admin, tmp_path):
    crm.clients.add(admin, NewClient(name="公司", code="F", address="=1+1"))
    out = tmp_path / "out.jsonl"
    crm.exports.run(admin, "clients", out)
    assert json.loads(out.read_text().splitlines()[0])["address"] == "=1+1"


def test_export_is_audited_and_needs_read_permission(crm, admin, tmp_path):
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    crm.exports.run(admin, "clients", tmp_path / "out.csv")
    assert audit_actions(crm)[-2:] == ["import.clients", "export.clients"]
    crm.users.add(admin, NewUser(login="nobody", name="无角色", roles=()))
    with pytest.raises(PermissionDenied):
        crm.exports.run(crm.actor("nobody"), "clients", tmp_path / "no.csv")
    assert not (tmp_path / "no.csv").exists()
    assert not (tmp_path / "no.csv.part").exists()


def test_export_shows_what_present_shows(crm, admin, tmp_path, make_user):
    """Masking happens in access.present; exports must not bypass it (CORE-CONF-2/5): a field
    an admin made secret is written as (masked) for someone cleared only for confidential."""
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    crm.access.add_field_rule(admin, "client", "phone", clearance="secret")
    make_user("lina", "account_manager")
    for code in ("KA-1", "KA-2", "KA-3"):
        crm.clients.assign(admin, code, "lina")
    lina = crm.actor("lina")
    out = tmp_path / "out.csv"
    crm.exports.run(lina, "clients", out)
    with out.open(encoding="utf-8-sig") as f:
        assert {r["phone"] for r in csv.DictReader(f)} == {"(masked)"}
    assert {c.phone for c in crm.clients.search(lina, "公司")} == {None}


def test_import_needs_write_permission(crm, admin, tmp_path, make_user):
    reader = make_user("reader", "read_only")
    with pytest.raises(PermissionDenied):
        crm.imports.run(reader, "clients", write_csv(tmp_path / "a.csv", ROWS))


def test_contacts_and_logs_import_idempotently(crm, admin, tmp_path):
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    contacts = write_csv(
        tmp_path / "contacts.csv",
        [["KA-1", "李娜", "采购部经理", "45岁"], ["KA-1", "王强", "总经理", ""]],
        header=["客户编号", "姓名", "职务", "profile.age"],
    )
    logs = write_csv(
        tmp_path / "logs.csv",
        [
            ["KA-1", "visit", "2026-11-20 10:00", "拜访采购部", "李娜、王强", "报价", "2026-11-27"],
            ["KA-2", "phone", "2026-11-21T09:30+08:00", "电话沟通", "", "", ""],
        ],
        header=[
            "client_code",
            "channel",
            "occurred_at",
            "summary",
            "participants",
            "next_action",
            "next_action_due",
        ],
    )
    assert crm.imports.run(admin, "contacts", contacts).created == 2
    assert crm.imports.run(admin, "logs", logs).created == 2
    assert crm.imports.run(admin, "contacts", contacts).unchanged == 2
    assert crm.imports.run(admin, "logs", logs).unchanged == 2
    people = crm.contacts.list(admin, "KA-1")
    assert [(p.name, p.profile) for p in people] == [("李娜", {"age": "45岁"}), ("王强", {})]
    timeline = crm.logs.timeline(admin, "KA-1")
    assert timeline[0].participants == ("李娜", "王强")
    assert timeline[0].occurred_at.isoformat() == "2026-11-20T02:00:00+00:00"  # China time
    assert crm.clients.get(admin, "KA-1").first_contact_by == "admin"  # CORE-LOG-1
    for kind in ("contacts", "logs"):
        out = tmp_path / f"{kind}.jsonl"
        assert crm.exports.run(admin, kind, out).rows == 2
        assert crm.imports.run(admin, kind, out).unchanged == 2


def test_log_rows_break_the_same_rules_as_single_adds(crm, admin, tmp_path):
    crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    logs = write_csv(
        tmp_path / "logs.csv",
        [
            ["KA-1", "visit", "2099-01-01 10:00", "未来"],
            ["KA-1", "pigeon", "2026-01-01 10:00", "飞鸽"],
            ["NOPE", "visit", "2026-01-01 10:00", "无此客户"],
        ],
        header=["client_code", "channel", "occurred_at", "summary"],
    )
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(admin, "logs", logs)
    assert [(e.field, e.check) for e in refused.value.report.errors] == [
        ("occurred_at", "CORE-LOG-1"),
        ("channel", "CORE-LOG-1"),
        ("client_code", "invalid"),
    ]


VETO_PLUGIN = """
from crmcore import PluginInfo, hookimpl

calls = []

@hookimpl
def crm_plugin_info():
    return PluginInfo(name="gate")

@hookimpl
def crm_import_veto(tx, kind, records):
    calls.append(("veto", kind, len(records)))
    return {i: "no banks" for i, r in enumerate(records) if "银行" in r.name}

@hookimpl
def crm_imported(tx, kind, created, updated):
    calls.append(("imported", kind, sorted(c.code for c in created)))
"""


def test_plugins_are_called_once_per_batch_and_can_refuse_rows(
    crm_url, tmp_path, plugin_installer, monkeypatch
):
    import importlib

    from crmcore import Crm
    from crmcore.services import imports

    module = plugin_installer("gate", VETO_PLUGIN)
    monkeypatch.setattr(imports, "BATCH", 2)
    with Crm.open(crm_url, plugins=["gate"]) as crm:
        admin = crm.actor("admin")
        path = write_csv(tmp_path / "a.csv", ROWS)
        with pytest.raises(ImportRefused, match="refused by plugin gate: no banks"):
            crm.imports.run(admin, "clients", path)
        calls = importlib.import_module(module).calls
        calls.clear()
        report = crm.imports.run(admin, "clients", path, skip_invalid=True)
        assert (report.created, report.invalid) == (2, 1)
        assert calls == [
            ("veto", "clients", 2),
            ("imported", "clients", ["KA-1"]),
            ("veto", "clients", 1),
            ("imported", "clients", ["KA-3"]),
        ]


def test_cli_import_reports_and_exits_with_invalid_input(cli, tmp_path):
    good = write_csv(tmp_path / "a.csv", ROWS)
    result = cli("import", "clients", str(good))
    assert result.exit_code == 0, result.output
    assert "3 rows, 3 new" in result.stdout
    bad = write_csv(tmp_path / "b.csv", [["KA-9", "", "", "", "", ""]])
    result = cli("import", "clients", str(bad))
    assert result.exit_code == 3
    assert "error: file: 1 of 1 rows are invalid (first: row 2, name:" in result.stderr
    assert "Traceback" not in result.output
    assert (tmp_path / "b.csv.errors.csv").exists()
    result = cli("import", "clients", str(bad), "--dry-run", "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["invalid"] == 1
    result = cli("export", "clients", str(tmp_path / "out.xlsx"))
    assert result.exit_code == 0 and "exported 3 clients" in result.stdout


def test_one_job_time_and_document_down_a_column_and_each_row_its_own_values(crm, admin, tmp_path):
    """Issue 9 speed: bulk inserts convert a value repeated down a column (the job's time, its
    history document) once; rows with values of their own still get their own."""
    report = crm.imports.run(admin, "clients", write_csv(tmp_path / "a.csv", ROWS))
    clients = [crm.clients.get(admin, code) for code in ("KA-1", "KA-2", "KA-3")]
    assert [c.registered_capital for c in clients] == [
        Decimal("5000000.00"),
        None,
        Decimal("12.50"),
    ]
    assert [c.region for c in clients] == ["广东/广州", "重庆/重庆", None]
    first = [crm.clients.history(admin, c.code)[0] for c in clients]
    assert [h["changes"] for h in first] == [{"import": report.sha256[:16]}] * 3
    assert len({c.created_at for c in clients} | {h["at"] for h in first}) == 1


def test_a_credit_code_written_with_spaces_is_matched_as_stored(crm, admin, tmp_path):
    """CORE-REC-1: ``9111 0000-6000…`` is the code OLD holds (stored compact), in the database
    and within the file: both rows are reported, nothing is written, no crash on the unique
    index."""
    crm.clients.add(admin, NewClient(name="已有公司", code="OLD", credit_code=VALID_USCC[1]))
    spaced = VALID_USCC[1][:8] + " " + VALID_USCC[1][8:12] + "-" + VALID_USCC[1][12:]
    rows = [
        ["KA-1", "甲公司", spaced, "", "", ""],
        ["KA-2", "乙公司", VALID_USCC[0], "", "", ""],
        ["KA-3", "丙公司", VALID_USCC[0].lower(), "", "", ""],
    ]
    before = row_counts(crm)
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(admin, "clients", write_csv(tmp_path / "x.csv", rows))
    assert row_counts(crm) == before
    assert [(e.row, e.field, e.check) for e in refused.value.report.errors] == [
        (2, "credit_code", "CORE-REC-1"),
        (4, "credit_code", "CORE-REC-1"),
    ]
