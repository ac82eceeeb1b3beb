"""RAIL-VOL-1/2: the annual volume form, its three signatures and deadlines (10, 20 and 31
December, inclusive: rules audit A1), the late flag, and the growth check."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import pytest
from crmcore_rail_freight.domain.operations import Loading
from crmcore_rail_freight.domain.volumes import Direction, TrainProposal, VolumeFigures
from rail_kit import Kit, figures, sign

from crmcore import Conflict, InvalidInput, NotFound, PermissionDenied
from crmcore.testing import row_counts


def file(kit: Kit, year: int = 2027, **signing):  # type: ignore[no-untyped-def]
    return kit.rail.volumes.file(kit.actor("am"), "KA1", year, figures(), sign(**signing))


def agree(kit: Kit, year: int = 2027, **signing):  # type: ignore[no-untyped-def]
    return kit.rail.volumes.agree(kit.actor("bureau"), "KA1", year, sign("李四", **signing))


def approve(kit: Kit, year: int = 2027, **signing):  # type: ignore[no-untyped-def]
    return kit.rail.volumes.approve(kit.actor("ministry"), "KA1", year, sign("王五", **signing))


STEPS = {"client": file, "bureau": agree, "ministry": approve}
ORDER = ["client", "bureau", "ministry"]
#: stage -> (last day on time, first day late), for plan year 2027
DEADLINES = {
    "client": ((2026, 12, 10), (2026, 12, 11)),
    "bureau": ((2026, 12, 20), (2026, 12, 21)),
    "ministry": ((2026, 12, 31), (2027, 1, 1)),
}


def sign_before(kit: Kit, stage: str) -> None:
    """Sign the stages before ``stage`` on time."""
    for earlier in ORDER[: ORDER.index(stage)]:
        kit.at(*DEADLINES[earlier][0])
        STEPS[earlier](kit)


def test_rail_vol_1_three_signatures_in_order_make_the_volume_effective(kit):
    kit.at(2026, 12, 8)
    filed = file(kit)
    assert (filed.stage, filed.effective) == ("client", False)
    assert [(d.stage, d.deadline) for d in filed.due] == [
        ("client", date(2026, 12, 10)),
        ("bureau", date(2026, 12, 20)),
        ("ministry", date(2026, 12, 31)),
    ]
    kit.at(2026, 12, 18)
    agree(kit)
    kit.at(2026, 12, 28)
    done = approve(kit)
    assert (done.stage, done.effective) == ("ministry", True)
    assert [(s.stage, s.signer, s.sealed, s.signed_on, s.late) for s in done.stages] == [
        ("client", "张三", True, date(2026, 12, 8), False),
        ("bureau", "李四", True, date(2026, 12, 18), False),
        ("ministry", "王五", True, date(2026, 12, 28), False),
    ]
    assert done.figures == figures()


@pytest.mark.parametrize("stage", ORDER)
def test_rail_vol_1_a_step_on_its_deadline_day_is_on_time(kit, stage):
    sign_before(kit, stage)
    kit.at(*DEADLINES[stage][0], 23, 59)
    form = STEPS[stage](kit)
    assert (form.stages[-1].stage, form.stages[-1].late) == (stage, False)


@pytest.mark.parametrize("stage", ORDER)
def test_rail_vol_1_a_step_past_its_deadline_needs_the_late_flag_and_nothing_changes(
    kit, crm, stage
):
    sign_before(kit, stage)
    kit.at(*DEADLINES[stage][1], 0, 1)
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match=f"the {stage} signs by .*it is late") as err:
        STEPS[stage](kit)
    assert (err.value.field, err.value.rule) == ("late", "RAIL-VOL-1")
    assert row_counts(crm) == before
    form = STEPS[stage](kit, late=True, late_reason="运力衔接")
    last = form.stages[-1]
    assert (last.stage, last.late, last.late_reason) == (stage, True, "运力衔接")
    assert last.deadline == date(*DEADLINES[stage][0])


@pytest.mark.parametrize("stage", ORDER)
def test_rail_vol_1_the_late_flag_on_a_step_in_time_is_refused(kit, crm, stage):
    sign_before(kit, stage)
    kit.at(*DEADLINES[stage][0])
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="it is on time: drop the late flag"):
        STEPS[stage](kit, late=True)
    assert row_counts(crm) == before


def test_rail_vol_1_a_signature_entered_later_counts_on_the_day_it_was_signed(kit):
    kit.at(2026, 12, 14)  # the paper was signed on the 10th
    form = kit.rail.volumes.file(
        kit.actor("am"), "KA1", 2027, figures(), sign(signed_on=date(2026, 12, 10))
    )
    assert (form.stages[0].signed_on, form.stages[0].late) == (date(2026, 12, 10), False)
    with pytest.raises(InvalidInput, match="signed_on: 2026-12-15 is in the future"):
        kit.rail.volumes.agree(kit.actor("bureau"), "KA1", 2027, sign(signed_on=date(2026, 12, 15)))
    with pytest.raises(InvalidInput, match="2026-12-09 is before the client signed"):
        kit.rail.volumes.agree(kit.actor("bureau"), "KA1", 2027, sign(signed_on=date(2026, 12, 9)))


def test_rail_vol_1_the_deadline_days_are_a_policy(kit):
    kit.at(2026, 11, 1)
    kit.crm.policies.set(kit.actor("admin"), "RAIL-VOL-1", {"client_day": "8"}, reason="局令")
    kit.at(2026, 12, 9)
    with pytest.raises(InvalidInput, match="the client signs by 2026-12-08"):
        file(kit)
    assert file(kit, late=True).due[0].deadline == date(2026, 12, 8)
    with pytest.raises(InvalidInput, match="bureau_day: must be above client_day"):
        kit.crm.policies.set(kit.actor("admin"), "RAIL-VOL-1", {"bureau_day": "5"})


def test_rail_vol_1_a_form_for_a_year_already_approved_is_refused_and_nothing_changes(kit, crm):
    kit.approve_volume(2027)
    before = row_counts(crm)
    for step in (file, agree, approve):
        with pytest.raises(Conflict, match=r"for 2027 is already approved .*once a year") as err:
            step(kit, late=True)
        assert err.value.rule == "RAIL-VOL-1"
    assert row_counts(crm) == before


def test_rail_vol_1_signatures_come_in_order_from_the_right_people(kit, crm):
    kit.at(2026, 12, 5)
    with pytest.raises(Conflict, match="has not filed its form for 2027"):
        agree(kit)
    file(kit)
    with pytest.raises(Conflict, match="already signed by the client"):
        file(kit)
    with pytest.raises(Conflict, match="waits for the bureau to sign first"):
        approve(kit)
    for login in ("am", "admin", "ministry"):
        with pytest.raises(PermissionDenied, match="is for rail_bureau"):
            kit.rail.volumes.agree(kit.actor(login), "KA1", 2027, sign())
    agree(kit)
    with pytest.raises(Conflict, match="already signed by the bureau"):
        kit.rail.volumes.agree(kit.actor("bureau2"), "KA1", 2027, sign())
    with pytest.raises(PermissionDenied, match=r"lacks the permission 'rail.write'"):
        kit.rail.volumes.file(kit.actor("reader"), "KA2", 2027, figures(), sign())


@pytest.mark.parametrize(
    ("make", "field", "message"),
    [
        (lambda: VolumeFigures(total=D("-1")), "total", "must be at least 0"),
        (lambda: figures(D("0")), "total", "must be more than 0 t"),
        (
            lambda: figures(directions=(Direction(bureau="北京局", tonnage=D("-5")),)),
            "tonnage",
            "must be at least 0",
        ),
        (
            lambda: figures(directions=(Direction(bureau="北京局", tonnage=D("1200001")),)),
            "directions",
            "add up to 1200001 t, more than the total 1200000 t",
        ),
        (lambda: sign(sealed=False), "sealed", "signed and sealed"),
    ],
)
def test_rail_vol_1_bad_figures_are_refused(make, field, message):
    with pytest.raises(InvalidInput, match=message) as err:
        make()
    assert err.value.field == field


def test_rail_vol_1_stations_and_bureaus_must_be_in_the_register(kit, crm):
    kit.at(2026, 12, 1)
    before = row_counts(crm)
    bad_train = figures(
        trains=(TrainProposal(origin="DTV", destination="ZZZ", trains=5, tonnage=D(1)),)
    )
    with pytest.raises(InvalidInput, match="unknown station code 'ZZZ'") as err:
        kit.rail.volumes.file(kit.actor("am"), "KA1", 2027, bad_train, sign())
    assert err.value.field == "trains.0.destination"
    bad_bureau = figures(directions=(Direction(bureau="火星局", tonnage=D(1)),))
    with pytest.raises(InvalidInput, match="unknown bureau '火星局'") as err:
        kit.rail.volumes.file(kit.actor("am"), "KA1", 2027, bad_bureau, sign())
    assert err.value.field == "directions.0.bureau"
    with pytest.raises(InvalidInput, match="the form for 2029 is filed in December 2028"):
        kit.rail.volumes.file(kit.actor("am"), "KA1", 2029, figures(), sign())
    assert row_counts(crm) == before


def test_rail_vol_1_bureau_and_ministry_sign_their_own_figures(kit):
    kit.at(2026, 12, 10)
    file(kit)
    kit.at(2026, 12, 20)
    agreed = kit.rail.volumes.agree(
        kit.actor("bureau"),
        "KA1",
        2027,
        sign("李四"),
        figures(D("1100000"), contracted=D("1150000")),
    )
    assert [s.figures.total for s in agreed.stages] == [D("1200000"), D("1100000")]
    kit.at(2026, 12, 31)
    done = approve(kit)
    assert done.figures.total == D("1100000")  # the ministry endorsed the bureau's figures
    assert done.verification.contracted == D("1150000")


# -- growth (RAIL-VOL-2) --------------------------------------------------------------------


def loaded_2026(kit: Kit, total: D = D("1000000"), year: int = 2026) -> None:
    """An approved volume for ``year``, its plans and twelve monthly totals adding up to
    ``total``."""
    kit.approve_volume(year, total)
    kit.rail.operations.make_plans(kit.actor("am"), "KA1", year)
    kit.at(year + 1, 1, 5)
    month = (total / 12).quantize(D("0.001"))
    tonnes = [month] * 11 + [total - month * 11]
    rows = [
        Loading(month=f"{year}-{m:02d}", origin="DTV", destination="QTP", tonnage=tonnes[m - 1])
        for m in range(1, 13)
    ]
    kit.rail.operations.import_loadings(kit.actor("am"), "KA1", rows)


def filed_growth(kit: Kit, total: str):  # type: ignore[no-untyped-def]
    kit.at(2026, 12, 10)
    return kit.rail.volumes.file(kit.actor("am"), "KA1", 2027, figures(D(total)), sign()).growth


@pytest.mark.parametrize(
    ("total", "percent", "warned"),
    [
        ("1040000", "4.00", True),
        ("1050000", "5.00", True),  # equal is not above (高于)
        ("1050100", "5.01", False),
    ],
)
def test_rail_vol_2_growth_below_or_equal_to_the_regional_average_warns(
    kit, total, percent, warned
):
    loaded_2026(kit)
    kit.rail.volumes.set_growth(kit.actor("admin"), "山西", 2027, D("5.00"), source="统计公报")
    growth = filed_growth(kit, total)
    assert (growth.base_kind, growth.base_year, growth.base, growth.base_months) == (
        "actual",
        2026,
        D("1000000"),
        12,
    )
    assert growth.growth_percent == D(percent)
    assert (growth.regional_region, growth.regional_percent) == ("山西", D("5.00"))
    assert growth.below is warned
    if warned:
        assert growth.warning == (
            f"growth {percent}% is not above the average railway growth of 山西 in 2027 (5.00%)"
        )
    else:
        assert growth.warning is None


def test_rail_vol_2_the_nearest_region_figure_counts_and_a_new_entry_supersedes(kit):
    loaded_2026(kit)
    kit.rail.volumes.set_growth(kit.actor("admin"), "山西", 2027, D("3.00"))
    kit.rail.volumes.set_growth(kit.actor("admin"), "山西/大同", 2027, D("9.00"))
    kit.rail.volumes.set_growth(kit.actor("admin"), "山西/大同", 2027, D("8.00"))
    growth = filed_growth(kit, "1070000")
    assert (growth.regional_region, growth.regional_percent, growth.below) == (
        "山西/大同",
        D("8.00"),
        True,
    )
    shown = kit.rail.volumes.growth_figures(kit.actor("reader"), year=2027)
    assert [(g.region, g.percent) for g in shown] == [("山西", D("3.00")), ("山西/大同", D("8.00"))]


def test_rail_vol_2_missing_figures_are_named_not_guessed(kit):
    growth = filed_growth(kit, "1200000")
    assert (growth.growth_percent, growth.below) == (None, None)
    assert growth.warning == "no actual volume for 2026 to measure growth from"
    kit.at(2026, 12, 20)
    agreed = agree(kit)
    assert agreed.growth.warning == "no actual volume for 2026 to measure growth from"


def test_rail_vol_2_without_a_regional_figure_the_warning_says_so(kit):
    loaded_2026(kit)
    growth = filed_growth(kit, "1100000")
    assert growth.growth_percent == D("10.00")
    assert growth.below is None
    assert "no average railway growth entered for 山西/大同 in 2027" in growth.warning


def test_rail_vol_2_the_base_can_be_last_years_approved_volume(kit):
    loaded_2026(kit, D("900000"))
    kit.rail.volumes.set_growth(kit.actor("admin"), "山西", 2027, D("5.00"))
    kit.at(2026, 12, 1)
    kit.crm.policies.set(kit.actor("admin"), "RAIL-VOL-2", {"base": "approved"})
    growth = filed_growth(kit, "990000")
    assert (growth.base_kind, growth.base, growth.growth_percent, growth.below) == (
        "approved",
        D("900000"),
        D("10.00"),
        False,
    )


def test_rail_vol_2_a_bad_regional_figure_is_refused(kit, crm):
    before = row_counts(crm)
    for region, percent, field in (
        ("", D("3"), "region"),
        ("山西", D("3.005"), "percent"),
        ("山西", D("-150"), "percent"),
    ):
        with pytest.raises(InvalidInput, match=field):
            kit.rail.volumes.set_growth(kit.actor("admin"), region, 2027, percent)
    with pytest.raises(PermissionDenied):
        kit.rail.volumes.set_growth(kit.actor("bureau"), "山西", 2027, D("3"))
    assert row_counts(crm) == before


# -- pre-filled from actuals, verification, obligations -------------------------------------


def test_rail_ops_1_next_years_form_is_pre_filled_from_this_years_actuals(kit):
    loaded_2026(kit, D("1200000"))
    draft = kit.rail.volumes.prefill(kit.actor("am"), "KA1", 2027)
    assert (draft.basis_year, draft.basis_months, draft.annualised) == (2026, 12, False)
    assert draft.figures.total == D("1200000")
    assert draft.figures.directions == (Direction(bureau="北京局", tonnage=D("1200000")),)
    assert [t.label for t in draft.figures.trains] == ["DTV-QTP"]  # from the 2026 approval
    with pytest.raises(NotFound, match="no actual loadings in 2027"):
        kit.rail.volumes.prefill(kit.actor("am"), "KA1", 2028)


def test_rail_vol_1_the_bureau_sees_what_it_verifies_against(kit):
    loaded_2026(kit)
    kit.at(2026, 12, 10)
    form = kit.rail.volumes.file(
        kit.actor("am"), "KA1", 2027, figures(contracted=D("1100000")), sign()
    )
    v = form.verification
    assert (v.last_year, v.last_year_actual, v.last_year_months, v.last_year_approved) == (
        2026,
        D("1000000"),
        12,
        D("1000000"),
    )
    assert v.last_year_directions == {"北京局": D("1000000")}
    assert v.notes == ("the total is 100000.000 t above the contracted volume",)


def test_rail_vol_1_deadlines_are_obligations_with_an_on_time_record(kit):
    kit.at(2026, 3, 1)
    kit.certify()
    kit.at(2026, 12, 9)
    file(kit)
    kit.at(2026, 12, 22)
    agree(kit, late=True)
    kit.at(2027, 1, 3)  # the ministry has not signed
    duties = kit.crm.obligations.duties(kit.actor("admin"), date(2026, 12, 1), date(2026, 12, 31))
    rail_duties = {d.obligation: d for d in duties if d.obligation.startswith("RAIL")}
    assert {k: (d.status, d.subject) for k, d in rail_duties.items()} == {
        "RAIL-VOL-1.client": ("done", "KA1/2027"),
        "RAIL-VOL-1.bureau": ("late", "KA1/2027"),
        "RAIL-VOL-1.ministry": ("overdue", "KA1/2027"),
    }
    assert rail_duties["RAIL-VOL-1.client"].assignee == "am"
    tasks = kit.crm.tasks.waiting(kit.actor("ministry"))
    assert [(t.ref, t.client_code, t.overdue) for t in tasks] == [
        ("RAIL-VOL-1.ministry", "KA1", True)
    ]
    listed = kit.rail.volumes.list(kit.actor("reader"), 2027)
    assert [(s.client_code, s.late, s.overdue) for s in listed] == [
        ("KA1", ("bureau",), ("ministry",))
    ]


# -- through the CLI --------------------------------------------------------------------------

FILE = ["rail", "volume", "file", "KA1", "--year", "2025", "--sealed", "--signer", "张三"]
FIGURES = [
    "--total", "1,200,000", "--direction", "北京局=800000", "--consignee", "秦皇岛港@QTP=600000",
    "--train", "DTV:QTP:100:600000",
]  # fmt: skip


def test_rail_vol_1_the_cycle_through_the_cli(kit, cli, tmp_path):
    # Plan year 2025: the deadlines were in December 2024, so dates are given with --on.
    late = cli(*FILE, *FIGURES, "--on", "2024-12-11", user="am")
    assert late.exit_code == 3
    assert late.stderr.strip() == (
        "error: late: the client signs by 2024-12-10; signed on 2024-12-11, it is late: "
        "record it with the late flag (--late) (RAIL-VOL-1)"
    )
    ok = cli(*FILE, *FIGURES, "--on", "2024-12-10", user="am")
    assert ok.exit_code == 0, ok.output
    assert "signed by the client on 2024-12-10; total 1200000.000 t; next: bureau" in ok.stdout
    agreed = cli(
        "rail", "volume", "agree", "KA1", "--year", "2025", "--sealed", "--on", "2024-12-21",
        "--late", "--late-reason", "待协调", user="bureau",
    )  # fmt: skip
    assert agreed.exit_code == 0, agreed.output
    assert "LATE (due 2024-12-20)" in agreed.stdout
    done = cli(
        "rail",
        "volume",
        "approve",
        "KA1",
        "--year",
        "2025",
        "--sealed",
        "--on",
        "2024-12-31",
        user="ministry",
    )
    assert "in effect" in done.stdout
    shown = json.loads(cli("rail", "volume", "show", "KA1", "--year", "2025", "--json").stdout)
    assert shown["effective"] is True
    assert [(s["stage"], s["signer"], s["late"]) for s in shown["stages"]] == [
        ("client", "张三", False),
        ("bureau", "bureau 姓名", True),  # the bureau's signer defaults to the user's name
        ("ministry", "ministry 姓名", False),
    ]
    assert shown["figures"]["consignees"] == [
        {"name": "秦皇岛港", "tonnage": "600000.000", "station": "QTP"}
    ]
    again = cli(*FILE, *FIGURES, "--on", "2024-12-10", user="am")
    assert again.exit_code == 5
    assert "for 2025 is already approved" in again.stderr
    listed = json.loads(cli("rail", "volume", "list", "--year", "2025", "--json").stdout)
    assert [(s["client_code"], s["late"]) for s in listed] == [("KA1", ["bureau"])]


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--total", "-1"], 3, "error: total: must be at least 0 (RAIL-VOL-1)"),
        (
            ["--total", "100", "--train", "DTV:NOPE:1:50"],
            3,
            "error: trains.0.destination: unknown station code 'NOPE'",
        ),
        (
            ["--total", "100", "--direction", "北京局"],
            3,
            "error: direction: '北京局' is not BUREAU=TONNES",
        ),
        (["--direction", "北京局=5"], 3, "error: total: give the total with the breakdown"),
        (
            ["--total", "100", "--sealed", "--on", "2099-01-01"],
            3,
            "error: signed_on: 2099-01-01 is in the future",
        ),
    ],
)
def test_rail_vol_1_bad_input_through_the_cli(kit, crm, cli, extra, code, message):
    before = row_counts(crm)
    result = cli(*FILE, *extra, user="am")
    assert result.exit_code == code, result.output
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert row_counts(crm) == before


def test_rail_vol_1_without_the_seal_the_cli_refuses(kit, crm, cli):
    before = row_counts(crm)
    argv = [a for a in FILE if a != "--sealed"]
    result = cli(*argv, "--total", "100", "--on", "2024-12-10", user="am")
    assert result.exit_code == 3
    assert "sealed: the form takes effect signed and sealed" in result.stderr
    assert row_counts(crm) == before


def test_rail_vol_1_a_prefilled_form_file_round_trips_through_the_cli(kit, cli, tmp_path):
    # The CLI runs on the real clock: use years before it, and say when things were signed.
    loaded_2026(kit, D("1200000"), year=2024)
    path = tmp_path / "form-2025.json"
    assert (
        cli("rail", "volume", "prefill", "KA1", "--year", "2025", "--output", str(path)).exit_code
        == 0
    )
    document = json.loads(path.read_text(encoding="utf-8"))
    assert (document["year"], document["total"], document["prefilled_from"]["months"]) == (
        2025,
        "1200000.000",
        12,
    )
    result = cli(
        "rail", "volume", "file", "KA1", "--year", "2025", "--form", str(path), "--sealed",
        "--signer", "张三", "--on", "2024-12-10", user="am",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    wrong_year = cli(
        "rail", "volume", "file", "KA1", "--year", "2026", "--form", str(path), "--sealed",
        "--signer", "张三", user="am",
    )  # fmt: skip
    assert wrong_year.exit_code == 3
    assert "another year than 2026" in wrong_year.stderr


def test_rail_vol_figures_from_a_file_are_validated_like_any_other(tmp_path):
    from crmcore.convert import structure

    with pytest.raises(InvalidInput, match=r"directions.0.tonnage"):
        structure(
            {"total": "10", "directions": [{"bureau": "北京局", "tonnage": "-1"}]}, VolumeFigures
        )


def test_rail_vol_1_two_bureau_staff_signing_at_once_exactly_one_signs(kit, crm, crm_url):
    import threading

    from crmcore_rail_freight.services import rail

    from crmcore import Crm

    kit.at(2026, 12, 10)
    file(kit)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign_as(login: str) -> None:
        with Crm.open(crm_url) as other:
            other.clock = kit.crm.clock
            actor = other.actor(login)
            barrier.wait()
            try:
                rail(other).volumes.agree(actor, "KA1", 2027, sign(login))
                outcomes.append("signed")
            except Conflict as exc:
                outcomes.append(str(exc))

    threads = [threading.Thread(target=sign_as, args=(login,)) for login in ("bureau", "bureau2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("signed") == 1, outcomes
    (lost,) = (o for o in outcomes if o != "signed")
    assert lost.endswith("(RAIL-VOL-1)")  # already signed, or changed meanwhile
    assert row_counts(crm)["rail_volume_signatures"] == 2  # the client's and one bureau's


# -- the list of a year's forms ----------------------------------------------------------------


def test_rail_vol_1_the_list_of_a_years_forms_reads_in_a_fixed_number_of_queries(kit):
    """RAIL-VOL-1/2: the bureau's list of every form of a year took a round of queries per
    form (2.1 s for 300 forms); now the same output in as many queries for two forms as for
    one, and each line says what the form itself says."""
    from sqlalchemy import event

    kit.at(2025, 3, 1)
    kit.certify("KA1")
    kit.certify("KA2")
    loaded_2026(kit)
    kit.rail.volumes.set_growth(kit.actor("admin"), "山西", 2027, D("5.00"))
    kit.at(2026, 12, 10)
    kit.rail.volumes.file(kit.actor("am"), "KA1", 2027, figures(D("1040000")), sign())
    reader = kit.actor("reader")

    def listed() -> tuple[int, list]:  # type: ignore[type-arg]
        statements: list[str] = []

        def count(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(kit.crm.engine, "before_cursor_execute", count)
        try:
            summaries = kit.rail.volumes.list(reader, 2027)
            return len(statements), summaries
        finally:
            event.remove(kit.crm.engine, "before_cursor_execute", count)

    one, _ = listed()
    kit.rail.volumes.file(kit.actor("am"), "KA2", 2027, figures(), sign())
    kit.rail.volumes.agree(kit.actor("bureau"), "KA2", 2027, sign("李四"))
    two, summaries = listed()
    assert two == one > 0
    assert [s.client_code for s in summaries] == ["KA1", "KA2"]
    for s in summaries:
        form = kit.rail.volumes.show(reader, s.client_code, 2027)
        assert (s.stage, s.effective, s.total, s.growth_percent, s.growth_warning) == (
            form.stage,
            form.effective,
            form.figures.total,
            form.growth.growth_percent,
            form.growth.warning,
        )
    assert (summaries[0].growth_percent, summaries[0].growth_warning is not None) == (
        D("4.00"),
        True,
    )
