"""Append-only, hash-chained, sealed audit events (rule CORE-CONF-2: 查阅记录).

Each event is written in the same transaction as the change or read it records, so a change
without its event, or an event without its change, cannot exist. ``hash = sha256(prev_hash ||
canonical JSON of the event)``; ``prev_hash`` is unique, so two writers cannot fork the chain,
and triggers refuse UPDATE and DELETE. On PostgreSQL writers take a transaction-scoped
advisory lock before reading the chain's head; on SQLite ``BEGIN IMMEDIATE`` already
serialises writers.

Two things protect the chain against someone who can write the database file itself (drop the
triggers, edit the file) and who could therefore recompute every hash after an edit:

- each event carries a **seal**, ``HMAC-SHA256(seal key, hash)``, with the key in the key file
  outside the database (:mod:`crmcore.security.keys`): an edited, inserted or re-hashed event
  no longer matches its seal, and :func:`verify` names its position;
- after each commit the chain's head is written to a **checkpoint** file outside the database
  (:mod:`crmcore.settings`): events cut from the end are caught by comparing with it.

Reads are recorded too. A read of a confidential record (or of a sensitive field in clear)
is *deferred*: :func:`defer` merges it into the transaction's pending events, which are written
with one statement before any later write and at the latest just before commit, so a read
still cannot return without its record.

An event names fields, never their values: no ID number or secret figure enters the trail,
and :func:`record` refuses a body that contains a valid ID number.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from attrs import frozen
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.engine import Connection

from crmcore.store.engine import PLANNED_ONCE
from crmcore.store.tables import audit_events
from crmcore.store.types import UTCDateTime

if TYPE_CHECKING:
    from crmcore.app import Tx
    from crmcore.security.keys import KeyRing

GENESIS = "0" * 64
_PG_LOCK = 0x63726D61  # "crma": one advisory lock key for the chain
_PER_EVENT = (
    "seq",
    "action",
    "entity",
    "entity_id",
    "client_id",
    "body",
    "prev_hash",
    "hash",
    "seal",
)
#: PostgreSQL: takes the chain's lock and writes a transaction's events if the chain's head is
#: the one given, else only returns the head (migration 0014). The events go as one JSON text:
#: an executemany is sent as one bound and answered INSERT per event, and psycopg's array
#: dumper took a fifth of the time a search spends writing its look-ups; ``json.dumps`` is C.
_PG_APPEND = (
    text(
        "SELECT written, seq, hash FROM audit_chain_append(CAST(:k AS bigint),"
        " CAST(:seq AS integer), CAST(:hash AS text), :at, CAST(:actor AS text),"
        " CAST(:door AS text), CAST(:rows AS json))"
    )
    .bindparams(bindparam("at", type_=UTCDateTime()))
    .execution_options(**PLANNED_ONCE)
)
_ID_LIKE = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")


def canonical(event: Mapping[str, Any]) -> str:
    return json.dumps(event, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def chain_hash(prev_hash: str, body: str) -> str:
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def _hashed_part(row: Mapping[str, Any]) -> str:
    return canonical(
        {
            "seq": row["seq"],
            "at": row["at"].isoformat(),
            "actor": row["actor"],
            "door": row["door"],
            "action": row["action"],
            "entity": row["entity"],
            "entity_id": row["entity_id"],
            "client_id": row["client_id"],
            "body": row["body"],
        }
    )


#: ``(action, entity, entity_id, client_id, detail)``
Event = tuple[str, str, object | None, int | None, Mapping[str, Any]]


class PendingEvent(Protocol):
    """A deferred event (see :func:`defer`): merged while the transaction runs."""

    def event(self) -> Event | None:
        """The event, or None to write nothing."""


def defer(tx: Tx, key: Any, make: Any) -> Any:
    """The pending event under ``key`` in ``tx``, created by ``make()`` the first time."""
    pending: dict[Any, PendingEvent] = tx.state.setdefault("audit_pending", {})
    if key not in pending:
        pending[key] = make()
    return pending[key]


def flush(tx: Tx) -> None:
    """Write every deferred event of ``tx`` (one INSERT for all of them)."""
    pending: dict[Any, PendingEvent] = tx.state.pop("audit_pending", {})
    events = [e for e in (p.event() for p in pending.values()) if e is not None]
    if events:
        _append(tx, events)


def record(
    tx: Tx,
    action: str,
    entity: str,
    entity_id: object | None = None,
    *,
    client_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one event inside ``tx`` (after any deferred ones); returns its sequence number."""
    flush(tx)
    return _append(tx, [(action, entity, entity_id, client_id, detail or {})])


def _append(tx: Tx, events: list[Event]) -> int:
    conn = tx.conn
    if conn.dialect.name == "postgresql":
        return _append_pg(tx, events)
    head = tx.state.get("audit_head")
    if head is None:
        last = conn.execute(
            select(audit_events.c.seq, audit_events.c.hash)
            .order_by(audit_events.c.seq.desc())
            .limit(1)
        ).one_or_none()
        head = (last.seq, last.hash) if last and last.seq else (0, GENESIS)
    rows = _chained(tx, events, head)
    conn.execute(audit_events.insert(), rows)
    tx.state["audit_head"] = head = (rows[-1]["seq"], rows[-1]["hash"])
    return head[0]


def _append_pg(tx: Tx, events: list[Event]) -> int:
    """One round trip when the head is the one this process last committed (the usual case
    with one writer process); when another process wrote since, the call returns the real
    head and the events are hashed again from it (migration 0014).

    In a transaction the first call took the chain's lock and holds it, so the second cannot
    miss. A read by ``app.standalone_query`` (each statement commits on its own) releases the
    lock with the statement; it then begins a transaction for the next calls, so at most a
    third is needed."""
    conn = tx.conn
    head = tx.state.get("audit_head") or tx.crm.audit_head_seen or (0, GENESIS)
    standalone = conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
    began = False
    for _ in range(3):
        rows = _chained(tx, events, head)
        events_json = json.dumps([{name: row[name] for name in _PER_EVENT} for row in rows])
        got = conn.execute(
            _PG_APPEND,
            {
                "k": _PG_LOCK,
                "seq": head[0] or None,
                "hash": head[1] if head[0] else None,
                "at": tx.now,
                "actor": tx.actor.login,
                "door": tx.actor.door,
                "rows": events_json,
            },
        ).one()
        if got.written:
            if began:
                conn.exec_driver_sql("COMMIT")
            tx.state["audit_head"] = head = (rows[-1]["seq"], rows[-1]["hash"])
            return head[0]
        head = (got.seq, got.hash) if got.seq else (0, GENESIS)
        if standalone and not began:
            conn.exec_driver_sql("BEGIN")  # rolled back with the read if it fails
            began = True
    raise AssertionError("the audit chain moved while this transaction held its lock")


def _chained(tx: Tx, events: list[Event], head: tuple[int, str]) -> list[dict[str, Any]]:
    """The events as rows chained on from ``head``, each hashed and sealed."""
    keyring = tx.crm.keyring
    rows = []
    seq, prev_hash = head
    for action, entity, entity_id, client_id, detail in events:
        body = canonical(detail)
        _refuse_id_numbers(body, action)
        seq += 1
        row: dict[str, Any] = {
            "seq": seq,
            "at": tx.now,
            "actor": tx.actor.login,
            "door": tx.actor.door,
            "action": action,
            "entity": entity,
            "entity_id": None if entity_id is None else str(entity_id),
            "client_id": client_id,
            "body": body,
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = chain_hash(prev_hash, _hashed_part(row))
        row["seal"] = keyring.seal(row["hash"])
        rows.append(row)
    return rows


def _refuse_id_numbers(body: str, action: str) -> None:
    """Defence in depth (CORE-CONF-5): a bug that puts an ID number in a body fails loudly."""
    from crmcore.domain.personal import is_valid_id_number

    if any(is_valid_id_number(m.group()) for m in _ID_LIKE.finditer(body)):
        raise ValueError(f"audit event {action}: the body holds an ID number; name the field only")


# -- checkpoint ---------------------------------------------------------------------------------


@frozen
class Checkpoint:
    seq: int
    hash: str


#: The file holds two slots of this many bytes; each write replaces the older one in place.
_SLOT = 128


def read_checkpoint(path: Path) -> Checkpoint | None:
    """The newest intact head in the file; None without a file (or an empty one)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    if not raw.strip(b"\0 \n"):
        return None
    heads = [s for s in _slots(raw) if s is not None]
    return max(heads, key=lambda s: s.seq) if heads else Checkpoint(-1, "unreadable")


def write_checkpoint(path: Path, seq: int, hash_: str, *, force: bool = False) -> None:
    """Record the head; never move backwards unless ``force`` (a new or restored database).

    Written in place over the older of two slots, each with its own check, rather than to a
    new file renamed over the old one: a rename cost ~0.45 ms after every transaction (ext4,
    docs/performance.md), the write ~10 us. A write torn by a crash, or read half-way by
    another process, spoils one slot; the other still holds the head before it.

    Writers in several processes may race; the older head then wins for a moment, which is
    harmless: :func:`verify` only needs the checkpoint to be *some* past head of the chain.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        record = _slot(seq, hash_)
        if force:
            os.pwrite(fd, record * 2, 0)
            os.ftruncate(fd, 2 * _SLOT)
            return
        slots = _slots(os.pread(fd, 2 * _SLOT, 0))
        if any(s is not None and s.seq >= seq for s in slots):
            return
        ranks = [-1 if s is None else s.seq for s in slots]
        os.pwrite(fd, record, ranks.index(min(ranks)) * _SLOT)  # over the older slot
    finally:
        os.close(fd)


def _slot(seq: int, hash_: str) -> bytes:
    body = json.dumps({"seq": seq, "hash": hash_, "check": _check(seq, hash_)})
    return body.ljust(_SLOT - 1).encode() + b"\n"


def _check(seq: int, hash_: str) -> str:
    return hashlib.sha256(f"{seq}:{hash_}".encode()).hexdigest()[:16]


def _slots(raw: bytes) -> list[Checkpoint | None]:
    """The two slots, None where one is empty, torn or garbled. A file from before the slots
    (one JSON object, no check) reads as its first slot."""
    found: list[Checkpoint | None] = []
    for part in (raw[:_SLOT], raw[_SLOT : 2 * _SLOT]):
        try:
            doc = json.loads(part.strip(b"\0 \n").decode())
            head = Checkpoint(int(doc["seq"]), str(doc["hash"]))
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            found.append(None)
            continue
        intact = "check" not in doc or doc["check"] == _check(head.seq, head.hash)
        found.append(head if intact else None)
    return found


# -- verification ------------------------------------------------------------------------------


@frozen
class Verification:
    ok: bool
    events: int
    head: str
    problem: str | None = None
    position: int | None = None
    sealed: int = 0
    unsealed_prefix: int = 0  # events written before seals existed (schema 0001 only)
    checkpoint: int | None = None  # the checkpointed sequence number compared with


def verify(
    conn: Connection,
    *,
    keyring: KeyRing | None = None,
    checkpoint: Checkpoint | None = None,
) -> Verification:
    """Walk the whole chain; name the first event that was modified, removed, added or moved.

    With ``keyring`` every seal is checked too (events before the first sealed one are
    reported as an unsealed prefix, from databases created before seals); with ``checkpoint``
    the chain must still hold the checkpointed head at its position.
    """
    expected_seq, prev_hash, count, sealed, unsealed = 1, GENESIS, 0, 0, 0
    at_checkpoint: str | None = None
    cp_seq = checkpoint.seq if checkpoint else None

    def fail(problem: str, position: int | None) -> Verification:
        return Verification(False, count, prev_hash, problem, position, sealed, unsealed, cp_seq)

    if checkpoint is not None and checkpoint.seq < 0:
        return fail("the checkpoint file is unreadable", None)
    for row in _rows(conn):
        count += 1
        seq = row["seq"]
        if seq != expected_seq:
            if seq > expected_seq:
                return fail(
                    f"event {expected_seq} is missing (the chain jumps to {seq})", expected_seq
                )
            return fail(f"event {seq} appears again or out of order", seq)
        if row["prev_hash"] != prev_hash:
            return fail(
                f"event {seq} does not follow event {seq - 1}: an event was removed, inserted "
                "or moved here",
                seq,
            )
        if chain_hash(prev_hash, _hashed_part(row)) != row["hash"]:
            return fail(f"event {seq} was modified", seq)
        if keyring is not None:
            seal = row["seal"]
            if seal is None:
                if sealed:
                    return fail(f"event {seq} lost its seal", seq)
                unsealed += 1
            else:
                good = keyring.check_seal(row["hash"], seal)
                if good is None:
                    return fail(f"event {seq} is sealed with a key the key file lacks", seq)
                if not good:
                    return fail(
                        f"event {seq} does not match its seal: it was modified, inserted or "
                        "re-hashed outside crmcore",
                        seq,
                    )
                sealed += 1
        if seq == cp_seq:
            at_checkpoint = row["hash"]
        prev_hash, expected_seq = row["hash"], expected_seq + 1
    if checkpoint is not None:
        if count < checkpoint.seq:
            return fail(
                f"events {count + 1}..{checkpoint.seq} were removed from the end "
                f"(the checkpoint knows event {checkpoint.seq})",
                count + 1,
            )
        if checkpoint.seq > 0 and at_checkpoint != checkpoint.hash:
            return fail(
                f"event {checkpoint.seq} differs from the checkpoint: the chain was rewritten "
                f"up to there",
                checkpoint.seq,
            )
    return Verification(True, count, prev_hash, None, None, sealed, unsealed, cp_seq)


def _rows(conn: Connection) -> Iterator[Mapping[str, Any]]:
    # yield_per on the statement: Connection.execution_options would change the connection
    # itself, and a later INSERT in the same transaction would run through a named cursor
    result = conn.execute(
        select(audit_events).order_by(audit_events.c.seq).execution_options(yield_per=5000)
    )
    for row in result:
        yield row._mapping


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(audit_events)).scalar_one()


def head(conn: Connection) -> tuple[int, str]:
    last = conn.execute(
        select(audit_events.c.seq, audit_events.c.hash).order_by(audit_events.c.seq.desc()).limit(1)
    ).first()
    return (last.seq, last.hash) if last else (0, GENESIS)
