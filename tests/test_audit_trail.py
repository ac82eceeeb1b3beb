"""The audit trail (CORE-CONF-2): every write and confidential read recorded in the same
transaction; tampering by someone with write access to the database itself (triggers dropped,
the file edited) is caught by `crm audit verify`, which names the position."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text

from crmcore import Crm, NewClient, NewContact, NewLog
from crmcore.audit import GENESIS, _hashed_part, chain_hash, read_checkpoint, verify
from crmcore.store import tables as t


@pytest.fixture
def trail(crm, admin, make_user):
    """Twenty-odd events: users, clients, edits, reads."""
    make_user("lina")
    for i in range(6):
        c = crm.clients.add(admin, NewClient(name=f"客户{i}", owner="lina"))
        crm.clients.edit(admin, c.code, {"phone": f"020-8888{i:04d}"})
        crm.clients.get(admin, c.code)
    return crm


def events(crm: Crm) -> list[dict]:
    with crm.engine.connect() as conn:
        return [
            dict(r._mapping)
            for r in conn.execute(select(t.audit_events).order_by(t.audit_events.c.seq))
        ]


def attack(crm: Crm, *statements: str, params: list[dict] | None = None) -> None:
    """What someone with the database file or a superuser login can do: drop the guards."""
    with crm.engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_update")
            conn.exec_driver_sql("DROP TRIGGER IF EXISTS audit_events_no_delete")
        else:
            conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER USER")
        for i, statement in enumerate(statements):
            conn.execute(text(statement), (params or [{}] * len(statements))[i])


def rehash_from(crm: Crm, seq: int) -> None:
    """The attacker recomputes every hash from ``seq`` on (the formula is no secret)."""
    rows = events(crm)
    prev = GENESIS if seq == 1 else next(r["hash"] for r in rows if r["seq"] == seq - 1)
    updates = []
    for row in rows:
        if row["seq"] < seq:
            continue
        row["prev_hash"] = prev
        row["hash"] = prev = chain_hash(prev, _hashed_part(row))
        updates.append(row)
    # unique prev_hash/hash: move every row out of the way first
    attack(
        crm,
        "UPDATE audit_events SET prev_hash = 'x' || seq, hash = 'y' || seq WHERE seq >= :s",
        params=[{"s": seq}],
    )
    attack(
        crm,
        *["UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :s"] * len(updates),
        params=[{"p": r["prev_hash"], "h": r["hash"], "s": r["seq"]} for r in updates],
    )


def check(crm: Crm) -> object:
    with crm.engine.connect() as conn:
        return verify(conn, keyring=crm.keyring, checkpoint=read_checkpoint(crm.checkpoint_path))


def test_an_untouched_trail_verifies_with_seals_and_checkpoint(trail):
    result = check(trail)
    assert result.ok, result.problem
    assert result.sealed == result.events and result.checkpoint == result.events


def test_modified_event_is_named(trail):
    attack(trail, "UPDATE audit_events SET actor = 'mallory' WHERE seq = 7")
    result = check(trail)
    assert (result.ok, result.position) == (False, 7)
    assert "event 7 was modified" in result.problem


def test_modified_and_rehashed_event_is_caught_by_its_seal(trail):
    attack(trail, "UPDATE audit_events SET body = '{}' WHERE seq = 9")
    rehash_from(trail, 9)
    with trail.engine.connect() as conn:
        assert verify(conn).ok  # a plain hash chain alone would be fooled
    result = check(trail)
    assert (result.ok, result.position) == (False, 9)
    assert "does not match its seal" in result.problem


def test_deleted_event_is_named(trail):
    attack(trail, "DELETE FROM audit_events WHERE seq = 5")
    result = check(trail)
    assert (result.ok, result.position) == (False, 5)
    assert "event 5 is missing" in result.problem


def test_deleted_event_with_the_rest_renumbered_is_named(trail):
    attack(
        trail,
        "DELETE FROM audit_events WHERE seq = 5",
        "UPDATE audit_events SET seq = seq + 1000000 WHERE seq > 5",
        "UPDATE audit_events SET seq = seq - 1000001 WHERE seq > 1000000",
    )
    result = check(trail)
    assert (result.ok, result.position) == (False, 5)
    assert "does not follow event 4" in result.problem


def test_inserted_event_is_named(trail):
    rows = events(trail)
    forged = dict(rows[3], seq=5, actor="mallory", action="client.edit", seal=rows[3]["seal"])
    forged["prev_hash"] = rows[3]["hash"]
    forged["hash"] = chain_hash(forged["prev_hash"], _hashed_part(forged))
    attack(
        trail,
        "UPDATE audit_events SET seq = seq + 1000000 WHERE seq >= 5",
        "UPDATE audit_events SET seq = seq - 999999 WHERE seq > 1000000",
        "UPDATE audit_events SET prev_hash = 'moved' WHERE seq = 6",
        "INSERT INTO audit_events (seq, at, actor, door, action, entity, entity_id, client_id, body,"
        " prev_hash, hash, seal) VALUES (:seq, :at, :actor, :door, :action, :entity, :entity_id,"
        " :client_id, :body, :prev_hash, :hash, :seal)",
        params=[{}, {}, {}, {**forged, "at": rows[3]["at"]}],
    )
    rehash_from(trail, 6)
    result = check(trail)
    assert (result.ok, result.position) == (False, 5)
    assert "does not match its seal" in result.problem


def test_reordered_events_are_named(trail):
    attack(
        trail,
        "UPDATE audit_events SET seq = 1000000 WHERE seq = 8",
        "UPDATE audit_events SET seq = 8 WHERE seq = 9",
        "UPDATE audit_events SET seq = 9 WHERE seq = 1000000",
    )
    result = check(trail)
    assert (result.ok, result.position) == (False, 8)
    assert "does not follow event 7" in result.problem


def test_events_cut_from_the_end_are_caught_by_the_checkpoint(trail):
    total = len(events(trail))
    attack(trail, f"DELETE FROM audit_events WHERE seq > {total - 3}")
    with trail.engine.connect() as conn:
        assert verify(conn, keyring=trail.keyring).ok  # what is left is a valid chain
    result = check(trail)
    assert (result.ok, result.position) == (False, total - 2)
    assert f"events {total - 2}..{total} were removed from the end" in result.problem


def test_a_chain_rewritten_without_seals_is_caught_by_the_checkpoint(trail):
    """Strip every seal (to pass as a database from before seals) and rehash: the head no
    longer matches the checkpoint outside the database."""
    attack(trail, "UPDATE audit_events SET seal = NULL, body = '{}' WHERE seq >= 1")
    rehash_from(trail, 1)
    result = check(trail)
    assert result.ok is False and "differs from the checkpoint" in result.problem


def test_a_torn_checkpoint_write_leaves_the_head_before_it(trail, admin):
    """The file keeps the newest head in one of two slots and the one before in the other; a
    write torn by a crash (or read half-way) spoils one slot only, and cutting events is still
    caught down to the head the other slot holds."""
    path = trail.checkpoint_path
    total = len(events(trail))
    assert read_checkpoint(path).seq == total
    trail.clients.add(admin, NewClient(name="又一个客户", owner="lina"))
    newest = read_checkpoint(path).seq
    assert newest > total
    raw = path.read_bytes()
    slot = next(i for i in (0, 1) if f'"seq": {newest},'.encode() in raw[i * 128 : i * 128 + 128])
    torn = bytearray(raw)
    torn[slot * 128 + 40 : slot * 128 + 128] = bytes(88)  # only its first 40 bytes reached the disk
    path.write_bytes(bytes(torn))
    assert read_checkpoint(path).seq < newest  # the slot before, intact
    assert check(trail).ok
    attack(trail, f"DELETE FROM audit_events WHERE seq >= {total - 1}")
    result = check(trail)
    assert result.ok is False and "were removed from the end" in result.problem


def test_a_checkpoint_file_from_before_the_slots_is_read_and_moved_on(trail, admin):
    """Files written before the two slots hold one JSON object: it still counts, and the next
    commit writes after it."""
    path = trail.checkpoint_path
    head = read_checkpoint(path)
    path.write_text(json.dumps({"seq": head.seq, "hash": head.hash}), encoding="utf-8")
    assert read_checkpoint(path) == head and check(trail).ok
    trail.clients.add(admin, NewClient(name="又一个客户", owner="lina"))
    assert read_checkpoint(path).seq > head.seq and check(trail).ok


def test_a_garbled_checkpoint_fails_verification(trail, cli):
    trail.checkpoint_path.write_bytes(b"\x00garbage" * 40)
    result = check(trail)
    assert result.ok is False and "checkpoint file is unreadable" in result.problem
    assert cli("audit", "verify").exit_code == 9


def test_cli_verify_exits_9_and_names_the_position(trail, cli):
    ok = cli("audit", "verify")
    assert ok.exit_code == 0 and "audit trail verifies" in ok.stdout and "sealed" in ok.stdout
    attack(trail, "UPDATE audit_events SET door = 'sql' WHERE seq = 4")
    bad = cli("audit", "verify")
    assert bad.exit_code == 9
    assert bad.stderr.strip() == "error: audit trail: event 4 was modified (CORE-CONF-2)"
    as_json = cli("audit", "verify", "--json")
    assert as_json.exit_code == 9
    assert json.loads(as_json.stdout)["position"] == 4


def test_reads_of_confidential_records_are_recorded_with_their_door(crm, admin, make_user, cli):
    lina = make_user("lina")
    c = crm.clients.add(admin, NewClient(name="甲公司", owner="lina"))
    crm.contacts.add(admin, c.code, NewContact(name="王经理", phone="13800138000"))
    crm.logs.add(lina, c.code, NewLog(channel="visit", summary="拜访"))
    crm.clients.get(lina, c.code)
    crm.clients.list(lina)
    crm.clients.search(lina, "甲")
    crm.contacts.list(lina, c.code)
    crm.logs.timeline(lina, c.code)
    cli("client", "show", c.code, user="lina")
    reads = [e for e in crm.audit.log(admin, user="lina") if not e.action.startswith("log.create")]
    assert [(e.action, e.door) for e in reversed(reads)] == [
        ("client.get", "api"),
        ("client.list", "api"),
        ("client.search", "api"),
        ("contact.list", "api"),
        ("log.timeline", "api"),
        ("client.get", "cli"),
        ("contact.list", "cli"),
        ("log.timeline", "cli"),
    ]
    assert reads[-1].detail == {"level": "confidential"}
    assert reads[0].detail == {"level": "confidential", "records": {"contact_log": ["1"]}}
    # an internal record is not a confidential one: reading it leaves no record...
    crm.access.set_level(admin, c.code, "internal")
    before = len(crm.audit.log(admin, user="lina"))
    crm.clients.list(lina)
    assert len(crm.audit.log(admin, user="lina")) == before
    # ...unless a sensitive field is shown in clear: that unmasking is recorded
    crm.clients.edit(admin, c.code, {"profile": {"business_model": "直销"}})
    crm.clients.get(lina, c.code)
    latest = crm.audit.log(admin, user="lina", limit=1)[0]
    assert (latest.action, latest.detail) == (
        "client.get",
        {"level": "internal", "unmasked": ["profile"]},
    )


def test_audit_log_filters_and_json(trail, cli, admin, make_user):
    crm = trail
    auditor = make_user("zhaolei", "audit_legal")
    codes = [c.code for c in crm.clients.list(admin)]
    mine = crm.audit.log(auditor, client=codes[0])
    assert {e.client_code for e in mine} == {codes[0]}
    assert [e.action for e in reversed(mine)] == [
        "client.create",
        "client.edit",
        "client.get",
        "client.list",  # the listing just above, by admin
    ]
    assert {e.actor for e in crm.audit.log(auditor, user="lina")} <= {"lina"}
    edits = crm.audit.log(auditor, action="client.edit")
    assert len(edits) == 6 and all(e.detail == {"fields": ["phone"]} for e in edits)
    assert len(crm.audit.log(auditor, action="client.")) >= 18
    today = date.today()
    assert crm.audit.log(auditor, since=today + timedelta(days=2)) == []
    assert len(crm.audit.log(auditor, until=today + timedelta(days=1))) >= 18
    listed = json.loads(cli("audit", "log", "--client", codes[0], "--json", user="zhaolei").stdout)
    assert [e["action"] for e in listed][-1] == "client.create"
    table = cli(
        "audit",
        "log",
        "--user",
        "admin",
        "--action",
        "client.",
        "--since",
        str(today),
        user="zhaolei",
    )
    assert table.exit_code == 0 and "client.edit" in table.stdout
    refused = cli("audit", "log", user="lina")
    assert refused.exit_code == 6 and "audit.read" in refused.stderr
    bad = cli("audit", "log", "--since", "yesterday", user="zhaolei")
    assert bad.exit_code == 3 and bad.stderr.startswith("error: since:")
    # the audit view is itself a recorded door
    assert crm.audit.log(admin, action="audit.view", user="zhaolei")


def test_audit_view_shows_only_events_of_readable_clients(crm, admin, make_user):
    make_user("lina")
    limited = make_user("shenji", "audit_legal")
    crm.users.set_clearance(admin, "shenji", "internal")
    secret = crm.clients.add(admin, NewClient(name="机密客户", owner="lina"))
    crm.access.set_level(admin, secret.code, "secret")
    shown = {e.client_code for e in crm.audit.log(crm.actor("shenji"), limit=10_000)}
    assert secret.code not in shown
    with pytest.raises(Exception, match="may not read"):
        crm.audit.log(limited, client=secret.code)


def test_a_read_racing_a_writer_on_sqlite_is_retried_as_a_write(crm, admin, make_user):
    """A read that records a look-up must write; if another writer got in first, SQLite
    refuses the upgrade at once and the read is run again as a write transaction."""
    if crm.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's read-to-write upgrade")
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    started, release = threading.Event(), threading.Event()
    original = crm.clients.__class__._views

    def slow_views(self, tx, rows, action):
        result = original(self, tx, rows, action)
        if not started.is_set():
            started.set()
            release.wait(5)  # another process writes meanwhile
        return result

    def writer() -> None:
        started.wait(5)
        crm.clients.edit(admin, c.code, {"phone": "020-12345678"})
        release.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        crm.clients.__class__._views = slow_views
        seen = crm.clients.get(admin, c.code)
    finally:
        crm.clients.__class__._views = original
        release.set()
        thread.join()
    assert seen.phone == "020-12345678"  # the retry saw the writer's commit
    result = check(crm)
    assert result.ok, result.problem
    assert [e.action for e in crm.audit.log(admin, client=c.code)][:2] == [
        "client.get",
        "client.edit",
    ]
