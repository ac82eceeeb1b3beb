"""Client archives (CORE-ARC-1/2): documents filed by category, content-addressed, versioned,
never deleted; limits on size and type; a custodian; an index sortable by registered keys."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from crmcore import Crm, InvalidInput, NewClient, PermissionDenied, PluginError, hookimpl
from crmcore.domain.archives import NewDocument
from crmcore.domain.plugins import PluginInfo
from crmcore.store import tables as t
from crmcore.testing import row_counts

PDF = b"%PDF-1.4 contract body"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def doc(**overrides) -> NewDocument:
    values = dict(category="contracts", title="年度供货合同", filename="contract.pdf", content=PDF)
    return NewDocument(**{**values, **overrides})


class CreditPlugin:
    """A plugin with its own category and a sort key (as issue 5 will add annual sales)."""

    @staticmethod
    @hookimpl
    def crm_plugin_info():
        return PluginInfo(name="credit")

    @staticmethod
    @hookimpl
    def crm_archive_categories(register):
        register("credit_checks", "Credit investigations", "资信调查")

    @staticmethod
    @hookimpl
    def crm_client_sort_keys(register):
        register("capital", lambda tx: t.clients.c.registered_capital, label="registered capital")


def test_documents_are_filed_by_category_and_date_and_stored_once(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    first = crm.archives.file(admin, c.code, doc(dated=date(2026, 3, 1)))
    crm.archives.file(
        admin, c.code, doc(category="basic", title="营业执照", filename="licence.png", content=PNG)
    )
    crm.archives.file(admin, c.code, doc(title="补充协议", dated=date(2026, 1, 5)))  # same bytes
    listed = crm.archives.list(admin, c.code)
    assert [(d.category, d.title) for d in listed] == [
        ("basic", "营业执照"),  # CORE-ARC-1 order: basic, contracts, receivables, complaints
        ("contracts", "补充协议"),  # each category by the document's own date
        ("contracts", "年度供货合同"),
    ]
    assert first.media_type == "application/pdf" and first.size == len(PDF)
    with crm.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.document_blobs)) == 2


def test_versions_are_kept_and_each_can_be_taken_out(crm, admin, tmp_path, cli):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    d = crm.archives.file(admin, c.code, doc())
    second = crm.archives.add_version(
        admin, d.id, "contract-v2.pdf", b"%PDF-1.4 signed", note="盖章版"
    )
    assert second.version == 2 and [v.filename for v in second.versions] == [
        "contract.pdf",
        "contract-v2.pdf",
    ]
    assert crm.archives.content(admin, d.id, version=1)[1] == PDF
    assert crm.archives.content(admin, d.id)[1] == b"%PDF-1.4 signed"
    exports = crm.audit.log(admin, action="export.document")
    assert [e.detail["version"] for e in exports] == [2, 1]  # every copy taken out is recorded
    out = tmp_path / "out.pdf"
    assert cli("archive", "get", str(d.id), "-o", str(out), "--version", "1").exit_code == 0
    assert out.read_bytes() == PDF
    assert cli("archive", "get", str(d.id), "-o", str(out)).exit_code == 5  # never overwrites
    withdrawn = crm.archives.withdraw(admin, d.id, "合同作废")
    assert withdrawn.withdrawn_reason == "合同作废"
    assert crm.archives.list(admin, c.code) == []
    assert [x.id for x in crm.archives.list(admin, c.code, include_withdrawn=True)] == [d.id]


@pytest.mark.parametrize(
    ("overrides", "field", "says"),
    [
        (dict(category="gossip"), "category", "unknown category 'gossip'"),
        (dict(filename="setup.exe", content=b"MZ\x90\x00"), "file", ".exe is not an allowed type"),
        (
            dict(filename="contract.pdf", content=b"MZ\x90\x00 not a pdf"),
            "file",
            "does not look like a .pdf",
        ),
        (dict(content=b""), "file", "is empty"),
        (
            dict(filename="big.pdf", content=b"%PDF-" + b"0" * (20 * 1024 * 1024)),
            "file",
            "the limit is 20,971,520",
        ),
        (dict(title="  "), "title", "must not be empty"),
    ],
)
def test_bad_documents_are_refused_and_nothing_is_written(crm, admin, overrides, field, says):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    before = row_counts(crm)
    with pytest.raises(InvalidInput) as err:
        crm.archives.file(admin, c.code, doc(**overrides))
    assert err.value.field == field and says in str(err.value) and err.value.rule == "CORE-ARC-1"
    assert row_counts(crm) == before


def test_cli_refuses_a_disguised_file_in_one_line(cli, crm_url, tmp_path):
    cli("client", "add", "--name", "甲公司")
    fake = tmp_path / "invoice.pdf"
    fake.write_bytes(b"#!/bin/sh\nrm -rf /\n")
    with Crm.open(crm_url) as crm:
        before = row_counts(crm)
    result = cli(
        "archive", "add", "C000001", str(fake), "--category", "receivables", "--title", "发票"
    )
    assert result.exit_code == 3 and result.stdout == ""
    assert result.stderr.strip() == (
        "error: file: does not look like a .pdf file: its content is of another type (CORE-ARC-1)"
    )
    missing = cli(
        "archive",
        "add",
        "C000001",
        str(tmp_path / "nope.pdf"),
        "--category",
        "basic",
        "--title",
        "x",
    )
    assert missing.exit_code == 3 and missing.stderr.startswith("error: file: cannot read")
    with Crm.open(crm_url) as crm:
        assert row_counts(crm) == before


def test_documents_above_the_readers_clearance_are_not_listed(crm, admin, make_user):
    lina = make_user("lina")
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="lina"))
    crm.archives.file(admin, c.code, doc(title="普通合同"))
    secret = crm.archives.file(
        admin, c.code, doc(title="价格底线", clearance="secret", content=b"%PDF-x")
    )
    assert [d.title for d in crm.archives.list(lina, c.code)] == ["普通合同"]
    with pytest.raises(PermissionDenied, match="not cleared"):
        crm.archives.content(lina, secret.id)
    with pytest.raises(PermissionDenied, match="above their own"):
        crm.archives.file(lina, c.code, doc(clearance="secret"))


def test_plugins_add_categories_and_sort_keys(crm_url):
    with Crm.open(crm_url, extra_plugins={"credit": CreditPlugin}) as crm:
        admin = crm.actor("admin")
        assert [c.code for c in crm.archives.categories(admin)] == [
            "basic",
            "contracts",
            "receivables",
            "complaints",
            "credit_checks",
        ]
        small = crm.clients.add(admin, NewClient(name="小", registered_capital=Decimal(100)))
        big = crm.clients.add(admin, NewClient(name="大", registered_capital=Decimal(900)))
        none = crm.clients.add(admin, NewClient(name="无"))
        crm.archives.file(admin, small.code, doc(category="credit_checks", title="资信报告"))
        rows = crm.archives.index(admin, sort="capital")
        assert [r.client_code for r in rows] == [big.code, small.code, none.code]  # no value: last
        assert [
            r.client_code for r in crm.archives.index(admin, sort="capital", descending=False)
        ] == [
            small.code,
            big.code,
            none.code,
        ]
        assert crm.archives.index(admin, sort="documents")[0].documents == 1
        with pytest.raises(InvalidInput, match="unknown sort key 'annual_sales'") as err:
            crm.archives.index(admin, sort="annual_sales")
        assert err.value.rule == "CORE-ARC-2"


def test_a_plugin_cannot_take_a_core_category(crm_url):
    class Thief:
        @staticmethod
        @hookimpl
        def crm_plugin_info():
            return PluginInfo(name="thief")

        @staticmethod
        @hookimpl
        def crm_archive_categories(register):
            register("contracts", "Mine now")

    with pytest.raises(
        PluginError, match="plugin thief: archive category 'contracts' is already registered"
    ):
        Crm.open(crm_url, extra_plugins={"thief": Thief})


def test_custodian_and_index_by_owner_region_and_unit(crm, admin, make_user, cli):
    """CORE-ARC-2: a named custodian (专人管理); listings by salesperson, region, company."""
    make_user("lina")
    make_user("keeper", "read_only")
    a = crm.clients.add(admin, NewClient(name="广州甲", region="广东/广州", owner="lina"))
    b = crm.clients.add(admin, NewClient(name="北京乙", region="北京/北京"))
    crm.archives.set_custodian(admin, a.code, "keeper")
    assert crm.clients.get(admin, a.code).custodian == "keeper"
    assert [c.code for c in crm.clients.list(crm.actor("keeper"))] == [
        a.code
    ]  # the keeper may read it
    assert [r.client_code for r in crm.archives.index(admin, owner="lina")] == [a.code]
    assert [r.client_code for r in crm.archives.index(admin, region="广东")] == [a.code]
    assert [r.client_code for r in crm.archives.index(admin, custodian="keeper")] == [a.code]
    assert {r.client_code for r in crm.archives.index(admin)} == {a.code, b.code}
    listed = json.loads(cli("archive", "index", "--sort", "name", "--json").stdout)
    assert [r["client_name"] for r in listed] == sorted(["广州甲", "北京乙"])
    assert cli("archive", "custodian", a.code, "--user", "ghost").exit_code == 4
    assert [h["action"] for h in crm.clients.history(admin, a.code)][-1] == "custodian"


def test_cli_files_lists_and_shows(cli, tmp_path: Path):
    cli("client", "add", "--name", "甲公司")
    f = tmp_path / "合同.pdf"
    f.write_bytes(PDF)
    added = cli(
        "archive",
        "add",
        "C000001",
        str(f),
        "--category",
        "contracts",
        "--title",
        "供货合同",
        "--date",
        "2026-05-01",
    )
    assert added.exit_code == 0 and "filed document 1" in added.stdout
    listed = json.loads(cli("archive", "list", "C000001", "--json").stdout)
    assert [(d["title"], d["dated"], d["clearance"]) for d in listed] == [
        ("供货合同", "2026-05-01", "confidential")
    ]
    shown = cli("archive", "show", "1")
    assert shown.exit_code == 0 and "合同.pdf" in shown.stdout
    assert "credit_checks" not in cli("archive", "categories").stdout


def test_index_sorts_by_the_newest_yearly_figures(crm, admin, cli):
    """CORE-ARC-2: listings sort by annual sales, collection rate and credit standing (the
    newest year's figure, CORE-REC-3); clients without the figure come last."""
    big = crm.clients.add(admin, NewClient(name="甲公司")).code
    small = crm.clients.add(admin, NewClient(name="乙公司")).code
    none = crm.clients.add(admin, NewClient(name="丙公司")).code
    crm.figures.record(admin, big, 2024, {"sales_amount": "100"}, source="2024年报")
    crm.figures.record(
        admin, big, 2025, {"sales_amount": "9000000", "collection_rate": "80"}, source="2025年报"
    )
    crm.figures.record(
        admin,
        small,
        2025,
        {"sales_amount": "120000", "collection_rate": "99.5", "credit_standing": "90"},
        source="2025年报",
    )
    by_sales = crm.archives.index(admin, sort="sales_amount")
    assert [(r.client_code, r.sort_value) for r in by_sales] == [
        (big, Decimal("9000000")),
        (small, Decimal("120000")),
        (none, None),
    ]
    assert [r.client_code for r in crm.archives.index(admin, sort="collection_rate")][:2] == [
        small,
        big,
    ]
    listed = json.loads(cli("archive", "index", "--sort", "credit_standing", "--json").stdout)
    assert listed[0]["client_code"] == small


def test_sorting_by_figures_needs_the_right_to_read_them(crm, admin, cli):
    """CORE-CONF-2: an order reveals how values compare, so a user not cleared for the
    figures (confidential) may not sort by them; other keys still work."""
    from crmcore import NewUser

    crm.users.add(
        admin, NewUser(login="temp", name="临时工", roles=("admin",), clearance="internal")
    )
    with pytest.raises(PermissionDenied, match="CORE-CONF-2"):
        crm.archives.index(crm.actor("temp"), sort="sales_amount")
    refused = cli("archive", "index", "--sort", "sales_amount", user="temp")
    assert refused.exit_code == 6 and "Traceback" not in refused.output
    assert refused.stderr.count("\n") == 1 and "CORE-CONF-2" in refused.stderr
    assert cli("archive", "index", "--sort", "name", user="temp").exit_code == 0
