"""Column types that keep money exact and time aware on both backends.

SQLite has no decimal type: its NUMERIC affinity stores a REAL, i.e. a float. Money must never
be a float, so on SQLite an exact decimal is stored as a scaled integer (fen for CNY); on
PostgreSQL it is a real NUMERIC. SQLAlchemy applies the conversion to expressions too, so
``func.sum(col)`` and ``col > Decimal("5000000")`` work the same on both.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Dialect, Numeric, TypeDecorator
from sqlalchemy.types import DateTime, TypeEngine


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal with a fixed number of places, stored exactly on every backend."""

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int = 2, precision: int = 18) -> None:
        super().__init__()
        self.scale = scale
        self.precision = precision
        self._quantum = Decimal(1).scaleb(-scale)
        self._factor = Decimal(10) ** scale

    def __repr__(self) -> str:
        # Alembic autogenerate writes this into migrations: keep the scale, or a column of
        # tonnes (scale 3) silently becomes NUMERIC(18, 2) on PostgreSQL.
        if type(self) is not ExactDecimal:
            return f"{type(self).__name__}()"
        return f"ExactDecimal(scale={self.scale}, precision={self.precision})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("exact decimal columns refuse float values; pass a Decimal")
        exact = Decimal(value).quantize(self._quantum)
        return int(exact * self._factor) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return (Decimal(int(value)) / self._factor).quantize(self._quantum)
        return Decimal(value).quantize(self._quantum)


class Money(ExactDecimal):
    """CNY with two places (yuan and fen)."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(scale=2, precision=18)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC; naive values are refused rather than guessed."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(DateTime(timezone=dialect.name != "sqlite"))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise TypeError("naive datetime: crmcore stores aware times only")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JsonDocument(TypeDecorator[Any]):
    """JSON everywhere, JSONB on PostgreSQL (its dialect is imported only when used)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(JSON())


JsonDict = JsonDocument()
