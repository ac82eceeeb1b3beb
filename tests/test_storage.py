"""Storage guarantees: concurrent writers, the append-only audit chain, exact money, migrations."""

from __future__ import annotations

import multiprocessing
import time
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from crmcore import Crm, NewClient
from crmcore.audit import verify
from crmcore.store import engine
from crmcore.store import tables as t


def _add_clients(url: str, worker: int, count: int) -> list[str]:
    with Crm.open(url) as crm:
        admin = crm.actor("admin")
        return [
            crm.clients.add(admin, NewClient(name=f"并发客户{worker}-{i}")).code
            for i in range(count)
        ]


def test_concurrent_processes_get_unique_codes_and_one_unbroken_chain(crm_url):
    workers, each = 8, 6
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        results = pool.starmap(_add_clients, [(crm_url, w, each) for w in range(workers)])
    codes = [c for batch in results for c in batch]
    assert len(codes) == len(set(codes)) == workers * each
    with Crm.open(crm_url) as crm, crm.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.clients)) == workers * each
        check = verify(conn)
        assert check.ok, check.problem
        assert check.events == workers * each + 1  # +1: the admin created by init


def _look_up(url: str, code: str, count: int) -> int:
    with Crm.open(url) as crm:
        admin = crm.actor("admin")
        return sum(len(crm.clients.search(admin, code)) for _ in range(count))


def test_concurrent_look_ups_append_to_one_unbroken_chain(crm_url):
    """Reads that record look-ups (CORE-CONF-2) race for the chain's head with nothing else
    to serialise them: each must read the head only once it holds the chain's lock."""
    with Crm.open(crm_url) as crm:
        code = crm.clients.add(crm.actor("admin"), NewClient(name="查阅客户")).code
    workers, each = 6, 15
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        found = pool.starmap(_look_up, [(crm_url, code, each) for _ in range(workers)])
    assert found == [each] * workers
    with Crm.open(crm_url) as crm, crm.engine.connect() as conn:
        check = verify(conn)
        assert check.ok, check.problem
        assert check.events == 2 + workers * each  # init's admin, the client, the look-ups


def test_a_writer_whose_known_head_is_stale_chains_on_from_the_real_one(crm_url):
    """PostgreSQL writes events in one round trip from the head this process last committed
    (migration 0014). Two processes taking turns find that head stale every time, in a write
    and in a search, whose statements each commit on their own (``standalone_query``): the
    events must still chain on from the real head, none lost, none written twice."""
    with Crm.open(crm_url) as first, Crm.open(crm_url) as second:
        for turn in range(3):
            for side, writer, reader in (("甲", first, second), ("乙", second, first)):
                name = f"轮流客户{side}{turn}"
                writer.clients.add(writer.actor("admin"), NewClient(name=name))
                found = reader.clients.search(reader.actor("admin"), name)
                assert [c.name for c in found] == [name]
        with first.engine.connect() as conn:
            check = verify(conn, keyring=first.keyring)
            seqs = list(conn.scalars(select(t.audit_events.c.seq).order_by(t.audit_events.c.seq)))
        assert check.ok, check.problem
        assert seqs == list(range(1, 14))  # init's admin, then six clients, each looked up
        assert first.audit_head_seen == (13, check.head)  # the last writer knows the head


def test_audit_table_refuses_update_and_delete(crm, admin):
    crm.clients.add(admin, NewClient(name="甲公司"))
    for statement in ("UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), crm.engine.begin() as conn:
            conn.execute(text(statement))
    with crm.engine.connect() as conn:
        assert verify(conn).ok


def test_every_write_leaves_an_event_naming_fields_not_values(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司", phone="020-1234567"))
    crm.clients.edit(admin, c.code, {"phone": "020-7654321"})
    with crm.engine.connect() as conn:
        rows = conn.execute(
            select(t.audit_events.c.action, t.audit_events.c.body, t.audit_events.c.door)
            .where(t.audit_events.c.client_id == c.id)
            .order_by(t.audit_events.c.seq)
        ).all()
    assert [r.action for r in rows] == ["client.create", "client.edit"]
    assert rows[1].body == '{"fields":["phone"]}'
    assert "7654321" not in "".join(r.body for r in rows)


def test_money_is_exact_in_sums_on_both_backends(crm, admin):
    for amount in ["0.10", "0.20", "1234567890123.45"]:
        crm.clients.add(admin, NewClient(name=f"客户{amount}", registered_capital=Decimal(amount)))
    with crm.engine.connect() as conn:
        total = conn.scalar(select(func.sum(t.clients.c.registered_capital)))
        above = conn.scalar(
            select(func.count()).where(t.clients.c.registered_capital > Decimal("0.15"))
        )
    assert total == Decimal("1234567890123.75")
    assert above == 2


def test_float_money_is_refused_before_it_reaches_the_database(crm):
    with pytest.raises(Exception, match="refuse float"), crm.engine.begin() as conn:
        conn.execute(t.clients.update().values(registered_capital=0.1))


def test_a_connection_dropped_while_idle_in_the_pool_is_replaced(crm, admin, monkeypatch):
    """PostgreSQL: a server restart or an idle timeout drops pooled connections; the next call
    must not fail on one (a connection idle past PING_AFTER_IDLE_S is pinged first)."""
    if crm.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server to drop a connection")
    code = crm.clients.add(admin, NewClient(name="甲公司")).code
    monkeypatch.setattr(engine, "PING_AFTER_IDLE_S", 0.05)
    with crm.engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    killer = create_engine(crm.engine.url, poolclass=NullPool)
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    killer.dispose()
    time.sleep(0.1)
    assert crm.clients.get(admin, code).name == "甲公司"
    with crm.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != pid
