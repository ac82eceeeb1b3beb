"""Keys for personal data and audit seals: ``crm keys init|rotate|status`` (CORE-CONF-5).

The key file itself is handled by ``crmcore.security.keys`` (no database needed to create
it); what touches the database, moving values to a new key and recording that keys changed,
is here.
"""

from __future__ import annotations

from attrs import frozen

from crmcore.app import Service, Tx, query, use_case
from crmcore.security import keys, personal


@frozen(kw_only=True)
class KeyStatus:
    path: str
    active_data_key: str
    data_keys: tuple[str, ...]
    active_seal_key: str
    seal_keys: tuple[str, ...]
    usage: dict[str, dict[str, int]]  # data key -> table.field -> values it encrypts


class PersonalDataService(Service):
    @use_case
    def rotate(self, tx: Tx, *, reencrypt: bool = False, seal_key: bool = False) -> KeyStatus:
        """Add a new active data key (and seal key); with ``reencrypt`` move every value to it.

        The key file is changed first; if the database part then fails, the new key is simply
        unused (older keys stay in the file), so nothing becomes unreadable.
        """
        tx.actor.require("keys.admin")
        path = tx.crm.keyring.path
        ring = keys.rotate(path, seal_key=seal_key)
        tx.crm.reload_keys()
        tx.audit(
            "keys.rotate",
            "key",
            ring.active_data_key,
            detail={"data_key": ring.active_data_key, "seal_key": ring.active_seal_key},
        )
        if reencrypt:
            personal.reencrypt_all(tx)
        return self._status(tx)

    @use_case
    def reencrypt(self, tx: Tx) -> dict[str, int]:
        """Move every stored value still under an older key to the active key."""
        tx.actor.require("keys.admin")
        return personal.reencrypt_all(tx)

    @query
    def status(self, tx: Tx) -> KeyStatus:
        tx.actor.require("keys.admin")
        return self._status(tx)

    def _status(self, tx: Tx) -> KeyStatus:
        ring = tx.crm.keyring
        return KeyStatus(
            path=str(ring.path),
            active_data_key=ring.active_data_key,
            data_keys=tuple(sorted(ring.data_keys)),
            active_seal_key=ring.active_seal_key,
            seal_keys=tuple(sorted(ring.seal_keys)),
            usage=personal.key_usage(tx),
        )
