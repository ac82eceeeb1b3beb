"""The sales floor: control table (RE-INV-1), targets (RE-PLAN-1), releases (RE-ALLOC-1), buyer
lists (RE-LIST-1), tickets (RE-TICKET-1/2) and the price gate (RE-PRICE-5/6)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from realestate_kit import (
    APPROVERS,
    AVERAGE,
    BUYERS,
    CLIENT,
    OTHER,
    PROJECT,
    RELEASED,
    UNIT_ROWS,
    approve_average,
    setup,
    ticket,
)

from crmcore import Conflict, InvalidInput, NewClient, PermissionDenied
from crmcore.testing import row_counts


def test_units_load_into_one_control_table_grid_by_building_and_floor(re, cli):
    """RE-INV-1: one table; the grid shows each building top floor first."""
    units = re.units(re.crm.actor("retail"), PROJECT)
    assert len(units) == len(UNIT_ROWS)
    assert {u.status for u in units if u.ref in RELEASED} == {"released"}
    out = cli("realestate", "units", "grid", PROJECT, user="retail")
    assert out.exit_code == 0, out.output
    assert "building 1" in out.stdout and "已发放 KA1" in out.stdout and "可售" in out.stdout
    assert out.stdout.index("│ 6 ") < out.stdout.index("│ 1 ")


def test_load_from_csv_and_xlsx_all_or_nothing(re, cli, tmp_path):
    """RE-INV-1: a bad row loads nothing; CSV and XLSX both load."""
    import openpyxl

    re.add_project(re.crm.actor("admin"), "HY2", "和园二期")
    good = tmp_path / "units.csv"
    good.write_text(
        "building,unit,floor,layout,area\n3,0101,1,3室2厅,99.5\n3,0102,1,2室1厅,80\n",
        encoding="utf-8",
    )
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "building,unit,floor,layout,area\n4,0101,1,3室2厅,99.5\n4,0102,one,2室1厅,80\n",
        encoding="utf-8",
    )
    before = row_counts(re.crm)
    out = cli("realestate", "units", "load", "HY2", str(bad))
    assert out.exit_code == 3 and "floor" in out.output and "RE-INV-1" in out.output
    assert "Traceback" not in out.output
    assert row_counts(re.crm) == before
    assert cli("realestate", "units", "load", "HY2", str(good)).exit_code == 0
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["building", "unit", "floor", "layout", "area"])
    sheet.append(["5", "0201", 2, "3室2厅", 101.25])
    book.save(tmp_path / "units.xlsx")
    assert cli("realestate", "units", "load", "HY2", str(tmp_path / "units.xlsx")).exit_code == 0
    refs = {u.ref: u.area for u in re.units(re.crm.actor("admin"), "HY2")}
    assert refs == {
        "3-0101": Decimal("99.50"),
        "3-0102": Decimal("80.00"),
        "5-0201": Decimal("101.25"),
    }
    out = cli("realestate", "units", "load", "HY2", str(good))
    assert out.exit_code == 5 and "already in the control table" in out.output


def test_retail_and_key_accounts_share_the_table(re):
    """RE-INV-1: a unit reserved at retail cannot be released; a released one cannot be reserved."""
    crm = re.crm
    re.reserve(crm.actor("retail"), PROJECT, "2-0101", "散客王先生")
    with pytest.raises(Conflict, match="RE-INV-1"):
        re.request_release(crm.actor("sales"), PROJECT, CLIENT, ["2-0101"])
    with pytest.raises(Conflict, match="RE-INV-1"):
        re.reserve(crm.actor("retail"), PROJECT, RELEASED[0], "散客李女士")
    with pytest.raises(Conflict, match="RE-INV-1"):
        re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("2-0101"))
    re.sell_retail(crm.actor("retail"), PROJECT, "2-0101")
    with pytest.raises(Conflict):
        re.cancel_reservation(crm.actor("retail"), PROJECT, "2-0101")


def test_release_without_a_financing_target_is_refused(crm, cli):
    """RE-ALLOC-1: no release before finance's target; nothing written (API and CLI)."""
    re = setup(crm, release=False, approve=False, buyers=False)
    before = row_counts(crm)
    with pytest.raises(Conflict, match="RE-ALLOC-1"):
        re.request_release(crm.actor("sales"), PROJECT, CLIENT, ["1-0101"])
    out = cli("realestate", "release", "request", PROJECT, CLIENT, "1-0101", user="sales")
    assert out.exit_code == 5 and "RE-ALLOC-1" in out.output and "financing target" in out.output
    assert row_counts(crm) == before


def test_release_moves_units_only_after_the_chain_and_warns_on_retail_share(crm):
    """RE-ALLOC-1: marketing director, finance director, project GM, GM in turn; units move on
    the last approval; a release leaving retail under its share warns."""
    re = setup(crm, release=False, approve=False, buyers=False)
    re.set_target(crm.actor("fin"), 2026, "1000000", quarter=2)
    whole = [f"2-{f:02d}0{n}" for f in range(1, 7) for n in (1, 2)]
    release = re.request_release(crm.actor("sales"), PROJECT, CLIENT, whole)
    assert any("building 2" in w for w in release.warnings)
    assert {u.status for u in re.units(crm.actor("admin"), PROJECT) if u.ref in whole} == {
        "available"
    }
    with pytest.raises(PermissionDenied):
        crm.workflows.advance(
            crm.actor("gm"), release.instance_id, "approve"
        )  # not yet the GM's turn
    for login in ("mkt", "fd", "pgm"):
        crm.workflows.advance(crm.actor(login), release.instance_id, "approve")
    assert re.release(crm.actor("sales"), release.number).status == "pending"
    crm.workflows.advance(crm.actor("gm"), release.instance_id, "approve")
    assert re.release(crm.actor("sales"), release.number).status == "released"
    assert {u.status for u in re.units(crm.actor("admin"), PROJECT) if u.ref in whole} == {
        "released"
    }
    small = re.request_release(crm.actor("sales"), PROJECT, CLIENT, ["1-0101"])
    assert small.warnings == ()
    with pytest.raises(Conflict, match="awaiting approval"):  # one unit, one pending release
        re.request_release(crm.actor("sales"), PROJECT, CLIENT, ["1-0101", "1-0102"])


def test_refused_release_leaves_units_for_retail(crm):
    re = setup(crm, release=False, approve=False, buyers=False)
    re.set_target(crm.actor("fin"), 2026, "1000000")
    release = re.request_release(crm.actor("sales"), PROJECT, CLIENT, ["1-0101"])
    crm.workflows.reject(crm.actor("mkt"), release.instance_id, "价格未定")
    assert re.release(crm.actor("sales"), release.number).status == "refused"
    assert re.units(crm.actor("admin"), PROJECT)[0].status == "available"


def test_targets_and_progress(re):
    """RE-PLAN-1: yearly and quarterly targets; money received counts against them."""
    crm = re.crm
    re.set_target(crm.actor("fin"), 2026, "4000000", quarter=1)
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    re.pay(crm.actor("sales"), t.number, "400000")
    year = re.progress(crm.actor("sales"), 2026)
    assert year.target == Decimal("50000000") and year.received == Decimal("400000")
    assert year.percent == Decimal("0.8") and year.units_selected == 1
    quarter = re.progress(crm.actor("sales"), 2026, 1)
    assert quarter.target == Decimal("4000000") and quarter.percent == Decimal("10.0")
    with pytest.raises(PermissionDenied):
        re.set_target(crm.actor("sales"), 2027, "1")


def test_buyer_list_ids_are_validated_encrypted_masked_and_duplicates_flagged(re, crm):
    """RE-LIST-1, CORE-CONF-5: a bad ID is refused naming its row; the same ID on two lists is
    flagged on both; views show masked numbers; the database holds no plaintext."""
    sales = crm.actor("sales")
    with pytest.raises(InvalidInput, match=r"row 3.*RE-LIST-1"):
        re.import_buyers(sales, PROJECT, CLIENT, [BUYERS[0], ("某人", "110105198001010071")])
    crm.clients.add(
        crm.actor("admin"), NewClient(name="广州市第二中学", code="KA2", region="广东/广州")
    )
    second = re.import_buyers(sales, PROJECT, "KA2", [BUYERS[1], OTHER])
    assert [b.flagged for b in second.buyers] == [True, False]
    first = re.buyer_list(sales, "MD0001")
    assert [b.flagged for b in first.buyers][:2] == [False, True]
    assert (
        first.buyers[0].id_number.startswith(BUYERS[0][1][:3]) and "*" in first.buyers[0].id_number
    )
    with crm.engine.connect() as conn:
        dump = "".join(
            str(r) for r in conn.exec_driver_sql("SELECT * FROM realestate_buyers").all()
        )
    assert BUYERS[0][1] not in dump


def test_list_must_be_checked_by_all_three_before_tickets(crm):
    """RE-LIST-1: audit/legal, finance and the lawyer check the list; each only in their role."""
    re = setup(crm, buyers=False)
    lst = re.import_buyers(crm.actor("sales"), PROJECT, CLIENT, BUYERS)
    with pytest.raises(PermissionDenied):
        re.check_list(crm.actor("legal"), lst.number, "lawyer")
    re.check_list(crm.actor("legal"), lst.number, "audit_legal")
    with pytest.raises(Conflict, match=r"finance, lawyer.*RE-LIST-1"):
        re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    re.check_list(crm.actor("fin"), lst.number, "finance")
    re.check_list(crm.actor("lawyer"), lst.number, "lawyer")
    assert re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101")).unit == "1-0101"


def test_ticket_carries_price_area_total_ratio_fee_and_marks_the_unit_off(re):
    """RE-TICKET-1/2: approved price × area = total; due = total × ratio; unit off at once."""
    crm = re.crm
    t = re.issue_ticket(
        crm.actor("sales"), PROJECT, CLIENT, ticket("1-0102", 1, payment_ratio="60")
    )
    assert (t.unit_price, t.area, t.total) == (AVERAGE, Decimal("80.50"), Decimal("644000.00"))
    assert t.due == Decimal("386400.00") and t.reservation_fee == Decimal("5000.00")
    assert t.id_number != BUYERS[1][1] and "*" in t.id_number
    unit = next(u for u in re.units(crm.actor("retail"), PROJECT) if u.ref == "1-0102")
    assert unit.status == "selected"
    with pytest.raises(Conflict, match="RE-INV-1"):
        re.issue_ticket(crm.actor("sales2"), PROJECT, CLIENT, ticket("1-0102", 2))


def test_full_payment_has_no_reservation_fee(re):
    """RE-TICKET-1 (rules-audit 1.8): no 封户费 when paying in full; required otherwise."""
    sales = re.crm.actor("sales")
    with pytest.raises(InvalidInput, match="reservation_fee"):
        re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101", payment_mode="full"))
    with pytest.raises(InvalidInput, match="reservation_fee"):
        re.issue_ticket(sales, PROJECT, CLIENT, ticket("1-0101", reservation_fee=None))
    t = re.issue_ticket(
        sales, PROJECT, CLIENT, ticket("1-0101", payment_mode="full", reservation_fee=None)
    )
    assert t.payment_ratio == 1 and t.due == t.total and t.reservation_fee is None


def test_unit_prices_follow_the_average_with_floor_and_layout_differentials(re):
    """RE-PRICE-5: differentials are a policy (defaults zero: the source gives no figures)."""
    crm = re.crm
    assert re.unit_price(crm.actor("sales"), PROJECT, CLIENT, "1-0302") == AVERAGE
    crm.policies.set(
        crm.actor("admin"),
        "RE-PRICE-5",
        {"floor_step_percent": "1", "layout_percent": ("2室1厅=-2",)},
    )
    assert re.unit_price(crm.actor("sales"), PROJECT, CLIENT, "1-0302") == Decimal(
        "7996.80"
    )  # floor 3: +2%; 2室1厅: -2%
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0301"))
    assert t.unit_price == Decimal("8160.00")


def test_no_price_and_no_ticket_before_approval(crm):
    """RE-PRICE-6: before the average is approved nobody may quote a price or issue a ticket."""
    re = setup(crm, approve=False)
    with pytest.raises(Conflict, match="RE-PRICE-6"):
        re.unit_price(crm.actor("sales"), PROJECT, CLIENT, "1-0101")
    with pytest.raises(Conflict, match="RE-PRICE-6"):
        re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    approve_average(crm, PROJECT, CLIENT, "8000")  # the five-step chain opens the gate
    assert re.unit_price(crm.actor("sales"), PROJECT, CLIENT, "1-0101") == Decimal("8000.00")


def test_second_check_by_a_different_user(re):
    """RE-TICKET-1: re-checked by an independent person; the issuer cannot check their own."""
    crm = re.crm
    t = re.issue_ticket(crm.actor("admin"), PROJECT, CLIENT, ticket("1-0101"))
    with pytest.raises(PermissionDenied, match="RE-TICKET-1"):
        re.check_ticket(crm.actor("admin"), t.number)
    with pytest.raises(PermissionDenied):
        re.check_ticket(crm.actor("sales"), t.number)  # no check permission
    assert re.check_ticket(crm.actor("checker"), t.number).checked_by == "checker"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (
            ["--name", OTHER[0], "--id-number", OTHER[1], "--fee", "5000"],
            3,
            "not on the commissioning unit's list",
        ),
        (
            ["--name", "王某", "--id-number", BUYERS[0][1], "--fee", "5000"],
            3,
            "name does not match",
        ),
        (
            [
                "--name",
                BUYERS[0][0],
                "--id-number",
                BUYERS[0][1],
                "--fee",
                "5000",
                "--price",
                "7999",
            ],
            3,
            "below the approved",
        ),
        (
            ["--name", BUYERS[0][0], "--id-number", BUYERS[0][1], "--fee", "5000", "--ratio", "49"],
            3,
            "RE-PRICE-3",
        ),
    ],
    ids=["not-listed", "id-mismatch", "price-below-approved", "ratio-under-50"],
)
def test_bad_tickets_through_the_cli(re, cli, args, code, words):
    """RE-TICKET-1, RE-PRICE-3: a clear one-line error, its exit code, nothing written."""
    before = row_counts(re.crm)
    out = cli("realestate", "ticket", "issue", PROJECT, CLIENT, "1-0101", *args, user="sales")
    assert out.exit_code == code, out.output
    assert words in out.output and "Traceback" not in out.output
    assert row_counts(re.crm) == before


def test_unit_already_taken_through_the_cli(re, cli):
    """RE-INV-1: the second ticket for a unit is refused with exit 5, nothing written."""
    re.issue_ticket(re.crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    before = row_counts(re.crm)
    out = cli(
        "realestate",
        "ticket",
        "issue",
        PROJECT,
        CLIENT,
        "1-0101",
        "--name",
        BUYERS[1][0],
        "--id-number",
        BUYERS[1][1],
        "--fee",
        "5000",
        user="sales",
    )
    assert out.exit_code == 5 and "RE-INV-1" in out.output and "taken" in out.output
    assert row_counts(re.crm) == before


def test_cli_walkthrough_ticket_to_countersigned_voucher(re, cli):
    """RE-TICKET-1 → RE-PAY-1 through the commands a desk uses: checked and paid, the voucher
    still waits for the buyer's signed copy, which issues it."""
    out = cli(
        "realestate",
        "ticket",
        "issue",
        PROJECT,
        CLIENT,
        "1-0201",
        "--name",
        BUYERS[2][0],
        "--id-number",
        BUYERS[2][1],
        "--mode",
        "full",
        user="sales",
    )
    assert out.exit_code == 0, out.output
    number = out.stdout.split(":")[0].split()[-1]
    assert cli("realestate", "ticket", "check", number, user="checker").exit_code == 0
    out = cli("realestate", "pay", number, "800000", user="sales")
    assert out.exit_code == 0 and "voucher after the buyer's signed copy" in out.stdout, out.output
    out = cli("realestate", "ticket", "sign", number, user="sales")
    assert out.exit_code == 0 and "voucher PZ" in out.stdout, out.output
    voucher = out.stdout.split("voucher ")[1].split()[0]
    assert cli("realestate", "countersign", voucher, user="checker").exit_code == 0
    assert cli("realestate", "countersign", voucher, user="checker").exit_code == 5  # once
    out = cli("realestate", "ledger", CLIENT, user="sales")
    assert out.exit_code == 0 and number in out.stdout and voucher in out.stdout
    assert '"voucher"' in cli("realestate", "ledger", CLIENT, "--json", user="sales").stdout
    assert "received" in cli("realestate", "target", "progress", "2026", user="sales").stdout


def test_desks_work_only_for_commissioning_units_they_may_read(re):
    """CORE-CONF-2: a checker outside the unit that holds KA1 cannot touch its tickets."""
    from crmcore import NewUser

    crm = re.crm
    crm.users.add(
        crm.actor("admin"),
        NewUser(login="outsider", name="outsider", roles=("re_checker", "re_sales")),
    )
    t = re.issue_ticket(crm.actor("sales"), PROJECT, CLIENT, ticket("1-0101"))
    before = row_counts(crm)
    for call in (
        lambda: re.check_ticket(crm.actor("outsider"), t.number),
        lambda: re.pay(crm.actor("outsider"), t.number, "1000"),
        lambda: re.ledger(crm.actor("outsider"), CLIENT),
    ):
        with pytest.raises(PermissionDenied, match="CORE-CONF-2"):
            call()
    assert row_counts(crm) == before


def test_release_without_a_target_only_through_the_exception_and_the_chairman(crm, cli):
    """RE-ALLOC-1 "in principle" (原则上, rules-audit 1.13): with a reason, a release without a
    financing target goes through the four approvers and then the chairman; the reason is
    recorded; the units move only after the chairman; the chairman may refuse."""
    re = setup(crm, release=False, approve=False, buyers=False)
    release = re.request_release(
        crm.actor("sales"), PROJECT, CLIENT, ["1-0101"], without_target="土地款急需,指标下月下达"
    )
    assert release.without_target == "土地款急需,指标下月下达"
    for login in APPROVERS:
        crm.workflows.advance(crm.actor(login), release.instance_id, "approve")
    assert re.release(crm.actor("sales"), release.number).status == "pending"  # GM is not enough
    with pytest.raises(Conflict, match="chairman"):
        crm.workflows.advance(crm.actor("gm"), release.instance_id, "approve")
    crm.workflows.advance(crm.actor("chair"), release.instance_id, "approve")
    assert re.release(crm.actor("sales"), release.number).status == "released"
    shown = cli("realestate", "release", "show", release.number, "--json", user="sales")
    assert "土地款急需" in shown.stdout
    other = re.request_release(
        crm.actor("sales"), PROJECT, CLIENT, ["1-0102"], without_target="同上"
    )
    for login in APPROVERS:
        crm.workflows.advance(crm.actor(login), other.instance_id, "approve")
    crm.workflows.reject(crm.actor("chair"), other.instance_id, "等融资指标")
    assert re.release(crm.actor("sales"), other.number).status == "refused"
    units = {u.ref: u.status for u in re.units(crm.actor("sales"), PROJECT)}
    assert units["1-0101"] == "released" and units["1-0102"] == "available"


def test_release_exception_needs_a_reason_and_no_target_through_the_cli(crm, cli):
    """RE-ALLOC-1: a blank reason is bad input (exit 3); asking for the exception when finance's
    target exists is refused too; nothing written either way."""
    re = setup(crm, release=False, approve=False, buyers=False)
    before = row_counts(crm)
    args = ("realestate", "release", "request", PROJECT, CLIENT, "1-0101", "--without-target")
    out = cli(*args, "  ", user="sales")
    assert out.exit_code == 3 and "without_target" in out.output and "RE-ALLOC-1" in out.output
    assert "Traceback" not in out.output and row_counts(crm) == before
    re.set_target(crm.actor("fin"), 2026, "1000000")
    before = row_counts(crm)
    out = cli(*args, "急需", user="sales")
    assert out.exit_code == 3 and "without_target" in out.output and "no exception" in out.output
    assert row_counts(crm) == before
