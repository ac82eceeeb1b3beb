"""What confidentiality costs: sealed audit writes, verification, audited reads, ID numbers.

Measured on SQLite and (unless --quick) on a throw-away PostgreSQL, each next to its baseline
from the same run: verifying with seals vs the bare hash chain; reading a confidential client
(one look-up record per read) vs an internal one (no record); a deferred batch of look-up
records vs one INSERT per event; encrypting and indexing an ID number vs storing the contact.
Writes bench/results/security.json and prints a table.

    uv run python bench/security.py            # 20,000 events, 2,000 ID numbers, both backends
    uv run python bench/security.py --quick    # small, SQLite only (CI smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

from crmcore import Crm, NewClient, NewContact
from crmcore.audit import read_checkpoint, verify
from crmcore.sampledata import SampleData
from crmcore.services import database

RESULTS = Path(__file__).parent / "results" / "security.json"


def per_second(n: int, seconds: float) -> int:
    return round(n / seconds) if seconds else 0


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def p50_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - began) * 1000)
    return round(statistics.median(samples), 2)


def measure(url: str, events: int, people: int, runs: int) -> dict[str, object]:
    database.init(url)
    out: dict[str, object] = {}
    with Crm.open(url) as crm:
        admin = crm.actor("admin")
        confidential = crm.clients.add(admin, NewClient(name="保密客户"))
        internal = crm.clients.add(admin, NewClient(name="内部客户"))
        crm.access.set_level(admin, internal.code, "internal")

        # -- audit writes: a deferred batch (how reads are recorded) vs one INSERT per event
        def one_by_one() -> None:
            with crm.transaction(admin) as tx:
                for i in range(events // 2):
                    tx.audit("bench.event", "bench", i)

        def deferred() -> None:
            from crmcore.security import access

            with crm.transaction(admin) as tx:
                row = access.client_for_read(tx, confidential.code, action=None)
                for i in range(events // 2):
                    access.present(
                        tx,
                        {"id": i},
                        "bench",
                        action=f"bench.read{i}",
                        client_id=row.id,
                        clearance=2,
                    )

        out["audit append, one INSERT per event (events/s)"] = per_second(
            events // 2, timed(one_by_one)
        )
        out["audit append, deferred batch of reads (events/s)"] = per_second(
            events // 2, timed(deferred)
        )

        # -- verification: the bare chain vs seals and checkpoint
        with crm.engine.connect() as conn:
            total = verify(conn).events
            chain = timed(lambda: verify(conn))
            sealed = timed(
                lambda: verify(
                    conn, keyring=crm.keyring, checkpoint=read_checkpoint(crm.checkpoint_path)
                )
            )
        out["verify, hash chain only (events/s)"] = per_second(total, chain)
        out["verify, chain + seals + checkpoint (events/s)"] = per_second(total, sealed)

        # -- reads: an internal record (no look-up record) vs a confidential one (recorded)
        out["get internal client, not recorded (p50 ms)"] = p50_ms(
            lambda: crm.clients.get(admin, internal.code), runs
        )
        out["get confidential client, recorded (p50 ms)"] = p50_ms(
            lambda: crm.clients.get(admin, confidential.code), runs
        )

        # -- ID numbers: storing a contact without vs with one (encrypt, index, mask)
        sample = SampleData(9)
        numbers = [sample.id_number() for _ in range(people)]
        plain = timed(
            lambda: [
                crm.contacts.add(admin, internal.code, NewContact(name=f"甲{i}"))
                for i in range(people)
            ]
        )
        secret = timed(
            lambda: [
                crm.contacts.add(admin, internal.code, NewContact(name=f"乙{i}", id_number=n))
                for i, n in enumerate(numbers)
            ]
        )
        out["add contact without ID number (per s)"] = per_second(people, plain)
        out["add contact with ID number, encrypted + indexed (per s)"] = per_second(people, secret)
        out[f"find by ID number among {people:,} (p50 ms)"] = p50_ms(
            lambda: crm.contacts.find_by_id_number(admin, numbers[people // 2]), runs
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small, SQLite only (CI smoke test)")
    args = parser.parse_args()
    events, people, runs = (2_000, 200, 20) if args.quick else (20_000, 2_000, 200)
    results: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        os.environ["CRM_KEY_FILE"] = str(Path(tmp) / "keys.json")
        os.environ["CRM_STATE_DIR"] = str(Path(tmp) / "state")
        results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", events, people, runs)
        if not args.quick:
            from crmcore.testing import postgres

            if postgres.find_bindir() is not None:
                admin_url = stack.enter_context(postgres.postgres_server())
                results["postgresql"] = measure(
                    postgres.create_database(admin_url, "crm_bench_security"), events, people, runs
                )
    report = {
        "benchmark": "security",
        "events": events,
        "id_numbers": people,
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }
    if not args.quick:
        RESULTS.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"{events:,} audit events, {people:,} ID numbers ({report['machine']})")
    for backend, figures in results.items():
        print(f"  {backend}")
        width = max(map(len, figures))
        for name, value in figures.items():
            print(f"    {name:<{width}}  {value:>10,}")


if __name__ == "__main__":
    main()
