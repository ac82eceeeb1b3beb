"""Classification runs (客户分级): run a scheme, show the classes, explain one client, history.

Schemes are declared in :mod:`crmcore.classification` (the core's CLS-AMT-1/2 and CLS-SCORE-1,
plugins' through ``crm_classifiers``). A run classifies every active client that has the
scheme's input for the year in one ``INSERT ... SELECT`` and keeps, with the run, the policy
value it used (and the date that value took effect), the year, the cuts or bounds, and per
client the class, the measured value, the rank and the input row. Runs are never changed or
deleted: the history of a client's classes is the list of runs.

A run is *in force* from its ``as_of`` date until a later run of the same scheme: on a day D,
a client's class is its result in the run with the latest ``as_of`` <= D (the latest made, if
two share a date). A client missing from that run has no class under that scheme.

The year: schemes grade on the previous year's figures (CLS-SCORE-1: 每年度 on 上一年度), so
``year`` defaults to the year before ``as_of``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from attrs import frozen
from sqlalchemy import case, func, literal, select
from sqlalchemy.engine import Row

from crmcore import policies
from crmcore.app import Service, Tx, query, use_case
from crmcore.calendar import china_date
from crmcore.classification import Registered, RunContext, Scheme
from crmcore.domain.clients import ClientStatus
from crmcore.errors import InvalidInput, NotFound
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t
from crmcore.store.types import from_scaled_integer


@frozen(kw_only=True)
class SchemeView:
    key: str
    title: str
    title_zh: str
    owner: str
    policy: str
    classes: tuple[str, ...]
    measure: str


@frozen(kw_only=True)
class RunView:
    id: int
    scheme: str
    as_of: date
    year: int
    policy_key: str
    policy_from: date | None  # None: the rule's defaults
    policy: dict[str, Any] | None  # None: masked (access.CORE_FIELD_RULES)
    detail: dict[str, Any] | None  # the bounds or cuts applied; None: masked
    population: int
    counts: dict[str, int]
    ran_at: datetime
    ran_by: str
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class Classified:
    """One client in a run, in serving order (CLS-SCORE-2)."""

    position: int
    client_code: str
    client_name: str
    cls: str
    value: Decimal | None  # None: masked (access.CORE_FIELD_RULES)
    rank: int | None
    note: str | None
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class Listing:
    run: RunView
    rows: tuple[Classified, ...]


@frozen(kw_only=True)
class Share:
    cls: str
    count: int
    share: Decimal  # percent of the run's population


@frozen(kw_only=True)
class Distribution:
    run: RunView
    shares: tuple[Share, ...]


@frozen(kw_only=True)
class Explanation:
    scheme: str
    title: str
    client_code: str
    cls: str | None
    run: RunView | None
    value: Decimal | None
    rank: int | None
    note: str | None
    reasons: tuple[str, ...] | None  # None: masked, they quote the figures measured
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class HistoryEntry:
    run_id: int
    scheme: str
    as_of: date
    year: int
    cls: str
    value: Decimal | None
    rank: int | None
    note: str | None
    policy_from: date | None
    ran_at: datetime
    masked: tuple[str, ...] = ()


@frozen(kw_only=True)
class ClientClass:
    cls: str
    value: Decimal
    rank: int | None
    run_id: int
    note: str | None = None  # CLS-AMT-2: the managing level


class ClassificationService(Service):
    @query
    def schemes(self, tx: Tx) -> list[SchemeView]:
        views = []
        for key in sorted(self.crm.classification_schemes):
            reg = self.crm.classification_schemes[key]
            policy = self.crm.policies.in_force(tx, reg.scheme.policy)
            views.append(
                SchemeView(
                    key=key,
                    title=reg.scheme.title,
                    title_zh=reg.scheme.title_zh,
                    owner=reg.owner,
                    policy=reg.scheme.policy,
                    classes=reg.scheme.classes(policy),
                    measure=reg.scheme.measure.label,
                )
            )
        return views

    @use_case
    def run(
        self, tx: Tx, scheme: str, *, as_of: date | None = None, year: int | None = None
    ) -> RunView:
        """Classify every active client with the scheme's input for ``year`` (default: the
        year before ``as_of``), under the policy in force on ``as_of`` (default: today)."""
        tx.actor.require("classification.run")
        reg = self._scheme(scheme)
        as_of = as_of or china_date(tx.now)
        year = as_of.year - 1 if year is None else year
        if not 1980 <= year <= as_of.year:
            raise InvalidInput(
                "year", f"{year} is not a year up to {as_of.year}", rule=reg.scheme.key
            )
        spec = policies.lookup(self.crm.policy_specs, reg.scheme.policy)
        policy = self.crm.policies.in_force(tx, spec.key, as_of)
        ctx = RunContext(tx, reg.scheme.key, as_of, year, policy)
        c = t.clients.c
        source = reg.scheme.measure.select(ctx).subquery("source")
        measured = (
            select(source.c.client_id, source.c.value, source.c.input_id, c.code)
            .join(t.clients, c.id == source.c.client_id)
            .where(c.status != ClientStatus.ARCHIVED)
            .subquery("measured")
        )
        population = tx.conn.scalar(select(func.count()).select_from(measured)) or 0
        plan = reg.scheme.plan(policy, population)
        run_id = tx.conn.execute(
            t.classification_runs.insert().values(
                scheme=reg.scheme.key,
                as_of=as_of,
                year=year,
                policy_key=spec.key,
                policy_from=self.crm.policies.effective_from(tx, spec.key, as_of),
                policy=policies.value_of(policy),
                detail=plan,
                population=population,
                counts={},
                ran_at=tx.now,
                ran_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        classified = reg.scheme.classify(ctx, measured, plan).subquery("classified")
        k = classified.c
        dialect = tx.conn.dialect.name
        r = t.classification_results.c
        tx.conn.execute(
            t.classification_results.insert().from_select(
                [r.run_id, r.client_id, r["class"], r.value, r.rank, r.input_id, r.note],
                select(
                    literal(run_id),
                    k.client_id,
                    k["class"],
                    from_scaled_integer(k.value, 4, dialect),
                    k.rank,
                    k.input_id,
                    k.note,
                ).order_by(k.client_id),
            )
        )
        counts = {
            cls: n
            for cls, n in tx.conn.execute(
                select(r["class"], func.count()).where(r.run_id == run_id).group_by(r["class"])
            )
        }
        tx.conn.execute(
            t.classification_runs.update()
            .where(t.classification_runs.c.id == run_id)
            .values(counts=counts)
        )
        tx.audit(
            "classification.run",
            "classification_run",
            run_id,
            detail={
                "scheme": reg.scheme.key,
                "as_of": as_of.isoformat(),
                "year": year,
                "population": population,
                "counts": counts,
            },
        )
        return self._run_view(tx, self._run_row(tx, run_id))

    @query
    def runs(self, tx: Tx, scheme: str | None = None, *, limit: int = 20) -> list[RunView]:
        """Runs, newest first."""
        tx.actor.require("client.read")
        runs = t.classification_runs.c
        stmt = select(t.classification_runs).order_by(runs.id.desc()).limit(limit)
        if scheme:
            stmt = stmt.where(runs.scheme == self._scheme(scheme).scheme.key)
        return [
            self._run_view(tx, row, action="classification.runs") for row in tx.conn.execute(stmt)
        ]

    @query
    def show(
        self,
        tx: Tx,
        scheme: str,
        *,
        cls: str | None = None,
        on: date | None = None,
        run_id: int | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Listing:
        """Clients of the run in force (or ``run_id``) in serving order: class by class, by
        score within a class, equal scores by client code (CLS-SCORE-2)."""
        reg = self._scheme(scheme)
        row = self._chosen_run(tx, reg, on, run_id)
        view = self._run_view(tx, row)
        classes = reg.scheme.classes(_policy_of(self.crm, reg.scheme, row.policy))
        if cls is not None and cls not in classes:
            raise InvalidInput("class", f"{cls!r} is not one of {', '.join(classes)}")
        r, c = t.classification_results.c, t.clients.c
        order = case(
            {name: i for i, name in enumerate(classes)}, value=r["class"], else_=len(classes)
        )
        stmt = (
            select(c.code, c.name, r["class"], r.value, r.rank, r.note, c.id, c.clearance)
            .join(t.clients, c.id == r.client_id)
            .where(r.run_id == row.id, access.readable_clients(tx))
            .order_by(order, r.value.desc(), c.code)
        )
        if cls is not None:
            stmt = stmt.where(r["class"] == cls)
        rows = tx.conn.execute(stmt.limit(limit).offset(offset)).all()
        return Listing(
            run=view,
            rows=tuple(
                self._present(
                    tx,
                    Classified(
                        position=offset + i + 1,
                        client_code=x.code,
                        client_name=x.name,
                        cls=x[2],
                        value=x.value,
                        rank=x.rank,
                        note=x.note,
                    ),
                    "classification.show",
                    x,
                    row.id,
                )
                for i, x in enumerate(rows)
            ),
        )

    @query
    def distribution(
        self, tx: Tx, scheme: str, *, on: date | None = None, run_id: int | None = None
    ) -> Distribution:
        """Count and share of each class in the run in force (or ``run_id``)."""
        tx.actor.require("client.read")
        reg = self._scheme(scheme)
        row = self._chosen_run(tx, reg, on, run_id)
        view = self._run_view(tx, row)
        classes = reg.scheme.classes(_policy_of(self.crm, reg.scheme, row.policy))
        extra = sorted(set(view.counts) - set(classes))
        total = view.population
        return Distribution(
            run=view,
            shares=tuple(
                Share(
                    cls=name,
                    count=view.counts.get(name, 0),
                    share=(Decimal(100) * view.counts.get(name, 0) / total).quantize(Decimal("0.1"))
                    if total
                    else Decimal(0),
                )
                for name in (*classes, *extra)
            ),
        )

    @query
    def explain(
        self, tx: Tx, code: str, *, scheme: str | None = None, on: date | None = None
    ) -> list[Explanation]:
        """Why the client has its class under each scheme (or one): the run in force, the
        policy it used, the input it measured, the rank and the cut or bound that decided."""
        client = lookup.readable_client(tx, code)
        regs = (
            [self._scheme(scheme)]
            if scheme
            else [
                self.crm.classification_schemes[k] for k in sorted(self.crm.classification_schemes)
            ]
        )
        day = on or china_date(tx.now)
        result = []
        for reg in regs:
            run = self.in_force(tx, reg.scheme.key, day)
            title = reg.scheme.title
            if run is None:
                result.append(
                    _unclassified(
                        reg, client.code, None, f"no {reg.scheme.key} run in force on {day}"
                    )
                )
                continue
            view = self._run_view(tx, run)
            r = t.classification_results.c
            found = tx.conn.execute(
                select(t.classification_results).where(r.run_id == run.id, r.client_id == client.id)
            ).first()
            if found is None:
                result.append(
                    _unclassified(
                        reg,
                        client.code,
                        view,
                        f"not in run {run.id} (as of {run.as_of}): no {reg.scheme.measure.label} "
                        f"for {run.year} when it ran, or the client was archived",
                    )
                )
                continue
            policy = _policy_of(self.crm, reg.scheme, run.policy)
            mapping = dict(found._mapping)
            reasons = [
                f"run {run.id} of {reg.scheme.key} as of {run.as_of} on {run.year} figures, "
                f"policy {view.policy_key} "
                + (f"in force since {view.policy_from}" if view.policy_from else "at its defaults"),
                *reg.scheme.measure.describe(tx, found.input_id, policy),
                reg.scheme.reason(dict(run.detail), mapping, view.population),
            ]
            if found.note:
                reasons.append(f"note: {found.note}")
            result.append(
                self._present(
                    tx,
                    Explanation(
                        scheme=reg.scheme.key,
                        title=title,
                        client_code=client.code,
                        cls=mapping["class"],
                        run=view,
                        value=found.value,
                        rank=found.rank,
                        note=found.note,
                        reasons=tuple(reasons),
                    ),
                    "classification.explain",
                    client,
                    run.id,
                )
            )
        return result

    @query
    def history(self, tx: Tx, code: str, *, scheme: str | None = None) -> list[HistoryEntry]:
        """Every run that classified the client, newest first."""
        client = lookup.readable_client(tx, code)
        r, runs = t.classification_results.c, t.classification_runs.c
        stmt = (
            select(t.classification_results, t.classification_runs)
            .join(t.classification_runs, runs.id == r.run_id)
            .where(r.client_id == client.id)
            .order_by(runs.as_of.desc(), runs.id.desc())
        )
        if scheme:
            stmt = stmt.where(runs.scheme == self._scheme(scheme).scheme.key)
        return [
            self._present(
                tx,
                HistoryEntry(
                    run_id=x.run_id,
                    scheme=x.scheme,
                    as_of=x.as_of,
                    year=x.year,
                    cls=x._mapping["class"],
                    value=x.value,
                    rank=x.rank,
                    note=x.note,
                    policy_from=x.policy_from,
                    ran_at=x.ran_at,
                ),
                "classification.history",
                client,
                x.run_id,
            )
            for x in tx.conn.execute(stmt)
        ]

    # -- for other services and plugins (join the caller's transaction) -------------------------

    def in_force(self, tx: Tx, scheme: str, day: date | None = None) -> Row[Any] | None:
        """The run of ``scheme`` in force on ``day`` (default today), or None."""
        runs = t.classification_runs.c
        return tx.conn.execute(
            select(t.classification_runs)
            .where(runs.scheme == scheme, runs.as_of <= (day or china_date(tx.now)))
            .order_by(runs.as_of.desc(), runs.id.desc())
            .limit(1)
        ).first()

    def classes_of(
        self,
        tx: Tx,
        scheme: str,
        client_ids: Iterable[int] | None = None,
        *,
        day: date | None = None,
    ) -> dict[int, ClientClass]:
        """Client id -> class in the run in force, for active (not archived) clients."""
        run = self.in_force(tx, scheme, day)
        if run is None:
            return {}
        r, c = t.classification_results.c, t.clients.c
        stmt = (
            select(r.client_id, r["class"], r.value, r.rank, r.note)
            .join(t.clients, c.id == r.client_id)
            .where(r.run_id == run.id, c.status != ClientStatus.ARCHIVED)
        )
        found: dict[int, ClientClass] = {}
        ids = None if client_ids is None else list(client_ids)
        for chunk in (
            [None] if ids is None else [ids[i : i + 5000] for i in range(0, len(ids), 5000)]
        ):
            part = stmt if chunk is None else stmt.where(r.client_id.in_(chunk))
            for x in tx.conn.execute(part):
                found[x.client_id] = ClientClass(
                    cls=x[1], value=x.value, rank=x.rank, run_id=run.id, note=x.note
                )
        return found

    # -- internals ----------------------------------------------------------------------------

    def _present(self, tx: Tx, view: Any, action: str, client: Any, run_id: int) -> Any:
        """``view`` with the measured value (and the reasons quoting it) masked for a reader
        below the field rules (access.CORE_FIELD_RULES); the look-up is recorded."""
        return access.present(
            tx,
            view,
            "classification",
            action=action,
            client=client,
            record_id=f"run {run_id}",
        )

    def _scheme(self, key: str) -> Registered:
        reg = self.crm.classification_schemes.get(key) or self.crm.classification_schemes.get(
            key.upper()
        )
        if reg is None:
            known = ", ".join(sorted(self.crm.classification_schemes))
            raise NotFound(f"scheme: unknown classification scheme {key!r} (known: {known})")
        return reg

    def _chosen_run(self, tx: Tx, reg: Registered, on: date | None, run_id: int | None) -> Row[Any]:
        tx.actor.require("client.read")
        if run_id is not None:
            row = self._run_row(tx, run_id)
            if row.scheme != reg.scheme.key:
                raise InvalidInput("run", f"run {run_id} is a run of {row.scheme}")
            return row
        row = self.in_force(tx, reg.scheme.key, on)
        if row is None:
            day = on or china_date(tx.now)
            raise NotFound(
                f"scheme: no {reg.scheme.key} run in force on {day}: "
                f"run `crm classify run {reg.scheme.key}`"
            )
        return row

    def _run_row(self, tx: Tx, run_id: int) -> Row[Any]:
        row = tx.conn.execute(
            select(t.classification_runs).where(t.classification_runs.c.id == run_id)
        ).first()
        if row is None:
            raise NotFound(f"run: unknown classification run {run_id}")
        return row

    def _run_view(self, tx: Tx, row: Row[Any], *, action: str | None = None) -> RunView:
        """The run as the actor may see it: the policy values and the bounds or cuts it applied
        masked below the field rules (access.CORE_FIELD_RULES, like the values it measured);
        ``action`` names a door whose reads in clear are recorded (CORE-CONF-2)."""
        view = RunView(
            id=row.id,
            scheme=row.scheme,
            as_of=row.as_of,
            year=row.year,
            policy_key=row.policy_key,
            policy_from=row.policy_from,
            policy=dict(row.policy),
            detail=dict(row.detail),
            population=row.population,
            counts=dict(row.counts),
            ran_at=row.ran_at,
            ran_by=lookup.logins(tx.conn, {row.ran_by})[row.ran_by],
        )
        return access.present(
            tx, view, "classification_run", action=action, clearance=0, record_id=row.id
        )


def _policy_of(crm: Any, scheme: Scheme, stored: Mapping[str, Any]) -> Any:
    """The policy object a run used, rebuilt from the value kept with it."""
    from crmcore.services.policies import _known

    spec = policies.lookup(crm.policy_specs, scheme.policy)
    return policies.build(spec, _known(spec, stored))


def _unclassified(reg: Registered, code: str, run: RunView | None, why: str) -> Explanation:
    return Explanation(
        scheme=reg.scheme.key,
        title=reg.scheme.title,
        client_code=code,
        cls=None,
        run=run,
        value=None,
        rank=None,
        note=None,
        reasons=(why,),
    )
