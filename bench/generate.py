"""Seeded, realistic ledgers for the benchmarks: clients, contacts and contact logs.

Built on crmcore.sampledata.SampleData (valid credit codes, real regions and industries,
Chinese company and person names), written as the files people import (CSV, UTF-8 with BOM).
The same seed gives the same files.

    uv run python bench/generate.py --clients 1000000 --out /tmp/ledgers
    uv run python bench/generate.py --quick            # 2,000 clients into a temp dir
"""

from __future__ import annotations

import argparse
import csv
import gc
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from crmcore.sampledata import SampleData

CLIENT_COLUMNS = [
    "code", "name", "credit_code", "legal_rep", "address", "postcode", "phone", "fax",
    "business_scope", "registered_capital", "region", "industry", "size",
    "profile.sales_capacity",
]  # fmt: skip
SEED = 2026


def clients(n: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """``n`` client rows with codes K0000001…, as an import file holds them."""
    for i, company in enumerate(SampleData(seed).companies(n), start=1):
        company["code"] = f"K{i:07d}"
        company["profile.sales_capacity"] = company.pop("profile")["sales_capacity"]
        yield company


def write_clients(path: Path, n: int, seed: int = SEED) -> Path:
    gc.disable()
    try:
        with path.open("w", encoding="utf-8-sig", newline="") as f:
            out = csv.writer(f)
            out.writerow(CLIENT_COLUMNS)
            for row in clients(n, seed):
                out.writerow([row.get(c) or "" for c in CLIENT_COLUMNS])
    finally:
        gc.enable()
    return path


def write_contacts_and_logs(folder: Path, n: int, seed: int = SEED) -> tuple[Path, Path]:
    """Two contacts and five logs per client of ``clients(n)``."""
    sample = SampleData(seed + 1)
    contacts, logs = folder / "contacts.csv", folder / "logs.csv"
    with (
        contacts.open("w", encoding="utf-8-sig", newline="") as cf,
        logs.open("w", encoding="utf-8-sig", newline="") as lf,
    ):
        cw, lw = csv.writer(cf), csv.writer(lf)
        cw.writerow(["client_code", "name", "position", "phone", "email"])
        lw.writerow(["client_code", "channel", "occurred_at", "summary", "participants"])
        for i in range(1, n + 1):
            code = f"K{i:07d}"
            for p in sample.contacts(2):
                cw.writerow([code, p["name"], p["position"], p["phone"], p["email"]])
            for log in sample.contact_logs(5, date(2025, 1, 1), date(2026, 6, 30)):
                lw.writerow(
                    [code, log["channel"], log["occurred_at"].isoformat(), log["summary"],
                     "、".join(log["participants"])]
                )  # fmt: skip
    return contacts, logs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 clients (CI smoke test)")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--out", type=Path, help="folder; default: a temp dir, removed after")
    args = parser.parse_args()
    n = 2_000 if args.quick else args.clients
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.out or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        write_clients(folder / "clients.csv", n)
        write_contacts_and_logs(folder, n)
        took = time.perf_counter() - began
        sizes = {p.name: p.stat().st_size for p in folder.glob("*.csv")}
        print(f"{n:,} clients, {2 * n:,} contacts, {5 * n:,} logs in {took:.1f} s: {sizes}")


if __name__ == "__main__":
    main()
