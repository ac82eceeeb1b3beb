"""How fast the power plugin's connection process is, on SQLite (and PostgreSQL with --pg).

Drives N applications from the application to the billing account through PowerService (16
transactions each: apply, review, survey, hand-over, plan, four countersignatures, notify,
contract, works, completion, acceptance, energising, meter), then measures the reads people
wait for: one application's status and timeline, the list of open applications, the tasks of
the specialist and the SLA report with N applications in the database. Writes
bench/results/power.json.

    uv run python bench/power.py              # 500 applications, 250 carried to the account
    uv run python bench/power.py --quick      # 60 (CI smoke test)
    uv run python bench/power.py --pg auto    # and on a throw-away PostgreSQL server
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).parents[1] / "tests" / "plugins" / "power"))

from power_kit import STAGES, apply, drive, setup, step

from crmcore import Crm
from crmcore.services import database

RESULTS = Path(__file__).parent / "results" / "power.json"


def timed(fn, repeat: int = 1) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - start) / repeat * 1000


def run(url: str, n: int) -> dict[str, object]:
    database.init(url)
    with Crm.open(url, plugins=[]) as crm:
        crm.plugins.enable(crm.actor("admin"), "power")
    crm = Crm.open(url)
    power = setup(crm)
    moment = datetime(2026, 3, 2, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    crm.clock = lambda: moment.astimezone(UTC)
    per_step: dict[str, list[float]] = {}
    numbers = []
    for i in range(n):
        view = apply(power, sources=1 + i % 2)
        numbers.append(view.number)
        goal = "connected" if i % 2 == 0 else STAGES[1 + i % (len(STAGES) - 2)]
        while view.stage != goal:
            start, before = time.perf_counter(), view.stage
            view = step(power, view)
            elapsed = (time.perf_counter() - start) * 1000
            per_step.setdefault(f"{before} -> {view.stage}", []).append(elapsed)
    admin, spec = crm.actor("admin"), crm.actor("spec")
    connected = numbers[0]
    later = datetime(2026, 5, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    crm.clock = lambda: later.astimezone(UTC)  # most deadlines have passed: tasks are overdue
    result = {
        "applications": n,
        "step_ms_median": {k: round(statistics.median(v), 2) for k, v in per_step.items()},
        "connection_ms_total_median": round(
            sum(statistics.median(v) for v in per_step.values()), 1
        ),
        "status_ms": round(timed(lambda: power.status(admin, connected), 20), 2),
        "timeline_ms": round(timed(lambda: power.timeline(admin, connected), 20), 2),
        "list_open_ms": round(timed(lambda: power.list(admin), 3), 1),
        "list_open_rows": len(power.list(admin)),
        "tasks_specialist_ms": round(timed(lambda: crm.tasks.waiting(spec), 3), 1),
        "sla_ms": round(
            timed(lambda: crm.workflows.sla(admin, date(2026, 1, 1), date(2026, 12, 31)), 3), 1
        ),
    }
    drive(power, apply(power).number, "survey")  # a last one, to check nothing is left broken
    crm.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument(
        "--pg", help="an empty PostgreSQL database URL, or 'auto' for a throw-away server"
    )
    args = parser.parse_args()
    n = 60 if args.quick else 500
    results: dict[str, object] = {
        "machine": f"{platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", n)
    if args.pg == "auto":
        from crmcore.testing import postgres

        server = postgres.ThrowawayPostgres()
        server.start()
        try:
            results["postgresql"] = run(postgres.create_database(server.url, "bench_power"), n)
        finally:
            server.stop()
    elif args.pg:
        results["postgresql"] = run(args.pg, n)
    text = json.dumps(results, ensure_ascii=False, indent=2)
    print(text)
    if not args.quick:
        RESULTS.parent.mkdir(exist_ok=True)
        RESULTS.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
