"""How fast a classification run re-scores every client (CLS-SCORE-1, CLS-AMT-1), on SQLite.

Builds N clients, each with last year's CLS-SCORE-1 scorecard and purchase figure, written
at driver level (setup, not what is measured). Then measures through the services: a
CLS-SCORE-1 run (weighted score of eight criteria, rank, quota split, one result row per
client, in one INSERT ... SELECT), a second run after the weights changed (a re-score), a
CLS-AMT-1 run, the distribution report, the first page of the serving order, explaining one
client, and reading the classes of 5,000 clients (what obligations and plugins do). Target
(issue 5): a run over 1,000,000 clients within 10 s. Writes bench/results/classify.json.

    uv run python bench/classify.py            # 1,000,000 clients
    uv run python bench/classify.py --quick    # 10,000 clients (CI smoke test)
    uv run python bench/classify.py --clients 200000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from crmcore import Crm
from crmcore.domain.figures import CRITERIA
from crmcore.services import database
from crmcore.store.engine import make_engine

RESULTS = Path(__file__).parent / "results" / "classify.json"
AS_OF = date(2026, 1, 15)
YEAR = 2025
TARGET_S = 10.0
BATCH = 50_000


def build(path: Path, clients: int) -> str:
    """Clients, scorecards and purchase figures in the stored form (scaled integers)."""
    url = f"sqlite:///{path}"
    database.init(url)
    engine = make_engine(url)
    rng = random.Random(5)
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    columns = ", ".join(CRITERIA)
    with engine.begin() as conn:
        for start in range(1, clients + 1, BATCH):
            ids = range(start, min(start + BATCH, clients + 1))
            conn.exec_driver_sql(
                "INSERT INTO clients (id, code, name, status, profile, version, created_at,"
                " created_by, updated_at) VALUES (?, ?, ?, 'active', '{}', 1, ?, 1, ?)",
                [(i, f"C{i:07d}", f"测试客户{i}有限公司", now, now) for i in ids],
            )
            # scores 0-100 with one decimal are stored as tenths on SQLite
            conn.exec_driver_sql(
                f"INSERT INTO client_scorecards (client_id, year, {columns}, source,"
                f" recorded_at, recorded_by) VALUES (?, ?, {', '.join('?' * 8)}, 'bench', ?, 1)",
                [(i, YEAR, *(rng.randint(0, 1000) for _ in CRITERIA), now) for i in ids],
            )
            # purchase amounts in fen, 1M to 80M yuan
            conn.exec_driver_sql(
                "INSERT INTO client_figures (client_id, year, metric, value, source,"
                " recorded_at, recorded_by) VALUES (?, ?, 'purchase_amount', ?, 'bench', ?, 1)",
                [(i, YEAR, rng.randint(100, 8000) * 1_000_000, now) for i in ids],
            )
    engine.dispose()
    return url


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10,000 clients (CI smoke test)")
    parser.add_argument("--clients", type=int, help="how many clients (default 1,000,000)")
    args = parser.parse_args()
    clients = args.clients or (10_000 if args.quick else 1_000_000)
    with tempfile.TemporaryDirectory() as tmp:
        setup_s, url = timed(lambda: build(Path(tmp) / "bench.db", clients))
        with Crm.open(url) as crm:
            admin = crm.actor("admin")
            crm.clock = lambda: datetime(2026, 1, 15, 10, tzinfo=UTC)
            score_s, first = timed(
                lambda: crm.classification.run(admin, "CLS-SCORE-1", as_of=AS_OF)
            )
            crm.policies.set(
                admin,
                "CLS-SCORE-1",
                {"weight_sales_scale": "20", "weight_industry_reputation": "5"},
                reason="bench: re-score with new weights",
            )
            rescore_s, second = timed(
                lambda: crm.classification.run(admin, "CLS-SCORE-1", as_of=AS_OF)
            )
            amount_s, tiers = timed(lambda: crm.classification.run(admin, "CLS-AMT-1", as_of=AS_OF))
            report_s, _ = timed(lambda: crm.classification.distribution(admin, "CLS-SCORE-1"))
            page_s, _ = timed(lambda: crm.classification.show(admin, "CLS-SCORE-1", cls="A"))
            explain_s, _ = timed(lambda: crm.classification.explain(admin, "C0000042"))
            with crm.transaction(admin, write=False) as tx:
                read_s, _ = timed(
                    lambda: crm.classification.classes_of(tx, "CLS-SCORE-1", range(1, 5001))
                )
    results = {
        "CLS-SCORE-1 run (score, rank, split, store)": round(score_s, 2),
        "CLS-SCORE-1 re-score after a weight change": round(rescore_s, 2),
        "CLS-AMT-1 run (thresholds on a figure)": round(amount_s, 2),
        "distribution report": round(report_s, 3),
        "class A, first 100 in serving order": round(page_s, 3),
        "explain one client (three schemes)": round(explain_s, 3),
        "classes of 5,000 clients": round(read_s, 3),
    }
    report = {
        "benchmark": "classify",
        "clients": clients,
        "backend": "sqlite",
        "target_seconds": TARGET_S,
        "within_target": max(score_s, rescore_s, amount_s) <= TARGET_S,
        "counts": {"first": first.counts, "rescored": second.counts, "CLS-AMT-1": tiers.counts},
        "setup_seconds": round(setup_s, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results_seconds": results,
    }
    if not args.quick and not args.clients:
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    width = max(map(len, results))
    print(f"{clients:,} clients on SQLite ({report['machine']}); setup {setup_s:.1f} s")
    for name, seconds in results.items():
        print(f"  {name:<{width}}  {seconds:8.3f} s")
    print(f"  target <= {TARGET_S:.0f} s per run: {'met' if report['within_target'] else 'MISSED'}")


if __name__ == "__main__":
    main()
