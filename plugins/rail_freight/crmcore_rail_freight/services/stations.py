"""The station register: load it from a file, read it (RAIL-QUAL-1 item 4)."""

from __future__ import annotations

from collections.abc import Sequence

from attrs import frozen
from sqlalchemy import select, update

from crmcore import InvalidInput, NotFound, Service, Tx, query, use_case

from ..domain import stations as domain
from ..domain.stations import Station
from ..tables import station_history, stations
from .common import station_view


@frozen(kw_only=True)
class LoadResult:
    added: tuple[str, ...]
    changed: tuple[str, ...]
    unchanged: int


class StationService(Service):
    @use_case
    def load(self, tx: Tx, register: Sequence[Station]) -> LoadResult:
        """Add new stations and update changed ones; stations the file leaves out stay.

        A change keeps the previous values in the station's history.
        """
        tx.actor.require("rail.admin")
        if not register:
            raise InvalidInput("stations", "lists no stations", rule="RAIL-QUAL-1")
        codes = [s.code for s in register]
        if len(set(codes)) != len(codes):
            twice = next(c for c in codes if codes.count(c) > 1)
            raise InvalidInput("code", f"{twice} is listed twice", rule="RAIL-QUAL-1")
        existing = {
            r.code: r for r in tx.conn.execute(select(stations).where(stations.c.code.in_(codes)))
        }
        added: list[str] = []
        changed: list[str] = []
        for station in register:
            values = {
                "name": station.name,
                "bureau": station.bureau,
                **{flag: getattr(station, flag) for flag in domain.FLAGS},
            }
            row = existing.get(station.code)
            if row is None:
                tx.conn.execute(
                    stations.insert().values(
                        code=station.code,
                        **values,
                        version=1,
                        updated_at=tx.now,
                        updated_by=tx.actor.user_id,
                    )
                )
                added.append(station.code)
                continue
            diff = domain.changes(station_view(row), station)
            if not diff:
                continue
            tx.conn.execute(
                update(stations)
                .where(stations.c.id == row.id)
                .values(
                    **values,
                    version=row.version + 1,
                    updated_at=tx.now,
                    updated_by=tx.actor.user_id,
                )
            )
            tx.conn.execute(
                station_history.insert().values(
                    station_id=row.id,
                    version=row.version + 1,
                    changes=diff,
                    changed_at=tx.now,
                    changed_by=tx.actor.user_id,
                )
            )
            changed.append(station.code)
        tx.audit(
            "rail.station.load",
            "rail_station",
            None,
            detail={"added": len(added), "changed": changed, "listed": len(codes)},
        )
        return LoadResult(
            added=tuple(added),
            changed=tuple(changed),
            unchanged=len(codes) - len(added) - len(changed),
        )

    @query
    def get(self, tx: Tx, code: str) -> Station:
        tx.actor.require("rail.read")
        row = tx.conn.execute(
            select(stations).where(stations.c.code == domain.station_code(code))
        ).first()
        if row is None:
            raise NotFound(f"station: unknown station code {code!r}", rule="RAIL-QUAL-1")
        return station_view(row)

    @query
    def list(self, tx: Tx, *, bureau: str | None = None) -> list[Station]:
        tx.actor.require("rail.read")
        stmt = select(stations).order_by(stations.c.bureau, stations.c.code)
        if bureau:
            stmt = stmt.where(stations.c.bureau == bureau.strip())
        return [station_view(r) for r in tx.conn.execute(stmt)]
