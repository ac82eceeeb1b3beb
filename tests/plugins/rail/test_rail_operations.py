"""RAIL-OPS-1: monthly plans from the annual volume, actual loadings (daily or monthly),
freight settlements, and the fulfilment report (plan vs actual by month, direction and
consignee) with its chart."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest
from crmcore_rail_freight.domain.operations import Loading, parse_loadings, spread
from rail_kit import Kit

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied
from crmcore.testing import row_counts


@pytest.fixture
def planned(kit: Kit) -> Kit:
    """KA1 with an approved 2026 volume of 1,200,000 t and its monthly plans; it is April."""
    kit.approve_volume(2026, D("1200000"))
    kit.rail.operations.make_plans(kit.actor("am"), "KA1", 2026)
    kit.at(2026, 4, 2)
    return kit


def loading(**changes) -> Loading:  # type: ignore[no-untyped-def]
    values = {"month": "2026-01", "origin": "DTV", "destination": "QTP", "tonnage": D("100000")}
    return Loading(**{**values, **changes})


def test_spreading_a_year_keeps_every_tonne():
    assert spread(D("1200000")) == [D("100000")] * 12
    shares = spread(D("1000000.5"))
    assert sum(shares) == D("1000000.5")
    assert shares[:4] == [D("83334")] * 4 and shares[4] == D("83333")
    assert shares[-1] == D("83333.5")


def test_rail_ops_1_monthly_plans_follow_the_approved_volume(planned):
    plans = planned.rail.operations.plans(planned.actor("reader"), "KA1", 2026)
    assert [p.label for p in plans] == [f"2026-{m:02d}" for m in range(1, 13)]
    assert sum(p.total for p in plans) == D("1200000")
    # whole tonnes a month, the spare ones first (800,000 / 12 = 8 x 66,667 + 4 x 66,666)
    assert plans[0].directions == {"北京局": D("66667"), "上海局": D("16667")}
    assert plans[-1].directions == {"北京局": D("66666"), "上海局": D("16666")}
    assert plans[0].consignees == {"秦皇岛港": D("50000"), "上海电力": D("16667")}
    assert sum(p.directions["北京局"] for p in plans) == D("800000")
    with pytest.raises(Conflict, match="already has monthly plans for 2026"):
        planned.rail.operations.make_plans(planned.actor("am"), "KA1", 2026)
    replan = planned.rail.operations.set_plan(
        planned.actor("am"),
        "KA1",
        "2026-03",
        D("120000"),
        directions={"北京局": D("90000")},
        note="春运后",
    )
    assert (replan.version, replan.source, replan.total, replan.directions) == (
        2,
        "manual",
        D("120000"),
        {"北京局": D("90000")},
    )
    again = planned.rail.operations.make_plans(planned.actor("am"), "KA1", 2026, replace=True)
    assert again[2].version == 3 and again[2].total == D("100000")


def test_rail_ops_1_no_plans_before_the_ministry_signs(kit, crm):
    kit.at(2026, 12, 10)
    kit.rail.volumes.file(
        kit.actor("am"),
        "KA1",
        2027,
        __import__("rail_kit").figures(),
        __import__("rail_kit").sign(),
    )
    before = row_counts(crm)
    with pytest.raises(Conflict, match="not approved yet"):
        kit.rail.operations.make_plans(kit.actor("am"), "KA1", 2027)
    with pytest.raises(Conflict, match="not approved yet"):
        kit.rail.operations.set_plan(kit.actor("am"), "KA1", "2027-01", D("1"))
    assert row_counts(crm) == before


@pytest.mark.parametrize(
    ("month", "total", "field", "message"),
    [
        ("2026-13", D("1"), "month", "is not a quarter .* or a month"),
        ("2026Q1", D("1"), "month", "is not a month"),
        ("2026-03", D("-1"), "total", "must be 0 t or more"),
    ],
)
def test_rail_ops_1_a_bad_monthly_plan_is_refused(planned, crm, month, total, field, message):
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match=message) as err:
        planned.rail.operations.set_plan(planned.actor("am"), "KA1", month, total)
    assert err.value.field == field
    assert row_counts(crm) == before


def test_rail_ops_1_actual_loadings_and_the_fulfilment_report_add_up(planned):
    ops = planned.rail.operations
    ops.import_loadings(
        planned.actor("bureau"),  # the file carries freight: the bureau imports it
        "KA1",
        [
            loading(
                month="2026-01", tonnage=D("60000"), consignee="秦皇岛港", freight=D("6750000")
            ),
            loading(month="2026-01", destination="SHH", tonnage=D("30000"), consignee="上海电力"),
            loading(month="2026-02", tonnage=D("110000"), consignee="秦皇岛港"),
            loading(month="2026-03", destination="BJP", tonnage=D("5000")),
        ],
    )
    ops.import_loadings(
        planned.actor("am"),
        "KA1",
        [
            loading(month=None, loaded_on=date(2026, 4, 1), tonnage=D("3000.5"), waybill="W1"),
            loading(month=None, loaded_on=date(2026, 4, 2), tonnage=D("3100"), waybill="W2"),
        ],
    )
    ops.settle(planned.actor("fin"), "KA1", "2026-01", D("6750000"), "JS-01")
    by_month = ops.fulfilment(planned.actor("fin"), "KA1", 2026)
    assert by_month.approved_total == D("1200000")
    jan, feb, mar, apr = by_month.rows[:4]
    assert (jan.plan, jan.actual, jan.difference, jan.rate) == (
        D("100000"),
        D("90000"),
        D("-10000"),
        D("90.0"),
    )
    assert (jan.freight, jan.settled) == (D("6750000"), D("6750000"))
    assert (feb.rate, mar.actual, apr.actual) == (D("110.0"), D("5000"), D("6100.5"))
    assert by_month.total.plan == D("1200000")
    assert by_month.total.actual == D("211100.5")
    # every view adds up to the same totals
    for by in ("direction", "consignee"):
        report = ops.fulfilment(planned.actor("reader"), "KA1", 2026, by=by)
        assert (report.total.plan, report.total.actual) == (D("1200000"), D("211100.5"))
        assert sum(r.plan for r in report.rows) == D("1200000")
    directions = {
        r.key: (r.plan, r.actual)
        for r in ops.fulfilment(planned.actor("reader"), "KA1", 2026, by="direction").rows
    }
    assert directions == {
        "北京局": (D("800000"), D("181100.5")),
        "上海局": (D("200000"), D("30000")),
        "(other)": (D("200000"), D("0")),
    }
    consignees = {
        r.key: (r.plan, r.actual)
        for r in ops.fulfilment(planned.actor("reader"), "KA1", 2026, by="consignee").rows
    }
    assert consignees == {
        "秦皇岛港": (D("600000"), D("170000")),
        "上海电力": (D("200000"), D("30000")),
        "(other)": (D("400000"), D("0")),
        "(no consignee)": (D("0"), D("11100.5")),
    }


@pytest.mark.parametrize(
    ("rows", "field", "message"),
    [
        (
            [loading(month="2025-12")],
            "rows: line 1: month",
            "client KA1 has no monthly plan for 2025-12",
        ),
        (
            [loading(month=None, loaded_on=date(2025, 2, 1))],
            "rows: line 1: date",
            "2025-02-01: client KA1 has no monthly plan for 2025-02",
        ),
        (
            [loading(month=None, loaded_on=date(2026, 4, 3))],
            "rows: line 1: date",
            "2026-04-03 is in the future",
        ),
        ([loading(), loading(month="2026-05")], "rows: line 2: month", "2026-05 is in the future"),
        ([loading(origin="XXX")], "rows: line 1: origin", "unknown station code 'XXX'"),
        (
            [loading(waybill="A"), loading(month="2026-02", waybill="A")],
            "rows: line 2: waybill",
            "A is already on rows: line 1",
        ),
        (
            [loading(), loading(month=None, loaded_on=date(2026, 2, 3))],
            "rows",
            "holds daily loadings and monthly totals",
        ),
    ],
)
def test_rail_ops_1_bad_loadings_are_refused_and_nothing_is_written(
    planned, crm, rows, field, message
):
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match=message) as err:
        planned.rail.operations.import_loadings(planned.actor("am"), "KA1", rows)
    assert err.value.field == field
    assert err.value.rule == "RAIL-OPS-1"
    assert row_counts(crm) == before


def test_rail_ops_1_negative_tonnage_is_refused():
    with pytest.raises(InvalidInput, match="must be at least 0") as err:
        loading(tonnage=D("-1"))
    assert (err.value.field, err.value.rule) == ("tonnage", "RAIL-OPS-1")


def test_rail_ops_1_a_month_is_never_counted_twice(planned, crm):
    ops = planned.rail.operations
    ops.import_loadings(planned.actor("am"), "KA1", [loading()])
    before = row_counts(crm)
    with pytest.raises(Conflict, match="these loadings were already imported"):
        ops.import_loadings(planned.actor("am"), "KA1", [loading()])
    with pytest.raises(Conflict, match="already has a monthly total for 2026-01"):
        ops.import_loadings(planned.actor("am"), "KA1", [loading(tonnage=D("5"))])
    with pytest.raises(Conflict, match="already has a monthly total for 2026-01"):
        ops.import_loadings(
            planned.actor("am"), "KA1", [loading(month=None, loaded_on=date(2026, 1, 5))]
        )
    ops.import_loadings(
        planned.actor("am"), "KA1", [loading(month=None, loaded_on=date(2026, 2, 5), waybill="W9")]
    )
    with pytest.raises(Conflict, match="already has daily loadings for 2026-02"):
        ops.import_loadings(planned.actor("am"), "KA1", [loading(month="2026-02")])
    with pytest.raises(Conflict, match="waybill W9 of KA1 is already recorded"):
        ops.import_loadings(
            planned.actor("am"),
            "KA1",
            [loading(month=None, loaded_on=date(2026, 2, 6), waybill="W9")],
        )
    # another day's loadings of the same month are fine
    ops.import_loadings(
        planned.actor("am"), "KA1", [loading(month=None, loaded_on=date(2026, 2, 6))]
    )
    assert row_counts(crm)["rail_loadings"] == before["rail_loadings"] + 2


def test_rail_ops_1_settlements_are_reversed_in_red_never_deleted(planned, crm):
    ops = planned.rail.operations
    with pytest.raises(PermissionDenied, match=r"rail.settle"):
        ops.settle(planned.actor("am"), "KA1", "2026-01", D("100"), "JS-1")
    ops.settle(planned.actor("fin"), "KA1", "2026-01", D("1000.50"), "JS-1")
    with pytest.raises(Conflict, match="JS-1 of KA1 is already recorded"):
        ops.settle(planned.actor("fin"), "KA1", "2026-01", D("1000.50"), "JS-1")
    before = row_counts(crm)
    for amount, message in ((D("0"), "positive"), (D("1.234"), "2 decimal places")):
        with pytest.raises(InvalidInput, match=message):
            ops.settle(planned.actor("fin"), "KA1", "2026-01", amount, "JS-2")
    with pytest.raises(InvalidInput, match="reason"):
        ops.reverse_settlement(planned.actor("fin"), "KA1", "JS-1", "")
    assert row_counts(crm) == before
    red = ops.reverse_settlement(planned.actor("fin"), "KA1", "JS-1", "金额有误")
    assert (red.amount, red.reference, red.reverses) == (D("-1000.50"), "JS-1-R", "JS-1")
    with pytest.raises(Conflict, match="already reversed by JS-1-R"):
        ops.reverse_settlement(planned.actor("fin"), "KA1", "JS-1", "again")
    listed = ops.settlements(planned.actor("reader"), "KA1", 2026)
    assert [(s.reference, s.amount, s.reversed) for s in listed] == [
        ("JS-1", None, True),  # amounts need rail.freight.read: masked for a reader
        ("JS-1-R", None, False),
    ]
    listed = ops.settlements(planned.actor("fin"), "KA1", 2026)
    assert [(s.reference, s.amount, s.masked) for s in listed] == [
        ("JS-1", D("1000.50"), ()),
        ("JS-1-R", D("-1000.50"), ()),
    ]
    assert ops.fulfilment(planned.actor("fin"), "KA1", 2026).rows[0].settled == D("0.00")


def test_rail_ops_1_the_report_needs_plans(kit):
    with pytest.raises(NotFound, match="no monthly plans for 2026"):
        kit.rail.operations.fulfilment(kit.actor("reader"), "KA1", 2026)


# -- files and the CLI --------------------------------------------------------------------------

DAILY = """date,origin,destination,consignee,tonnage,wagons,freight,waybill
2026-01-05,DTV,QTP,秦皇岛港,3500,50,393750.00,W0001
2026-01-06,DTV,SHH,上海电力,3400.5,49,,W0002
"""


def test_rail_ops_1_an_actuals_file_is_read_with_lines_named():
    rows = parse_loadings(DAILY, "jan.csv")
    assert [(r.loaded_on, r.tonnage, r.wagons, r.freight) for r in rows] == [
        (date(2026, 1, 5), D("3500"), 50, D("393750.00")),
        (date(2026, 1, 6), D("3400.5"), 49, None),
    ]
    with pytest.raises(InvalidInput, match=r"jan.csv: line 3: tonnage") as err:
        parse_loadings(DAILY.replace("3400.5", "-2"), "jan.csv")
    assert err.value.rule == "RAIL-OPS-1"
    with pytest.raises(InvalidInput, match=r"date.*or month"):
        parse_loadings("origin,destination,tonnage\nDTV,QTP,1\n", "x.csv")
    with pytest.raises(InvalidInput, match=r"x.csv: line 2: month"):
        parse_loadings("month,origin,destination,tonnage\n2026-13,DTV,QTP,1\n", "x.csv")


def test_rail_ops_1_import_and_report_through_the_cli(planned, crm, cli, tmp_path):
    path = tmp_path / "jan.csv"
    path.write_text(DAILY, encoding="utf-8")
    result = cli("rail", "actuals", "import", "KA1", str(path), user="bureau")
    assert result.exit_code == 0, result.output
    assert "2 daily rows, 6900.5 t (2026-01)" in result.stdout
    twice = cli("rail", "actuals", "import", "KA1", str(path), user="bureau")
    assert twice.exit_code == 5
    assert "already imported" in twice.stderr
    report = json.loads(cli("rail", "report", "KA1", "--year", "2026", "--json").stdout)
    assert report["total"]["plan"] == "1200000.000"
    assert report["total"]["actual"] == "6900.500"
    assert report["rows"][0]["freight"] == "393750.00"
    shown = cli("rail", "report", "KA1", "--year", "2026", "--by", "direction")
    assert shown.exit_code == 0
    assert "Plan vs actual, KA1 2026, by direction" in shown.stdout
    xlsx = tmp_path / "ka1.xlsx"
    assert (
        cli("rail", "report", "KA1", "--year", "2026", "--xlsx", str(xlsx), "--no-chart").exit_code
        == 0
    )
    from openpyxl import load_workbook

    sheet = load_workbook(xlsx).active
    assert [c.value for c in sheet[1]][:3] == ["month", "plan (t)", "actual (t)"]
    assert [c.value for c in sheet[14]][:3] == ["total", 1200000, 6900.5]
    assert len(sheet._charts) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            DAILY.replace("2026-01-06", "2025-06-06"),
            "error: jan.csv: line 3: date: 2025-06-06: client KA1 has no monthly plan for 2025-06",
        ),
        (
            DAILY.replace("3400.5", "-3400.5"),
            "error: jan.csv: line 3: tonnage: must be at least 0 (RAIL-OPS-1)",
        ),
        (
            DAILY.replace("DTV,SHH", "DTV,XYZ"),
            "error: jan.csv: line 3: destination: unknown station code 'XYZ'",
        ),
        (DAILY.replace("2026-01-06", "2026-01-32"), "error: jan.csv: line 3: date"),
    ],
)
def test_rail_ops_1_bad_actuals_through_the_cli(planned, crm, cli, tmp_path, text, message):
    path = tmp_path / "jan.csv"
    path.write_text(text, encoding="utf-8")
    before = row_counts(crm)
    result = cli("rail", "actuals", "import", "KA1", str(path), user="bureau")
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert row_counts(crm) == before


def test_rail_ops_1_plans_and_settlements_through_the_cli(planned, cli):
    shown = json.loads(cli("rail", "plan", "show", "KA1", "--year", "2026", "--json").stdout)
    assert [p["total"] for p in shown] == ["100000.000"] * 12
    result = cli(
        "rail",
        "plan",
        "set",
        "KA1",
        "2026-05",
        "--total",
        "150,000",
        "--direction",
        "北京局=100000",
        user="am",
    )
    assert result.exit_code == 0, result.output
    assert "2026-05: plan version 2, 150000.000 t" in result.stdout
    bad = cli("rail", "plan", "set", "KA1", "2026-05", "--total", "-3", user="am")
    assert (bad.exit_code, bad.stderr.strip()) == (
        3,
        "error: total: must be 0 t or more, not -3 (RAIL-OPS-1)",
    )
    assert (
        cli(
            "rail",
            "settlement",
            "add",
            "KA1",
            "--month",
            "2026-01",
            "--amount",
            "1,000.00",
            "--reference",
            "JS1",
            "--on",
            "2026-02-01",
            user="fin",
        ).exit_code
        == 0
    )
    assert (
        cli("rail", "settlement", "reverse", "KA1", "JS1", "--reason", "重复", user="fin").exit_code
        == 0
    )
    listed = json.loads(cli("rail", "settlement", "list", "KA1", "--year", "2026", "--json").stdout)
    assert [(s["reference"], s["amount"]) for s in listed] == [
        ("JS1", "1000.00"),
        ("JS1-R", "-1000.00"),
    ]
