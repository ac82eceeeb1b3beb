"""Backup and restore: a checked copy, and a restore that refuses anything unsound.

SQLite: ``crm backup`` / ``crm restore``. PostgreSQL: the pg_dump/pg_restore procedure of
docs/backup.md, run here so the document cannot rot."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from crmcore import Crm, NewClient, NewContact, NewLog
from crmcore.audit import read_checkpoint, verify
from crmcore.domain.archives import NewDocument
from crmcore.sampledata import SampleData
from crmcore.store import tables as t


def fill(crm: Crm) -> None:
    admin = crm.actor("admin")
    sample = SampleData(3)
    for i in range(5):
        c = crm.clients.add(admin, NewClient(name=f"客户{i}", region="广东/广州"))
        crm.contacts.add(admin, c.code, NewContact(name="联系人", id_number=sample.id_number()))
        crm.logs.add(admin, c.code, NewLog(channel="visit", summary=f"拜访{i}"))
        crm.archives.file(
            admin,
            c.code,
            NewDocument(
                category="basic", title="执照", filename="a.pdf", content=b"%PDF-" + bytes([i])
            ),
        )


def snapshot(crm: Crm) -> dict[str, list[tuple]]:
    """Every row of every table in this database (a plugin loaded by an earlier test adds its
    tables to the shared metadata, not to this database)."""
    with crm.engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        return {
            table.name: [
                tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in t.metadata.sorted_tables
            if table.name in existing
        }


@pytest.fixture
def sqlite_only(crm_backend):
    if crm_backend != "sqlite":
        pytest.skip("crm backup/restore are for SQLite; PostgreSQL has its own test")


def test_backup_then_restore_gives_identical_rows_and_a_verifying_chain(
    sqlite_only, crm, cli, tmp_path
):
    fill(crm)
    copy = tmp_path / "crm-backup.db"
    made = cli("backup", str(copy))
    assert made.exit_code == 0, made.output
    assert "integrity ok, audit trail verified" in made.stdout
    at_backup = snapshot(crm)  # includes the backup's own event
    admin = crm.actor("admin")
    crm.clients.add(admin, NewClient(name="备份之后"))
    crm.clients.edit(admin, "C000001", {"phone": "020-99999999"})
    restored = cli("restore", str(copy), "--yes")
    assert restored.exit_code == 0, restored.output
    with Crm.open(str(crm.engine.url)) as again:
        after = snapshot(again)
        with again.engine.connect() as conn:
            check = verify(
                conn, keyring=again.keyring, checkpoint=read_checkpoint(again.checkpoint_path)
            )
        assert check.ok, check.problem
        last = again.audit.log(again.actor("admin"), limit=3)
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in at_backup.items() if k != "audit_events"
    }
    assert after["audit_events"][: len(at_backup["audit_events"])] == at_backup["audit_events"]
    assert [e.action for e in last][:1] == ["db.restore"]
    assert "db.backup" in [e.action for e in last]


def test_backup_refuses_an_existing_file_and_postgres_is_pointed_to_pg_dump(
    crm_backend, cli, tmp_path
):
    target = tmp_path / "exists.db"
    target.write_bytes(b"keep me")
    result = cli("backup", str(target))
    if crm_backend == "sqlite":
        assert result.exit_code == 5 and "already exists" in result.stderr
        assert target.read_bytes() == b"keep me"
    else:
        assert result.exit_code == 3 and "pg_dump" in result.stderr


def _live_state(crm: Crm) -> tuple:
    return snapshot(crm)["clients"], snapshot(crm)["audit_events"]


@pytest.mark.parametrize(
    "damage", ["garbage", "truncated", "tampered chain", "not crmcore", "newer schema"]
)
def test_restore_refuses_an_unsound_file_and_changes_nothing(
    sqlite_only, crm, cli, tmp_path, damage
):
    fill(crm)
    good = tmp_path / "good.db"
    assert cli("backup", str(good)).exit_code == 0
    bad = tmp_path / "bad.db"
    if damage == "garbage":
        bad.write_bytes(b"SQLite format 3\x00" + b"\x17" * 5000)
    elif damage == "truncated":
        bad.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    else:
        shutil.copyfile(good, bad)
        with sqlite3.connect(bad) as conn:
            if damage == "tampered chain":
                conn.execute("DROP TRIGGER audit_events_no_update")
                conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
            elif damage == "not crmcore":
                conn.execute("DROP TABLE audit_events")
            else:
                conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    before = _live_state(crm)
    result = cli("restore", str(bad), "--yes")
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("error: file:") and "Traceback" not in result.output
    assert _live_state(crm) == before
    if damage == "tampered chain":
        assert "event 3 was modified" in result.stderr


def test_postgres_dump_and_restore_as_documented(crm_backend, crm, crm_url, request):
    """docs/backup.md: pg_dump -Fc, pg_restore into a new database, crm audit verify."""
    if crm_backend != "postgresql":
        pytest.skip("the PostgreSQL procedure")
    from crmcore.testing import postgres

    bindir = postgres.find_bindir()
    fill(crm)
    before = snapshot(crm)
    admin_url = request.getfixturevalue("postgres_admin_url")
    dump = Path(request.getfixturevalue("tmp_path")) / "crm.dump"
    plain = crm_url.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run([f"{bindir}/pg_dump", "-Fc", "-f", str(dump), plain], check=True)
    name = "crm_restored_" + crm_url.rsplit("_", 1)[-1]
    target = postgres.create_database(admin_url, name)
    try:
        subprocess.run(
            [
                f"{bindir}/pg_restore",
                "--no-owner",
                "-d",
                target.replace("postgresql+psycopg://", "postgresql://"),
                str(dump),
            ],
            check=True,
        )
        with Crm.open(target) as restored:
            assert snapshot(restored) == before
            with restored.engine.connect() as conn:
                check = verify(
                    conn, keyring=restored.keyring, checkpoint=read_checkpoint(crm.checkpoint_path)
                )
                assert check.ok, check.problem
            with pytest.raises(Exception, match="append-only"), restored.engine.begin() as conn:
                conn.execute(text("DELETE FROM audit_events"))  # the triggers came back too
    finally:
        postgres.drop_database(admin_url, name)
