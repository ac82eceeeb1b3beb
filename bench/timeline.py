"""A client's timeline (接触时间线) with 10 million contact logs in the database.

Setup (not measured): a migrated SQLite database with 100,000 clients and 10,000,000 logs
spread over them, inserted with raw sqlite3 executemany in batches from SampleData's logs.
Measured: `crm.logs.timeline(admin, code, limit=50)` for random clients (a read transaction,
the access check, the newest 50 logs with their authors), next to the bare SELECT through
raw sqlite3 that the service runs. Target: p50 <= 5 ms.

    uv run python bench/timeline.py                 # 10,000,000 logs
    uv run python bench/timeline.py --quick         # 20,000 logs (CI smoke test)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from generate import clients

from crmcore import Crm
from crmcore.sampledata import SampleData
from crmcore.services import database

RESULTS = Path(__file__).parent / "results" / "timeline.json"
BATCH = 200_000


def build(path: Path, n_clients: int, n_logs: int) -> None:
    database.init(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-1000000")
    now = datetime.now(UTC).replace(tzinfo=None).isoformat(" ")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO clients (id, code, name, status, profile, owner_id, version, created_at,"
        " created_by, updated_at) VALUES (?, ?, ?, 'active', '{}', 1, 1, ?, 1, ?)",
        ((i, c["code"], c["name"], now, now) for i, c in enumerate(clients(n_clients), 1)),
    )
    rng = random.Random(11)
    sample = SampleData(11)
    done = 0
    gc.disable()
    while done < n_logs:
        size = min(BATCH, n_logs - done)
        logs = sample.contact_logs(size, date(2016, 1, 1), date(2026, 6, 30))
        conn.executemany(
            "INSERT INTO contact_logs (client_id, channel, occurred_at, author_id, participants,"
            " summary, next_action, next_action_due, created_at) VALUES (?,?,?,1,?,?,?,?,?)",
            (
                (
                    rng.randint(1, n_clients),
                    g["channel"],
                    g["occurred_at"].astimezone(UTC).replace(tzinfo=None).isoformat(" "),
                    json.dumps(g["participants"], ensure_ascii=False),
                    g["summary"],
                    g["next_action"],
                    g["next_action_due"].isoformat() if g["next_action_due"] else None,
                    now,
                )
                for g in logs
            ),
        )
        done += size
    gc.enable()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 logs (CI smoke test)")
    parser.add_argument("--logs", type=int, default=10_000_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=1_000)
    args = parser.parse_args()
    n_logs, n_clients, samples = (
        (20_000, 200, 100) if args.quick else (args.logs, args.clients, args.samples)
    )
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        path = Path(tmp) / "crm.db"
        began = time.perf_counter()
        build(path, n_clients, n_logs)
        build_s = time.perf_counter() - began
        rng = random.Random(5)
        codes = [f"K{rng.randint(1, n_clients):07d}" for _ in range(samples)]
        with Crm.open(f"sqlite:///{path}") as crm:
            admin = crm.actor("admin")
            for code in codes[:50]:
                crm.logs.timeline(admin, code)
            service = []
            for code in codes:
                t0 = time.perf_counter()
                found = crm.logs.timeline(admin, code, limit=50)
                service.append((time.perf_counter() - t0) * 1000)
            assert found
        raw = sqlite3.connect(path)
        sql = (
            "SELECT contact_logs.*, users.login FROM contact_logs JOIN users ON users.id ="
            " contact_logs.author_id WHERE client_id = (SELECT id FROM clients WHERE code = ?)"
            " ORDER BY occurred_at DESC, contact_logs.id DESC LIMIT 50"
        )
        bare = []
        for code in codes:
            t0 = time.perf_counter()
            raw.execute(sql, (code,)).fetchall()
            bare.append((time.perf_counter() - t0) * 1000)
        raw.close()
        size_mb = path.stat().st_size // 2**20

    def stats(xs: list[float]) -> dict[str, float]:
        xs = sorted(xs)
        return {
            "p50_ms": round(statistics.median(xs), 3),
            "p95_ms": round(xs[int(len(xs) * 0.95) - 1], 3),
            "max_ms": round(xs[-1], 3),
        }

    report = {
        "benchmark": "timeline",
        "logs": n_logs,
        "clients": n_clients,
        "database_mib": size_mb,
        "build_seconds": round(build_s, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": {
            "crm.logs.timeline (limit 50)": stats(service),
            "raw sqlite3 SELECT (same query)": stats(bare),
        },
    }
    print(
        f"timeline of one client, {n_logs:,} logs over {n_clients:,} clients ({size_mb} MiB, built in {build_s:.0f} s)"
    )
    for label, r in report["results"].items():
        print(
            f"  {label:<34} p50 {r['p50_ms']:7.3f} ms  p95 {r['p95_ms']:7.3f} ms  max {r['max_ms']:7.3f}"
        )
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
