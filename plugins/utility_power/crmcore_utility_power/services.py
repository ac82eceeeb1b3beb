"""Use cases of the power plugin: profile, application, plan and quote, works, acceptance, meter.

    from crmcore_utility_power.services import PowerService
    power = PowerService(crm)
    app = power.apply(actor, "C000001", NewApplication(kind="new", voltage="10kV", capacity_kva="800"))
    power.review(clerk, app.number)

Each method runs in one transaction (pass an Actor to open one, a Tx to join one). A step of the
connection workflow records what it is about (a survey, a plan revision, ...) and moves the
workflow in the same transaction; a refusal leaves nothing behind. Errors name the field and
the PWR rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Row

from crmcore import (
    Conflict,
    Crm,
    Instance,
    InvalidInput,
    NoCalendarData,
    NotFound,
    Tx,
    next_number,
    query,
    use_case,
)
from crmcore.calendar import china_date
from crmcore.security import access
from crmcore.store import metadata
from crmcore_utility_power import archive, sensitive
from crmcore_utility_power import connection as wf
from crmcore_utility_power import tables as t
from crmcore_utility_power.domain import (
    COMPLETION_LABELS,
    CompletionDocument,
    FeeLine,
    NewApplication,
    NewCompletion,
    NewContract,
    NewExtension,
    NewInspection,
    NewPlan,
    NewProfile,
    NewSurvey,
    NewWorks,
    VoltageLevel,
    add_months,
    business_date,
    check_extension,
    clean_texts,
    plan_fees,
    total,
)
from crmcore_utility_power.quote import render_quote
from crmcore_utility_power.views import (
    ApplicationSummary,
    ApplicationView,
    ChecklistItem,
    ClockLine,
    Extension,
    Inspection,
    PlanRevision,
    ProfileVersion,
    ProfileView,
    QuoteDocument,
    TimelineEntry,
    Validity,
)

#: Permissions the plugin's roles grant (see plugin.crm_roles).
READ, APPLY, PROFILE, RECORD = "power.read", "power.apply", "power.profile", "power.record"

CLOCK_RULES = {c.name: c.rule for c in wf.CONNECTION.clocks}


class PowerService:
    """The plugin's use cases; cheap to create (``PowerService(crm)``)."""

    def __init__(self, crm: Crm) -> None:
        self.crm = crm

    # -- key-account profile (PWR-KA-1) ---------------------------------------------------------

    @use_case
    def set_profile(
        self,
        tx: Tx,
        client_code: str,
        new: NewProfile,
        *,
        manager: str | None = None,
        assign: bool = False,
    ) -> ProfileView:
        """A new version of the client's supply profile (PWR-KA-1).

        ``assign`` lets the organisation's assignment rules pick the unit and the account
        manager by region, industry and importance (CORE-OWN-3, ``crm org rule``); the
        profile's priority becomes the client's importance first, kept in its history.
        ``manager`` names the account manager instead (CORE-OWN-1). Both go through the core,
        which checks the actor may assign.
        """
        if manager and assign:
            raise InvalidInput(
                "manager",
                "name a manager or let the assignment rules decide (assign), not both",
                rule="CORE-OWN-3",
            )
        tx.actor.require(PROFILE)
        client = access.client_for_write(tx, client_code, PROFILE)
        values = _profile_values(new)
        given = sorted(k for k, v in values.items() if v is not None)
        # a version is complete in itself: whoever may not read a figure may not (re)write it
        access.check_write(tx, sensitive.PROFILE, values)
        _add_profile(tx, client.id, values, source=tx.actor.login)
        tx.audit(
            "power.profile.set",
            "power_profile",
            client.code,
            client_id=client.id,
            detail={"fields": given},
        )
        if manager:
            tx.crm.clients.assign(tx, client.code, manager)
        if assign:
            if new.priority and new.priority.importance != client.importance:
                tx.crm.clients.edit(tx, client.code, {"importance": new.priority.importance})
            decided = tx.crm.org.assign(tx, client.code)
            if decided.rule_id is None:
                raise Conflict(
                    f"client {client.code}: no assignment rule matches its region, industry and "
                    "importance; add one (`crm org rule add`) or name the manager",
                    rule="CORE-OWN-3",
                )
        return self._profile(tx, client.code, action=None)

    @query
    def profile(self, tx: Tx, client_code: str) -> ProfileView:
        """The profile as the actor may see it (figures masked without power.figures.read);
        the look-up is recorded (查阅记录, CORE-CONF-2)."""
        return self._profile(tx, client_code, action="power.profile.show")

    def _profile(self, tx: Tx, client_code: str, *, action: str | None) -> ProfileView:
        tx.actor.require(READ)
        client = tx.crm.clients.get(tx, client_code)
        p = t.profiles.c
        rows = tx.conn.execute(
            select(t.profiles, _users.c.login)
            .join(_users, _users.c.id == p.recorded_by)
            .where(p.client_id == client.id)
            .order_by(p.version)
        ).all()
        versions = tuple(
            access.present(
                tx,
                _profile_version(r),
                sensitive.PROFILE,
                action=action,
                client=client,
                record_id=r.id,
            )
            for r in rows
        )
        accounts = tuple(
            tx.conn.scalars(
                select(t.accounts.c.number)
                .where(t.accounts.c.client_id == client.id)
                .order_by(t.accounts.c.id)
            )
        )
        return ProfileView(
            client_code=client.code,
            client_name=client.name,
            industry=client.industry,
            size=client.size.value if client.size else None,
            region=client.region,
            importance=client.importance.value if client.importance else None,
            unit=client.unit,
            account_manager=client.owner,
            current=versions[-1] if versions else None,
            history=versions[:-1],
            accounts=accounts,
        )

    # -- the application (PWR-APP-1) ------------------------------------------------------------

    @use_case
    def apply(self, tx: Tx, client_code: str, new: NewApplication) -> ApplicationView:
        """Register an application (高压用电申请) and start its connection workflow."""
        tx.actor.require(APPLY)
        client = tx.crm.clients.get(tx, client_code)
        today = china_date(tx.now)
        applied_on = business_date(new.applied_on, today, "applied_on", "PWR-APP-1")
        number = (
            f"YK{applied_on.year}-{next_number(tx, f'power.application.{applied_on.year}'):04d}"
        )
        app_id = tx.conn.execute(
            t.applications.insert().values(
                number=number,
                client_id=client.id,
                kind=new.kind,
                voltage=new.voltage,
                capacity_kva=new.capacity_kva,
                sources=new.sources,
                address=new.address,
                applied_on=applied_on,
                **_stamp(tx),
            )
        ).inserted_primary_key[0]
        _add_documents(tx, app_id, new.documents)
        instance = tx.crm.workflows.start(
            tx,
            wf.NAME,
            client.code,
            entity_type=wf.ENTITY,
            entity_id=app_id,
            data={"application": number},
        )
        tx.conn.execute(
            update(t.applications)
            .where(t.applications.c.id == app_id)
            .values(instance_id=instance.id)
        )
        tx.audit(
            "power.apply",
            "power_application",
            number,
            client_id=client.id,
            detail={"kind": new.kind.value, "voltage": new.voltage.value, "sources": new.sources},
        )
        return self._show(tx, number)

    @use_case
    def review(
        self,
        tx: Tx,
        number: str,
        *,
        accepted_on: date | None = None,
        documents: Sequence[str] = (),
        comment: str | None = None,
    ) -> ApplicationView:
        """Initial review (初审): with every required document the application is accepted
        (受理) as of ``accepted_on`` (default today), which starts the PWR-APP-2 clocks.

        A clerk may record an acceptance a few days late, so ``accepted_on`` may be in the past
        (not before the application, not in the future) and the deadlines count from it. When
        a deadline runs into a year with no holiday schedule (an acceptance in December 2026
        needs 2027), nothing is recorded: load that year's schedule and review again with the
        same ``accepted_on``; a deadline is never guessed.
        """
        app, instance = self._step(tx, number, "review")
        today = china_date(tx.now)
        day = business_date(
            accepted_on,
            today,
            "accepted_on",
            "PWR-APP-2",
            earliest=app.applied_on,
            earliest_what="the application",
        )
        _add_documents(tx, app.id, clean_texts(documents, 100, "documents", "PWR-APP-1"))
        tx.conn.execute(
            update(t.applications).where(t.applications.c.id == app.id).values(accepted_on=day)
        )
        try:
            self._advance(tx, app, instance, "review", comment)
        except NoCalendarData as exc:
            exc.message = (
                f"application {app.number}: the supply plan deadline counted from {day} runs "
                f"into {exc.year}, which has no holiday schedule, so nothing was recorded; load "
                f"the State Council's {exc.year} schedule (`crm calendar load FILE`), then "
                f"review again with --accepted-on {day}"
            )
            exc.rule = "PWR-APP-2"
            raise
        return self._show(tx, number)

    @use_case
    def survey(self, tx: Tx, number: str, new: NewSurvey) -> ApplicationView:
        """Record the site survey (现场勘查) and take the step."""
        app, instance = self._step(tx, number, "survey")
        day = business_date(
            new.surveyed_on,
            china_date(tx.now),
            "surveyed_on",
            "PWR-APP-1",
            earliest=app.accepted_on,
            earliest_what="the acceptance",
        )
        tx.conn.execute(
            t.surveys.insert().values(
                application_id=app.id,
                instance_version=instance.version,
                surveyed_on=day,
                participants=list(new.participants),
                findings=new.findings,
                **_stamp(tx),
            )
        )
        self._advance(tx, app, instance, "survey", None)
        return self._show(tx, number)

    @use_case
    def hand_over(self, tx: Tx, number: str, comment: str | None = None) -> ApplicationView:
        """The supply office passes the application to the marketing department (PWR-APP-2)."""
        app, instance = self._step(tx, number, "hand_over")
        self._advance(tx, app, instance, "hand_over", comment)
        return self._show(tx, number)

    # -- the supply plan and its quote (PWR-APP-1, PWR-FEE-1) -----------------------------------

    @use_case
    def plan(self, tx: Tx, number: str, new: NewPlan) -> ApplicationView:
        """Draft a plan revision with its quote, and send it to countersigning (会签).

        The fees come from the PWR-FEE-1 schedule in force now and stay with the revision; a
        plan sent back by a countersigner is redrafted as a new revision, never edited.
        """
        app, instance = self._step(tx, number, "plan")
        schedule = tx.crm.policies.in_force(tx, "PWR-FEE-1")
        pay_into = new.pay_into or schedule.pay_into.strip()
        if not pay_into:
            raise InvalidInput(
                "pay_into",
                "the quote tells the client the account to pay into: give it, or set it once "
                "with `crm policy set PWR-FEE-1 pay_into=...`",
                rule="PWR-FEE-1",
            )
        fees = plan_fees(schedule.rates(), new.voltage, new.capacity_kva, len(new.sources))
        revision = 1 + (
            tx.conn.scalar(
                select(func.count()).select_from(t.plans).where(t.plans.c.application_id == app.id)
            )
            or 0
        )
        tx.conn.execute(
            t.plans.insert().values(
                application_id=app.id,
                revision=revision,
                instance_version=instance.version,
                quote_number=f"{app.number}-F{revision}",
                voltage=new.voltage,
                capacity_kva=new.capacity_kva,
                sources=list(new.sources),
                fees=[_fee_data(f) for f in fees],
                total=total(fees),
                pay_into=pay_into,
                note=new.note,
                **_stamp(tx),
            )
        )
        self._advance(tx, app, instance, "plan", f"revision {revision}")
        return self._show(tx, number)

    @use_case
    def sign(self, tx: Tx, number: str, *, reject: str | None = None) -> ApplicationView:
        """Countersign the plan in one's department's role, or send it back with a reason."""
        app, instance = self._step(tx, number, "sign")
        if reject is not None:
            tx.crm.workflows.reject(tx, instance.id, reject, expected_state=instance.state)
        else:
            self._advance(tx, app, instance, "sign", None)
        return self._show(tx, number)

    @use_case
    def notify(self, tx: Tx, number: str, comment: str | None = None) -> ApplicationView:
        """Give the client the plan, its fees and the account to pay into (PWR-FEE-1); the
        reply clock stops and validity runs from today (PWR-PLAN-1)."""
        app, instance = self._step(tx, number, "notify")
        self._advance(tx, app, instance, "notify", comment)
        return self._show(tx, number)

    @query
    def quote(self, tx: Tx, number: str, revision: int | None = None) -> QuoteDocument:
        """The quote document of a plan revision (default: the latest)."""
        view = self._show(tx, number, action="power.quote")
        if not view.plans:
            raise NotFound(f"quote: application {number} has no supply plan yet")
        chosen = view.plans[-1] if revision is None else _revision(view.plans, revision)
        return QuoteDocument(
            number=chosen.quote_number,
            application=view.number,
            revision=chosen.revision,
            text=render_quote(view, chosen),
        )

    # -- validity (PWR-PLAN-1) --------------------------------------------------------------

    @use_case
    def extend(self, tx: Tx, number: str, new: NewExtension) -> ApplicationView:
        """Extend the plan's validity, asked today for special circumstances (特殊情况)."""
        app, instance = self._record_at(
            tx,
            number,
            {"notified"},
            "only a notified plan whose works have not started can be extended",
            "PWR-PLAN-1",
        )
        notice = tx.conn.execute(
            select(t.notices).where(t.notices.c.application_id == app.id)
        ).one()
        until = wf.valid_until(tx.conn, app.id)
        assert until is not None
        policy = tx.crm.policies.in_force(tx, "PWR-PLAN-1")
        done = tx.conn.scalar(
            select(func.count())
            .select_from(t.extensions)
            .where(t.extensions.c.notice_id == notice.id)
        )
        months = notice.period_months if new.months is None else new.months
        check_extension(
            today=china_date(tx.now),
            valid_until=until,
            notice_days=policy.extension_notice_days,
            extensions=done or 0,
            max_extensions=policy.max_extensions,
            months=months,
            period_months=notice.period_months,
        )
        new_until = add_months(until, months)
        tx.conn.execute(
            t.extensions.insert().values(
                notice_id=notice.id,
                seq=(done or 0) + 1,
                instance_version=instance.version,
                asked_on=china_date(tx.now),
                reason=new.reason,
                months=months,
                valid_until_before=until,
                valid_until=new_until,
                **_stamp(tx),
            )
        )
        if notice.document_id is not None:  # the filed quote states the new validity
            view = self._show(tx, number, whole=True)
            assert view.validity is not None
            quote = _revision(view.plans, view.validity.plan_revision)
            archive.refile_quote(
                tx,
                notice.document_id,
                quote.quote_number,
                render_quote(view, quote),
                note=f"validity extended to {new_until} (PWR-PLAN-1)",
            )
        tx.audit(
            "power.extend",
            "power_application",
            app.number,
            client_id=app.client_id,
            detail={"valid_until": [until.isoformat(), new_until.isoformat()]},
        )
        return self._show(tx, number)

    # -- works and acceptance (PWR-WORK-1, PWR-ACC-1) -------------------------------------------

    @use_case
    def start_works(self, tx: Tx, number: str, new: NewWorks) -> ApplicationView:
        """The client's works start, built by qualified contractors; refused on an expired plan."""
        app, instance = self._step(tx, number, "start_works")
        notice = tx.conn.execute(
            select(t.notices).where(t.notices.c.application_id == app.id)
        ).one()
        day = business_date(
            new.started_on,
            china_date(tx.now),
            "started_on",
            "PWR-PLAN-1",
            earliest=notice.notified_on,
            earliest_what="the notice",
        )
        tx.conn.execute(
            t.works.insert().values(
                application_id=app.id,
                instance_version=instance.version,
                started_on=day,
                designer=new.designer,
                builder=new.builder,
                qualification=new.qualification,
                **_stamp(tx),
            )
        )
        self._advance(tx, app, instance, "start_works", None)
        return self._show(tx, number)

    @use_case
    def inspect(self, tx: Tx, number: str, new: NewInspection) -> ApplicationView:
        """An inspection during works (中间检查, PWR-WORK-1): findings and what to rectify."""
        app, instance = self._record_at(
            tx,
            number,
            {"works"},
            "inspections during works are recorded while the works are under way",
            "PWR-WORK-1",
        )
        if new.passed is not None:
            raise InvalidInput(
                "passed",
                "an inspection during works passes nothing; see `crm power accept`",
                rule="PWR-WORK-1",
            )
        started = tx.conn.scalar(
            select(t.works.c.started_on).where(t.works.c.application_id == app.id)
        )
        day = business_date(
            new.inspected_on,
            china_date(tx.now),
            "inspected_on",
            "PWR-WORK-1",
            earliest=started,
            earliest_what="the works start",
        )
        self._add_inspection(tx, app, "works", day, new, Decimal("0.00"), instance.version)
        tx.audit("power.inspect", "power_application", app.number, client_id=app.client_id)
        return self._show(tx, number)

    @use_case
    def complete(self, tx: Tx, number: str, new: NewCompletion) -> ApplicationView:
        """The completion report (竣工报告) with its checklist; the supply office pre-checks it
        (a high-voltage report needs all six documents) and files it for acceptance."""
        app, instance = self._step(tx, number, "complete")
        started = tx.conn.scalar(
            select(t.works.c.started_on).where(t.works.c.application_id == app.id)
        )
        day = business_date(
            new.filed_on,
            china_date(tx.now),
            "filed_on",
            "PWR-ACC-1",
            earliest=started,
            earliest_what="the works start",
        )
        tx.conn.execute(
            t.completions.insert().values(
                application_id=app.id,
                instance_version=instance.version,
                filed_on=day,
                documents=[d.value for d in new.documents],
                **_stamp(tx),
            )
        )
        self._advance(tx, app, instance, "complete", None)
        return self._show(tx, number)

    @use_case
    def accept(self, tx: Tx, number: str, new: NewInspection) -> ApplicationView:
        """The acceptance inspection (竣工验收): passed (验收合格, 可以供电) or a rectification
        list; from the policy's ``charged_from`` inspection on (the second) a re-inspection fee
        (复验费) is charged."""
        app, instance = self._step(tx, number, "accept")
        if new.passed is None:
            raise InvalidInput("passed", "say whether the inspection passed", rule="PWR-ACC-1")
        filed = tx.conn.scalar(
            select(t.completions.c.filed_on).where(t.completions.c.application_id == app.id)
        )
        day = business_date(
            new.inspected_on,
            china_date(tx.now),
            "inspected_on",
            "PWR-ACC-1",
            earliest=filed,
            earliest_what="the completion report",
        )
        policy = tx.crm.policies.in_force(tx, "PWR-ACC-1")
        seq = self._next_seq(tx, app.id, "acceptance")
        fee = policy.fee if seq >= policy.charged_from else Decimal("0.00")
        self._add_inspection(tx, app, "acceptance", day, new, fee, instance.version, seq=seq)
        self._advance(tx, app, instance, "accept", "passed" if new.passed else "rectification")
        return self._show(tx, number)

    # -- contract, energising, meter (PWR-ACC-2, PWR-MTR-1) -------------------------------------

    @use_case
    def contract(self, tx: Tx, number: str, new: NewContract) -> ApplicationView:
        """Record the signed supply contract (供用电合同), once, before energising."""
        app, instance = self._record_at(
            tx,
            number,
            {"notified", "works", "acceptance", "rectifying", "passed"},
            "a supply contract is recorded between the plan's notice and energising",
            "PWR-ACC-2",
        )
        access.check_write(tx, sensitive.CONTRACT, ["number"])
        existing = tx.conn.execute(
            select(t.contracts).where(t.contracts.c.application_id == app.id)
        ).first()
        if existing is not None:
            raise Conflict(
                f"application {app.number} already has supply contract {existing.number} "
                f"signed {existing.signed_on}",
                rule="PWR-ACC-2",
            )
        day = business_date(
            new.signed_on,
            china_date(tx.now),
            "signed_on",
            "PWR-ACC-2",
            earliest=app.applied_on,
            earliest_what="the application",
        )
        document_id = None
        if new.filename is not None and new.content is not None:
            document_id = archive.file_contract(
                tx, instance.client_code, app.number, new.filename, new.content, day
            )
        tx.conn.execute(
            t.contracts.insert().values(
                application_id=app.id,
                instance_version=instance.version,
                number=new.number,
                signed_on=day,
                document_id=document_id,
                **_stamp(tx),
            )
        )
        tx.audit(
            "power.contract",
            "power_application",
            app.number,
            client_id=app.client_id,
            detail={"signed_on": day.isoformat(), "document": document_id},
        )
        return self._show(tx, number)

    @use_case
    def energise(self, tx: Tx, number: str, comment: str | None = None) -> ApplicationView:
        """Energise (装表接电): refused without a signed supply contract (PWR-ACC-2); issues the
        meter work ticket, whose return the metering office owes within 5 days (PWR-MTR-1)."""
        app, instance = self._step(tx, number, "energise")
        self._advance(tx, app, instance, "energise", comment)
        return self._show(tx, number)

    @use_case
    def meter(self, tx: Tx, number: str, *, returned_on: date | None = None) -> ApplicationView:
        """The metering office returns the meter work ticket; the account is created (建帐立卡)
        and the client's profile takes the connected voltage and capacity."""
        app, instance = self._step(tx, number, "meter")
        ticket = tx.conn.execute(
            select(t.meter_tickets).where(t.meter_tickets.c.application_id == app.id)
        ).one()
        day = business_date(
            returned_on,
            china_date(tx.now),
            "returned_on",
            "PWR-MTR-1",
            earliest=ticket.issued_on,
            earliest_what="the ticket's issue",
        )
        tx.conn.execute(
            t.ticket_returns.insert().values(
                ticket_id=ticket.id,
                instance_version=instance.version,
                returned_on=day,
                **_stamp(tx),
            )
        )
        self._advance(tx, app, instance, "meter", None)
        plan = _plans(tx, app.id)[-1]
        account = f"HH{next_number(tx, 'power.account'):08d}"
        tx.conn.execute(
            t.accounts.insert().values(
                number=account,
                client_id=app.client_id,
                application_id=app.id,
                voltage=plan.voltage,
                capacity_kva=plan.capacity_kva,
                opened_on=day,
                **_stamp(tx),
            )
        )
        _connected_profile(tx, app, plan)
        tx.audit(
            "power.account.open",
            "power_account",
            account,
            client_id=app.client_id,
            detail={"application": app.number},
        )
        return self._show(tx, number)

    # -- reading ---------------------------------------------------------------------------------

    @query
    def status(self, tx: Tx, number: str) -> ApplicationView:
        """The application as the actor may see it (the contract number masked without
        power.contracts.read); the look-up is recorded (查阅记录, CORE-CONF-2)."""
        return self._show(tx, number, action="power.status")

    def _show(
        self, tx: Tx, number: str, *, action: str | None = None, whole: bool = False
    ) -> ApplicationView:
        """The view after a write (``action`` None: the write's own audit event records it).
        ``whole``: nothing masked, for the quote filed in the archive, not for a reader."""
        tx.actor.require(READ)
        app, instance = self._load(tx, number)
        return _view(tx, app, instance, action, whole=whole)

    @query
    def list(
        self, tx: Tx, *, client_code: str | None = None, include_closed: bool = False
    ) -> list[ApplicationSummary]:
        """Applications, newest first; only clients the actor may read."""
        tx.actor.require(READ)
        instances = tx.crm.workflows.list(
            tx, client_code=client_code, workflow=wf.NAME, include_closed=include_closed, limit=1000
        )
        by_id = {int(i.entity_id): i for i in instances if i.entity_id}
        if not by_id:
            return []
        rows = tx.conn.execute(
            select(t.applications)
            .where(t.applications.c.id.in_(by_id))
            .order_by(t.applications.c.id.desc())
        )
        today = china_date(tx.now)
        until = wf.valid_until_of(tx.conn, list(by_id))
        result = []
        for row in rows:
            instance = by_id[row.id]
            result.append(
                ApplicationSummary(
                    number=row.number,
                    client_code=instance.client_code,
                    client_name=instance.client_name,
                    kind=row.kind,
                    voltage=row.voltage,
                    capacity_kva=row.capacity_kva,
                    sources=row.sources,
                    stage=instance.state,
                    stage_label=instance.state_label,
                    due=instance.due,
                    overdue=instance.due is not None and instance.due < today,
                    valid_until=until.get(row.id),
                )
            )
        return result

    @query
    def timeline(self, tx: Tx, number: str) -> list[TimelineEntry]:
        """Everything that happened to an application, oldest first, with the rule it served."""
        tx.actor.require(READ)
        app, instance = self._load(tx, number)
        from crmcore_utility_power.timeline import entries

        return entries(tx, app, instance, tx.crm.workflows.history(tx, instance.id))

    # -- internals -------------------------------------------------------------------------------

    def _load(self, tx: Tx, number: str, *, lock: bool = False) -> tuple[Row[Any], Instance]:
        stmt = select(t.applications).where(t.applications.c.number == number.strip().upper())
        if lock:
            stmt = stmt.with_for_update()
        app = tx.conn.execute(stmt).first()
        if app is None:
            raise NotFound(f"application: unknown application {number!r}")
        return app, tx.crm.workflows.get(tx, app.instance_id)

    def _step(self, tx: Tx, number: str, action: str) -> tuple[Row[Any], Instance]:
        """The application and its workflow, if ``action`` is possible now; else a Conflict
        saying where it is and what comes next, citing the rule of the step asked for."""
        tx.actor.require(READ)
        app, instance = self._load(tx, number, lock=True)
        if instance.closed:
            raise Conflict(
                f"application {app.number} is closed ({instance.state_label}); nothing more can "
                "be done with it",
                rule=wf.ACTION_RULES[action],
            )
        possible = [a for a in instance.actions if a != "reject"]
        if action not in possible:
            raise Conflict(
                f"application {app.number} is at {instance.state_label} ({instance.state}): "
                f"{action} is not possible now (next: {', '.join(possible) or 'nothing'})",
                rule=wf.ACTION_RULES[action],
            )
        return app, instance

    def _record_at(
        self, tx: Tx, number: str, states: set[str], why: str, rule: str
    ) -> tuple[Row[Any], Instance]:
        """For records that are not steps: the application, if it is at one of ``states``."""
        tx.actor.require(RECORD)
        app, instance = self._load(tx, number, lock=True)
        if instance.state not in states:
            raise Conflict(
                f"application {app.number} is at {instance.state_label} ({instance.state}): {why}",
                rule=rule,
            )
        return app, instance

    def _advance(
        self, tx: Tx, app: Row[Any], instance: Instance, action: str, comment: str | None
    ) -> None:
        tx.crm.workflows.advance(
            tx, instance.id, action, comment=comment, expected_state=instance.state
        )

    def _next_seq(self, tx: Tx, app_id: int, kind: str) -> int:
        c = t.inspections.c
        done = tx.conn.scalar(
            select(func.count()).where(c.application_id == app_id, c.kind == kind)
        )
        return (done or 0) + 1

    def _add_inspection(
        self,
        tx: Tx,
        app: Row[Any],
        kind: str,
        day: date,
        new: NewInspection,
        fee: Decimal,
        instance_version: int,
        *,
        seq: int | None = None,
    ) -> None:
        tx.conn.execute(
            t.inspections.insert().values(
                application_id=app.id,
                kind=kind,
                seq=seq or self._next_seq(tx, app.id, kind),
                instance_version=instance_version,
                inspected_on=day,
                passed=new.passed,
                findings=new.findings,
                rectifications=list(new.rectifications),
                fee=fee,
                **_stamp(tx),
            )
        )


# -- called by the workflow's on_enter (same transaction) ------------------------------------


def record_notice(tx: Tx, app: Row[Any]) -> None:
    """The notice of the latest plan revision: validity by its voltage (PWR-PLAN-1)."""
    plan = _plans(tx, app.id)[-1]
    policy = tx.crm.policies.in_force(tx, "PWR-PLAN-1")
    months = (
        policy.high_voltage_months if VoltageLevel(plan.voltage).high else policy.low_voltage_months
    )
    today = china_date(tx.now)
    notice_id = tx.conn.execute(
        t.notices.insert().values(
            application_id=app.id,
            plan_id=plan.id,
            notified_on=today,
            period_months=months,
            valid_until=add_months(today, months),
            **_stamp(tx),
        )
    ).inserted_primary_key[0]
    view = _view(tx, app, tx.crm.workflows.get(tx, app.instance_id), None, whole=True)
    quote = _revision(view.plans, plan.revision)
    document_id = archive.file_quote(
        tx, view.client_code, quote.quote_number, app.number, render_quote(view, quote), today
    )
    tx.conn.execute(
        update(t.notices).where(t.notices.c.id == notice_id).values(document_id=document_id)
    )


def issue_ticket(tx: Tx, app: Row[Any], instance_version: int) -> None:
    """The meter work ticket (装表工作票) the customer-service centre has issued on energising."""
    today = china_date(tx.now)
    tx.conn.execute(
        t.meter_tickets.insert().values(
            application_id=app.id,
            number=f"ZB{today.year}-{next_number(tx, f'power.ticket.{today.year}'):04d}",
            instance_version=instance_version,
            issued_on=today,
            **_stamp(tx),
        )
    )


# -- helpers -----------------------------------------------------------------------------------

_users = metadata.tables["users"]


def _stamp(tx: Tx) -> dict[str, Any]:
    return {"recorded_at": tx.now, "recorded_by": tx.actor.user_id}


def _add_documents(tx: Tx, app_id: int, names: Iterable[str]) -> None:
    have = set(
        tx.conn.scalars(select(t.documents.c.name).where(t.documents.c.application_id == app_id))
    )
    for name in names:
        if name not in have:
            tx.conn.execute(
                t.documents.insert().values(application_id=app_id, name=name, **_stamp(tx))
            )
            have.add(name)


def _fee_data(line: FeeLine) -> dict[str, str]:
    return {
        "item": line.item,
        "label_zh": line.label_zh,
        "basis": line.basis,
        "amount": str(line.amount),
    }


def _plans(tx: Tx, app_id: int) -> list[Row[Any]]:
    p = t.plans.c
    return list(
        tx.conn.execute(
            select(t.plans, _users.c.login)
            .join(_users, _users.c.id == p.recorded_by)
            .where(p.application_id == app_id)
            .order_by(p.revision)
        )
    )


def _revision(plans: Sequence[PlanRevision], revision: int) -> PlanRevision:
    for plan in plans:
        if plan.revision == revision:
            return plan
    raise NotFound(f"quote: no plan revision {revision} (revisions: 1 to {len(plans)})")


def _profile_values(new: NewProfile) -> dict[str, Any]:
    return {
        "voltage": new.voltage,
        "contracted_capacity_kva": new.contracted_capacity_kva,
        "load_class": new.load_class,
        "priority": new.priority,
        "annual_consumption_kwh": new.annual_consumption_kwh,
        "annual_revenue": new.annual_revenue,
        "credit_status": new.credit_status,
        "standing": new.standing,
        "business_condition": new.business_condition,
    }


def _add_profile(tx: Tx, client_id: int, values: dict[str, Any], *, source: str) -> None:
    version = 1 + (
        tx.conn.scalar(
            select(func.max(t.profiles.c.version)).where(t.profiles.c.client_id == client_id)
        )
        or 0
    )
    tx.conn.execute(
        t.profiles.insert().values(
            client_id=client_id, version=version, source=source, **values, **_stamp(tx)
        )
    )


def _connected_profile(tx: Tx, app: Row[Any], plan: Row[Any]) -> None:
    """A new profile version with the voltage and capacity now connected (an increase adds)."""
    p = t.profiles.c
    last = tx.conn.execute(
        select(t.profiles).where(p.client_id == app.client_id).order_by(p.version.desc()).limit(1)
    ).first()
    fields = [c.name for c in t.profiles.c if c.name in _PROFILE_FIELDS]
    values = {name: getattr(last, name) for name in fields} if last else dict.fromkeys(fields)
    capacity = plan.capacity_kva
    if app.kind == "increase" and last is not None:
        capacity += last.contracted_capacity_kva
    values.update(voltage=plan.voltage, contracted_capacity_kva=capacity)
    _add_profile(tx, app.client_id, values, source=f"connection {app.number}")


_PROFILE_FIELDS = frozenset(
    {
        "voltage",
        "contracted_capacity_kva",
        "load_class",
        "priority",
        "annual_consumption_kwh",
        "annual_revenue",
        "credit_status",
        "standing",
        "business_condition",
    }
)


def _view(
    tx: Tx, app: Row[Any], instance: Instance, action: str | None, *, whole: bool = False
) -> ApplicationView:
    """The application as the actor may see it: a quote's fees and pay-into account need
    power.quotes.read (PWR-FEE-1); ``whole`` shows everything (the archived quote)."""
    conn = tx.conn
    today = china_date(tx.now)
    documents = tuple(
        conn.scalars(
            select(t.documents.c.name)
            .where(t.documents.c.application_id == app.id)
            .order_by(t.documents.c.id)
        )
    )
    required = tx.crm.policies.in_force(tx, "PWR-APP-1").required_documents
    survey = conn.execute(
        select(t.surveys)
        .where(t.surveys.c.application_id == app.id)
        .order_by(t.surveys.c.id.desc())
        .limit(1)
    ).first()
    plans = tuple(_plan_view(r) for r in _plans(tx, app.id))
    works = conn.execute(select(t.works).where(t.works.c.application_id == app.id)).first()
    inspections = tuple(
        Inspection(
            kind=r.kind,
            seq=r.seq,
            inspected_on=r.inspected_on,
            passed=r.passed,
            findings=r.findings,
            rectifications=tuple(r.rectifications),
            fee=r.fee,
            recorded_by=r.login,
        )
        for r in conn.execute(
            select(t.inspections, _users.c.login)
            .join(_users, _users.c.id == t.inspections.c.recorded_by)
            .where(t.inspections.c.application_id == app.id)
            .order_by(t.inspections.c.id)
        )
    )
    completion = conn.execute(
        select(t.completions).where(t.completions.c.application_id == app.id)
    ).first()
    contract = conn.execute(
        select(t.contracts).where(t.contracts.c.application_id == app.id)
    ).first()
    ticket = conn.execute(
        select(t.meter_tickets, t.ticket_returns.c.returned_on)
        .outerjoin(t.ticket_returns, t.ticket_returns.c.ticket_id == t.meter_tickets.c.id)
        .where(t.meter_tickets.c.application_id == app.id)
    ).first()
    account = conn.scalar(select(t.accounts.c.number).where(t.accounts.c.application_id == app.id))
    ticket_clock = next((c for c in instance.clocks if c.name == "meter_ticket"), None)
    clocks = tuple(
        ClockLine(
            name=c.name,
            rule=CLOCK_RULES.get(c.name, ""),
            days=c.days,
            unit=c.unit.value,
            due=c.due,
            stopped_at=c.stopped_at,
            outcome=c.outcome,
            overdue=c.overdue,
            paused=c.paused,
        )
        for c in instance.clocks
    )
    fees_due: Decimal | None = (plans[-1].total if plans else Decimal("0.00")) + sum(
        (i.fee for i in inspections), Decimal("0.00")
    )
    if not whole:
        client = access.client_by_id(tx, app.client_id)
        plans = tuple(
            access.present(
                tx, p, sensitive.QUOTE, action=action, client=client, record_id=p.quote_number
            )
            for p in plans
        )
        if plans and "total" in plans[-1].masked:
            fees_due = None
    return ApplicationView(
        number=app.number,
        client_code=instance.client_code,
        client_name=instance.client_name,
        kind=app.kind,
        voltage=app.voltage,
        capacity_kva=app.capacity_kva,
        sources=app.sources,
        address=app.address,
        applied_on=app.applied_on,
        accepted_on=app.accepted_on,
        documents=documents,
        missing_documents=tuple(d for d in required if d not in documents),
        workflow_id=instance.id,
        stage=instance.state,
        stage_label=instance.state_label,
        closed=instance.closed,
        waiting_for=instance.waiting_for,
        next_steps=tuple(a for a in instance.actions if a != "reject"),
        clocks=clocks,
        overdue=any(c.overdue for c in clocks),
        survey=None
        if survey is None
        else {
            "surveyed_on": survey.surveyed_on,
            "participants": list(survey.participants),
            "findings": survey.findings,
        },
        plans=plans,
        validity=_validity(tx, app.id, works, today),
        works=None
        if works is None
        else {
            "started_on": works.started_on,
            "designer": works.designer,
            "builder": works.builder,
            "qualification": works.qualification,
        },
        inspections=inspections,
        completion=()
        if completion is None
        else tuple(
            ChecklistItem(
                code=d.value, label_zh=COMPLETION_LABELS[d], filed=d.value in completion.documents
            )
            for d in CompletionDocument
        ),
        completion_filed_on=completion.filed_on if completion else None,
        contract=None if contract is None else _contract(tx, contract, app.client_id, action),
        meter_ticket=None
        if ticket is None
        else {
            "number": ticket.number,
            "issued_on": ticket.issued_on,
            "due": ticket_clock.due if ticket_clock else None,
            "returned_on": ticket.returned_on,
        },
        account=account,
        fees_due=fees_due,
    )


def _contract(tx: Tx, row: Row[Any], client_id: int, action: str | None) -> dict[str, object]:
    """The supply contract as the actor may see it: its number needs power.contracts.read."""
    return access.present(
        tx,
        {"number": row.number, "signed_on": row.signed_on, "document": row.document_id},
        sensitive.CONTRACT,
        action=action,
        client_id=client_id,
        clearance=access.client_by_id(tx, client_id).clearance,
        record_id=row.id,
    )


def _profile_version(r: Row[Any]) -> ProfileVersion:
    return ProfileVersion(
        version=r.version,
        voltage=r.voltage,
        contracted_capacity_kva=r.contracted_capacity_kva,
        load_class=r.load_class,
        priority=r.priority,
        annual_consumption_kwh=r.annual_consumption_kwh,
        annual_revenue=r.annual_revenue,
        credit_status=r.credit_status,
        standing=r.standing,
        business_condition=r.business_condition,
        source=r.source,
        recorded_at=r.recorded_at,
        recorded_by=r.login,
    )


def _plan_view(row: Row[Any]) -> PlanRevision:
    return PlanRevision(
        revision=row.revision,
        quote_number=row.quote_number,
        voltage=row.voltage,
        capacity_kva=row.capacity_kva,
        sources=tuple(row.sources),
        fees=tuple(
            FeeLine(
                item=f["item"],
                label_zh=f["label_zh"],
                basis=f["basis"],
                amount=Decimal(f["amount"]),
            )
            for f in row.fees
        ),
        total=row.total,
        pay_into=row.pay_into,
        note=row.note,
        recorded_at=row.recorded_at,
        recorded_by=row.login,
    )


def _validity(tx: Tx, app_id: int, works: Row[Any] | None, today: date) -> Validity | None:
    notice = tx.conn.execute(
        select(t.notices, t.plans.c.revision)
        .join(t.plans, t.plans.c.id == t.notices.c.plan_id)
        .where(t.notices.c.application_id == app_id)
    ).first()
    if notice is None:
        return None
    e = t.extensions.c
    extensions = tuple(
        Extension(
            seq=r.seq,
            asked_on=r.asked_on,
            reason=r.reason,
            months=r.months,
            valid_until_before=r.valid_until_before,
            valid_until=r.valid_until,
        )
        for r in tx.conn.execute(
            select(t.extensions).where(e.notice_id == notice.id).order_by(e.seq)
        )
    )
    until = extensions[-1].valid_until if extensions else notice.valid_until
    return Validity(
        notified_on=notice.notified_on,
        plan_revision=notice.revision,
        period_months=notice.period_months,
        valid_until=until,
        extensions=extensions,
        expired=works is None and today > until,
        works_started_on=works.started_on if works else None,
        quote_document=notice.document_id,
    )
