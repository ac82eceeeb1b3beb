"""Append-only, hash-chained audit events (rule CORE-CONF-2: 查阅记录).

Each event is written in the same transaction as the change or read it records, so a change
without its event, or an event without its change, cannot exist. ``hash = sha256(prev_hash ||
canonical JSON of the event)``; ``prev_hash`` is unique, so two writers cannot fork the chain,
and triggers refuse UPDATE and DELETE. On PostgreSQL writers take a transaction-scoped
advisory lock before reading the chain's head; on SQLite ``BEGIN IMMEDIATE`` already
serialises writers.

An event names fields, never their values: no ID number or secret figure enters the trail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from attrs import frozen
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from crmcore.store.tables import audit_events

if TYPE_CHECKING:
    from crmcore.app import Tx

GENESIS = "0" * 64
_PG_LOCK = 0x63726D61  # "crma": one advisory lock key for the chain


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


def record(
    tx: Tx,
    action: str,
    entity: str,
    entity_id: object | None = None,
    *,
    client_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
) -> int:
    """Append one event inside ``tx``; returns its sequence number."""
    conn = tx.conn
    head = tx.state.get("audit_head")
    if head is None:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
        last = conn.execute(
            select(audit_events.c.seq, audit_events.c.hash)
            .order_by(audit_events.c.seq.desc())
            .limit(1)
        ).first()
        head = (last.seq, last.hash) if last else (0, GENESIS)
    seq, prev_hash = head[0] + 1, head[1]
    row: dict[str, Any] = {
        "seq": seq,
        "at": tx.now,
        "actor": tx.actor.login,
        "door": tx.actor.door,
        "action": action,
        "entity": entity,
        "entity_id": None if entity_id is None else str(entity_id),
        "client_id": client_id,
        "body": canonical(detail or {}),
        "prev_hash": prev_hash,
    }
    row["hash"] = chain_hash(prev_hash, _hashed_part(row))
    conn.execute(audit_events.insert(), row)
    tx.state["audit_head"] = (seq, row["hash"])
    return seq


@frozen
class Verification:
    ok: bool
    events: int
    head: str
    problem: str | None = None
    position: int | None = None


def verify(conn: Connection, *, expected_head: str | None = None) -> Verification:
    """Walk the whole chain; name the first event that was modified, removed, added or moved."""
    expected_seq, prev_hash, count = 1, GENESIS, 0
    for row in _rows(conn):
        count += 1
        if row["seq"] != expected_seq:
            gap = "missing or reordered" if row["seq"] > expected_seq else "duplicated or reordered"
            return Verification(
                False, count, prev_hash, f"event {expected_seq} {gap}", expected_seq
            )
        if row["prev_hash"] != prev_hash:
            return Verification(
                False,
                count,
                prev_hash,
                f"event {row['seq']} does not follow event {row['seq'] - 1}",
                row["seq"],
            )
        if chain_hash(prev_hash, _hashed_part(row)) != row["hash"]:
            return Verification(
                False, count, prev_hash, f"event {row['seq']} was modified", row["seq"]
            )
        prev_hash, expected_seq = row["hash"], expected_seq + 1
    if expected_head is not None and expected_head != prev_hash:
        return Verification(
            False,
            count,
            prev_hash,
            "the chain's head differs from the checkpoint: events removed from the end or added",
            count,
        )
    return Verification(True, count, prev_hash)


def _rows(conn: Connection) -> Iterator[Mapping[str, Any]]:
    result = conn.execution_options(yield_per=5000).execute(
        select(audit_events).order_by(audit_events.c.seq)
    )
    for row in result:
        yield row._mapping


def count(conn: Connection) -> int:
    return conn.execute(select(func.count()).select_from(audit_events)).scalar_one()
