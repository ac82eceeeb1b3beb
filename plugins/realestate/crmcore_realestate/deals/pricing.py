"""Pricing a commissioning unit's flats (RE-PRICE-1..6).

The cost department records a project's unit cost and sales its retail reference price, each a
dated new version (RE-PRICE-5: 成本部提供单位成本, 销售部提供散售参考价). The key-account
department then writes a price analysis: the project stage (RE-PRICE-1), the comparable nearby
price and its blind reference (80%), the latest recorded unit cost and its experience-based
reference (+30%) (RE-PRICE-2), the latest retail reference, the meeting's average
price and the payment ratio (at least 50%, RE-PRICE-3), and the resources exchanged for a
discount (at most 70% of the assessed value of future benefits, RE-PRICE-4). It is approved
through the five-step chain once per commissioning unit (RE-PRICE-5); until then nobody may
quote a price, and the cost and the unapproved average are secret fields (RE-PRICE-6).

Other parts of the plugin ask :func:`approved_average` (the ticket price gate).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
from sqlalchemy import func, select
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError

from crmcore import Conflict, NotFound, PermissionDenied, Tx
from crmcore.app import Service, query, use_case
from crmcore.policies import value_of
from crmcore.security import access

from . import common, domain
from .domain import (
    Exchange,
    NewExchange,
    NewPriceAnalysis,
    NewPriceInput,
    PriceAnalysis,
    PriceInput,
    PriceInputKind,
    Quote,
    Stage,
)
from .roles import ANALYSIS, COST_INPUT, PRICE_INPUT, READ, RETAIL_INPUT, WRITE
from .tables import approved_prices, exchanges, price_analyses, price_inputs
from .workflows import PRICE


def approved_average(tx: Tx, project_code: str, client_id: int) -> Decimal | None:
    """The approved average price per m² of ``project_code`` for the commissioning unit with
    client id ``client_id``; None until its RE-PRICE-5 chain has completed.

    The price gate of tickets (RE-TICKET-1, a price below the approved one) calls this in its
    own transaction; no permission is checked and nothing is recorded: it is a fact other
    rules decide with, not a door.
    """
    a = approved_prices.c
    return tx.conn.scalar(
        select(a.average_price).where(a.project_code == project_code, a.client_id == client_id)
    )


def approved_price_row(
    tx: Tx,
    *,
    analysis_id: int | None = None,
    project_code: str | None = None,
    client_id: int | None = None,
) -> Row[Any] | None:
    """The approved price of the unit an analysis (or a project and client) is about."""
    if analysis_id is not None:
        analysis = _analysis_row(tx, analysis_id)
        project_code, client_id = analysis.project_code, analysis.client_id
    a = approved_prices.c
    return tx.conn.execute(
        select(approved_prices).where(a.project_code == project_code, a.client_id == client_id)
    ).first()


def record_approval(tx: Tx, analysis_id: int) -> None:
    """The chairman approved: write the average price, once per unit (the unique index keeps
    it so if two chains race to the end)."""
    row = _analysis_row(tx, analysis_id)
    if approved_price_row(tx, analysis_id=analysis_id) is not None:
        raise _second_approval(row.project_code, row.client_id, tx)
    try:  # a failed insert aborts the transaction: the whole approval rolls back
        tx.conn.execute(
            approved_prices.insert().values(
                project_code=row.project_code,
                client_id=row.client_id,
                analysis_id=row.id,
                average_price=row.average_price,
                payment_ratio=row.payment_ratio,
                approved_at=tx.now,
            )
        )
    except IntegrityError:
        raise _second_approval(row.project_code, row.client_id, tx) from None
    tx.audit(
        "realestate.deal.price_approved",
        ANALYSIS,
        row.id,
        client_id=row.client_id,
        detail={"project": row.project_code, "fields": ["average_price", "payment_ratio"]},
    )


def _second_approval(project_code: str, client_id: int, tx: Tx) -> Conflict:
    code = tx.conn.scalar(select(common.clients.c.code).where(common.clients.c.id == client_id))
    return Conflict(
        f"commissioning unit {code} already has an approved average price for project "
        f"{project_code}; one approval per commissioning unit",
        rule="RE-PRICE-5",
    )


def _analysis_row(tx: Tx, analysis_id: int) -> Row[Any]:
    """The analysis with the versions of the department inputs it used (RE-PRICE-5)."""
    cost, retail = price_inputs.alias("cost_input"), price_inputs.alias("retail_input")
    a = price_analyses.c
    row = tx.conn.execute(
        select(
            price_analyses,
            cost.c.version.label("unit_cost_version"),
            retail.c.version.label("retail_reference_version"),
        )
        .outerjoin(cost, cost.c.id == a.cost_input_id)
        .outerjoin(retail, retail.c.id == a.retail_input_id)
        .where(a.id == analysis_id)
    ).first()
    if row is None:
        raise NotFound(f"analysis: unknown price analysis {analysis_id}")
    return row


#: who records which input (RE-PRICE-5), and the command that records it
_INPUT_SOURCES = {
    PriceInputKind.UNIT_COST: (COST_INPUT, "the cost department", "crm realestate price cost"),
    PriceInputKind.RETAIL_REFERENCE: (RETAIL_INPUT, "sales", "crm realestate price retail"),
}


def _latest_input(tx: Tx, project_code: str, kind: PriceInputKind) -> Row[Any]:
    """The newest version of a department's input; refused, naming it, when there is none."""
    p = price_inputs.c
    row = tx.conn.execute(
        select(price_inputs)
        .where(p.project_code == project_code, p.kind == kind.value)
        .order_by(p.version.desc())
        .limit(1)
    ).first()
    if row is None:
        _, department, command = _INPUT_SOURCES[kind]
        raise Conflict(
            f"{kind.value}: project {project_code} has no {kind.value.replace('_', ' ')} from "
            f"{department}; a price analysis needs it ({command} {project_code} VALUE)",
            rule="RE-PRICE-5",
        )
    return row


class PricingService(Service):
    @use_case
    def record_input(self, tx: Tx, new: NewPriceInput) -> PriceInput:
        """Record the cost department's unit cost or sales' retail reference for a project
        (RE-PRICE-5), by someone holding that department's permission: a new version, never an
        edit; later analyses use the newest."""
        permission, department, _ = _INPUT_SOURCES[new.kind]
        if not tx.actor.can(permission):
            raise PermissionDenied(
                f"{new.kind.value}: only {department} records it (permission {permission}); "
                f"{tx.actor.login} lacks it",
                rule="RE-PRICE-5",
            )
        access.check_write(tx, PRICE_INPUT, ["value", "note"], new)
        p = price_inputs.c
        latest = tx.conn.scalar(
            select(func.max(p.version)).where(
                p.project_code == new.project_code, p.kind == new.kind.value
            )
        )
        try:  # the unique version index refuses a second writer of the same version
            input_id = tx.conn.execute(
                price_inputs.insert().values(
                    project_code=new.project_code,
                    kind=new.kind.value,
                    version=(latest or 0) + 1,
                    value=new.value,
                    note=new.note,
                    recorded_at=tx.now,
                    recorded_by=tx.actor.user_id,
                )
            ).inserted_primary_key[0]
        except IntegrityError:
            raise Conflict(
                f"{new.kind.value}: another {new.kind.value.replace('_', ' ')} of project "
                f"{new.project_code} was recorded at the same time; look and try again",
                rule="RE-PRICE-5",
            ) from None
        tx.audit(
            "realestate.deal.price_input",
            PRICE_INPUT,
            input_id,
            detail={
                "project": new.project_code,
                "kind": new.kind.value,
                "version": (latest or 0) + 1,
                "fields": ["value", "note"],
            },
        )
        return self._inputs(tx, None, input_id=input_id)[0]

    @query
    def inputs(self, tx: Tx, project_code: str) -> list[PriceInput]:
        """Every version of the project's RE-PRICE-5 inputs, oldest first; a unit cost's value
        and note are masked for those not cleared (RE-PRICE-6)."""
        tx.actor.require(READ)
        return self._inputs(tx, "realestate.deal.price.inputs", project_code=project_code)

    def _inputs(
        self,
        tx: Tx,
        action: str | None,
        *,
        project_code: str | None = None,
        input_id: int | None = None,
    ) -> list[PriceInput]:
        p = price_inputs.c
        where = p.id == input_id if input_id is not None else p.project_code == project_code
        rows = tx.conn.execute(select(price_inputs).where(where).order_by(p.kind, p.version)).all()
        who = common.logins(tx, (r.recorded_by for r in rows))
        return [
            access.present(
                tx,
                PriceInput(
                    id=r.id,
                    project_code=r.project_code,
                    kind=r.kind,
                    version=r.version,
                    value=r.value,
                    note=r.note,
                    recorded_by=who[r.recorded_by],
                    recorded_at=r.recorded_at,
                ),
                PRICE_INPUT,
                action=action,
            )
            for r in rows
        ]

    @use_case
    def analyse(self, tx: Tx, new: NewPriceAnalysis) -> PriceAnalysis:
        """Record a price analysis (a draft) from the project's latest unit cost and retail
        reference (RE-PRICE-5; refused while either is missing), with its RE-PRICE-2
        references computed."""
        client = access.client_for_write(tx, new.client_code, WRITE)
        access.check_write(tx, ANALYSIS, ["unit_cost", "average_price"])
        new.check_payment_ratio(tx.crm.policies.in_force(tx, "RE-PRICE-3"))
        cost = _latest_input(tx, new.project_code, PriceInputKind.UNIT_COST)
        retail = _latest_input(tx, new.project_code, PriceInputKind.RETAIL_REFERENCE)
        policy = tx.crm.policies.in_force(tx, "RE-PRICE-2")
        blind, cost_plus = domain.references(new.comparable_price, cost.value, policy)
        analysis_id = tx.conn.execute(
            price_analyses.insert().values(
                project_code=new.project_code,
                client_id=client.id,
                stage=new.stage.value,
                comparable_price=new.comparable_price,
                unit_cost=cost.value,
                retail_reference=retail.value,
                cost_input_id=cost.id,
                retail_input_id=retail.id,
                blind_reference=blind,
                cost_plus_reference=cost_plus,
                references_policy=value_of(policy),
                average_price=new.average_price,
                payment_ratio=new.payment_ratio,
                notes=new.notes,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        tx.audit(
            "realestate.deal.price_analysis",
            ANALYSIS,
            analysis_id,
            client_id=client.id,
            detail={
                "project": new.project_code,
                "stage": new.stage.value,
                "inputs": {"unit_cost": cost.version, "retail_reference": retail.version},
                "fields": ["unit_cost", "retail_reference", "average_price", "payment_ratio"],
            },
        )
        return self._view(tx, analysis_id, None)

    @use_case
    def add_exchange(self, tx: Tx, analysis_id: int, new: NewExchange) -> PriceAnalysis:
        """Attach a resource exchanged for a discount to a draft analysis (RE-PRICE-4)."""
        tx.actor.require(WRITE)
        row = _analysis_row(tx, analysis_id)
        access.client_by_id(tx, row.client_id)
        if row.workflow_id is not None:
            raise Conflict(
                f"analysis {analysis_id} is no longer a draft; record a new analysis",
                rule="RE-PRICE-5",
            )
        policy = tx.crm.policies.in_force(tx, "RE-PRICE-4")
        new.check(policy)
        share = policy.future_cap if new.timing == "future" else policy.received_cap
        exchange_id = tx.conn.execute(
            exchanges.insert().values(
                analysis_id=analysis_id,
                description=new.description,
                timing=new.timing,
                assessed_value=new.assessed_value,
                discount=new.discount,
                cap=(new.assessed_value * share / 100).quantize(domain.CENT),
                risk_assessment=new.risk_assessment,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        tx.audit(
            "realestate.deal.exchange",
            "realestate.deal_exchange",
            exchange_id,
            client_id=row.client_id,
            detail={"analysis": analysis_id, "timing": new.timing},
        )
        return self._view(tx, analysis_id, None)

    @use_case
    def submit(self, tx: Tx, analysis_id: int, *, comment: str | None = None) -> PriceAnalysis:
        """Send a draft analysis up the RE-PRICE-5 chain; refused when the unit has an approved
        average price already or another analysis of it is in approval."""
        tx.actor.require(WRITE)
        row = _analysis_row(tx, analysis_id)
        client = access.client_by_id(tx, row.client_id)
        if row.workflow_id is not None:
            raise Conflict(f"analysis {analysis_id} was submitted already", rule="RE-PRICE-5")
        if approved_price_row(tx, analysis_id=analysis_id) is not None:
            raise _second_approval(row.project_code, row.client_id, tx)
        a = price_analyses.c
        others = tx.conn.scalars(
            select(a.workflow_id).where(
                a.project_code == row.project_code,
                a.client_id == row.client_id,
                a.workflow_id.is_not(None),
            )
        ).all()
        if any(
            common.status_of(s, draft="draft") == "submitted"
            for s in common.workflow_states(tx, others).values()
        ):
            raise Conflict(
                f"another price analysis of {client.code} for project {row.project_code} is in "
                "approval; withdraw it first",
                rule="RE-PRICE-5",
            )
        domain.check_payment_ratio(row.payment_ratio, tx.crm.policies.in_force(tx, "RE-PRICE-3"))
        instance = tx.crm.workflows.start(
            tx,
            PRICE,
            client.code,
            entity_type=ANALYSIS,
            entity_id=analysis_id,
            data={"analysis_id": analysis_id, "project": row.project_code},
            comment=comment,
        )
        tx.conn.execute(
            price_analyses.update().where(a.id == analysis_id).values(workflow_id=instance.id)
        )
        return self._view(tx, analysis_id, None)

    @use_case
    def decide(
        self, tx: Tx, analysis_id: int, *, approve: bool, comment: str | None = None
    ) -> PriceAnalysis:
        """The next approver of the chain approves or rejects (RE-PRICE-5)."""
        row = _analysis_row(tx, analysis_id)
        if row.workflow_id is None:
            raise Conflict(f"analysis {analysis_id} is a draft: submit it first", rule="RE-PRICE-5")
        common.decide(tx, row.workflow_id, approve=approve, comment=comment)
        return self._view(tx, analysis_id, None)

    @query
    def get(self, tx: Tx, analysis_id: int) -> PriceAnalysis:
        tx.actor.require(READ)
        return self._view(tx, analysis_id, "realestate.deal.price.show")

    @query
    def list(self, tx: Tx, project_code: str) -> list[PriceAnalysis]:
        tx.actor.require(READ)
        ids = common.readable_ids(tx, price_analyses, project_code)
        return [self._view(tx, i, "realestate.deal.price.list") for i in ids]

    @query
    def quote(self, tx: Tx, project_code: str, client_code: str) -> Quote:
        """The approved average price and payment ratio, the only price that may be told to
        the commissioning unit; refused before approval (RE-PRICE-6)."""
        tx.actor.require(READ)
        client = access.client_for_read(tx, client_code, action="realestate.deal.price.quote")
        row = approved_price_row(tx, project_code=project_code, client_id=client.id)
        if row is None:
            raise Conflict(
                f"price: no average price is approved for {client_code} in project "
                f"{project_code}; nothing may be quoted before approval",
                rule="RE-PRICE-6",
            )
        return Quote(
            project_code=project_code,
            client_code=client.code,
            average_price=row.average_price,
            payment_ratio=row.payment_ratio,
            approved_at=row.approved_at,
        )

    def _view(self, tx: Tx, analysis_id: int, action: str | None) -> PriceAnalysis:
        row = _analysis_row(tx, analysis_id)
        client = access.client_by_id(tx, row.client_id)
        state = common.workflow_states(tx, [row.workflow_id]).get(row.workflow_id)
        items = tuple(
            Exchange(
                id=e.id,
                description=e.description,
                timing=e.timing,
                assessed_value=e.assessed_value,
                discount=e.discount,
                cap=e.cap,
                risk_assessment=e.risk_assessment,
            )
            for e in tx.conn.execute(
                select(exchanges)
                .where(exchanges.c.analysis_id == analysis_id)
                .order_by(exchanges.c.id)
            )
        )
        view = PriceAnalysis(
            id=row.id,
            project_code=row.project_code,
            client_code=client.code,
            client_name=client.name,
            stage=row.stage,
            comparable_price=row.comparable_price,
            blind_reference=row.blind_reference,
            unit_cost=row.unit_cost,
            cost_plus_reference=row.cost_plus_reference,
            retail_reference=row.retail_reference,
            average_price=row.average_price,
            payment_ratio=row.payment_ratio,
            exchanges=items,
            total_discount=sum((e.discount for e in items), Decimal(0)),
            notes=row.notes,
            unit_cost_version=row.unit_cost_version,
            retail_reference_version=row.retail_reference_version,
            status=common.status_of(state, draft="draft"),
            waiting_for=common.waiting_for(state),
            workflow_id=row.workflow_id,
            stage_warning=_stage_warning(tx, row),
            recorded_by=common.logins(tx, [row.recorded_by])[row.recorded_by],
            recorded_at=row.recorded_at,
        )
        shown = access.present(tx, view, ANALYSIS, action=action, client=client)
        if "average_price" in shown.masked:  # the warning would tell where the price lies
            shown = attrs.evolve(shown, stage_warning=None)
        return shown


def _stage_warning(tx: Tx, row: Row[Any]) -> str | None:
    """RE-PRICE-1: prices rise with the stage; warn when this average is below one approved
    for the same project at an earlier stage (a warning: the meeting decides)."""
    stage = Stage(row.stage)
    a, p = approved_prices.c, price_analyses.c
    earlier = [s.value for s in Stage if s.order < stage.order]
    if not earlier:
        return None
    highest = tx.conn.scalar(
        select(func.max(a.average_price))
        .join(price_analyses, p.id == a.analysis_id)
        .where(a.project_code == row.project_code, p.stage.in_(earlier), a.analysis_id != row.id)
    )
    if highest is not None and row.average_price < highest:
        return (
            f"the average price is below {highest}, approved for this project at an earlier "
            "stage; prices rise with the stage (RE-PRICE-1)"
        )
    return None
