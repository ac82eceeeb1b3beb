"""How fast workflows, obligations, tasks and the SLA report are on a realistic SQLite database.

Builds N clients (a fifth of them class A) with ten contact logs each (one in ten an inquiry)
through SQLAlchemy Core, then measures through the services: starting and advancing approval
instances (one transaction each), the quarter's obligations (CORE-LOG-3, CORE-ARC-3), one
account manager's tasks, the SLA report, and working-day arithmetic. Writes
bench/results/workflows.json.

    uv run python bench/workflows.py            # 20,000 clients, 200,000 logs, 1,000 approvals
    uv run python bench/workflows.py --quick    # 1,000 clients (CI smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
import types
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import cli_startup  # the same clients as the start-up benchmark
from sqlalchemy import insert, update

from crmcore import Chain, Crm, NewUnit, NewUser, State, Workflow, hookimpl
from crmcore.calendar import CHINA, WorkCalendar
from crmcore.domain.plugins import PluginInfo
from crmcore.store import tables as t
from crmcore.store.engine import make_engine

RESULTS = Path(__file__).parent / "results" / "workflows.json"
QUARTER = (date(2026, 7, 1), date(2026, 9, 30))


def plugin() -> types.ModuleType:
    module = types.ModuleType("benchwf")

    @hookimpl
    def crm_plugin_info() -> PluginInfo:
        return PluginInfo(name="benchwf")

    @hookimpl
    def crm_roles(register):  # type: ignore[no-untyped-def]
        for role in ("head", "boss"):
            register(role, ["client.read", "workflow.read", "workflow.start"])

    @hookimpl
    def crm_workflows(register):  # type: ignore[no-untyped-def]
        register(
            Workflow(
                name="bench.credit",
                title="Credit override",
                initial="approval",
                states=(State("approved", terminal=True), State("refused", terminal=True)),
                chains=(
                    Chain(
                        "approval",
                        roles=("head", "boss"),
                        then="approved",
                        on_reject="refused",
                        step_days=2,
                    ),
                ),
            )
        )

    for fn in (crm_plugin_info, crm_roles, crm_workflows):
        setattr(module, fn.__name__, fn)
    return module


def build(path: Path, clients: int) -> str:
    """The start-up benchmark's clients, a fifth of them class A, ten logs each in 2026Q3."""
    url = cli_startup.build(path, clients)
    engine = make_engine(url)
    now = datetime.now(UTC)
    rng = random.Random(7)
    start = datetime(2026, 7, 1, 9, tzinfo=CHINA)
    logs = [
        {
            "client_id": c,
            "channel": rng.choice(["visit", "phone", "email", "letter"]),
            "occurred_at": start + timedelta(minutes=rng.randrange(0, 91 * 24 * 60)),
            "author_id": 1,
            "participants": [],
            "summary": "往来",
            "inquiry": rng.random() < 0.1,
            "created_at": now,
        }
        for c in range(1, clients + 1)
        for _ in range(10)
    ]
    with engine.begin() as conn:
        conn.execute(
            update(t.clients).where(t.clients.c.id % 5 == 0).values(profile={"class": "A"})
        )
        for i in range(0, len(logs), 10_000):
            conn.execute(insert(t.contact_logs), logs[i : i + 10_000])
    engine.dispose()
    return url


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    began = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - began) * 1000 / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small database (CI smoke test)")
    args = parser.parse_args()
    clients, approvals = (1_000, 50) if args.quick else (20_000, 1_000)
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        url = build(Path(tmp) / "bench.db", clients)
        setup_s = time.perf_counter() - began
        with Crm.open(url, extra_plugins={"benchwf": plugin()}) as crm:
            admin = crm.actor("admin")
            # approvers must be able to read the clients they approve: all are head office's
            hq = crm.org.add_unit(admin, NewUnit(code="HQ", name="总部", kind="head_office"))
            for login, role in (("head", "head"), ("boss", "boss")):
                crm.users.add(admin, NewUser(login=login, name=login, roles=(role,)))
                crm.org.add_member(admin, "HQ", login)
            with crm.engine.begin() as conn:
                conn.execute(update(t.clients).values(unit_id=hq.id))
            head, boss = crm.actor("head"), crm.actor("boss")
            crm.clock = lambda: datetime(2026, 9, 1, 10, tzinfo=CHINA).astimezone(UTC)
            ids: list[int] = []
            start_ms = timed(
                lambda: ids.append(
                    crm.workflows.start(admin, "bench.credit", f"C{len(ids) + 1:06d}").id
                ),
                approvals,
            )
            queue = iter(ids)
            advance_ms = timed(lambda: crm.workflows.advance(head, next(queue)), approvals)
            crm.clock = lambda: datetime(2026, 10, 10, 10, tzinfo=CHINA).astimezone(UTC)
            duties: list[object] = []
            results = {
                "start an approval (one transaction)": round(start_ms, 2),
                "advance one step (one transaction)": round(advance_ms, 2),
                "obligations due in a quarter": round(
                    timed(lambda: duties.extend(crm.obligations.duties(admin, *QUARTER))), 1
                ),
                "tasks of one user (all open approvals + duties)": round(
                    timed(lambda: crm.tasks.waiting(boss)), 1
                ),
                "SLA report for a quarter": round(
                    timed(lambda: crm.workflows.sla(admin, *QUARTER)), 1
                ),
                "250 working days from a date (cold calendar)": round(
                    timed(lambda: WorkCalendar().add_working_days(date(2025, 1, 2), 250), 20), 2
                ),
            }
    report = {
        "benchmark": "workflows",
        "clients": clients,
        "contact_logs": clients * 10,
        "approvals": approvals,
        "duties_in_quarter": len(duties),
        "setup_seconds": round(setup_s, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results_ms": results,
    }
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    width = max(map(len, results))
    print(
        f"{clients:,} clients, {clients * 10:,} logs, {approvals:,} approvals, "
        f"{len(duties):,} duties in the quarter ({report['machine']})"
    )
    for name, ms in results.items():
        print(f"  {name:<{width}}  {ms:10.2f} ms")


if __name__ == "__main__":
    main()
