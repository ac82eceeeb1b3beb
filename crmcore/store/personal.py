"""Columns that hold one encrypted personal value (CORE-CONF-5), for core and plugin tables.

``*id_number_columns("id_number")`` in a ``Table(...)`` adds four columns:

- ``id_number_cipher``: nonce || AES-256-GCM ciphertext and tag (never the plaintext);
- ``id_number_key``: the id of the data key that encrypted it (for rotation);
- ``id_number_index``: HMAC-SHA256 blind index for exact lookups (indexed);
- ``id_number_masked``: the display form ``110***********1234``.

Fill and read them with :mod:`crmcore.security.personal`, never directly. The cipher column
carries ``info["crm_personal"]`` so ``crm keys rotate --reencrypt`` finds every such column in
every table, plugins' included, without a registry to forget.
"""

from __future__ import annotations

from sqlalchemy import Column, LargeBinary, String

PERSONAL_INFO = "crm_personal"


def id_number_columns(name: str = "id_number") -> list[Column[object]]:
    return [
        Column(f"{name}_cipher", LargeBinary, info={PERSONAL_INFO: {"field": name}}),
        Column(f"{name}_key", String(16)),
        Column(f"{name}_index", String(64), index=True),
        Column(f"{name}_masked", String(18)),
    ]
