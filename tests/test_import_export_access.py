"""Bulk import and export under the access model (CORE-CONF-1..5, CORE-OWN-3).

An export is a door like any other: the same clients, the same masked fields (written as
``(masked)``, ID numbers in their masked form) and one audit event naming what was masked. A
masked export edited and imported back never overwrites what it hid. An import writes only to
clients its user may read, never a field they may not read, and assigns new clients by the
organisation's rules as single adds do.
"""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from crmcore import NewClient, NewContact, NewLog, PermissionDenied
from crmcore.domain.security import NewAssignmentRule, NewUnit
from crmcore.sampledata import SampleData
from crmcore.services.imports import ImportRefused
from crmcore.store import tables as t
from crmcore.testing import row_counts


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def ledger(crm, admin, make_user):
    """lina (account manager, cleared for confidential) owns KA-1; KA-2 belongs to someone
    else. Admins made the capital, contact phones and next actions secret."""
    make_user("lina", "account_manager")
    make_user("other", "account_manager")
    number = SampleData(7).id_number()
    crm.clients.add(
        admin,
        NewClient(
            code="KA-1",
            name="广州恒达电子科技有限公司",
            owner="lina",
            registered_capital=Decimal("5000000"),
            profile={"class": "A"},
        ),
    )
    crm.clients.add(admin, NewClient(code="KA-2", name="重庆银行股份有限公司", owner="other"))
    crm.contacts.add(
        admin,
        "KA-1",
        NewContact(
            name="王经理",
            position="采购部经理",
            phone="13800000001",
            email="wang@hengda.cn",
            id_number=number,
        ),
    )
    crm.logs.add(admin, "KA-1", NewLog(channel="visit", summary="拜访采购部", next_action="报价"))
    for entity, field in (
        ("client", "registered_capital"),
        ("contact", "phone"),
        ("contact_log", "next_action"),
    ):
        crm.access.add_field_rule(admin, entity, field, clearance="secret")
    return number


def test_exports_mask_as_the_doors_do_and_show_only_readable_clients(crm, admin, ledger, tmp_path):
    lina = crm.actor("lina")
    for kind in ("clients", "contacts", "logs"):
        crm.exports.run(lina, kind, tmp_path / f"{kind}.csv")
    clients = read_csv(tmp_path / "clients.csv")
    assert [r["code"] for r in clients] == ["KA-1"]  # KA-2 is not hers
    assert clients[0]["registered_capital"] == "(masked)"
    assert json.loads(clients[0]["profile"]) == {"class": "A"}
    (contact,) = read_csv(tmp_path / "contacts.csv")
    assert (contact["phone"], contact["email"]) == ("(masked)", "wang@hengda.cn")
    assert contact["id_number"] == ledger[:3] + "*" * 11 + ledger[-4:]  # never in clear
    (log,) = read_csv(tmp_path / "logs.csv")
    assert (log["summary"], log["next_action"]) == ("拜访采购部", "(masked)")
    text = "".join((tmp_path / f"{k}.csv").read_text("utf-8-sig") for k in ("contacts", "logs"))
    assert "13800000001" not in text and ledger not in text and "报价" not in text
    # one event per export, naming the masked columns and the file; no per-client reads
    events = crm.audit.log(admin, user="lina", limit=50)
    assert [e.action for e in events] == ["export.logs", "export.contacts", "export.clients"]
    assert [e.detail["masked"] for e in events] == [
        ["next_action"],
        ["phone"],
        ["registered_capital"],
    ]
    assert events[-1].detail["count"] == 1 and events[-1].detail["file"] == "clients.csv"
    # the same as the API shows her
    assert crm.contacts.list(lina, "KA-1")[0].masked == ("phone",)


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_a_masked_export_imported_back_overwrites_nothing(crm, admin, ledger, tmp_path, fmt):
    lina = crm.actor("lina")
    files = {kind: tmp_path / f"{kind}.{fmt}" for kind in ("clients", "contacts", "logs")}
    for kind, path in files.items():
        crm.exports.run(lina, kind, path)
    before = row_counts(crm)
    for kind, path in files.items():
        report = crm.imports.run(lina, kind, path)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 1), kind
    assert {k: v for k, v in row_counts(crm).items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    client = crm.clients.get(admin, "KA-1")
    assert client.registered_capital == Decimal("5000000.00")
    (contact,) = crm.contacts.list(admin, "KA-1")
    assert contact.phone == "13800000001"
    assert [c.id for c in crm.contacts.find_by_id_number(admin, ledger)] == [contact.id]
    assert crm.logs.timeline(admin, "KA-1")[0].next_action == "报价"


def test_an_edited_masked_export_changes_only_what_was_edited(crm, admin, ledger, tmp_path):
    lina = crm.actor("lina")
    path = tmp_path / "contacts.csv"
    crm.exports.run(lina, "contacts", path)
    rows = read_csv(path)
    rows[0]["position"] = "副总经理"
    write_csv(path, list(rows[0]), [list(r.values()) for r in rows])
    assert crm.imports.run(lina, "contacts", path).updated == 1
    (contact,) = crm.contacts.list(admin, "KA-1")
    assert (contact.position, contact.phone) == ("副总经理", "13800000001")
    assert [c.id for c in crm.contacts.find_by_id_number(admin, ledger)] == [contact.id]


def test_an_import_may_not_write_a_field_its_user_may_not_read(crm, admin, ledger, tmp_path):
    """CORE-CONF-2: writing a hidden field would let one probe or overwrite it."""
    lina = crm.actor("lina")
    before = row_counts(crm)
    path = write_csv(
        tmp_path / "c.csv", ["client_code", "name", "phone"], [["KA-1", "李娜", "13900000000"]]
    )
    with pytest.raises(PermissionDenied, match=r"phone: lina may not write contact\.phone"):
        crm.imports.run(lina, "contacts", path)
    logs = write_csv(
        tmp_path / "l.csv",
        ["client_code", "channel", "occurred_at", "summary", "next_action"],
        [["KA-1", "phone", "2026-01-05 10:00", "电话", "签约"]],
    )
    with pytest.raises(PermissionDenied, match="next_action"):
        crm.imports.run(lina, "logs", logs)
    clients = write_csv(
        tmp_path / "k.csv", ["code", "name", "registered_capital"], [["KA-1", "恒达", "1"]]
    )
    with pytest.raises(PermissionDenied, match="registered_capital"):
        crm.imports.run(lina, "clients", clients)
    assert row_counts(crm) == before


def test_an_import_touches_only_clients_its_user_may_read(crm, admin, ledger, tmp_path):
    lina = crm.actor("lina")
    before = row_counts(crm)
    clients = write_csv(tmp_path / "k.csv", ["code", "name"], [["KA-2", "改名的银行"]])
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(lina, "clients", clients)
    (error,) = refused.value.report.errors
    assert (error.field, error.check) == ("code", "CORE-CONF-2")
    contacts = write_csv(tmp_path / "c.csv", ["client_code", "name"], [["KA-2", "张三"]])
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(lina, "contacts", contacts)
    assert [(e.field, e.check) for e in refused.value.report.errors] == [
        ("client_code", "CORE-CONF-2")
    ]
    assert row_counts(crm) == before
    assert crm.clients.get(admin, "KA-2").name == "重庆银行股份有限公司"


def test_imported_clients_are_assigned_by_the_rules_as_single_adds_are(crm, admin, tmp_path):
    """CORE-OWN-3: region, industry and importance decide the unit and its manager."""
    from crmcore import NewUser

    crm.users.add(admin, NewUser(login="gzmgr", name="广州经理", roles=("account_manager",)))
    crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
    crm.org.add_unit(
        admin, NewUnit(code="GZ", name="广州分公司", kind="branch", parent="HQ", manager="gzmgr")
    )
    crm.org.add_rule(admin, NewAssignmentRule(unit="GZ", region="广东"))
    path = write_csv(
        tmp_path / "k.csv",
        ["code", "name", "region", "importance"],
        [
            ["KA-1", "广州恒达电子科技有限公司", "广东/广州", "key"],
            ["KA-2", "重庆银行", "重庆", ""],
        ],
    )
    assert crm.imports.run(admin, "clients", path).created == 2
    single = crm.clients.add(admin, NewClient(code="KA-3", name="佛山公司", region="广东/佛山"))
    imported = crm.clients.get(admin, "KA-1")
    assert (imported.unit, imported.owner) == (single.unit, single.owner) == ("GZ", "gzmgr")
    assert imported.importance == "key"
    assert imported.clearance.label == "confidential"  # CORE-CONF-1, as single adds
    assert crm.clients.get(admin, "KA-2").owner == "admin"  # no rule: whoever imports


def test_imported_id_numbers_are_encrypted_and_found_by_the_blind_index(crm, admin, tmp_path):
    crm.clients.add(admin, NewClient(code="KA-1", name="广州恒达电子科技有限公司"))
    number = SampleData(3).id_number()
    path = write_csv(
        tmp_path / "c.csv", ["客户编号", "姓名", "身份证号"], [["KA-1", "王经理", number]]
    )
    assert crm.imports.run(admin, "contacts", path).created == 1
    (contact,) = crm.contacts.find_by_id_number(admin, number)
    assert contact.id_number == number[:3] + "*" * 11 + number[-4:]
    with crm.engine.connect() as conn:
        stored = conn.execute(select(t.contacts.c.id_number_cipher)).scalar_one()
    assert number.encode() not in stored
    assert crm.imports.run(admin, "contacts", path).unchanged == 1
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")  # a typing error: bad check
    bad = write_csv(
        tmp_path / "b.csv", ["client_code", "name", "id_number"], [["KA-1", "李", wrong]]
    )
    with pytest.raises(ImportRefused) as refused:
        crm.imports.run(admin, "contacts", bad, error_file=tmp_path / "errors.csv")
    (error,) = refused.value.report.errors
    assert (error.field, error.check) == ("id_number", "CORE-CONF-5")
    assert wrong not in str(refused.value) and wrong not in (tmp_path / "errors.csv").read_text()


def test_search_records_its_look_ups_and_an_export_does_not_record_one_per_client(
    crm, admin, make_user, tmp_path
):
    make_user("lina", "account_manager")
    for i in range(3):
        crm.clients.add(admin, NewClient(code=f"KA-{i}", name=f"恒达{i}号公司", owner="lina"))
    lina = crm.actor("lina")
    assert len(crm.clients.search(lina, "恒达")) == 3
    crm.exports.run(lina, "clients", tmp_path / "out.jsonl")
    actions = [e.action for e in crm.audit.log(admin, user="lina", limit=50)]
    assert actions == ["export.clients", *["client.search"] * 3]


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "xlsx"])
def test_logs_round_trip_with_their_inquiry_flag(crm, admin, tmp_path, fmt):
    """CORE-LOG-3 counts inquiries: an exported and re-imported ledger keeps which they are."""
    crm.clients.add(admin, NewClient(code="KA-1", name="广州恒达电子科技有限公司"))
    crm.logs.add(admin, "KA-1", NewLog(channel="phone", summary="询价", inquiry=True))
    crm.logs.add(admin, "KA-1", NewLog(channel="visit", summary="回访"))
    out = tmp_path / f"logs.{fmt}"
    crm.exports.run(admin, "logs", out)
    crm.clients.add(admin, NewClient(code="KA-2", name="重庆银行股份有限公司"))
    moved = tmp_path / f"moved.{fmt}"
    if fmt == "csv":
        moved.write_text(out.read_text("utf-8-sig").replace("KA-1", "KA-2"), "utf-8-sig")
    elif fmt == "jsonl":
        moved.write_text(out.read_text("utf-8").replace("KA-1", "KA-2"), "utf-8")
    else:
        from openpyxl import load_workbook

        book = load_workbook(out)
        for row in book.active.iter_rows(min_row=2):
            row[0].value = "KA-2"
        book.save(moved)
    assert crm.imports.run(admin, "logs", moved).created == 2
    assert {(g.summary, g.inquiry) for g in crm.logs.timeline(admin, "KA-2")} == {
        ("询价", True),
        ("回访", False),
    }
