"""Use cases of the deals part: the financing trigger (RE-START-1), the negotiation team and
its memos (RE-TEAM-1, CORE-LOG-2), candidates and their ranking (RE-SEL-1/2) and the proposed
selection with its GM/chairman approval. Pricing is in :mod:`.pricing`.

Reach them through :func:`deals`::

    from crmcore_realestate.deals.services import deals

    d = deals(crm)
    d.record_financing(me, FinancingNeed(project_code="GZ-01", bank_financing_failed=True))
    d.form_team(me, NewTeam(project_code="GZ-01", members={"leader": "vgm", ...}))
    d.add_candidate(me, CandidateAnalysis(...))
    d.propose(me, "GZ-01", "C000001")
    d.pricing.analyse(me, NewPriceAnalysis(...))

Every method takes an Actor (a transaction of its own) or a Tx (joins the caller's).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import attrs
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from crmcore import Conflict, InvalidInput, Memo, NewMemo, NotFound, PermissionDenied, Tx
from crmcore.app import Service, query, use_case
from crmcore.policies import value_of
from crmcore.security import access

from . import common, domain
from .domain import (
    Candidate,
    CandidateAnalysis,
    Financing,
    FinancingNeed,
    NewTeam,
    Selection,
    Team,
    TeamMember,
)
from .roles import READ, WRITE
from .tables import candidates, financing, pledges, selections, team_members, team_memos, teams
from .workflows import SELECTION

if TYPE_CHECKING:
    from crmcore import Crm

    from .pricing import PricingService

CANDIDATE = "realestate.deal_candidate"
PLEDGE = "realestate.deal_pledge"
SELECTION_ENTITY = "realestate.deal_selection"


class DealService(Service):
    def __init__(self, crm: Crm) -> None:
        super().__init__(crm)
        from .pricing import PricingService

        self.pricing: PricingService = PricingService(crm)

    # -- RE-START-1 ---------------------------------------------------------------------------

    @use_case
    def record_financing(self, tx: Tx, need: FinancingNeed) -> Financing:
        """Record the financing need that starts key-account selling for a project; refused,
        nothing written, unless the conditions of the policy in force hold (RE-START-1)."""
        tx.actor.require(WRITE)
        policy = tx.crm.policies.in_force(tx, "RE-START-1")
        reason = domain.trigger_reason(need, policy)
        if reason:
            raise InvalidInput(
                "conditions",
                f"key-account selling for {need.project_code} does not start: {reason}",
                rule="RE-START-1",
            )
        conditions: dict[str, Any] = {
            **domain.conditions_met(need, policy),
            "policy": value_of(policy),
        }
        row_id = tx.conn.execute(
            financing.insert().values(
                project_code=need.project_code,
                bank_financing_failed=need.bank_financing_failed,
                cash_flow_short=need.cash_flow_short,
                lending_rate=need.lending_rate,
                conditions=conditions,
                note=need.note,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        tx.audit(
            "realestate.deal.financing",
            "realestate.deal_financing",
            row_id,
            detail={"project": need.project_code, "conditions": conditions},
        )
        return self._financing(tx, need.project_code)  # type: ignore[return-value]

    @query
    def financing(self, tx: Tx, project_code: str) -> Financing | None:
        """The latest financing need recorded for the project, or None: not started."""
        tx.actor.require(READ)
        return self._financing(tx, project_code)

    def _financing(self, tx: Tx, project_code: str) -> Financing | None:
        row = tx.conn.execute(
            select(financing)
            .where(financing.c.project_code == project_code)
            .order_by(financing.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return Financing(
            id=row.id,
            project_code=row.project_code,
            bank_financing_failed=row.bank_financing_failed,
            cash_flow_short=row.cash_flow_short,
            lending_rate=row.lending_rate,
            conditions=row.conditions,
            note=row.note,
            recorded_by=common.logins(tx, [row.recorded_by])[row.recorded_by],
            recorded_at=row.recorded_at,
        )

    def require_started(self, tx: Tx, project_code: str, field: str = "project_code") -> None:
        if self._financing(tx, project_code) is None:
            raise Conflict(
                f"{field}: key-account selling has not started for project {project_code}: "
                "record the financing need first (crm realestate financing record)",
                rule="RE-START-1",
            )

    # -- RE-TEAM-1, CORE-LOG-2 ------------------------------------------------------------------

    @use_case
    def form_team(self, tx: Tx, new: NewTeam) -> Team:
        """Form (or re-form) a project's negotiation team: every position of the policy, one
        person each (RE-TEAM-1). The newest team is the project's team."""
        tx.actor.require(WRITE)
        policy = tx.crm.policies.in_force(tx, "RE-TEAM-1")
        new.check(policy.positions)
        ids = common.user_ids(tx, new.members.values(), "members")
        team_id = tx.conn.execute(
            teams.insert().values(
                project_code=new.project_code, formed_at=tx.now, formed_by=tx.actor.user_id
            )
        ).inserted_primary_key[0]
        tx.conn.execute(
            team_members.insert(),
            [
                {"team_id": team_id, "position": position, "user_id": ids[login]}
                for position, login in new.members.items()
            ],
        )
        tx.audit(
            "realestate.deal.team",
            "realestate.deal_team",
            team_id,
            detail={"project": new.project_code, "members": dict(new.members)},
        )
        return self._team(tx, new.project_code)

    @query
    def team(self, tx: Tx, project_code: str) -> Team:
        tx.actor.require(READ)
        return self._team(tx, project_code)

    def _team(self, tx: Tx, project_code: str) -> Team:
        row = tx.conn.execute(
            select(teams)
            .where(teams.c.project_code == project_code)
            .order_by(teams.c.id.desc())
            .limit(1)
        ).first()
        if row is None:
            raise NotFound(
                f"team: project {project_code} has no negotiation team (crm realestate team form)"
            )
        users = common.users
        members = tx.conn.execute(
            select(team_members.c.position, users.c.login, users.c.name)
            .join(users, users.c.id == team_members.c.user_id)
            .where(team_members.c.team_id == row.id)
        ).all()
        policy = tx.crm.policies.in_force(tx, "RE-TEAM-1")
        order = {p: i for i, p in enumerate(policy.positions)}
        signed = {
            r.login: r
            for r in tx.conn.execute(
                select(users.c.login, pledges.c.recorded_at, pledges.c.recorded_by)
                .join(users, users.c.id == pledges.c.user_id)
                .where(pledges.c.project_code == project_code)
            )
        }
        who = common.logins(tx, (r.recorded_by for r in signed.values()))
        return Team(
            id=row.id,
            project_code=row.project_code,
            members=tuple(
                TeamMember(
                    position=m.position,
                    login=m.login,
                    name=m.name,
                    pledged_at=signed[m.login].recorded_at if m.login in signed else None,
                    pledge_recorded_by=(
                        who[signed[m.login].recorded_by] if m.login in signed else None
                    ),
                )
                for m in sorted(members, key=lambda m: (order.get(m.position, 99), m.position))
            ),
            formed_by=common.logins(tx, [row.formed_by])[row.formed_by],
            formed_at=row.formed_at,
        )

    @use_case
    def record_pledge(self, tx: Tx, project_code: str, member: str) -> Team:
        """Record that a member of the project's negotiation team signed the conduct pledge
        (廉洁承诺: accepts no gifts, promises no terms privately; RE-TEAM-1). Once per person
        and project, never edited; it holds if the team is re-formed with them."""
        tx.actor.require(WRITE)
        team = self._team(tx, project_code)
        if member not in team.logins:
            raise InvalidInput(
                "member",
                f"{member} is not on the negotiation team of project {project_code}",
                rule="RE-TEAM-1",
            )
        user_id = common.user_ids(tx, [member], "member")[member]
        already = Conflict(
            f"member: {member}'s conduct pledge for project {project_code} is recorded "
            "already; a pledge is recorded once",
            rule="RE-TEAM-1",
        )
        try:  # the unique index on (project, person) refuses a second pledge
            pledge_id = tx.conn.execute(
                pledges.insert().values(
                    project_code=project_code,
                    user_id=user_id,
                    recorded_at=tx.now,
                    recorded_by=tx.actor.user_id,
                )
            ).inserted_primary_key[0]
        except IntegrityError:
            raise already from None
        tx.audit(
            "realestate.deal.pledge",
            PLEDGE,
            pledge_id,
            detail={"project": project_code, "member": member},
        )
        return self._team(tx, project_code)

    @use_case
    def write_memo(
        self, tx: Tx, project_code: str, client_code: str, title: str, body: str
    ) -> Memo:
        """A negotiation memo (谈判备忘录) after a session with a commissioning unit: a core memo
        on that client for every member of the project's team to sign (CORE-LOG-2). Refused
        while a member has no signed conduct pledge (RE-TEAM-1): nobody is asked to sign a
        negotiation memo without one."""
        tx.actor.require(WRITE)
        team = self._team(tx, project_code)
        unpledged = [m.login for m in team.members if m.pledged_at is None]
        if unpledged:
            raise Conflict(
                f"members: {', '.join(unpledged)} of the negotiation team of {project_code} "
                "have not signed the conduct pledge (廉洁承诺); record it first "
                f"(crm realestate team pledge {project_code} MEMBER)",
                rule="RE-TEAM-1",
            )
        memo = tx.crm.memos.add(
            tx, client_code, NewMemo(title=title, body=body, signers=team.logins)
        )
        tx.conn.execute(team_memos.insert().values(team_id=team.id, memo_id=memo.id))
        return memo

    @query
    def memos(self, tx: Tx, project_code: str) -> list[Memo]:
        """The negotiation memos of the project's teams that the actor may read, newest first;
        ``memo.complete`` once every member signed (CORE-LOG-2)."""
        tx.actor.require(READ)
        memo_ids = tx.conn.scalars(
            select(team_memos.c.memo_id)
            .join(teams, teams.c.id == team_memos.c.team_id)
            .where(teams.c.project_code == project_code)
            .order_by(team_memos.c.memo_id.desc())
        ).all()
        result = []
        for memo_id in memo_ids:
            try:
                result.append(tx.crm.memos.get(tx, memo_id))
            except PermissionDenied:
                continue  # a memo on a client the actor may not read is not listed
        return result

    # -- RE-SEL-1/2 ----------------------------------------------------------------------------

    @use_case
    def add_candidate(self, tx: Tx, analysis: CandidateAnalysis) -> Candidate:
        """Screen a candidate commissioning unit with its client analysis (RE-SEL-1); a new
        analysis of the same unit replaces the old one (kept, superseded)."""
        client = access.client_for_write(tx, analysis.client_code, WRITE)
        self.require_started(tx, analysis.project_code)
        c = candidates.c
        tx.conn.execute(
            update(candidates)
            .where(
                c.project_code == analysis.project_code,
                c.client_id == client.id,
                c.superseded.is_(False),
            )
            .values(superseded=True)
        )
        values = attrs.asdict(analysis)
        values.pop("client_code")
        row_id = tx.conn.execute(
            candidates.insert().values(
                **values,
                client_id=client.id,
                superseded=False,
                recorded_at=tx.now,
                recorded_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        tx.audit(
            "realestate.deal.candidate",
            CANDIDATE,
            row_id,
            client_id=client.id,
            detail={"project": analysis.project_code, "fields": sorted(values)},
        )
        ranked = self._ranked(tx, analysis.project_code, None)
        return next(x for x in ranked if x.id == row_id)

    @query
    def candidates(self, tx: Tx, project_code: str) -> list[Candidate]:
        """The project's candidates the actor may read, ranked by RE-SEL-2."""
        tx.actor.require(READ)
        return self._ranked(tx, project_code, "realestate.deal.candidates")

    def _ranked(self, tx: Tx, project_code: str, action: str | None) -> list[Candidate]:
        c = candidates.c
        rows = tx.conn.execute(
            select(candidates).where(
                c.project_code == project_code,
                c.superseded.is_(False),
                c.client_id.in_(access.readable_client_ids(tx)),
            )
        ).all()
        clients = common.client_rows(tx, (r.client_id for r in rows))
        who = common.logins(tx, (r.recorded_by for r in rows))
        views = []
        for r in rows:
            client = clients[r.client_id]
            view = Candidate(
                id=r.id,
                project_code=r.project_code,
                client_code=client.code,
                client_name=client.name,
                first_contacts=r.first_contacts,
                model_acceptance=r.model_acceptance,
                past_prices_locations=r.past_prices_locations,
                strengths_weaknesses=r.strengths_weaknesses,
                buyers_income_housing=r.buyers_income_housing,
                price_low=r.price_low,
                price_high=r.price_high,
                accepted_price=r.accepted_price,
                payment_ratio=r.payment_ratio,
                resources_value=r.resources_value,
                owner_occupier_share=r.owner_occupier_share,
                other=r.other,
                recorded_by=who[r.recorded_by],
                recorded_at=r.recorded_at,
            )
            views.append(access.present(tx, view, CANDIDATE, action=action, client=client))
        return domain.rank(views, tx.crm.policies.in_force(tx, "RE-SEL-2"))

    @use_case
    def propose(
        self, tx: Tx, project_code: str, client_code: str, *, reason: str | None = None
    ) -> Selection:
        """The team proposes a commissioning unit from at least 3 screened candidates (RE-SEL-1);
        choosing other than the first-ranked needs a reason (RE-SEL-2). GM and chairman
        approve through ``realestate.deal_selection``."""
        tx.actor.require(WRITE)
        self.require_started(tx, project_code)
        if not tx.conn.scalar(select(teams.c.id).where(teams.c.project_code == project_code)):
            raise Conflict(
                f"project {project_code} has no negotiation team to propose a selection "
                "(crm realestate team form)",
                rule="RE-TEAM-1",
            )
        reason = (reason or "").strip() or None
        ranked = self._ranked(tx, project_code, None)
        total = tx.conn.scalar(
            select(func.count())
            .select_from(candidates)
            .where(candidates.c.project_code == project_code, candidates.c.superseded.is_(False))
        )
        minimum = tx.crm.policies.in_force(tx, "RE-SEL-1").min_candidates
        if total < minimum:
            raise InvalidInput(
                "candidates",
                f"project {project_code} has {total} screened candidate(s); a selection needs "
                f"at least {minimum}",
                rule="RE-SEL-1",
            )
        chosen = next((x for x in ranked if x.client_code == client_code), None)
        if chosen is None:
            raise InvalidInput(
                "client",
                f"{client_code} is not a screened candidate of project {project_code} "
                "(crm realestate candidate add)",
                rule="RE-SEL-1",
            )
        if chosen.rank != 1 and not reason:
            first = ", ".join(x.client_code for x in ranked if x.rank == 1)
            raise InvalidInput(
                "reason",
                f"{client_code} ranks {chosen.rank} (first: {first}); say why the team proposes it",
                rule="RE-SEL-2",
            )
        client = access.client_for_read(tx, client_code, action=None)
        s = selections.c
        open_ids = tx.conn.scalars(
            select(s.workflow_id).where(s.project_code == project_code, s.client_id == client.id)
        ).all()
        busy = [
            state
            for state in common.workflow_states(tx, open_ids).values()
            if common.status_of(state, draft="submitted") in ("submitted", "approved")
        ]
        if busy:
            raise Conflict(
                f"client: {client_code} is already proposed or selected for project {project_code}",
                rule="RE-SEL-2",
            )
        order = list(tx.crm.policies.in_force(tx, "RE-SEL-2").order)
        snapshot = {
            "order": order,
            "ranked": [
                {"client": x.client_code, "rank": x.rank, **{k: str(getattr(x, k)) for k in order}}
                for x in ranked
            ],
        }
        selection_id = tx.conn.execute(
            selections.insert().values(
                project_code=project_code,
                client_id=client.id,
                ranking=snapshot,
                reason=reason,
                proposed_at=tx.now,
                proposed_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        instance = tx.crm.workflows.start(
            tx,
            SELECTION,
            client_code,
            entity_type=SELECTION_ENTITY,
            entity_id=selection_id,
            data={"selection_id": selection_id, "project": project_code},
        )
        tx.conn.execute(
            update(selections).where(s.id == selection_id).values(workflow_id=instance.id)
        )
        tx.audit(
            "realestate.deal.propose",
            SELECTION_ENTITY,
            selection_id,
            client_id=client.id,
            detail={"project": project_code, "rank": chosen.rank, "workflow": instance.id},
        )
        return self._selection(tx, selection_id, None)

    @query
    def selection(self, tx: Tx, selection_id: int) -> Selection:
        tx.actor.require(READ)
        return self._selection(tx, selection_id, "realestate.deal.selection")

    @query
    def selections(self, tx: Tx, project_code: str) -> list[Selection]:
        tx.actor.require(READ)
        ids = common.readable_ids(tx, selections, project_code)
        return [self._selection(tx, i, "realestate.deal.selections") for i in ids]

    @use_case
    def decide_selection(
        self, tx: Tx, selection_id: int, *, approve: bool, comment: str | None = None
    ) -> Selection:
        """The GM's or chairman's decision on a proposed selection (RE-SEL-2)."""
        row = self._selection_row(tx, selection_id)
        common.decide(tx, row.workflow_id, approve=approve, comment=comment)
        return self._selection(tx, selection_id, None)

    def _selection_row(self, tx: Tx, selection_id: int) -> Any:
        row = tx.conn.execute(select(selections).where(selections.c.id == selection_id)).first()
        if row is None:
            raise NotFound(f"selection: unknown selection {selection_id}")
        return row

    def _selection(self, tx: Tx, selection_id: int, action: str | None) -> Selection:
        row = self._selection_row(tx, selection_id)
        client = access.client_by_id(tx, row.client_id)
        state = common.workflow_states(tx, [row.workflow_id]).get(row.workflow_id)
        view = Selection(
            id=row.id,
            project_code=row.project_code,
            client_code=client.code,
            client_name=client.name,
            ranking=row.ranking,
            reason=row.reason,
            status=common.status_of(state, draft="submitted"),
            waiting_for=common.waiting_for(state),
            workflow_id=row.workflow_id,
            proposed_by=common.logins(tx, [row.proposed_by])[row.proposed_by],
            proposed_at=row.proposed_at,
        )
        return access.present(tx, view, SELECTION_ENTITY, action=action, client=client)


def deals(crm: Crm) -> DealService:
    """The deals use cases of ``crm`` (made once per Crm)."""
    service = crm.__dict__.get("_realestate_deals")
    if service is None:
        service = crm.__dict__["_realestate_deals"] = DealService(crm)
    return service
