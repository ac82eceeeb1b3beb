"""The key file: secrets that must never be inside the database (CORE-CONF-5, CORE-CONF-2).

One JSON file (mode 0600), found by ``crmcore.settings.key_file_path()``, holds three kinds of
key, each 256 random bits:

- **data keys** (AES-256-GCM) that encrypt personal data at rest. Each has an id stored next to
  every ciphertext, so ``crm keys rotate`` adds a new active key without making older values
  unreadable, and ``crm keys rotate --reencrypt`` moves every value to the new key.
- the **blind-index key** (HMAC-SHA256) that turns an ID number into a lookup token. A plain
  hash would not do: there are only about 2.5e11 valid ID numbers, so anyone with the database
  could hash them all. It is never rotated, because the token must stay stable for lookups
  and for finding the same person on two lists (RE-LIST-1).
- **seal keys** (HMAC-SHA256) that seal each audit event. Anyone who can write the database
  file can recompute a plain SHA-256 chain after editing it; without the seal key they cannot
  forge the seals, so ``crm audit verify`` names the first event that was touched.

Lose this file and encrypted values and seals cannot be checked: back it up apart from the
database (docs/security.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from attrs import frozen

from crmcore.errors import Conflict, CrmError, NotInitialised

FORMAT = "crmcore-keys/1"
KEY_BYTES = 32


class KeyFileError(CrmError):
    """The key file exists but cannot be used (damaged, wrong format, a key id missing)."""

    exit_code = 8


@frozen
class KeyRing:
    path: Path
    data_keys: dict[str, bytes]
    active_data_key: str
    index_key: bytes
    seal_keys: dict[str, bytes]
    active_seal_key: str

    # -- encryption at rest ---------------------------------------------------------------------

    def encrypt(self, plaintext: str, associated_data: str) -> tuple[bytes, str]:
        """``(nonce || ciphertext+tag, key id)`` with a fresh random 96-bit nonce."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        nonce = os.urandom(12)
        key = self.data_keys[self.active_data_key]
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), associated_data.encode())
        return nonce + sealed, self.active_data_key

    def decrypt(self, blob: bytes, key_id: str, associated_data: str) -> str:
        """The plaintext; a value moved to another row or field fails (associated data)."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key = self.data_keys.get(key_id)
        if key is None:
            raise KeyFileError(f"key file {self.path} has no data key {key_id!r}")
        try:
            plain = AESGCM(key).decrypt(
                bytes(blob[:12]), bytes(blob[12:]), associated_data.encode()
            )
        except InvalidTag:
            raise KeyFileError(
                f"a stored value does not decrypt for {associated_data}: it was altered or "
                "moved from another row"
            ) from None
        return plain.decode()

    def blind_index(self, kind: str, value: str) -> str:
        """A stable lookup token for ``value`` of ``kind`` (e.g. ``id_number``)."""
        return hmac.new(self.index_key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()

    # -- audit seals ----------------------------------------------------------------------------

    def seal(self, chain_hash: str) -> str:
        kid = self.active_seal_key
        return f"{kid}:{_mac(self.seal_keys[kid], chain_hash)}"

    def check_seal(self, chain_hash: str, seal: str) -> bool | None:
        """True or False; None when the seal names a key this file does not hold."""
        kid, _, mac = seal.partition(":")
        key = self.seal_keys.get(kid)
        if key is None:
            return None
        return hmac.compare_digest(_mac(key, chain_hash), mac)


def _mac(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _unb64(text: str) -> bytes:
    raw = base64.b64decode(text)
    if len(raw) != KEY_BYTES:
        raise ValueError("a key must be 32 bytes")
    return raw


def load(path: Path) -> KeyRing:
    if not path.exists():
        raise NotInitialised(
            f"no key file at {path}: run `crm keys init` (or set CRM_KEY_FILE)", rule="CORE-CONF-5"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("format") != FORMAT:
            raise ValueError(f"format is {doc.get('format')!r}, expected {FORMAT!r}")
        return KeyRing(
            path=path,
            data_keys={k: _unb64(v["key"]) for k, v in doc["data_keys"].items()},
            active_data_key=doc["active_data_key"],
            index_key=_unb64(doc["index_key"]),
            seal_keys={k: _unb64(v["key"]) for k, v in doc["seal_keys"].items()},
            active_seal_key=doc["active_seal_key"],
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise KeyFileError(f"key file {path} is not usable: {exc}") from None


def create(path: Path) -> KeyRing:
    """Write a new key file; refuse to overwrite one (that would orphan encrypted data)."""
    if path.exists():
        raise Conflict(f"key file {path} already exists; `crm keys rotate` adds a key")
    now = datetime.now(UTC).isoformat()
    doc = {
        "format": FORMAT,
        "created_at": now,
        "data_keys": {"d1": {"key": _b64(secrets.token_bytes(KEY_BYTES)), "created_at": now}},
        "active_data_key": "d1",
        "index_key": _b64(secrets.token_bytes(KEY_BYTES)),
        "seal_keys": {"s1": {"key": _b64(secrets.token_bytes(KEY_BYTES)), "created_at": now}},
        "active_seal_key": "s1",
    }
    _write(path, doc, new=True)
    return load(path)


def ensure(path: Path) -> bool:
    """Create the key file unless it exists; True when it was created now."""
    if path.exists():
        return False
    create(path)
    return True


def rotate(path: Path, *, seal_key: bool = False) -> KeyRing:
    """Add a new data key (and optionally a new seal key) and make it active; keep the old."""
    load(path)  # refuse a damaged file before touching it
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    now = datetime.now(UTC).isoformat()
    kinds = [("data_keys", "active_data_key", "d")]
    if seal_key:
        kinds.append(("seal_keys", "active_seal_key", "s"))
    for keys, active, prefix in kinds:
        number = 1 + max(int(k[1:]) for k in doc[keys])
        kid = f"{prefix}{number}"
        doc[keys][kid] = {"key": _b64(secrets.token_bytes(KEY_BYTES)), "created_at": now}
        doc[active] = kid
    _write(path, doc, new=False)
    return load(path)


def _write(path: Path, doc: dict[str, Any], *, new: bool) -> None:
    """Atomically, readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(doc, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    if new and path.exists():
        tmp.unlink()
        raise Conflict(f"key file {path} already exists")
    os.replace(tmp, path)
