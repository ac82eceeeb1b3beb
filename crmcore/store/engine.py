"""Engines that keep concurrent writers honest.

With Python's sqlite3 driver and SQLAlchemy's defaults a transaction starts only at the first
write, so a read-check-write in eight processes sold one flat eight times (DESIGN.md). We take
over transaction control: every write transaction begins with ``BEGIN IMMEDIATE`` (it takes
the write lock before the first read), reads begin with a plain ``BEGIN``; WAL lets readers
run beside the writer; a busy timeout makes writers queue instead of failing.

Reads go through a memory map (``mmap_size``) instead of a ``read()`` system call per page
outside SQLite's 2 MB page cache: a search that rechecks tens of thousands of index hits
against ``clients`` (random look-ups in a 1 GB table at a million clients) spends most of its
time in those calls. Measured on 1M clients: full-pinyin search p95 -28% (bench/search.py).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DisconnectionError

WRITE = "crm_write"
#: PostgreSQL: statements are planned for their own values unless marked ``PLANNED_ONCE``.
#: psycopg prepares a statement from its fifth run, and PostgreSQL may then reuse a plan made
#: without the values: for the search statements on the partitioned ``client_search`` such a
#: plan neither pruned partitions nor knew how common the word was (1M clients: p50 3 ms became
#: 300 ms; they now run in functions, migration 0013), and for the access condition it cannot
#: tell a user who owns 200 clients from one who owns a third (``search_index.few``: 710 ms
#: against 0.52 ms). So nothing is prepared but what is marked.
#:
#: Execution option of a statement whose plan does not depend on its values (a look-up by ids,
#: the field rules, the audit INSERT): prepared at once, PostgreSQL keeps a plan for it when
#: it finds one as good as planning each time. A client view's statement planned in 0.8 ms
#: and ran in 0.3 (20 clients, docs/performance.md).
PLANNED_ONCE = {"crm_planned_once": True}
#: PostgreSQL: a pooled connection idle longer than this is pinged before it is handed out.
#: Pinging at every checkout (``pool_pre_ping``) cost a round trip per transaction; a connection
#: in steady use cannot have been dropped unnoticed for long (docs/performance.md).
PING_AFTER_IDLE_S = 5.0
BUSY_TIMEOUT_MS = 30_000
#: Bytes of the database file read through a memory map (SQLite caps it at 2 GiB by default).
MMAP_BYTES = 2 << 30


def make_engine(url: str, *, create_dirs: bool = False, **kwargs: Any) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, create_dirs=create_dirs, **kwargs)
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    if parsed.get_backend_name() == "postgresql":
        _prepare_when_marked(engine)
    return engine


def _prepare_when_marked(engine: Engine) -> None:
    """Every other statement is sent unprepared, and so planned for its values (a server-side
    cursor, as ``yield_per`` opens, is never prepared and takes no such option)."""
    from psycopg import ServerCursor

    @event.listens_for(engine, "do_execute")
    def _execute(cursor: Any, statement: str, parameters: Any, context: Any) -> bool | None:
        if isinstance(cursor, ServerCursor):
            return None  # SQLAlchemy executes it as usual
        marked = bool(context.execution_options.get("crm_planned_once"))
        cursor.execute(statement, parameters, prepare=marked)
        return True


def _ping_when_idle(engine: Engine) -> None:
    """A connection the server dropped (a restart, an idle timeout) is replaced, not used."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # the pool then connects afresh
            raise DisconnectionError(str(exc)) from exc


def _sqlite_engine(url: str, *, create_dirs: bool, **kwargs: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and create_dirs:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"
