"""Personal data (CORE-CONF-5): ID numbers validated, encrypted at rest, found by blind index,
shown masked, revealed only with permission and a recorded reason; keys outside the database."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text, update
from stdnum.cn import ric

from crmcore import Crm, InvalidInput, NewClient, NewContact, NotInitialised, PermissionDenied
from crmcore.domain.personal import is_valid_id_number, mask_id_number, validate_id_number
from crmcore.sampledata import SampleData
from crmcore.security import keys, personal
from crmcore.security.keys import KeyFileError
from crmcore.store import tables as t
from crmcore.testing import row_counts


def with_check(body17: str) -> str:
    return body17 + ric.calc_check_digit(body17 + "0")


# A man born 1960 and registered in 广州市天河区 (440106), a district python-stdnum knows only
# from 1985: stdnum.cn.ric refuses his real number because it checks the area against the
# birth year; the area code is where he was first registered, decades later.
OLD_GUANGZHOU = with_check("44010619600501123")
YOUNG_BEIJING = with_check("11010519900307002")


def test_old_peoples_real_numbers_are_accepted_though_stdnum_refuses_them():
    assert not ric.is_valid(OLD_GUANGZHOU)  # the trap a colleague found
    assert validate_id_number(OLD_GUANGZHOU) == OLD_GUANGZHOU
    assert validate_id_number(YOUNG_BEIJING) == YOUNG_BEIJING
    assert validate_id_number(" " + YOUNG_BEIJING.lower() + " ") == YOUNG_BEIJING.upper()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (YOUNG_BEIJING[:-1] + ("0" if YOUNG_BEIJING[-1] != "0" else "1"), "check character"),
        (YOUNG_BEIJING[:17], "is 17 characters"),
        ("1101051990030700AX", "17 digits"),
        (with_check("11010519901340002"), "birth date"),
        (with_check("11010520990101002"), "in the future"),
        (with_check("99010519900307002"), "province"),
        (with_check("00010519900307002"), "province"),
    ],
)
def test_bad_id_numbers_name_field_and_rule_and_never_echo_the_number(value, says):
    with pytest.raises(InvalidInput) as err:
        NewContact(name="王五", id_number=value)
    assert err.value.field == "id_number"
    assert err.value.rule == "CORE-CONF-5"
    assert says in str(err.value)
    assert value.strip() not in str(err.value)
    assert value[:10] not in str(err.value)


def test_masked_display_keeps_three_and_four():
    assert mask_id_number("110105199003070029") == "110***********0029"


def test_cli_refuses_a_bad_id_number_in_one_line_without_echo(cli, crm_url):
    cli("client", "add", "--name", "甲公司")
    with Crm.open(crm_url) as crm:
        before = row_counts(crm)
    bad = YOUNG_BEIJING[:-1] + ("0" if YOUNG_BEIJING[-1] != "0" else "1")
    result = cli("contact", "add", "C000001", "--name", "王五", "--id-number", bad)
    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr.startswith("error: id_number:") and "(CORE-CONF-5)" in result.stderr
    assert bad not in result.output and "Traceback" not in result.output
    with Crm.open(crm_url) as crm:
        assert row_counts(crm) == before


def _people(crm, admin, n=30, seed=7):
    sample = SampleData(seed)
    client = crm.clients.add(admin, NewClient(name="委建单位甲"))
    numbers = [sample.id_number(birth_year_range=(1935, 2004)) for _ in range(n)]
    for i, number in enumerate(numbers):
        crm.contacts.add(admin, client.code, NewContact(name=f"购房人{i}", id_number=number))
    return client, numbers


def _all_text(crm: Crm) -> str:
    """Every row of every table as text (the server-side view of 'the database file')."""
    parts = []
    with crm.engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            for row in conn.execute(text(f"SELECT * FROM {name}")):
                parts.append(" ".join(repr(v) for v in row))
    return "\n".join(parts)


ID_LIKE = re.compile(rb"[1-9][0-9]{16}[0-9Xx]")


def _valid_ids_in(blob: bytes) -> set[str]:
    return {
        m.group().decode().upper()
        for m in ID_LIKE.finditer(blob)
        if is_valid_id_number(m.group().decode())
    }


def test_no_plaintext_id_number_in_the_database_files_logs_audit_or_errors(
    crm, admin, crm_url, cli
):
    """CORE-CONF-5: scan the bytes of the SQLite file and its WAL (on PostgreSQL, every row of
    every table) for any valid ID number: none. Masked forms are there, so data was stored."""
    client, numbers = _people(crm, admin)
    # through every door that touches ID numbers
    hits = crm.contacts.find_by_id_number(admin, numbers[0])
    assert [h.id_number for h in hits] == [mask_id_number(numbers[0])]
    assert crm.contacts.reveal_id_number(admin, hits[0].id, reason="核对名单") == numbers[0]
    outputs = [
        cli("contact", "list", client.code).output,
        cli("contact", "list", client.code, "--json").output,
        cli("contact", "find-id", numbers[1], "--json").output,
        cli("audit", "log", "--limit", "1000", "--json").output,
        cli(
            "contact", "add", client.code, "--name", "x", "--id-number", numbers[2][:-1] + "Y"
        ).output,
    ]
    for output in outputs:
        assert not any(n in output for n in numbers)
    audit_bodies = _all_text(crm)
    assert mask_id_number(numbers[3]) in audit_bodies
    if crm.engine.dialect.name == "sqlite":
        db = Path(crm.engine.url.database)
        raw = db.read_bytes() + (
            Path(f"{db}-wal").read_bytes() if Path(f"{db}-wal").exists() else b""
        )
        assert Path(f"{db}-wal").exists()  # WAL mode: recent pages are there, and were scanned
        assert _valid_ids_in(raw) == set()
    assert _valid_ids_in(audit_bodies.encode()) == set()
    for number in numbers:
        assert number not in audit_bodies


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(crm, admin):
    """The row and field are the associated data: copying an encrypted value fails loudly."""
    client, numbers = _people(crm, admin, n=2)
    first, second = crm.contacts.list(admin, client.code)
    with crm.engine.begin() as conn:
        blob, key = conn.execute(
            select(t.contacts.c.id_number_cipher, t.contacts.c.id_number_key).where(
                t.contacts.c.id == first.id
            )
        ).one()
        conn.execute(
            update(t.contacts)
            .where(t.contacts.c.id == second.id)
            .values(id_number_cipher=blob, id_number_key=key)
        )
    assert crm.contacts.reveal_id_number(admin, first.id, reason="核对") == numbers[0]
    with pytest.raises(KeyFileError, match="altered or moved"):
        crm.contacts.reveal_id_number(admin, second.id, reason="核对")


def test_blind_index_finds_the_same_person_on_two_clients_and_only_readable_ones(
    crm, admin, make_user
):
    lina = make_user("lina")
    mine = crm.clients.add(admin, NewClient(name="甲公司", owner="lina"))
    theirs = crm.clients.add(admin, NewClient(name="乙公司"))
    for code in (mine.code, theirs.code):
        crm.contacts.add(admin, code, NewContact(name="张三", id_number=OLD_GUANGZHOU))
    assert {c.client_code for c in crm.contacts.find_by_id_number(admin, OLD_GUANGZHOU)} == {
        mine.code,
        theirs.code,
    }
    assert [c.client_code for c in crm.contacts.find_by_id_number(lina, OLD_GUANGZHOU)] == [
        mine.code
    ]
    assert crm.contacts.find_by_id_number(admin, YOUNG_BEIJING) == []
    with pytest.raises(InvalidInput):
        crm.contacts.find_by_id_number(admin, "123")
    # the token is an HMAC with a key outside the database, not a plain hash of the number
    with crm.engine.connect() as conn:
        token = conn.scalar(select(t.contacts.c.id_number_index).limit(1))
    import hashlib

    assert token != hashlib.sha256(OLD_GUANGZHOU.encode()).hexdigest()


def test_revealing_needs_the_permission_and_leaves_a_reasoned_event(crm, admin, make_user):
    lina = make_user("lina")
    auditor = make_user("zhaolei", "audit_legal")
    client = crm.clients.add(admin, NewClient(name="甲公司", owner="lina"))
    person = crm.contacts.add(admin, client.code, NewContact(name="张三", id_number=YOUNG_BEIJING))
    assert (
        crm.contacts.list(lina, client.code)[0].id_number == "110***********" + YOUNG_BEIJING[-4:]
    )
    with pytest.raises(PermissionDenied, match=r"personal\.reveal"):
        crm.contacts.reveal_id_number(lina, person.id, reason="好奇")
    with pytest.raises(InvalidInput, match="reason"):
        crm.contacts.reveal_id_number(auditor, person.id, reason=" ")
    assert crm.contacts.reveal_id_number(auditor, person.id, reason="核对购房名单") == YOUNG_BEIJING
    events = crm.audit.log(admin, action="personal.reveal")
    assert [(e.actor, e.detail) for e in events] == [
        ("zhaolei", {"field": "id_number", "reason": "核对购房名单"})
    ]


def test_rotation_keeps_old_values_readable_and_reencrypt_moves_them(crm, admin, cli):
    client, numbers = _people(crm, admin, n=3)
    status = crm.personal.rotate(admin)
    assert status.active_data_key == "d2" and status.usage == {"d1": {"contacts.id_number": 3}}
    newer = crm.contacts.add(admin, client.code, NewContact(name="新", id_number=YOUNG_BEIJING))
    assert crm.personal.status(admin).usage == {
        "d1": {"contacts.id_number": 3},
        "d2": {"contacts.id_number": 1},
    }
    people = crm.contacts.list(admin, client.code)
    assert [crm.contacts.reveal_id_number(admin, p.id, reason="核对") for p in people] == [
        *numbers,
        YOUNG_BEIJING,
    ]
    assert crm.personal.reencrypt(admin) == {"contacts.id_number": 3}
    assert crm.personal.status(admin).usage == {"d2": {"contacts.id_number": 4}}
    assert crm.contacts.find_by_id_number(admin, YOUNG_BEIJING)[0].id == newer.id  # index unchanged
    shown = json.loads(cli("keys", "status", "--json").stdout)
    assert shown["active_data_key"] == "d2" and shown["data_keys"] == ["d1", "d2"]
    rotated = cli("keys", "rotate", "--reencrypt", "--seal-key")
    assert rotated.exit_code == 0 and "active data key d3, seal key s2; 0 values" in rotated.stdout
    assert cli("audit", "verify").exit_code == 0  # old events keep verifying with seal key s1


def test_without_the_key_file_nothing_is_written_and_the_error_says_what_to_do(
    crm_url, tmp_path, monkeypatch, cli
):
    monkeypatch.setenv("CRM_KEY_FILE", str(tmp_path / "missing.json"))
    with Crm.open(crm_url) as crm:
        before = row_counts(crm)
        with pytest.raises(NotInitialised, match="crm keys init"):
            crm.clients.add(crm.actor("admin"), NewClient(name="甲公司"))
        assert row_counts(crm) == before
    result = cli("client", "add", "--name", "甲公司")
    assert result.exit_code == 8 and "crm keys init" in result.stderr


def test_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "keys.json"
    keys.create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(Exception, match="already exists"):
        keys.create(path)
    ring = keys.rotate(path)
    assert set(ring.data_keys) == {"d1", "d2"} and ring.active_data_key == "d2"


def test_audit_refuses_a_body_holding_an_id_number(crm, admin):
    with pytest.raises(ValueError, match="holds an ID number"), crm.transaction(admin) as tx:
        tx.audit("oops", "contact", detail={"note": f"身份证 {YOUNG_BEIJING}"})


def test_plugin_tables_use_the_same_helpers(crm, admin):
    """What the realestate plugin will do: its own table, the same four columns and calls."""
    from sqlalchemy import Column, Integer, MetaData, String, Table

    buyers = Table(
        "test_buyers",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("name", String(50)),
        *personal.id_number_columns("id_number"),
    )
    with crm.engine.begin() as conn:
        buyers.create(conn)
    with crm.transaction(admin) as tx:
        row_id = tx.conn.execute(buyers.insert().values(name="李四")).inserted_primary_key[0]
        assert (
            personal.store_id_number(tx, buyers, row_id, OLD_GUANGZHOU)
            == "440***********" + OLD_GUANGZHOU[-4:]
        )
        found = tx.conn.execute(
            select(buyers.c.id).where(personal.matches_id_number(tx, buyers, OLD_GUANGZHOU))
        )
        assert list(found.scalars()) == [row_id]
        assert personal.reveal_id_number(tx, buyers, row_id, reason="核对名单") == OLD_GUANGZHOU


def test_the_cli_takes_an_id_number_at_a_hidden_prompt(cli):
    """``--id-number -`` keeps the number out of shell history and the process list."""
    cli("client", "add", "--name", "甲公司")
    added = cli(
        "contact",
        "add",
        "C000001",
        "--name",
        "王五",
        "--id-number",
        "-",
        input=YOUNG_BEIJING + "\n",
    )
    assert added.exit_code == 0, added.output
    assert YOUNG_BEIJING not in added.output
    shown = json.loads(cli("contact", "list", "C000001", "--json").stdout)
    assert shown[0]["id_number"] == mask_id_number(YOUNG_BEIJING)
    found = json.loads(
        cli("contact", "find-id", "-", "--json", input=YOUNG_BEIJING + "\n").stdout.split("\n", 1)[
            1
        ]
    )
    assert [p["name"] for p in found] == ["王五"]
