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
