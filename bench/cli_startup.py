"""How long `crm --help` and `crm client show` take on a 100k-client database.

Compared in the same run with a bare interpreter start (`python -c pass`), which no CLI can
beat. Writes bench/results/cli_startup.json and prints a table.

    uv run python bench/cli_startup.py            # 100,000 clients, 15 runs each
    uv run python bench/cli_startup.py --quick    # 2,000 clients, 5 runs (CI smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from crmcore.sampledata import SampleData
from crmcore.services import database
from crmcore.store import tables as t
from crmcore.store.engine import make_engine

RESULTS = Path(__file__).parent / "results" / "cli_startup.json"


def build(path: Path, clients: int) -> str:
    """A migrated database filled through SQLAlchemy Core (setup, not what is measured)."""
    url = f"sqlite:///{path}"
    database.init(url)
    engine = make_engine(url)
    now = datetime.now(UTC)
    rows = []
    for i, company in enumerate(SampleData(7).companies(clients), start=1):
        company.pop("profile", None)
        rows.append(
            dict(
                company,
                code=f"C{i:06d}",
                status="active",
                profile={},
                owner_id=1,
                version=1,
                created_at=now,
                created_by=1,
                updated_at=now,
            )
        )
    with engine.begin() as conn:
        for start in range(0, len(rows), 10_000):
            conn.execute(insert(t.clients), rows[start : start + 10_000])
    engine.dispose()
    return url


def timed(argv: list[str], runs: int, env: dict[str, str]) -> dict[str, float]:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=env)
        samples.append((time.perf_counter() - began) * 1000)
    return {
        "median_ms": round(statistics.median(samples), 1),
        "min_ms": round(min(samples), 1),
        "max_ms": round(max(samples), 1),
        "runs": runs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small database, few runs (CI smoke test)"
    )
    args = parser.parse_args()
    clients, runs = (2_000, 5) if args.quick else (100_000, 15)
    crm = str(Path(sys.executable).with_name("crm"))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("CRM_KEY_FILE", str(Path(tmp) / "keys.json"))  # not the user's
        began = time.perf_counter()
        url = build(Path(tmp) / "bench.db", clients)
        setup_s = time.perf_counter() - began
        env = dict(os.environ, CRM_DATABASE_URL=url)
        middle = f"C{clients // 2:06d}"
        results = {
            "python -c pass (baseline)": timed([sys.executable, "-c", "pass"], runs, env),
            "crm --help": timed([crm, "--help"], runs, env),
            f"crm client show {middle}": timed([crm, "client", "show", middle], runs, env),
            f"crm client show {middle} --json": timed(
                [crm, "client", "show", middle, "--json"], runs, env
            ),
        }
    report = {
        "benchmark": "cli_startup",
        "clients": clients,
        "setup_seconds": round(setup_s, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    width = max(map(len, results))
    print(f"{clients:,} clients; median of {runs} runs ({report['machine']})")
    for name, r in results.items():
        print(
            f"  {name:<{width}}  {r['median_ms']:7.1f} ms  (min {r['min_ms']}, max {r['max_ms']})"
        )


if __name__ == "__main__":
    main()
