"""Actual loadings of one client and year, summed the ways the rules look at them: by month
(fulfilment), by destination bureau (去向, the direction) and by consignee (收货人)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import func, select

from crmcore import Tx

from ..tables import loadings, stations


@frozen(kw_only=True)
class Actuals:
    year: int
    total: Decimal
    by_month: dict[int, Decimal]
    freight_by_month: dict[int, Decimal]  # only months where freight was given
    by_bureau: dict[str, Decimal]
    by_consignee: dict[tuple[str, str], Decimal]  # (consignee, destination code)
    unnamed: Decimal  # loadings without a consignee

    @property
    def months(self) -> int:
        return len(self.by_month)


def actuals(tx: Tx, client_id: int, year: int) -> Actuals:
    return actuals_of(tx, [client_id], year)[client_id]


def actuals_of(tx: Tx, client_ids: Iterable[int], year: int) -> dict[int, Actuals]:
    """:func:`actuals` of many clients in one query (the list of a year's forms)."""
    wanted = sorted(set(client_ids))
    dest = stations.alias("dest")
    l = loadings.c  # noqa: E741
    rows = tx.conn.execute(
        select(
            l.client_id,
            l.month,
            dest.c.bureau,
            dest.c.code,
            l.consignee,
            func.sum(l.tonnage).label("tonnage"),
            func.sum(l.freight).label("freight"),
        )
        .join(dest, dest.c.id == l.destination_id)
        .where(l.client_id.in_(wanted), l.year == year)
        .group_by(l.client_id, l.month, dest.c.bureau, dest.c.code, l.consignee)
    ).all()
    by_client: dict[int, list[Any]] = defaultdict(list)
    for r in rows:
        by_client[r.client_id].append(r)
    return {i: _summed(year, by_client.get(i, [])) for i in wanted}


def _summed(year: int, rows: Iterable[Any]) -> Actuals:
    by_month: dict[int, Decimal] = defaultdict(Decimal)
    freight: dict[int, Decimal] = defaultdict(Decimal)
    by_bureau: dict[str, Decimal] = defaultdict(Decimal)
    by_consignee: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    unnamed = Decimal(0)
    for r in rows:
        by_month[r.month] += r.tonnage
        if r.freight is not None:
            freight[r.month] += r.freight
        by_bureau[r.bureau] += r.tonnage
        if r.consignee:
            by_consignee[(r.consignee, r.code)] += r.tonnage
        else:
            unnamed += r.tonnage
    return Actuals(
        year=year,
        total=sum(by_month.values(), Decimal(0)),
        by_month=dict(by_month),
        freight_by_month=dict(freight),
        by_bureau=dict(by_bureau),
        by_consignee=dict(by_consignee),
        unnamed=unnamed,
    )
