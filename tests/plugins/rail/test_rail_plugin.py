"""The rail plugin as a whole: its migration branch, what it registers, its demo data."""

from __future__ import annotations

import json
from datetime import date

from crmcore.testing import run_cli


def test_db_current_lists_the_core_and_the_rail_branch_up_to_date(cli):
    """The rail branch depends on the core head; the core must still show as its own."""
    current = json.loads(cli("db", "current", "--json").stdout)
    assert current["crmcore"]["up_to_date"] is True
    assert current["rail"] == {"current": "rail_0001", "head": "rail_0001", "up_to_date": True}


def test_the_plugin_registers_its_rules_roles_workflow_and_obligations(crm):
    assert {"RAIL-QUAL-1", "RAIL-QUAL-2", "RAIL-VOL-1", "RAIL-VOL-2"} <= set(crm.policy_specs)
    defaults = crm.policy_specs["RAIL-VOL-1"].default()
    assert (defaults.client_day, defaults.bureau_day, defaults.ministry_day) == (10, 20, 31)
    assert crm.policy_specs["RAIL-QUAL-1"].default().min_annual_tonnage == 1_000_000
    for role in ("rail_bureau", "rail_ministry"):
        assert {"client.read", "workflow.read", "rail.read"} <= crm.roles[role]
    assert crm.workflow_definitions["rail.certificate"].workflow.rule == "RAIL-QUAL-2"
    assert {"RAIL-VOL-1.client", "RAIL-VOL-1.bureau", "RAIL-VOL-1.ministry"} <= set(
        crm.obligation_definitions
    )


def test_the_demo_shows_each_step_of_the_process(tmp_path):
    db = str(tmp_path / "demo.db")

    def crm(*args: str, user: str = "admin"):  # type: ignore[no-untyped-def]
        result = run_cli(["--db", db, "--as", user, *args])
        assert result.exit_code == 0, result.output
        return result

    assert "plugin rail" in crm("demo", "--clients", "3").stdout
    year = date.today().year
    assert json.loads(crm("rail", "check", "C000001", "--json").stdout)["qualified"] is True
    refused = json.loads(crm("rail", "check", "C000003", "--json").stdout)
    assert [c["key"] for c in refused["criteria"] if not c["passed"]] == [
        "annual_volume",
        "station_whole_trains",
    ]
    certificate = json.loads(crm("rail", "cert", "show", "C000001", "--json").stdout)
    assert certificate["in_force"].startswith("RAIL-")
    waiting = json.loads(crm("rail", "cert", "show", "C000002", "--json").stdout)
    assert waiting["applications"][0]["state"] == "verification:rail_ministry"
    form = json.loads(
        crm("rail", "volume", "show", "C000001", "--year", str(year), "--json").stdout
    )
    assert form["effective"] is True
    assert [s["late"] for s in form["stages"]] == [False, True, False]
    report = json.loads(crm("rail", "report", "C000001", "--year", str(year - 1), "--json").stdout)
    assert report["total"]["plan"] == form["verification"]["last_year_approved"]
    assert len(json.loads(crm("rail", "station", "list", "--json").stdout)) == 21
    crm("rail", "cert", "approve", "C000002", user="sunliping")
    assert json.loads(crm("rail", "cert", "show", "C000002", "--json").stdout)["in_force"]


def test_the_migration_makes_exactly_the_tables_the_code_declares(crm):
    """Types included: tonnes are NUMERIC(18, 3) on PostgreSQL, not money's (18, 2)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from crmcore.store import metadata

    def ours(_obj, name, type_, _reflected, _compare_to):  # type: ignore[no-untyped-def]
        return type_ != "table" or name.startswith("rail_")

    with crm.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": ours}
        )
        assert compare_metadata(context, metadata) == []
