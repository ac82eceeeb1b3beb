"""Products and their internal control prices (内控价, DIST-PRICE-1), dated."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from crmcore import (
    Conflict,
    InvalidInput,
    Tx,
    query,
    use_case,
)
from crmcore_distribution import domain
from crmcore_distribution import tables as d
from crmcore_distribution.base import (
    Base,
)
from crmcore_distribution.views import (
    ProductView,
)


class Catalogue(Base):
    """Products and control prices."""

    # -- products and control prices -------------------------------------------------------------

    @use_case
    def add_product(
        self,
        tx: Tx,
        code: str,
        name: str,
        control_price: Any,
        *,
        unit: str = "件",
        effective_from: date | None = None,
    ) -> ProductView:
        tx.actor.require("distribution.manage")
        line = domain.parse_line(1, {"product": code, "quantity": "1", "unit_price": control_price})
        if not name or not name.strip() or len(name) > 200:
            raise InvalidInput("name", "a product needs a name of at most 200 characters")
        if tx.conn.scalar(select(d.products.c.id).where(d.products.c.code == line.product)):
            raise Conflict(f"product {line.product} already exists")
        product_id = tx.conn.execute(
            d.products.insert().values(
                code=line.product,
                name=name.strip(),
                unit=(unit or "件").strip()[:20],
                created_at=tx.now,
                created_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        self._price(tx, product_id, line.unit_price, effective_from, "new product")
        tx.audit("distribution.product", "product", line.product)
        return self._product_view(tx, line.product, effective_from or self._today(tx))

    @use_case
    def set_control_price(
        self,
        tx: Tx,
        code: str,
        price: Any,
        *,
        effective_from: date | None = None,
        reason: str | None = None,
    ) -> ProductView:
        """A new internal control price (内控价) from a date (today or later); the old one
        stays for orders placed before it."""
        tx.actor.require("distribution.manage")
        product = self._product(tx, code)
        value = domain.amount("price", price, positive=True, rule="DIST-PRICE-1")
        self._price(tx, product.id, value, effective_from, reason)
        tx.audit("distribution.control_price", "product", code)
        return self._product_view(tx, code, effective_from or self._today(tx))

    @query
    def products(self, tx: Tx, *, on: date | None = None) -> list[ProductView]:
        self._read(tx)
        day = on or self._today(tx)
        codes = tx.conn.scalars(select(d.products.c.code).order_by(d.products.c.code)).all()
        return [self._product_view(tx, code, day) for code in codes]

    def _product(self, tx: Tx, code: str, *, field: str = "product") -> Row[Any]:
        row = tx.conn.execute(select(d.products).where(d.products.c.code == code)).first()
        if row is None:
            raise InvalidInput(field, f"unknown product {code!r}")
        return row

    def _control_price(self, tx: Tx, product: Row[Any], day: date) -> Decimal:
        c = d.control_prices.c
        price = tx.conn.scalar(
            select(c.price)
            .where(c.product_id == product.id, c.effective_from <= day)
            .order_by(c.effective_from.desc(), c.id.desc())
            .limit(1)
        )
        if price is None:
            raise Conflict(
                f"product {product.code} has no control price on {day}", rule="DIST-PRICE-1"
            )
        return price

    def _price(
        self,
        tx: Tx,
        product_id: int,
        price: Decimal,
        effective_from: date | None,
        reason: str | None,
    ) -> None:
        today = self._today(tx)
        start = effective_from or today
        if start < today:
            raise InvalidInput(
                "from",
                f"{start} is in the past: a control price applies to new orders only",
                rule="DIST-PRICE-1",
            )
        tx.conn.execute(
            d.control_prices.insert().values(
                product_id=product_id,
                price=price,
                effective_from=start,
                set_at=tx.now,
                set_by=tx.actor.user_id,
                reason=reason,
            )
        )

    def _product_view(self, tx: Tx, code: str, day: date) -> ProductView:
        row = self._product(tx, code)
        c = d.control_prices.c
        price = tx.conn.execute(
            select(c.price, c.effective_from)
            .where(c.product_id == row.id, c.effective_from <= day)
            .order_by(c.effective_from.desc(), c.id.desc())
            .limit(1)
        ).first()
        return ProductView(
            code=row.code,
            name=row.name,
            unit=row.unit,
            control_price=price.price if price else None,
            since=price.effective_from if price else None,
        )
