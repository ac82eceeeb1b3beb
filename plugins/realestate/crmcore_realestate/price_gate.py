"""The price gate (RE-PRICE-5, RE-PRICE-6): the one place that says what average price a
commissioning unit was approved, or that none was (then no unit may be priced or ticketed).

Until the RE-PRICE-5 approval workflow is merged in, the approved average is what
``RealEstateService.record_approved_average`` wrote to ``realestate_approved_prices``; at merge
only :func:`approved_average` changes to read the workflow's result.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from crmcore import Tx
from crmcore_realestate import tables as t


def approved_average(tx: Tx, project_code: str, client_id: int) -> Decimal | None:
    """The approved average price per m² of ``project_code`` for commissioning unit
    ``client_id``, or None while it is not approved."""
    a, p = t.approved_prices.c, t.projects.c
    return tx.conn.execute(
        select(a.average_price)
        .join(t.projects, p.id == a.project_id)
        .where(p.code == project_code, a.client_id == client_id)
    ).scalar_one_or_none()
