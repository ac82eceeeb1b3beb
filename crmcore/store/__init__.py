"""Storage: SQLAlchemy tables, engine setup, migrations.

Plugins define their tables on :data:`metadata` so foreign keys to core tables resolve, and use
the column types here so money and time are stored the same way on SQLite and PostgreSQL.
"""

from crmcore.store.tables import metadata
from crmcore.store.types import ExactDecimal, JsonDict, Money, UTCDateTime

__all__ = ["ExactDecimal", "JsonDict", "Money", "UTCDateTime", "metadata"]
