"""Import clients with crmcore vs raw driver executemany of the same rows, same schema, same run.

crmcore: `crm.imports.run(admin, "clients", file.csv)`: reads and decodes the CSV, validates
every row through NewClient (python-stdnum checks each credit code), computes pinyin, looks up
existing codes per batch, writes clients, history rows, the search index and one audit event.

Raw baselines, in a fresh database migrated to the same schema, with the rows crmcore stored
(read back from its database), on the same connection settings:
  raw (clients only)     executemany INSERT INTO clients
  raw (same rows)        executemany of every row crmcore wrote: clients, client_history and
                         the search tables (SQLite: FTS5 and the word B-tree; PostgreSQL:
                         client_search and the word B-tree)
SQLite uses the stdlib sqlite3 driver, PostgreSQL psycopg 3 (whose executemany pipelines).

    uv run python bench/import_clients.py                       # 1,000,000 clients, both backends
    uv run python bench/import_clients.py --backend sqlite --clients 200000
    uv run python bench/import_clients.py --quick                # 3,000 clients (CI smoke test)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sqlite3
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generate import write_clients

from crmcore import Crm
from crmcore.services import database
from crmcore.store import search_index

RESULTS = Path(__file__).parent / "results" / "import_clients.json"
TABLES = ("clients", "client_history")


def timed(work: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        began = time.perf_counter()
        result = work()
        return time.perf_counter() - began, result
    finally:
        gc.enable()
        gc.unfreeze()


def crmcore_import(url: str, csv_path: Path) -> tuple[float, Any]:
    with Crm.open(url) as crm:
        admin = crm.actor("admin")
        return timed(lambda: crm.imports.run(admin, "clients", csv_path))


# -- SQLite -----------------------------------------------------------------------------------


def sqlite_connect(path: Path) -> sqlite3.Connection:
    """The settings crmcore's engine uses (crmcore.store.engine)."""
    conn = sqlite3.connect(path, isolation_level=None)
    for pragma in (
        "journal_mode=WAL",
        "foreign_keys=ON",
        "busy_timeout=30000",
        "synchronous=NORMAL",
    ):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def sqlite_rows(path: Path) -> dict[str, tuple[list[str], list[tuple[Any, ...]]]]:
    conn = sqlite_connect(path)
    out = {}
    for table in (*TABLES, "fts"):
        if table == "fts":
            cur = conn.execute("SELECT id, name, name_pinyin, name_grams FROM clients")
            from crmcore.store.search_index import _documents

            terms, grams, words = _documents(cur.fetchall())
            out["client_fts"] = (["rowid", "terms"], terms)
            out["client_grams"] = (["rowid", "grams"], grams)
            out["client_words"] = (["word", "key"], words)
            continue
        cur = conn.execute(f"SELECT * FROM {table} WHERE id > 0")
        rows = cur.fetchall()
        out[table] = ([d[0] for d in cur.description], rows)
    conn.close()
    return out


def sqlite_raw(path: Path, rows: dict[str, Any], tables: tuple[str, ...]) -> float:
    conn = sqlite_connect(path)

    def work() -> None:
        conn.execute("BEGIN IMMEDIATE")
        for table in tables:
            columns, values = rows[table]
            marks = ", ".join("?" * len(columns))
            conn.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                values,
            )
        conn.execute("COMMIT")

    took, _ = timed(work)
    conn.close()
    return took


def bench_sqlite(n: int, csv_path: Path, tmp: Path) -> dict[str, Any]:
    db = tmp / "crm.db"
    url = f"sqlite:///{db}"
    database.init(url)
    took, report = crmcore_import(url, csv_path)
    assert report.created == n, report
    rows = sqlite_rows(db)
    results = {"crmcore import": took}
    for label, tables in (
        ("raw sqlite3 (clients only)", ("clients",)),
        ("raw sqlite3 (same rows)", (*TABLES, *search_index.TABLES)),
    ):
        fresh = tmp / f"raw-{len(tables)}.db"
        database.init(f"sqlite:///{fresh}")
        results[label] = sqlite_raw(fresh, rows, tables)
    return results


# -- PostgreSQL -------------------------------------------------------------------------------


def bench_postgres(n: int, csv_path: Path, tmp: Path) -> dict[str, Any]:
    import psycopg
    from psycopg.types.json import Jsonb

    from crmcore.testing.postgres import ThrowawayPostgres, create_database

    # on disk like the SQLite files (the test suite puts its server in /dev/shm)
    with ThrowawayPostgres(base_dir=Path(tempfile.gettempdir())) as server:
        admin_url = server.url
        url = create_database(admin_url, "crm_import")
        database.init(url)
        took, report = crmcore_import(url, csv_path)
        assert report.created == n, report
        dsn = url.replace("postgresql+psycopg://", "postgresql://")
        rows: dict[str, Any] = {}
        with psycopg.connect(dsn) as conn:
            for table in (*TABLES, *search_index.PG_TABLES):
                where = "" if table in search_index.PG_TABLES else " WHERE id > 0"
                cur = conn.execute(f"SELECT * FROM {table}{where}")
                columns = [d.name for d in cur.description or []]
                values = [
                    tuple(Jsonb(v) if isinstance(v, (dict, list)) else v for v in r)
                    for r in cur.fetchall()
                ]
                rows[table] = (columns, values)
        results = {"crmcore import": took}
        for label, tables in (
            ("raw psycopg (clients only)", ("clients",)),
            ("raw psycopg (same rows)", (*TABLES, *search_index.PG_TABLES)),
        ):
            fresh = create_database(admin_url, f"raw_{len(tables)}")
            database.init(fresh)
            fresh_dsn = fresh.replace("postgresql+psycopg://", "postgresql://")
            with psycopg.connect(fresh_dsn) as conn:

                def work(conn: Any = conn, tables: tuple[str, ...] = tables) -> None:
                    with conn.cursor() as cur:
                        for table in tables:
                            columns, values = rows[table]
                            marks = ", ".join(["%s"] * len(columns))
                            cur.executemany(
                                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                                values,
                            )
                    conn.commit()

                results[label] = timed(work)[0]
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 clients (CI smoke test)")
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    n = 3_000 if args.quick else args.clients
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    report: dict[str, Any] = {
        "benchmark": "import_clients",
        "clients": n,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "results": {},
        "runs": {},
    }
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        csv_path = write_clients(Path(tmp) / "clients.csv", n)
        report["file_bytes"] = csv_path.stat().st_size
        for backend in backends:
            run = bench_sqlite if backend == "sqlite" else bench_postgres
            folder = Path(tmp) / backend
            folder.mkdir()
            report["results"][backend] = {
                label: {"seconds": round(s, 2), "rows_per_s": round(n / s)}
                for label, s in run(n, csv_path, folder).items()
            }
            # per backend: a run of one backend keeps the other's figures with their own date
            report["runs"][backend] = {
                "when": datetime.now(UTC).isoformat(timespec="seconds"),
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
    for backend, figures in report["results"].items():
        crm_rate = figures["crmcore import"]["rows_per_s"]
        print(f"{backend}: {n:,} clients ({report['machine']})")
        for label, f in figures.items():
            ratio = (
                ""
                if label == "crmcore import"
                else f"  crmcore = {crm_rate / f['rows_per_s']:.2f}x"
            )
            print(f"  {label:<28} {f['seconds']:8.2f} s {f['rows_per_s']:>9,} rows/s{ratio}")
    if not args.quick:
        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        merged = {
            **previous,
            **report,
            "results": {**previous.get("results", {}), **report["results"]},
            "runs": {**previous.get("runs", {}), **report["runs"]},
        }
        RESULTS.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
