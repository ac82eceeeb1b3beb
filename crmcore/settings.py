"""Where the database is.

Kept free of heavy imports: the CLI resolves the URL before it knows whether it needs
SQLAlchemy at all (``crm --help`` must stay fast).
"""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "CRM_DATABASE_URL"


def default_database_path() -> Path:
    """The embedded SQLite file: ``$XDG_DATA_HOME/crmcore/crm.db`` (``~/.local/share/...``)."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "crmcore" / "crm.db"


def database_url(given: str | None = None) -> str:
    """``--db`` wins, then ``CRM_DATABASE_URL``, then the default SQLite file.

    A bare path is accepted as a SQLite file, because that is what admins type.
    """
    value = given or os.environ.get(DATABASE_URL_ENV) or str(default_database_path())
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


KEY_FILE_ENV = "CRM_KEY_FILE"
CHECKPOINT_ENV = "CRM_AUDIT_CHECKPOINT"
STATE_DIR_ENV = "CRM_STATE_DIR"


def key_file_path() -> Path:
    """The key file (AES data keys, blind-index key, audit seal key), outside the database.

    ``CRM_KEY_FILE`` wins; the default is ``$XDG_CONFIG_HOME/crmcore/keys.json``
    (``~/.config/crmcore/keys.json``): in the user's configuration, not beside the database,
    so a copied database file or dump holds no key.
    """
    given = os.environ.get(KEY_FILE_ENV)
    if given:
        return Path(given).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "crmcore" / "keys.json"


def checkpoint_path(url: str) -> Path:
    """Where the audit chain's head is checkpointed, outside the database (CORE-CONF-2).

    ``CRM_AUDIT_CHECKPOINT`` wins (put it where the database's own users cannot write, e.g. a
    write-once share). Otherwise an SQLite database gets ``<file>.checkpoint`` beside it and a
    server database ``$CRM_STATE_DIR/<host>-<port>-<db>.checkpoint`` (default
    ``$XDG_STATE_HOME/crmcore``, i.e. ``~/.local/state/crmcore``).
    """
    given = os.environ.get(CHECKPOINT_ENV)
    if given:
        return Path(given).expanduser()
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return Path(parsed.database + ".checkpoint")
    state = os.environ.get(STATE_DIR_ENV) or (
        Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "crmcore"
    )
    name = f"{parsed.host or 'local'}-{parsed.port or 'default'}-{parsed.database}"
    return Path(state) / f"{name}.checkpoint"
