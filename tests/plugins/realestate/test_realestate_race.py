"""RE-INV-1, RE-TICKET-2: sales desks in separate processes race for the same units; no unit is
ever sold twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import random
import time

from realestate_kit import BUYERS, CLIENT, PROJECT, RELEASED, ticket
from sqlalchemy import func, select

from crmcore import Conflict, Crm

WORKERS = 8


def _desk(url: str, worker: int, start_at: float) -> tuple[list[str], int]:
    """One sales desk: tries to ticket every released unit, in its own order."""
    from crmcore_realestate.services import RealEstateService

    with Crm.open(url) as crm:
        service = RealEstateService(crm)
        actor = crm.actor("sales" if worker % 2 else "sales2")
        units = list(RELEASED)
        random.Random(worker).shuffle(units)
        won, lost = [], 0
        time.sleep(max(0.0, start_at - time.time()))
        for unit in units:
            try:
                service.issue_ticket(actor, PROJECT, CLIENT, ticket(unit, worker % len(BUYERS)))
                won.append(unit)
            except Conflict:
                lost += 1
        return won, lost


def test_eight_desks_never_sell_one_unit_twice(re, crm_url):
    """RE-INV-1: 8 processes race for the same 6 units: each unit gets exactly one ticket."""
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 4
    with ctx.Pool(WORKERS) as pool:
        results = pool.starmap(_desk, [(crm_url, w, start_at) for w in range(WORKERS)])
    won = [unit for units, _ in results for unit in units]
    assert sorted(won) == sorted(RELEASED)  # every unit sold once, none twice
    assert sum(lost for _, lost in results) == WORKERS * len(RELEASED) - len(RELEASED)
    from crmcore_realestate import tables as t

    with Crm.open(crm_url) as crm, crm.engine.connect() as conn:
        live = conn.execute(
            select(t.tickets.c.unit_id, func.count()).group_by(t.tickets.c.unit_id)
        ).all()
        assert len(live) == len(RELEASED) and all(n == 1 for _, n in live)
        selected = conn.scalar(
            select(func.count()).select_from(t.units).where(t.units.c.status == "selected")
        )
        assert selected == len(RELEASED)


def _cashier(url: str, number: str, start_at: float) -> str:
    from crmcore_realestate.services import RealEstateService

    with Crm.open(url) as crm:
        service = RealEstateService(crm)
        view = service.ticket(crm.actor("sales"), number)
        time.sleep(max(0.0, start_at - time.time()))
        service.pay(crm.actor("sales"), number, view.due - view.paid)
        return service.ticket(crm.actor("sales"), number).voucher or ""


def test_vouchers_stay_gap_free_when_desks_pay_at_once(re, crm_url):
    """RE-PAY-1: eight payments at the same moment in eight processes: eight vouchers numbered
    PZ00000001..08, each once."""
    from realestate_kit import fresh_project

    crm = re.crm
    units = fresh_project(re, "RACE", units=WORKERS)
    numbers = []
    for i, unit in enumerate(units):
        t = re.issue_ticket(crm.actor("sales"), "RACE", CLIENT, ticket(unit, i % len(BUYERS)))
        re.sign_ticket(crm.actor("sales"), t.number)  # RE-TICKET-1
        re.check_ticket(crm.actor("checker"), t.number)
        numbers.append(t.number)
    ctx = multiprocessing.get_context("spawn")
    start_at = time.time() + 4
    with ctx.Pool(WORKERS) as pool:
        vouchers = pool.starmap(_cashier, [(crm_url, n, start_at) for n in numbers])
    assert sorted(vouchers) == [f"PZ{i:08d}" for i in range(1, WORKERS + 1)]
