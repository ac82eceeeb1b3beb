"""How fast the rail plugin is on a realistic SQLite database.

Builds N clients (the start-up benchmark's), enables the rail plugin, loads the demo station
register, and takes K of them through the process as the services do it: qualification,
certificate (bureau, ministry), an approved annual volume (three signatures), monthly plans.
Then measures: importing a year of daily loadings for one key account (one file, one
transaction), the fulfilment report three ways, the qualification check, one form, the list of
all forms of a year, the year's deadline obligations and the bureau's tasks. Writes
bench/results/rail.json.

    uv run python bench/rail.py            # 20,000 clients, 300 key accounts, 36,500 loadings
    uv run python bench/rail.py --quick    # 1,000 clients, 20 key accounts (CI smoke test)
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import cli_startup  # the same clients as the start-up benchmark
from crmcore_rail_freight.demo import REGISTER
from crmcore_rail_freight.domain.operations import Loading
from crmcore_rail_freight.domain.qualification import QualificationFacts
from crmcore_rail_freight.domain.stations import parse_register
from crmcore_rail_freight.domain.volumes import Direction, Signing, VolumeFigures
from crmcore_rail_freight.services import rail
from workflows import report, timed

from crmcore import Crm, NewUnit, NewUser
from crmcore.calendar import CHINA

RESULTS = Path(__file__).parent / "results" / "rail.json"
YEAR = 2026
DESTINATIONS = ("QTP", "TJP", "SHH", "NJH", "GZQ")


def at(crm: Crm, *moment: int) -> None:
    when = datetime(*moment, 10, tzinfo=CHINA)  # type: ignore[misc]
    crm.clock = lambda: when.astimezone(UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small database (CI smoke test)")
    args = parser.parse_args()
    clients, accounts, per_day = (1_000, 20, 10) if args.quick else (20_000, 300, 100)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        url = cli_startup.build(Path(tmp) / "bench.db", clients)
        with Crm.open(url, plugins=[]) as crm:
            crm.plugins.enable(crm.actor("admin"), "rail")
        crm = Crm.open(url)
        admin = crm.actor("admin")
        # signers must be able to read the clients (access.may_act): they share a unit with
        # admin, who owns every client of the start-up benchmark
        crm.org.add_unit(admin, NewUnit(code="RAIL", name="铁路局大客户部", kind="head_office"))
        crm.org.add_member(admin, "RAIL", "admin")
        for login, role in (("bureau", "rail_bureau"), ("ministry", "rail_ministry")):
            crm.users.add(admin, NewUser(login=login, name=login, roles=(role,)))
            crm.org.add_member(admin, "RAIL", login)
        bureau, ministry = crm.actor("bureau"), crm.actor("ministry")
        r = rail(crm)
        r.stations.load(admin, parse_register(REGISTER.read_text(encoding="utf-8")))
        codes = [f"C{i:06d}" for i in range(1, accounts + 1)]
        total = Decimal("1200000")
        figures = VolumeFigures(
            total=total,
            directions=(Direction(bureau="北京局", tonnage=Decimal("800000")),),
        )
        sealed = {"sealed": True}
        for code in codes:
            at(crm, YEAR - 1, 3, 1)
            r.qualification.record(
                admin,
                code,
                QualificationFacts(
                    party="shipper",
                    station="DTV",
                    year=YEAR - 2,
                    annual_tonnage=Decimal("1500000"),
                    annual_freight=Decimal("0"),
                    state_key_enterprise=True,
                    follows_railway_rules=True,
                    owns_goods=True,
                    pays_freight=True,
                    accepts_charter=True,
                ),
            )
            r.certificates.apply(admin, code)
            r.certificates.approve(bureau, code)
            r.certificates.approve(ministry, code)
            at(crm, YEAR - 1, 12, 10)
            r.volumes.file(admin, code, YEAR, figures, Signing(signer="张三", **sealed))
            at(crm, YEAR - 1, 12, 20)
            r.volumes.agree(bureau, code, YEAR, Signing(signer="李四", **sealed))
            at(crm, YEAR - 1, 12, 31)
            r.volumes.approve(ministry, code, YEAR, Signing(signer="王五", **sealed))
            r.operations.make_plans(admin, code, YEAR)
        setup_s = time.perf_counter() - began

        rng = random.Random(8)
        day = date(YEAR, 1, 1)
        rows = []
        while day.year == YEAR:
            for _ in range(per_day):
                rows.append(
                    Loading(
                        loaded_on=day,
                        origin="DTV",
                        destination=rng.choice(DESTINATIONS),
                        consignee=f"收货人{rng.randrange(20):02d}",
                        tonnage=Decimal(rng.randrange(3000, 5000)),
                        freight=Decimal(rng.randrange(300_000, 500_000)),
                    )
                )
            day += timedelta(days=1)
        at(crm, YEAR + 1, 1, 5)
        key = codes[0]
        ops = r.operations
        import_ms = timed(lambda: ops.import_loadings(admin, key, rows))
        at(crm, YEAR, 12, 15)
        results = {
            f"import {len(rows):,} daily loadings (one file, one transaction)": round(import_ms, 1),
            "fulfilment by month (with freight and settlements)": round(
                timed(lambda: ops.fulfilment(admin, key, YEAR), 5), 1
            ),
            "fulfilment by direction": round(
                timed(lambda: ops.fulfilment(admin, key, YEAR, by="direction"), 5), 1
            ),
            "fulfilment by consignee": round(
                timed(lambda: ops.fulfilment(admin, key, YEAR, by="consignee"), 5), 1
            ),
            "qualification check": round(timed(lambda: r.qualification.check(admin, key), 20), 2),
            "one annual volume form (show)": round(
                timed(lambda: r.volumes.show(admin, key, YEAR), 20), 2
            ),
            f"all {accounts} forms of a year (list)": round(
                timed(lambda: r.volumes.list(admin, YEAR)), 1
            ),
            "RAIL-VOL-1 duties due in December": round(
                timed(
                    lambda: crm.obligations.duties(
                        admin, date(YEAR, 12, 1), date(YEAR, 12, 31), obligation="RAIL-VOL-1.bureau"
                    )
                ),
                1,
            ),
            "tasks of the bureau (all open duties)": round(
                timed(lambda: crm.tasks.waiting(bureau)), 1
            ),
        }
        crm.close()
    rate = round(len(rows) / import_ms * 1000)
    report(
        RESULTS,
        {
            "benchmark": "rail",
            "clients": clients,
            "key_accounts": accounts,
            "loadings": len(rows),
            "import_rows_per_second": rate,
            "setup_seconds": round(setup_s, 1),
        },
        results,
        save=not args.quick,
        headline=f"{clients:,} clients, {accounts} key accounts, {len(rows):,} loadings "
        f"({rate:,} rows/s imported; {{machine}})",
    )


if __name__ == "__main__":
    main()
