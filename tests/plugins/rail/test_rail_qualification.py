"""RAIL-QUAL-1: the station register and the qualification check, through the API and CLI."""

from __future__ import annotations

import json
from decimal import Decimal as D

import pytest
from crmcore_rail_freight.domain.qualification import QualificationFacts
from crmcore_rail_freight.domain.stations import Station, parse_register
from rail_kit import QUALIFYING, REGISTER_CSV

from crmcore import InvalidInput, NotFound, PermissionDenied
from crmcore.testing import check_plugin, row_counts


def test_the_plugin_loads_and_its_migration_made_its_tables(crm):
    check_plugin(crm, "rail")


# -- the station register -------------------------------------------------------------------


def test_a_register_file_loads_and_a_reload_keeps_history(crm, admin, cli, tmp_path):
    """RAIL-QUAL-1 item 4: FMOS and whole-train capability per station, from a file."""
    path = tmp_path / "stations.csv"
    path.write_text(REGISTER_CSV, encoding="utf-8")
    result = cli("rail", "station", "load", str(path))
    assert result.exit_code == 0, result.output
    assert "5 added, 0 changed, 0 unchanged" in result.stdout
    listed = json.loads(cli("rail", "station", "list", "--json").stdout)
    by_code = {s["code"]: s for s in listed}
    assert by_code["QTP"] == {
        "code": "QTP",
        "name": "秦皇岛",
        "bureau": "北京局",
        "fmos": True,
        "whole_train_loading": True,
        "whole_train_unloading": True,
    }
    assert (by_code["BJP"]["whole_train_unloading"], by_code["WAR"]["fmos"]) == (False, False)
    # BJP gains whole-train unloading; the file leaves WAR out, and WAR stays.
    path.write_text(
        "code,name,bureau,fmos,whole_train_loading,whole_train_unloading\n"
        "BJP,北京,北京局,yes,no,yes\nDTV,大同,太原局,yes,yes,yes\n",
        encoding="utf-8",
    )
    result = cli("rail", "station", "load", str(path))
    assert "0 added, 1 changed, 1 unchanged" in result.stdout
    shown = json.loads(cli("rail", "station", "show", "bjp", "--json").stdout)
    assert shown["whole_train_unloading"] is True
    assert len(json.loads(cli("rail", "station", "list", "--json").stdout)) == 5
    assert row_counts(crm)["rail_station_history"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code,name\nDTV,大同\n", "CSV needs a header line"),
        (
            REGISTER_CSV + "DTV,大同,太原局,yes,yes,yes\n",
            "line 7: code: DTV is already listed (stations.csv: line 2)",
        ),
        (REGISTER_CSV.replace("DTV,大同", "D,大同"), "line 2: code: 'D' is not a station code"),
        (
            REGISTER_CSV.replace("QTP,秦皇岛,北京局,是", "QTP,秦皇岛,北京局,maybe"),
            "line 3: fmos: 'maybe' is not true or false",
        ),
        ("", "is empty"),
    ],
)
def test_a_bad_register_file_is_refused_and_nothing_loaded(crm, cli, tmp_path, text, message):
    path = tmp_path / "stations.csv"
    path.write_text(text, encoding="utf-8")
    before = row_counts(crm)
    result = cli("rail", "station", "load", str(path))
    assert result.exit_code == 3, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert row_counts(crm) == before


def test_only_a_rail_admin_loads_stations(kit):
    with pytest.raises(PermissionDenied, match=r"rail.admin"):
        kit.rail.stations.load(kit.actor("bureau"), parse_register(REGISTER_CSV))
    assert kit.rail.stations.get(kit.actor("reader"), "dtv").name == "大同"
    with pytest.raises(NotFound, match="unknown station code 'NOPE'"):
        kit.rail.stations.get(kit.actor("reader"), "NOPE")


# -- the qualification check ------------------------------------------------------------------


def verdicts(check) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    return {c.key: c.passed for c in check.criteria}


def test_rail_qual_1_a_client_meeting_everything_qualifies_with_every_criterion_listed(kit):
    check = kit.qualify(annual_tonnage=D("1200000"), annual_freight=D("150000000"))
    assert check.qualified
    assert [(c.clause, c.key) for c in check.criteria] == [
        (1, "state_key_enterprise"),
        (2, "follows_railway_rules"),
        (3, "annual_volume"),
        (4, "station_fmos"),
        (4, "station_whole_trains"),
        (5, "owns_goods"),
        (5, "pays_freight"),
        (6, "accepts_charter"),
    ]
    volume = check.criteria[2]
    assert volume.values["annual_tonnage"] == D("1200000")
    assert volume.values["min_annual_tonnage"] == D("1000000")
    assert volume.values["min_annual_freight"] == D("100000000")
    assert volume.detail == (
        "2025: 1,200,000 t >= 1,000,000 t, freight 150,000,000 CNY >= 100,000,000 CNY"
    )


@pytest.mark.parametrize(
    ("tonnage", "freight", "qualified"),
    [
        ("999999", "0", False),  # one tonne short
        ("999999.999", "99999999.99", False),  # a kilogram and a fen short
        ("1000000", "0", True),  # 100万吨以上: the number itself counts
        ("0", "100000000", True),  # 1亿元以上: so does this one
        ("0", "99999999.99", False),
    ],
)
def test_rail_qual_1_volume_and_freight_thresholds_at_the_boundary(
    kit, tonnage, freight, qualified
):
    check = kit.qualify(annual_tonnage=D(tonnage), annual_freight=D(freight))
    assert verdicts(check)["annual_volume"] is qualified
    assert check.qualified is qualified


@pytest.mark.parametrize(
    ("changes", "failed"),
    [
        ({"state_key_enterprise": False}, ["state_key_enterprise"]),
        ({"follows_railway_rules": False}, ["follows_railway_rules"]),
        ({"owns_goods": False}, ["owns_goods"]),
        ({"pays_freight": False}, ["pays_freight"]),
        ({"accepts_charter": False}, ["accepts_charter"]),
        ({"station": "WAR"}, ["station_fmos"]),  # not on FMOS
        ({"station": "BJP"}, ["station_whole_trains"]),  # cannot load whole trains
        ({"station": "BJP", "party": "consignee"}, ["station_whole_trains"]),  # nor unload
    ],
)
def test_rail_qual_1_every_condition_is_required(kit, changes, failed):
    check = kit.qualify(**changes)
    assert not check.qualified
    assert [c.key for c in check.failed] == failed


def test_rail_qual_1_the_thresholds_are_a_policy(kit):
    kit.at(2026, 6, 1)
    assert not kit.qualify(annual_tonnage=D("800000")).qualified
    kit.crm.policies.set(
        kit.actor("admin"), "RAIL-QUAL-1", {"min_annual_tonnage": "800000"}, reason="测试"
    )
    check = kit.rail.qualification.check(kit.actor("am"), "KA1")
    assert check.qualified
    assert check.criteria[2].values["min_annual_tonnage"] == D("800000")


def test_rail_qual_1_newest_facts_count_and_earlier_ones_stay(kit, crm):
    kit.qualify(annual_tonnage=D("999999"))
    assert not kit.rail.qualification.check(kit.actor("reader"), "KA1").qualified
    kit.qualify(annual_tonnage=D("1000000"))
    assert kit.rail.qualification.check(kit.actor("reader"), "KA1").qualified
    assert row_counts(crm)["rail_qualifications"] == 2
    with pytest.raises(NotFound, match="nothing recorded for client KA2"):
        kit.rail.qualification.check(kit.actor("reader"), "KA2")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"annual_tonnage": D("-1")}, "annual_tonnage", "must be at least 0"),
        ({"annual_freight": D("-0.01")}, "annual_freight", "must be at least 0"),
        ({"annual_tonnage": D("1.0001")}, "annual_tonnage", "more than 3 decimal places"),
        ({"party": "broker"}, "party", "'broker' is not one of shipper, consignee"),
    ],
)
def test_rail_qual_1_bad_facts_are_refused(changes, field, message):
    with pytest.raises(InvalidInput, match=message) as err:
        QualificationFacts(**{**QUALIFYING, **changes})
    assert err.value.field == field


def test_rail_qual_1_an_unknown_station_is_refused_and_nothing_written(kit, crm):
    before = row_counts(crm)
    with pytest.raises(InvalidInput, match="unknown station code 'XYZ'") as err:
        kit.qualify(station="xyz")
    assert (err.value.field, err.value.rule) == ("station", "RAIL-QUAL-1")
    assert row_counts(crm) == before


QUALIFY = [
    "rail", "qualify", "KA1", "--party", "shipper", "--station", "DTV", "--year", "2025",
    "--state-key-enterprise", "--follows-railway-rules", "--owns-goods", "--pays-freight",
    "--accepts-charter",
]  # fmt: skip


def test_rail_qual_1_through_the_cli(kit, cli):
    result = cli(*QUALIFY, "--tonnage", "999,999", "--freight", "100000000", user="am")
    assert result.exit_code == 0, result.output
    assert "QUALIFIES (RAIL-QUAL-1)" in result.stdout
    cli(*QUALIFY, "--tonnage", "999999", "--freight", "99999999.99", user="am")
    shown = cli("rail", "check", "KA1", "--json", user="reader")
    data = json.loads(shown.stdout)
    assert data["qualified"] is False
    assert data["criteria"][2]["values"]["annual_tonnage"] == "999999.000"
    assert data["criteria"][2]["passed"] is False
    assert "does NOT qualify (1 failed)" in cli("rail", "check", "KA1").stdout


@pytest.mark.parametrize(
    ("tonnage", "station", "message"),
    [
        ("-5", "DTV", "error: annual_tonnage: must be at least 0 (RAIL-QUAL-1)"),
        ("abc", "DTV", "error: annual_tonnage: 'abc' is not a decimal number"),
        ("1", "NOPE", "error: station: unknown station code 'NOPE'"),
    ],
)
def test_rail_qual_1_bad_input_through_the_cli(kit, crm, cli, tonnage, station, message):
    before = row_counts(crm)
    argv = [a if a != "DTV" else station for a in QUALIFY]
    result = cli(*argv, "--tonnage", tonnage, "--freight", "0", user="am")
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(message)
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert row_counts(crm) == before


def test_the_register_does_not_accept_a_bad_station_object():
    with pytest.raises(InvalidInput, match="code"):
        Station(code="大同", name="大同", bureau="太原局")
