"""Yearly figures and scorecards (CORE-REC-3, CLS-SCORE-1): recorded with year and source,
corrected without losing the old value, imported from CSV, refused when wrong."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from crmcore import InvalidInput, NewClient, NotFound, PermissionDenied
from crmcore.domain.figures import CRITERIA
from crmcore.store import tables as t
from crmcore.testing import row_counts

SCORES = dict.fromkeys(CRITERIA, "80")


@pytest.fixture
def two(crm, admin):
    crm.clients.add(admin, NewClient(name="甲公司", code="KA1"))
    crm.clients.add(admin, NewClient(name="乙公司", code="KA2"))
    return crm


def test_core_rec_3_figures_accumulate_with_year_and_source(two, admin):
    two.figures.record(admin, "KA1", 2024, {"sales_amount": "8000000"}, source="2024年报")
    sheet = two.figures.record(
        admin,
        "KA1",
        "2025",
        {"sales_amount": "12,000,000.50", "collection_rate": "96.5", "net_profit": "-300000"},
        source="2025年报",
    )
    assert {(f.year, f.metric, f.value, f.source) for f in sheet.figures} == {
        (2025, "sales_amount", Decimal("12000000.50"), "2025年报"),
        (2025, "collection_rate", Decimal("96.50"), "2025年报"),
        (2025, "net_profit", Decimal("-300000.00"), "2025年报"),
    }
    whole = two.figures.sheet(admin, "KA1")
    assert [f.year for f in whole.figures] == [2025, 2025, 2025, 2024]  # newest year first
    assert whole.figures[0].label_zh == "年销售额" and whole.figures[0].recorded_by == "admin"


def test_a_correction_supersedes_the_old_value_which_stays_in_the_history(two, admin):
    two.figures.record(admin, "KA1", 2025, {"sales_amount": "100"}, source="初报")
    before = row_counts(two)
    two.figures.record(admin, "KA1", 2025, {"sales_amount": "100"}, source="初报")
    assert row_counts(two) == before  # the same value from the same source: nothing written
    two.figures.record(admin, "KA1", 2025, {"sales_amount": "120"}, source="审计后")
    now = two.figures.sheet(admin, "KA1")
    assert [(f.value, f.source) for f in now.figures] == [(Decimal("120.00"), "审计后")]
    history = two.figures.sheet(admin, "KA1", history=True)
    assert [(f.value, f.superseded_at is None) for f in history.figures] == [
        (Decimal("100.00"), False),
        (Decimal("120.00"), True),
    ]


def test_the_audit_trail_names_the_figures_never_their_values(two, admin):
    two.figures.record(admin, "KA1", 2025, {"revenue": "7654321"}, source="年报")
    with two.engine.connect() as conn:
        body = conn.scalar(
            select(t.audit_events.c.body).where(t.audit_events.c.action == "figures.record")
        )
    assert '"metrics":["revenue"]' in body and "7654321" not in body


@pytest.mark.parametrize(
    ("figures", "scores", "message"),
    [
        ({"sales_amount": "-5"}, None, "sales_amount: must not be negative, not -5 (CORE-REC-3)"),
        (
            {"sales_amount": "12万"},
            None,
            "sales_amount: '12万' is not a decimal number (CORE-REC-3)",
        ),
        ({"sales_amount": 1.5}, None, "sales_amount: write numbers as text or Decimal"),
        ({"sales_amount": "1.005"}, None, "sales_amount: 1.005 has more than 2 decimal places"),
        ({"collection_rate": "100.5"}, None, "collection_rate: 100.5 is outside 0-100"),
        ({"turnover": "5"}, None, "turnover: is not a known figure (known: purchase_amount"),
        (
            {},
            {**SCORES, "sales_scale": "101"},
            "sales_scale: score 101 is outside 0-100 (CLS-SCORE-1)",
        ),
        ({}, {**SCORES, "sales_scale": "-1"}, "sales_scale: score -1 is outside 0-100"),
        ({}, {**SCORES, "sales_scale": "80.25"}, "sales_scale: 80.25 has more than 1 decimal"),
        (
            {},
            {k: v for k, v in SCORES.items() if k != "product_margin"},
            "scores: missing 1 of 8 criteria: product_margin (CLS-SCORE-1)",
        ),
        ({}, None, "figures: give at least one figure or a scorecard"),
    ],
)
def test_bad_figures_and_scores_are_refused_and_nothing_is_written(
    two, admin, figures, scores, message
):
    before = row_counts(two)
    with pytest.raises(InvalidInput) as caught:
        two.figures.record(admin, "KA1", 2025, figures, source="年报", scores=scores)
    assert str(caught.value).startswith(message)
    assert row_counts(two) == before


def test_unknown_client_and_missing_source_are_refused(two, admin):
    before = row_counts(two)
    with pytest.raises(NotFound, match="client_code: unknown client 'KA9'"):
        two.figures.record(admin, "KA9", 2025, {"revenue": "1"}, source="年报")
    with pytest.raises(InvalidInput, match="source: must not be empty"):
        two.figures.record(admin, "KA1", 2025, {"revenue": "1"}, source=" ")
    with pytest.raises(InvalidInput, match="year: '20x5' is not a year such as 2025"):
        two.figures.record(admin, "KA1", "20x5", {"revenue": "1"}, source="年报")
    assert row_counts(two) == before


def test_who_may_record_figures_and_scores(two, admin, make_user):
    """The permission decides what one may record, the access model for which clients."""
    manager = make_user("lina", "account_manager")
    with pytest.raises(PermissionDenied, match="CORE-CONF-2"):
        two.figures.record(manager, "KA1", 2025, {"sales_amount": "1"}, source="销售台账")
    two.clients.assign(admin, "KA1", "lina")
    two.figures.record(manager, "KA1", 2025, {"sales_amount": "1"}, source="销售台账")
    with pytest.raises(PermissionDenied, match=re.escape("classification.score")):
        two.figures.record(manager, "KA1", 2025, source="自评", scores=SCORES)
    reader = make_user("zhao", "read_only")
    with pytest.raises(PermissionDenied, match=re.escape("classification.figures")):
        two.figures.record(reader, "KA1", 2025, {"sales_amount": "2"}, source="x")
    finance = make_user("chen", "finance")
    two.access.grant(admin, "KA1", role="finance", reason="年度评分")
    two.figures.record(finance, "KA1", 2025, source="财务部评分", scores=SCORES)


def test_csv_import_with_chinese_headings_bom_and_a_scorecard(two, admin, tmp_path):
    path = tmp_path / "figures.csv"
    header = "客户编号,年度,来源,销售额,回款率,信用评分," + ",".join(CRITERIA.values())
    rows = [
        "KA1,2025,2025年报,12000000,96.5,88," + ",".join(["80"] * 8),
        "KA2,2025,,3500000.00,,70," + ",".join([""] * 8),
    ]
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8-sig")
    load = two.figures.import_csv(admin, path)
    assert (load.rows, load.figures, load.scorecards, load.invalid) == (2, 5, 1, 0)
    ka2 = two.figures.sheet(admin, "KA2")
    assert {f.metric: f.source for f in ka2.figures} == {
        "sales_amount": "import figures.csv",
        "credit_standing": "import figures.csv",
    }
    assert ka2.scorecards == ()
    again = two.figures.import_csv(admin, path)  # importing the same file twice changes nothing
    assert (again.figures, again.scorecards, again.unchanged) == (0, 0, 6)


def test_csv_import_in_gb18030_as_chinese_excel_saves_it(two, admin, tmp_path):
    path = tmp_path / "gbk.csv"
    path.write_bytes("客户编号,年度,来源,年收入\nKA1,2025,财务部,2500000\n".encode("gb18030"))
    assert two.figures.import_csv(admin, path).figures == 1
    assert two.figures.sheet(admin, "KA1").figures[0].source == "财务部"


def test_a_bad_row_refuses_the_whole_file_unless_skip_invalid(two, admin, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "client_code,year,source,sales_amount,sales_scale\n"
        "KA1,2025,年报,100,\n"
        "KA2,2025,年报,-3,\n"
        "KA9,2025,年报,5,\n"
        "KA1,2025,年报,7,\n"
        "KA2,2025,年报,,90\n",
        encoding="utf-8",
    )
    before = row_counts(two)
    with pytest.raises(InvalidInput) as caught:
        two.figures.import_csv(admin, path)
    assert str(caught.value).startswith(
        "file: 2 of 5 rows are invalid (first: row 3, sales_amount: must not be negative"
    )
    assert row_counts(two) == before
    load = two.figures.import_csv(admin, path, skip_invalid=True)
    assert [(p.row, p.field) for p in load.problems] == [
        (3, "sales_amount"),
        (4, "client_code"),
        (5, "sales_amount"),  # KA1 2025 sales_amount is also in row 2
        (6, "scores"),  # one criterion is not a scorecard
    ]
    assert load.figures == 1
    assert [f.value for f in two.figures.sheet(admin, "KA1").figures] == [Decimal("100.00")]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("client_code,year,turnover\nKA1,2025,5\n", "header: unknown column 'turnover'"),
        ("client_code,sales_amount\nKA1,5\n", "header: missing column year"),
        (
            "client_code,year,销售额,sales_amount\nKA1,2025,1,2\n",
            "header: column 'sales_amount' appears twice",
        ),
        ("", "file: empty.csv is empty"),
    ],
)
def test_unreadable_files_are_refused(two, admin, tmp_path, content, message):
    path = tmp_path / "empty.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidInput, match=message):
        two.figures.import_csv(admin, path)


def test_leaders_sort_clients_by_a_figure(two, admin):
    """CORE-ARC-2: archives are sorted by annual sales, credit standing and collection rate."""
    two.figures.record(admin, "KA1", 2025, {"sales_amount": "5"}, source="x")
    two.figures.record(admin, "KA2", 2025, {"sales_amount": "9"}, source="x")
    two.figures.record(admin, "KA1", 2024, {"sales_amount": "50"}, source="x")
    assert [(x.client_code, x.value) for x in two.figures.leaders(admin, "sales_amount")] == [
        ("KA2", Decimal("9.00")),
        ("KA1", Decimal("5.00")),
    ]
    assert [x.year for x in two.figures.leaders(admin, "sales_amount", year=2024)] == [2024]
    with pytest.raises(InvalidInput, match="metric: 'sales' is not a figure"):
        two.figures.leaders(admin, "sales")


def test_quarterly_report_carries_sales_collection_and_credit_standing(two, admin):
    two.figures.record(
        admin,
        "KA1",
        2025,
        {"sales_amount": "900", "collection_rate": "91", "credit_standing": "80"},
        source="年报",
    )
    two.figures.record(admin, "KA1", 2027, {"sales_amount": "1"}, source="预测")
    rows = {r["code"]: r for r in two.reports.quarterly(admin, "2026Q3").rows}
    assert (
        rows["KA1"]["figures_year"],
        rows["KA1"]["sales_amount"],
        rows["KA1"]["collection_rate"],
        rows["KA1"]["credit_standing"],
    ) == (2025, Decimal("900.00"), Decimal("91.00"), Decimal("80.00"))
    assert rows["KA2"]["sales_amount"] is None


def test_cli_figures_add_score_show_import_and_errors(cli, two, tmp_path):
    ok = cli("figures", "add", "KA1", "--year", "2025", "--source", "年报", "sales_amount=100")
    assert ok.exit_code == 0, ok.output
    scores = [f"{c}=70" for c in CRITERIA]
    assert (
        cli("figures", "score", "KA1", "--year", "2025", "--source", "评审", *scores).exit_code == 0
    )
    shown = json.loads(cli("figures", "show", "KA1", "--json").stdout)
    assert shown["figures"][0]["value"] == "100.00"
    assert shown["scorecards"][0]["scores"]["sales_scale"] == "70.0"
    assert "年销售额" in cli("figures", "show", "KA1").stdout
    before = row_counts(two)
    bad = cli("figures", "add", "KA1", "--year", "2025", "--source", "年报", "sales_amount=-1")
    assert (bad.exit_code, bad.stderr.strip()) == (
        3,
        "error: sales_amount: must not be negative, not -1 (CORE-REC-3)",
    )
    text = cli("figures", "add", "KA1", "--year", "2025", "--source", "年报", "sales_amount=abc")
    assert text.exit_code == 3 and "'abc' is not a decimal number" in text.stderr
    missing = cli("figures", "score", "KA1", "--year", "2025", "--source", "x", *scores[:7])
    assert (
        missing.exit_code == 3 and "missing 1 of 8 criteria: industry_reputation" in missing.stderr
    )
    over = cli(
        "figures",
        "score",
        "KA1",
        "--year",
        "2025",
        "--source",
        "x",
        *scores[:7],
        "industry_reputation=120",
    )
    assert over.exit_code == 3 and "industry_reputation: score 120 is outside 0-100" in over.stderr
    unknown = cli("figures", "add", "KA9", "--year", "2025", "--source", "x", "revenue=1")
    assert unknown.exit_code == 4 and "unknown client 'KA9'" in unknown.stderr
    assert "Traceback" not in bad.output + text.output + missing.output + unknown.output
    path = tmp_path / "f.csv"
    path.write_text("client_code,year,revenue\nKA2,2025,-1\n", encoding="utf-8")
    refused = cli("figures", "import", str(path))
    assert refused.exit_code == 3 and "1 of 1 rows are invalid" in refused.stderr
    assert row_counts(two) == before
    loaded = cli("figures", "import", str(path), "--skip-invalid", "--json")
    assert json.loads(loaded.stdout)["problems"][0]["field"] == "revenue"
    assert "purchase_amount" in cli("figures", "metrics").stdout
    top = json.loads(cli("figures", "top", "sales_amount", "--json").stdout)
    assert top[0]["client_code"] == "KA1"


def test_xlsx_import_through_the_bulk_readers(two, admin, tmp_path, cli):
    """CORE-REC-3 figures from an Excel sheet as finance keeps it (Chinese headings, numbers
    as numbers): read by the same readers as ``crm import``."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["客户编号", "年度", "来源", "销售额", "回款率"])
    sheet.append(["KA1", 2025, "财务部台账", 12000000.5, 96.5])
    sheet.append(["KA2", 2025, None, 3500000, None])
    path = tmp_path / "figures.xlsx"
    book.save(path)
    loaded = cli("figures", "import", str(path), "--json")
    assert loaded.exit_code == 0, loaded.stderr
    assert json.loads(loaded.stdout)["figures"] == 3
    ka1 = {f.metric: (f.value, f.source) for f in two.figures.sheet(admin, "KA1").figures}
    assert ka1 == {
        "sales_amount": (Decimal("12000000.50"), "财务部台账"),
        "collection_rate": (Decimal("96.50"), "财务部台账"),
    }
    assert two.figures.sheet(admin, "KA2").figures[0].source == "import figures.xlsx"
