"""Personal data at rest: resident ID numbers (居民身份证号, CORE-CONF-5). A public module.

What a plugin with ID numbers (e.g. the eligible buyers of RE-LIST-1) does::

    from crmcore.security import personal

    buyers = Table("re_buyers", metadata, Column("id", Integer, primary_key=True),
                   Column("name", String(50)), *personal.id_number_columns("id_number"))

    number = personal.validate_id_number(raw)          # InvalidInput naming the field, no echo
    row_id = tx.conn.execute(buyers.insert().values(name=name)).inserted_primary_key[0]
    masked = personal.store_id_number(tx, buyers, row_id, number)   # encrypts, indexes, masks
    hits = tx.conn.execute(select(buyers).where(personal.matches_id_number(tx, buyers, number)))
    shown = row.id_number_masked                        # "110***********1234" for every view
    clear = personal.reveal_id_number(tx, buyers, row_id, client_id=..., reason="核对名单")

The value is encrypted with AES-256-GCM under the active data key (random 96-bit nonce; the
table, field and row id as associated data, so a ciphertext copied to another row or field
does not decrypt); the key id is stored for rotation; the HMAC-SHA256 blind index (a separate
key) finds exact matches, also across tables (the same person on two lists); the masked form
is what views show. The plaintext is never written to the database, an audit body or an error.
Revealing it needs the ``personal.reveal`` permission and leaves an audit event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, select, update
from sqlalchemy.sql import ColumnElement

from crmcore.domain.personal import is_valid_id_number, mask_id_number, validate_id_number
from crmcore.errors import NotFound
from crmcore.store.personal import PERSONAL_INFO, id_number_columns

if TYPE_CHECKING:
    from crmcore.app import Tx

KIND = "id_number"
REVEAL = "personal.reveal"

__all__ = [
    "REVEAL",
    "blind_index",
    "id_number_columns",
    "is_valid_id_number",
    "mask_id_number",
    "matches_id_number",
    "reencrypt_all",
    "reveal_id_number",
    "store_id_number",
    "validate_id_number",
]


def associated_data(table: Table, field: str, row_id: object) -> str:
    return f"{table.name}.{field}#{row_id}"


def blind_index(tx: Tx, number: str) -> str:
    """The lookup token of a (valid, normalised) ID number."""
    return tx.crm.keyring.blind_index(KIND, number)


def sealed_values(
    tx: Tx, table: Table, row_id: object, value: str | None, field: str
) -> dict[str, Any]:
    """The four column values for ``value`` in row ``row_id`` (all None to clear)."""
    if value is None:
        return dict.fromkeys(
            (f"{field}_cipher", f"{field}_key", f"{field}_index", f"{field}_masked")
        )
    number = validate_id_number(value, field)
    keyring = tx.crm.keyring
    cipher, key_id = keyring.encrypt(number, associated_data(table, field, row_id))
    return {
        f"{field}_cipher": cipher,
        f"{field}_key": key_id,
        f"{field}_index": keyring.blind_index(KIND, number),
        f"{field}_masked": mask_id_number(number),
    }


def store_id_number(
    tx: Tx, table: Table, row_id: object, value: str | None, *, field: str = "id_number"
) -> str | None:
    """Validate, encrypt and index ``value`` into row ``row_id`` of ``table``; the masked form.

    The row must exist (its id is part of the associated data): insert it first, then call
    this in the same transaction.
    """
    values = sealed_values(tx, table, row_id, value, field)
    done = tx.conn.execute(update(table).where(_pk(table) == row_id).values(**values)).rowcount
    if done != 1:
        raise NotFound(f"{table.name}: no row {row_id} to store {field} in")
    return values[f"{field}_masked"]


def matches_id_number(
    tx: Tx, table: Table, value: str, *, field: str = "id_number"
) -> ColumnElement[bool]:
    """A WHERE clause: rows of ``table`` whose ``field`` is exactly ``value`` (blind index)."""
    number = validate_id_number(value, field)
    return table.c[f"{field}_index"] == blind_index(tx, number)


def reveal_id_number(
    tx: Tx,
    table: Table,
    row_id: object,
    *,
    field: str = "id_number",
    client_id: int | None = None,
    reason: str,
) -> str | None:
    """The number in clear, for someone with ``personal.reveal`` who may read the client.

    Leaves a ``personal.reveal`` audit event naming table, row, field and reason (never the
    number).
    """
    from crmcore.errors import InvalidInput
    from crmcore.security import access

    tx.actor.require(REVEAL)
    if not reason or not reason.strip():
        raise InvalidInput("reason", "revealing an ID number needs a reason", rule="CORE-CONF-5")
    if client_id is not None:
        access.client_by_id(tx, client_id)  # PermissionDenied unless the client is readable
    row = tx.conn.execute(
        select(table.c[f"{field}_cipher"], table.c[f"{field}_key"]).where(_pk(table) == row_id)
    ).first()
    if row is None:
        raise NotFound(f"{table.name}: no row {row_id}")
    tx.audit(
        "personal.reveal",
        table.name,
        row_id,
        client_id=client_id,
        detail={"field": field, "reason": reason.strip()},
    )
    if row[0] is None:
        return None
    return tx.crm.keyring.decrypt(row[0], row[1], associated_data(table, field, row_id))


def personal_columns(metadata_tables: Any) -> list[tuple[Table, str]]:
    """Every (table, field) holding an encrypted value, core and plugin tables alike."""
    found = []
    for table in metadata_tables:
        for column in table.columns:
            info = column.info.get(PERSONAL_INFO)
            if info:
                found.append((table, info["field"]))
    return found


def reencrypt_all(tx: Tx) -> dict[str, int]:
    """Move every stored value to the active data key (after ``crm keys rotate``).

    Each value is decrypted with the key it names and encrypted again with a fresh nonce; the
    blind index and masked form do not change. Returns how many values per table.field moved.
    """
    from sqlalchemy import inspect

    from crmcore.store.tables import metadata

    keyring = tx.crm.keyring
    existing = set(inspect(tx.conn).get_table_names())
    moved: dict[str, int] = {}
    for table, field in personal_columns(metadata.tables.values()):
        if table.name not in existing:
            continue
        cipher, key = table.c[f"{field}_cipher"], table.c[f"{field}_key"]
        rows = tx.conn.execute(
            select(_pk(table), cipher, key).where(
                cipher.is_not(None), key != keyring.active_data_key
            )
        ).all()
        for row_id, blob, key_id in rows:
            aad = associated_data(table, field, row_id)
            number = keyring.decrypt(blob, key_id, aad)
            new_blob, new_key = keyring.encrypt(number, aad)
            tx.conn.execute(
                update(table).where(_pk(table) == row_id).values({cipher: new_blob, key: new_key})
            )
        moved[f"{table.name}.{field}"] = len(rows)
    tx.audit("keys.reencrypt", "key", keyring.active_data_key, detail={"moved": moved})
    return moved


def key_usage(tx: Tx) -> dict[str, dict[str, int]]:
    """How many stored values each data key encrypts, per table.field."""
    from sqlalchemy import func, inspect

    from crmcore.store.tables import metadata

    existing = set(inspect(tx.conn).get_table_names())
    usage: dict[str, dict[str, int]] = {}
    for table, field in personal_columns(metadata.tables.values()):
        if table.name not in existing:
            continue
        key = table.c[f"{field}_key"]
        for key_id, n in tx.conn.execute(
            select(key, func.count()).where(key.is_not(None)).group_by(key)
        ):
            usage.setdefault(key_id, {})[f"{table.name}.{field}"] = n
    return usage


def _pk(table: Table) -> Any:
    (column,) = table.primary_key.columns
    return column
