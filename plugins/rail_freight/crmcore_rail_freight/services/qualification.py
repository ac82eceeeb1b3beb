"""RAIL-QUAL-1: record what a client declares and check it against every criterion."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Row

from crmcore import NotFound, Service, Tx, query, use_case
from crmcore.security.access import present

from ..domain.qualification import RULE, Party, QualificationCheck, QualificationFacts, evaluate
from ..tables import qualifications
from .common import (
    ClientRow,
    client,
    logins,
    require_stations,
    station_view,
    stations_by_id,
)

ENTITY = "rail.qualification"


class QualificationService(Service):
    @use_case
    def record(self, tx: Tx, code: str, facts: QualificationFacts) -> QualificationCheck:
        """Record the client's facts (a new version; earlier ones stay) and check them."""
        tx.actor.require("rail.write")
        record = client(tx, code)
        station = require_stations(tx, [("station", facts.station)], RULE)[facts.station]
        facts_id = tx.conn.execute(
            qualifications.insert().values(
                client_id=record.id,
                party=facts.party,
                station_id=station.id,
                year=facts.year,
                annual_tonnage=facts.annual_tonnage,
                annual_freight=facts.annual_freight,
                state_key_enterprise=facts.state_key_enterprise,
                follows_railway_rules=facts.follows_railway_rules,
                owns_goods=facts.owns_goods,
                pays_freight=facts.pays_freight,
                accepts_charter=facts.accepts_charter,
                note=facts.note,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        result = self.assess(tx, record, facts_id)
        tx.audit(
            "rail.qualification.record",
            "rail_qualification",
            facts_id,
            client_id=record.id,
            detail={"qualified": result.qualified, "failed": [c.key for c in result.failed]},
        )
        return self.shown(tx, record, result, action=None)

    @query
    def check(self, tx: Tx, code: str) -> QualificationCheck:
        """The newest facts of the client against the thresholds in force today."""
        record = client(tx, code, action="rail.check")
        return self.shown(tx, record, self.assess(tx, record), action="rail.check")

    def assess(self, tx: Tx, record: ClientRow, facts_id: int | None = None) -> QualificationCheck:
        """The newest facts (or version ``facts_id``) checked today, whole: for the decisions
        of the certificate workflow, never returned to a user as is (see :meth:`shown`)."""
        q = qualifications.c
        stmt = select(qualifications).where(q.client_id == record.id)
        stmt = stmt.where(q.id == facts_id) if facts_id else stmt.order_by(q.id.desc()).limit(1)
        row = tx.conn.execute(stmt).first()
        if row is None:
            raise NotFound(
                f"qualification: nothing recorded for client {record.code} yet (crm rail qualify)",
                rule=RULE,
            )
        return self._check(tx, record, row)

    def shown(
        self, tx: Tx, record: ClientRow, check: QualificationCheck, *, action: str | None
    ) -> QualificationCheck:
        """The check as the actor may see it (field rules on ``rail.qualification``)."""
        return present(tx, check, ENTITY, action=action, client=record, record_id=check.facts_id)

    def _check(self, tx: Tx, record: ClientRow, row: Row[Any]) -> QualificationCheck:
        station = station_view(stations_by_id(tx, [row.station_id])[row.station_id])
        facts = QualificationFacts(
            party=Party(row.party),
            station=station.code,
            year=row.year,
            annual_tonnage=row.annual_tonnage,
            annual_freight=row.annual_freight,
            state_key_enterprise=row.state_key_enterprise,
            follows_railway_rules=row.follows_railway_rules,
            owns_goods=row.owns_goods,
            pays_freight=row.pays_freight,
            accepts_charter=row.accepts_charter,
            note=row.note,
        )
        criteria = evaluate(facts, station, tx.crm.policies.in_force(tx, RULE))
        return QualificationCheck(
            client_code=record.code,
            client_name=record.name,
            qualified=all(c.passed for c in criteria),
            party=facts.party,
            station=station,
            year=row.year,
            recorded_at=row.recorded_at,
            recorded_by=logins(tx, [row.recorded_by])[row.recorded_by],
            facts_id=row.id,
            criteria=criteria,
        )
