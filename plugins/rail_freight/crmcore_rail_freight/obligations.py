"""RAIL-VOL-1 deadlines as obligations, so ``crm tasks`` shows who has to sign next and
``crm obligations`` keeps the on-time record: for every key account (a certificate in force
on the client's filing day) and every client that filed a form, the client files by
10 December, the bureau signs by the 20th, the ministry by the 31st."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial

from sqlalchemy import or_, select

from crmcore import Duty, DutyContext, Obligation
from crmcore.calendar import end_of_day

from .domain.volumes import RULE, Stage, deadline
from .services.common import BUREAU, MINISTRY, clients_by_id, logins
from .tables import certificates, volume_forms, volume_signatures

ROLE = {Stage.BUREAU: BUREAU, Stage.MINISTRY: MINISTRY}
TITLES = {
    Stage.CLIENT: ("Client files its annual volume form", "大客户报送年度运量表"),
    Stage.BUREAU: ("Bureau verifies and reports the annual volume", "铁路局核实上报年度运量"),
    Stage.MINISTRY: ("Ministry signs the annual volume", "铁道部审定年度运量"),
}


def duties(stage: Stage, ctx: DutyContext) -> Iterator[Duty]:
    tx = ctx.tx
    days = ctx.policy(RULE)
    for year in range(ctx.start.year + 1, ctx.end.year + 2):
        due = deadline(year, stage, days)
        filing = deadline(year, Stage.CLIENT, days)
        if not ctx.start <= due <= ctx.end:
            continue
        c = certificates.c
        subjects = set(
            tx.conn.scalars(
                select(c.client_id).where(
                    c.valid_from <= filing,
                    c.valid_until >= filing,
                    or_(c.ended_at.is_(None), c.ended_at > end_of_day(filing)),
                )
            )
        )
        rows = tx.conn.execute(select(volume_forms).where(volume_forms.c.year == year)).all()
        forms = {r.client_id: r.id for r in rows}
        signed_before = {r.id: r.stage for r in rows}  # form -> the last stage signed
        signed = {
            r.form_id: r
            for r in tx.conn.execute(
                select(volume_signatures).where(
                    volume_signatures.c.form_id.in_(list(forms.values()) or [-1]),
                    volume_signatures.c.stage == stage,
                )
            )
        }
        clients = clients_by_id(tx, subjects | set(forms))
        owners = logins(tx, [r.owner_id for r in clients.values()])
        for client_id, record in sorted(clients.items(), key=lambda i: i[1].code):
            owner = owners.get(record.owner_id) if record.owner_id else None
            signature = signed.get(forms.get(client_id, -1))
            done: datetime | None = None
            if signature is not None:
                done = min(signature.recorded_at, end_of_day(signature.signed_on))
            waiting = ""
            if signature is None and stage is not Stage.CLIENT:
                previous = signed_before.get(forms.get(client_id, -1))
                if previous != stage.previous:
                    waiting = f" (waiting for the {stage.previous})"
            yield Duty(
                obligation=f"{RULE}.{stage.value}",
                subject=f"{record.code}/{year}",
                due_at=end_of_day(signature.deadline if signature is not None else due),
                done_at=done,
                client_code=record.code,
                assignee=owner if stage is Stage.CLIENT else None,
                role=ROLE.get(stage, None if owner else "account_manager"),
                period=str(year),
                detail=f"annual volume form for {year}{waiting}",
            )


def obligations() -> list[Obligation]:
    return [
        Obligation(
            f"{RULE}.{stage.value}",
            TITLES[stage][0],
            partial(duties, stage),
            title_zh=TITLES[stage][1],
        )
        for stage in Stage
    ]
