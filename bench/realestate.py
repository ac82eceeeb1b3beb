"""How fast the real estate plugin's sales floor and money trail are on SQLite, each beside a
raw baseline measured in the same run (bare SQLAlchemy Core doing the same rows, without
rules, permissions, audit or encryption), so the price of the rules is visible.

Measures: bulk-loading units; issuing a ticket (compare-and-set on the unit, price gate,
buyer match by blind index, audit) vs a bare conditional UPDATE + INSERT; paying it in full
(receipt, voucher, unit sold) vs bare INSERTs; the control table read and laid out as a grid vs
a bare SELECT; the ledger of all tickets. Writes bench/results/realestate.json.

    uv run python bench/realestate.py            # 20,000 units, 2,000 tickets
    uv run python bench/realestate.py --quick    # 2,000 units, 200 tickets (CI smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, update

from crmcore import Crm, NewAssignmentRule, NewClient, NewUnit, NewUser
from crmcore.calendar import CHINA
from crmcore.sampledata import SampleData
from crmcore.services import database

RESULTS = Path(__file__).parent / "results" / "realestate.json"


def approve_price(crm: Crm, project: str, client: str, average: str) -> None:
    """The price analysis is made; its RE-PRICE-5 result is written behind the chain's back
    (setup, not what is measured)."""
    from crmcore_realestate.deals import tables as deal_tables
    from crmcore_realestate.deals.domain import NewPriceAnalysis, NewPriceInput
    from crmcore_realestate.deals.services import deals

    from crmcore.store.tables import clients

    pricing, admin = deals(crm).pricing, crm.actor("admin")
    for kind, value in (("unit_cost", "6800"), ("retail_reference", "12000")):
        pricing.record_input(admin, NewPriceInput(project_code=project, kind=kind, value=value))
    analysis = pricing.analyse(
        admin,
        NewPriceAnalysis(
            project_code=project,
            client_code=client,
            stage="listing",
            comparable_price="12500",
            average_price=average,
            payment_ratio="60",
        ),
    )
    with crm.engine.begin() as conn:
        conn.execute(
            deal_tables.approved_prices.insert().values(
                project_code=project,
                client_id=conn.scalar(select(clients.c.id).where(clients.c.code == client)),
                analysis_id=analysis.id,
                average_price=Decimal(average),
                payment_ratio=Decimal("60"),
                approved_at=crm.clock(),
            )
        )


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - began) * 1000 / repeat


def unit_rows(project: int, floors: int, per_floor: int, buildings: int) -> list[dict[str, str]]:
    return [
        {
            "building": f"{b}",
            "unit": f"{f:02d}{n:02d}",
            "floor": str(f),
            "layout": "3室2厅",
            "area": "98.50",
        }
        for b in range(1, buildings + 1)
        for f in range(1, floors + 1)
        for n in range(1, per_floor + 1)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small run (CI smoke test)")
    args = parser.parse_args()
    buildings, tickets = (10, 200) if args.quick else (100, 2_000)
    floors, per_floor = 25, 8  # 200 units a building
    from crmcore_realestate import tables as rt
    from crmcore_realestate.domain import NewTicket, control_grid
    from crmcore_realestate.services import RealEstateService, apply_release

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        database.init(url)
        with Crm.open(url, plugins=[]) as crm:
            crm.plugins.enable(crm.actor("admin"), "realestate")
        with Crm.open(url) as crm:
            crm.clock = lambda: datetime(2026, 3, 2, 10, tzinfo=CHINA).astimezone(UTC)
            admin = crm.actor("admin")
            crm.org.add_unit(
                admin, NewUnit(code="HQ", name="总部", kind="head_office", region="广东")
            )
            crm.org.add_rule(admin, NewAssignmentRule(unit="HQ", region="广东"))
            for login, role in (("sales", "re_sales"), ("checker", "re_checker")):
                crm.users.add(admin, NewUser(login=login, name=login, roles=(role,)))
                crm.org.add_member(admin, "HQ", login)
            crm.clients.add(
                admin, NewClient(name="广州市第一人民医院", code="KA1", region="广东/广州")
            )
            sales, checker = crm.actor("sales"), crm.actor("checker")
            re = RealEstateService(crm)
            re.add_project(admin, "P1", "项目一")
            re.add_project(admin, "RAW", "raw baseline")
            rows = unit_rows(1, floors, per_floor, buildings)
            load_ms = timed(lambda: re.load_units(admin, "P1", rows))
            # raw: the same units, one executemany, no checks
            with crm.engine.begin() as conn:
                raw_project = conn.scalar(
                    select(rt.projects.c.id).where(rt.projects.c.code == "RAW")
                )
                building_ids = {
                    b: conn.execute(
                        insert(rt.buildings).values(project_id=raw_project, code=b)
                    ).inserted_primary_key[0]
                    for b in sorted({r["building"] for r in rows})
                }
            now = crm.clock()

            def raw_load() -> None:
                with crm.engine.begin() as conn:
                    conn.execute(
                        insert(rt.units),
                        [
                            {
                                "project_id": raw_project,
                                "building_id": building_ids[r["building"]],
                                "code": r["unit"],
                                "floor": int(r["floor"]),
                                "layout": r["layout"],
                                "area": Decimal(r["area"]),
                                "status": "available",
                                "version": 1,
                                "updated_at": now,
                            }
                            for r in rows
                        ],
                    )

            raw_load_ms = timed(raw_load)
            # release the first `tickets` units of P1 (bypassing the chain: its cost is the
            # workflow benchmark's), approve the average (likewise), list the buyers
            re.set_target(admin, 2026, "100000000")
            refs = [f"{r['building']}-{r['unit']}" for r in rows[:tickets]]
            with crm.transaction(admin) as tx:
                release = re.request_release(tx, "P1", "KA1", refs)
                release_id = tx.conn.scalar(
                    select(rt.releases.c.id).where(rt.releases.c.number == release.number)
                )
                apply_release(tx, release_id, released=True)
            approve_price(crm, "P1", "KA1", "9000")
            people = [(p["name"], p["id_number"]) for p in SampleData(11).buyers(tickets)]
            lst = re.import_buyers(sales, "P1", "KA1", people)
            for role in ("audit_legal", "finance", "lawyer"):
                re.check_list(admin, lst.number, role)
            queue = iter(zip(refs, people, strict=True))
            numbers: list[str] = []

            def one_ticket() -> None:
                ref, (name, number) = next(queue)
                numbers.append(
                    re.issue_ticket(
                        sales,
                        "P1",
                        "KA1",
                        NewTicket(
                            unit=ref,
                            buyer_name=name,
                            id_number=number,
                            payment_mode="full",
                            payment_ratio="100",
                        ),
                    ).number
                )

            ticket_ms = timed(one_ticket, tickets)
            raw_ids = list(
                crm.engine.connect()
                .execute(
                    select(rt.units.c.id).where(rt.units.c.project_id == raw_project).limit(tickets)
                )
                .scalars()
            )
            raw_queue = iter(raw_ids)

            def raw_ticket() -> None:
                unit_id = next(raw_queue)
                with crm.engine.begin() as conn:
                    u = rt.units.c
                    done = conn.execute(
                        update(rt.units)
                        .where(u.id == unit_id, u.status == "available")
                        .values(status="selected", version=u.version + 1)
                    ).rowcount
                    assert done == 1
                    conn.execute(
                        insert(rt.tickets).values(
                            number=f"RAW{unit_id}",
                            unit_id=unit_id,
                            buyer_id=1,
                            client_id=1,
                            unit_price=Decimal(9000),
                            area=Decimal("98.5"),
                            total=Decimal(886500),
                            discount=0,
                            discounts={},
                            payment_mode="full",
                            payment_ratio=Decimal(1),
                            due=Decimal(886500),
                            carried_over=0,
                            live_unit_id=unit_id,
                            recorded_at=now,
                            recorded_by=1,
                        )
                    )

            raw_ticket_ms = timed(raw_ticket, tickets)
            for number in numbers:
                re.sign_ticket(sales, number)  # RE-TICKET-1
                re.check_ticket(checker, number)
            pay_queue = iter(numbers)
            pay_ms = timed(lambda: re.pay(sales, next(pay_queue), "886500"), tickets)
            raw_pay_queue = iter(raw_ids)

            def raw_pay() -> None:
                unit_id = next(raw_pay_queue)
                with crm.engine.begin() as conn:
                    ticket_id = conn.scalar(
                        select(rt.tickets.c.id).where(rt.tickets.c.live_unit_id == unit_id)
                    )
                    conn.execute(
                        insert(rt.receipts).values(
                            number=f"RAWR{unit_id}",
                            ticket_id=ticket_id,
                            client_id=1,
                            kind="payment",
                            amount=Decimal(886500),
                            paid_on=date(2026, 3, 2),
                            recorded_at=now,
                            recorded_by=1,
                        )
                    )
                    conn.execute(
                        insert(rt.vouchers).values(
                            number=f"RAWV{unit_id}",
                            ticket_id=ticket_id,
                            amount=Decimal(886500),
                            live_unit_id=unit_id,
                            recorded_at=now,
                            recorded_by=1,
                        )
                    )
                    conn.execute(
                        update(rt.units).where(rt.units.c.id == unit_id).values(status="sold")
                    )

            raw_pay_ms = timed(raw_pay, tickets)
            grid_ms = timed(lambda: control_grid(re.units(sales, "P1")), 3)

            def raw_grid() -> None:
                with crm.engine.connect() as conn:
                    conn.execute(
                        select(rt.units)
                        .where(rt.units.c.project_id == raw_project)
                        .order_by(rt.units.c.building_id, rt.units.c.floor)
                    ).all()

            raw_grid_ms = timed(raw_grid, 3)
            ledger_ms = timed(lambda: re.ledger(sales, "KA1"))
    results = {
        f"load {len(rows)} units (one transaction)": round(load_ms, 1),
        f"  raw: INSERT {len(rows)} units": round(raw_load_ms, 1),
        "issue one ticket (one transaction)": round(ticket_ms, 2),
        "  raw: conditional UPDATE + INSERT": round(raw_ticket_ms, 2),
        "pay in full: receipt + voucher (one transaction)": round(pay_ms, 2),
        "  raw: INSERT receipt + voucher, UPDATE unit": round(raw_pay_ms, 2),
        f"control table grid, {len(rows)} units": round(grid_ms, 1),
        f"  raw: SELECT {len(rows)} units": round(raw_grid_ms, 1),
        f"ledger of {tickets} tickets": round(ledger_ms, 1),
    }
    report = {
        "benchmark": "realestate",
        "units": len(rows),
        "tickets": tickets,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results_ms": results,
    }
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    width = max(map(len, results))
    for name, ms in results.items():
        print(f"{name:<{width}}  {ms:>10} ms")


if __name__ == "__main__":
    main()
