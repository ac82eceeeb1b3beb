"""Client search latency on a large database: p50/p95 per kind of query, through the service.

Builds the database with crmcore's own import (so the index is built the way users get it),
then times `crm.clients.search(admin, text)` (a read transaction, the ranked tiers, the views)
for queries drawn from the data with a fixed seed: Chinese substrings of 1 to 4 characters,
name prefixes, common words that half the clients match, pinyin in full and by initials,
client codes and credit codes. Targets: p50 <= 10 ms and p95 <= 30 ms for 2+ characters.
Then the same for users who may read only part of the clients (``READERS``): a director whose
unit holds one client in ten and an account manager who owns one in 5,000, each searching and
listing a page of clients, each next to its raw baseline.

    uv run python bench/search.py                         # 1,000,000 clients, SQLite
    uv run python bench/search.py --backend postgresql --clients 1000000
    uv run python bench/search.py --quick                 # 3,000 clients (CI smoke test)
    uv run python bench/search.py --database sqlite:////tmp/crm.db   # time an existing database
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from generate import write_clients
from sqlalchemy import event, select

from crmcore import Crm, NewUser
from crmcore.domain.security import NewUnit
from crmcore.errors import Conflict
from crmcore.services import database
from crmcore.store import engine as store_engine
from crmcore.store import tables as t

RESULTS = Path(__file__).parent / "results" / "search.json"
COMMON = ["有限公司", "科技", "电子", "集团", "广州", "银行", "电信", "贸易", "公司"]
#: Users who read part of the clients: (login, role, one client in how many, which remainder).
#: The director (大客户总监) reads through a unit; the account manager (客户经理) owns theirs.
READERS = {
    "director": ("bench-director", "director", 10, 3),
    "account manager": ("bench-manager", "account_manager", 5_000, 7),
}
READER_KINDS = (
    "2 Chinese characters",
    "common word (matches most)",
    "pinyin, full (6-10 letters)",
    "client code (exact)",
)
LIST_PAGE = 50


def server_memory() -> dict[str, str]:
    """A quarter of the RAM as shared buffers, as a production server would be given: with
    the 128 MB default a 1M-client database (2.7 GB) is read from the OS page cache, which a
    VM may reclaim between searches (measured: the audit INSERT at 8.6 ms instead of 1.2)."""
    quarter_mb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 // 2**20
    return {"shared_buffers": f"'{max(128, quarter_mb)}MB'"}


def queries(crm: Crm, per_kind: int, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    with crm.engine.connect() as conn:
        total = conn.exec_driver_sql("SELECT max(id) FROM clients").scalar_one()
        ids = [rng.randint(1, total) for _ in range(per_kind * 3)]
        rows = conn.exec_driver_sql(
            "SELECT name, name_pinyin, code, credit_code FROM clients WHERE id IN ("
            + ",".join(map(str, ids))
            + ")"
        ).all()
    rng.shuffle(rows)
    rows = rows[:per_kind]

    def window(text: str, size: int) -> str:
        clean = [c for c in text if c.isalnum()]
        start = rng.randrange(0, max(1, len(clean) - size + 1))
        return "".join(clean[start : start + size])

    kinds: dict[str, list[str]] = {
        "1 Chinese character": [window(r.name, 1) for r in rows],
        "2 Chinese characters": [window(r.name, 2) for r in rows],
        "3-4 Chinese characters": [window(r.name, rng.choice((3, 4))) for r in rows],
        "name prefix (4)": [r.name[:4] for r in rows],
        "common word (matches most)": [rng.choice(COMMON) for _ in rows],
        "pinyin, full (6-10 letters)": [
            window(r.name_pinyin.split()[0], rng.randint(6, 10)) for r in rows
        ],
        "pinyin initials (4 letters)": [r.name_pinyin.split()[-1][:4] for r in rows],
        "pinyin initials (2 letters)": [window(r.name_pinyin.split()[-1], 2) for r in rows],
        "client code (exact)": [r.code for r in rows],
        "credit code (exact)": [r.credit_code for r in rows],
        "credit code prefix (8)": [r.credit_code[:8] for r in rows],
    }
    return kinds


def timed_ms(fn: Callable[[], Any]) -> tuple[float, float]:
    """Wall time and this process's CPU time, in ms. On a quiet machine they agree; on a
    shared one the CPU time is what the query costs and the wall time includes waiting for a
    core (PostgreSQL's CPU is in its own process, so there only the wall time counts)."""
    began, cpu = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - began) * 1000, (time.process_time() - cpu) * 1000


def percentiles(samples: list[float], prefix: str = "") -> dict[str, float]:
    samples = sorted(samples)
    return {
        f"{prefix}p50_ms": round(statistics.median(samples), 2),
        f"{prefix}p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        f"{prefix}max_ms": round(samples[-1], 2),
    }


def build(url: str, n: int, tmp: Path) -> float:
    database.init(url)
    csv_path = write_clients(tmp / "clients.csv", n)
    with Crm.open(url) as crm:
        began = time.perf_counter()
        crm.imports.run(crm.actor("admin"), "clients", csv_path)
        return time.perf_counter() - began


def lookups(crm: Crm, call: Callable[[], Any]) -> tuple[list[tuple[str, Any]], int]:
    """The reads (SELECT, and WITH ... SELECT) of the client tables and search indexes that
    ``call`` (a search, a listing) runs, as the driver received them: the raw baseline replays
    exactly these. And how many statements ``call`` sent: on PostgreSQL each is a round trip,
    and a transaction adds two (psycopg sends ``BEGIN`` and ``COMMIT`` on their own)."""
    seen: list[tuple[str, Any]] = []
    sent = 0

    def grab(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        nonlocal sent
        sent += 1
        if statement.lstrip().upper().startswith(("SELECT", "WITH")) and any(
            name in statement
            for name in (
                "FROM clients",
                "client_fts",
                "client_grams",
                "client_words",
                "client_search",
            )
        ):
            seen.append((statement, parameters))

    def began(conn: Any) -> None:
        nonlocal sent
        standalone = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        if conn.dialect.name == "postgresql" and not standalone:
            sent += 2

    event.listen(crm.engine, "before_cursor_execute", grab)
    event.listen(crm.engine, "begin", began)
    try:
        call()
    finally:
        event.remove(crm.engine, "before_cursor_execute", grab)
        event.remove(crm.engine, "begin", began)
    return seen, sent


def give_readers(crm: Crm) -> None:
    """Make the ``READERS`` (once) and give them their clients. The unit and the owner are set
    in the table directly, as an import would have set them: through the service each change
    would be a versioned, audited edit, 100,000 of them."""
    admin = crm.actor("admin")
    steps = [
        lambda: crm.org.add_unit(admin, NewUnit(code="bench-hq", name="总部", kind="head_office")),
        lambda: crm.org.add_unit(
            admin,
            NewUnit(code="bench-east", name="华东大客户部", kind="department", parent="bench-hq"),
        ),
    ]
    for login, role, _, _ in READERS.values():
        steps.append(
            lambda who=login, r=role: crm.users.add(admin, NewUser(login=who, name=who, roles=(r,)))
        )
    steps.append(lambda: crm.org.add_member(admin, "bench-east", READERS["director"][0]))
    for step in steps:
        with contextlib.suppress(Conflict):  # made by an earlier run on this database
            step()
    c, u = t.clients.c, t.users.c
    with crm.engine.begin() as conn:
        unit = conn.scalar(select(t.org_units.c.id).where(t.org_units.c.code == "bench-east"))
        _, _, every, which = READERS["director"]
        moved = conn.execute(
            t.clients.update()
            .where(c.id % every == which, c.unit_id.is_distinct_from(unit))
            .values(unit_id=unit)
        ).rowcount
        login, _, every, which = READERS["account manager"]
        owner = conn.scalar(select(u.id).where(u.login == login))
        changed = conn.execute(
            t.clients.update()
            .where(c.id % every == which, c.owner_id != owner)
            .values(owner_id=owner)
        ).rowcount
        changed += moved
    if changed and crm.engine.dialect.name == "postgresql":
        # as autovacuum would before long: index-only counts need the visibility map
        with crm.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE clients")


def measure(url: str, per_kind: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Each query through the service, and its raw baseline: the same SELECTs through the bare
    driver connection (no transaction handling, access check, views or look-up records).
    First as the administrator, every kind; then as each of ``READERS``, some kinds and a page
    of the client list."""
    with Crm.open(url) as crm:
        admin = crm.actor("admin")
        kinds = queries(crm, per_kind)
        give_readers(crm)
        for texts in kinds.values():  # warm the caches once, as a running server has them
            for text in texts[:20]:
                crm.clients.search(admin, text)
        raw_connection = crm.engine.raw_connection()
        cursor = raw_connection.cursor()

        def replay(statements: list[tuple[str, Any]]) -> None:
            for statement, parameters in statements:
                cursor.execute(statement, parameters)
                cursor.fetchall()

        def timed(calls: list[Callable[[], Any]]) -> dict[str, Any]:
            samples = [timed_ms(call) for call in calls]
            replays = [lookups(crm, call) for call in calls]
            raw = [timed_ms(lambda r=r: replay(r))[0] for r, _ in replays]
            raw_connection.rollback()
            return {
                **percentiles([wall for wall, _ in samples]),
                **percentiles([cpu for _, cpu in samples], "cpu_"),
                **percentiles(raw, "raw_"),
                "statements": round(sum(n for _, n in replays) / len(replays), 2),
                "queries": len(samples),
            }

        def searches(who: Any, texts: list[str]) -> list[Callable[[], Any]]:
            return [lambda t=t: crm.clients.search(who, t) for t in texts]

        try:
            results = {
                kind: {**timed(searches(admin, texts)), "examples": texts[:3]}
                for kind, texts in kinds.items()
            }
            readers: dict[str, Any] = {}
            for reader, (login, *_) in READERS.items():
                who = crm.actor(login)
                for text in kinds[READER_KINDS[0]][:20]:
                    crm.clients.search(who, text)
                readers[reader] = {kind: timed(searches(who, kinds[kind])) for kind in READER_KINDS}
                page = lambda who=who: crm.clients.list(who, limit=LIST_PAGE)  # noqa: E731
                readers[reader][f"list, first {LIST_PAGE}"] = timed([page] * min(per_kind, 50))
        finally:
            raw_connection.close()
        return results, readers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 clients (CI smoke test)")
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300, help="per kind of query")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--database",
        help="URL of a database built by this benchmark before: time it, build none. It is "
        "changed: one client in ten goes to unit bench-east, one in 5,000 to bench-manager",
    )
    parser.add_argument(
        "--mmap-bytes", type=int, help="SQLite mmap_size to use (0: none), to compare settings"
    )
    args = parser.parse_args()
    if args.mmap_bytes is not None:
        store_engine.MMAP_BYTES = args.mmap_bytes
    n, per_kind = (3_000, 20) if args.quick else (args.clients, args.queries)
    build_s: float | None = None
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        if args.database:
            # file the figures under the database's backend, whatever --backend said
            args.backend = "sqlite" if args.database.startswith("sqlite") else "postgresql"
            results, readers = measure(args.database, per_kind)
            with Crm.open(args.database) as crm, crm.engine.connect() as conn:
                n = conn.exec_driver_sql("SELECT count(*) FROM clients").scalar_one()
        elif args.backend == "sqlite":
            url = f"sqlite:///{tmp}/crm.db"
            build_s = build(url, n, Path(tmp))
            results, readers = measure(url, per_kind)
        else:
            from crmcore.testing.postgres import ThrowawayPostgres, create_database

            with ThrowawayPostgres(
                base_dir=Path(tempfile.gettempdir()), settings=server_memory()
            ) as server:
                url = create_database(server.url, "crm_search")
                build_s = build(url, n, Path(tmp))
                from sqlalchemy import create_engine

                engine = create_engine(url)
                with engine.begin() as conn:
                    conn.exec_driver_sql("ANALYZE")
                engine.dispose()
                results, readers = measure(url, per_kind)
    report = {
        "benchmark": "search",
        "backend": args.backend,
        "clients": n,
        "build_seconds": None if build_s is None else round(build_s, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "results": results,
        "readers": readers,
    }
    built = "built before" if build_s is None else f"built in {build_s:.0f} s"
    print(f"search on {n:,} clients ({args.backend}; {built}), {per_kind} queries per kind")
    for title, table in [("administrator", results)] + [(k, v) for k, v in readers.items()]:
        print(f" {title}")
        for kind, r in table.items():
            print(
                f"  {kind:<30} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms"
                f"  max {r['max_ms']:7.2f}  (cpu p50 {r['cpu_p50_ms']:6.2f}  p95 {r['cpu_p95_ms']:6.2f})"
                f"  raw p50 {r['raw_p50_ms']:6.2f}  p95 {r['raw_p95_ms']:7.2f}"
                f"  statements {r['statements']:5.2f}"
            )
    if not args.quick:
        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        previous[args.backend] = report
        RESULTS.write_text(json.dumps(previous, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
