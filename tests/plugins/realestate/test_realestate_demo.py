"""``crm demo`` with the plugin: the control table, ledger and progress have something to show."""

from __future__ import annotations

import json


def test_demo_fills_the_sales_floor_and_money_trail(cli):
    out = cli("demo")
    assert out.exit_code == 0, out.output
    assert "80 units" in out.stdout and "10 tickets" in out.stdout
    grid = cli("realestate", "units", "grid", "HY-01")
    assert grid.exit_code == 0 and "已售" in grid.stdout and "散售预留" in grid.stdout
    release = json.loads(cli("realestate", "release", "show", "FY0001", "--json").stdout)
    assert release["status"] == "released"
    ledger = json.loads(cli("realestate", "ledger", release["client"], "--json").stdout)
    assert sum(1 for line in ledger if line["voucher"]) == 5
    assert sum(1 for line in ledger if not line["in_force"]) == 1
