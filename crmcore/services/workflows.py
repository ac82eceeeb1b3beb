"""Running workflow instances: start, advance, reject, withdraw, pause, resume, history, SLA.

Definitions come from :mod:`crmcore.workflow`. An instance belongs to a client and optionally
to one plugin record (``entity_type``, ``entity_id``). Its history is append-only
(``workflow_events``); the instance row holds the current state and a version number.

Two people advancing the same step at once: exactly one wins. The instance row is read with
``FOR UPDATE`` (PostgreSQL; on SQLite every write transaction already begins IMMEDIATE), the
move is a compare-and-set ``UPDATE ... WHERE version = <read>`` whose row count is checked, and
a unique index on (instance, seq) is the backstop. The loser gets a Conflict saying where the
instance is now. Pass ``expected_state`` (what the user saw) to make that explicit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import attrs
from attrs import frozen
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.engine import Row

from crmcore.app import Service, Tx, query, use_case
from crmcore.calendar import DayUnit, china_date, end_of_day, start_of_day
from crmcore.domain.security import Clearance
from crmcore.errors import Conflict, CrmError, InvalidInput, NotFound, PermissionDenied, PluginError
from crmcore.plugins import _describe
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t
from crmcore.workflow import (
    WITHDRAWN,
    Clock,
    Definition,
    StepContext,
    Transition,
    clock_days,
    clock_since,
)


class Vetoed(Conflict):
    """A guard refused the move; the message gives its reason and names the plugin."""


@frozen(kw_only=True)
class ClockView:
    name: str
    unit: DayUnit
    days: int
    started_at: datetime
    due: date
    paused: bool
    stopped_at: datetime | None
    outcome: str | None  # met | missed | cancelled
    overdue: bool  # running and past its due date today


@frozen(kw_only=True)
class Signature:
    role: str
    signer: str
    signed_at: datetime


@frozen(kw_only=True)
class Instance:
    id: int
    workflow: str
    title: str
    client_code: str
    client_name: str
    entity_type: str | None
    entity_id: str | None
    state: str
    state_label: str
    closed: bool
    version: int
    paused: bool
    started_at: datetime
    started_by: str
    updated_at: datetime
    closed_at: datetime | None
    # None when withheld as a whole (a rule on workflow_instance "data"); a key withheld by a
    # rule on "data.KEY" is None in it and "data.KEY" is in masked, the other keys are shown
    data: dict[str, Any] | None
    assignees: dict[str, list[str]]
    waiting_for: tuple[str, ...]  # roles that may act now (sign-offs: those still to sign)
    actions: tuple[str, ...]  # actions possible at this state
    signatures: tuple[Signature, ...]  # this round of an all-must-sign step
    clocks: tuple[ClockView, ...]
    masked: tuple[str, ...] = ()  # fields withheld from this reader (shown as None)

    @property
    def due(self) -> date | None:
        """The earliest deadline still running."""
        running = [c.due for c in self.clocks if c.stopped_at is None and not c.paused]
        return min(running) if running else None


@frozen(kw_only=True)
class WorkflowEvent:
    seq: int
    action: str
    from_state: str | None
    to_state: str
    role: str | None
    actor: str
    at: datetime
    comment: str | None  # None also when masked (a field rule on workflow_event.comment)
    # a step's data: withheld as the instance's data is (a key masked is "detail.KEY"), and
    # as a whole by a rule on workflow_event "detail"
    detail: dict[str, Any] | None
    masked: tuple[str, ...] = ()  # fields withheld from this reader


@frozen(kw_only=True)
class SlaRow:
    """On-time record of one clock (a workflow's deadline or one step of it) over a period."""

    workflow: str
    clock: str
    met: int  # stopped on or before the due date
    late: int  # stopped after it
    overdue: int  # still running, past due
    on_time_rate: Decimal | None  # met / (met + late + overdue), percent; None: nothing due

    @property
    def total(self) -> int:
        return self.met + self.late + self.overdue


class WorkflowService(Service):
    # -- reading ------------------------------------------------------------------------------

    @query
    def definitions(self, tx: Tx) -> list[Definition]:
        return [self.crm.workflow_definitions[n] for n in sorted(self.crm.workflow_definitions)]

    @query
    def get(self, tx: Tx, instance_id: int) -> Instance:
        """An instance as the actor may see it; the look-up is recorded (CORE-CONF-2)."""
        tx.actor.require("workflow.read")
        return self._view(tx, self._row(tx, instance_id), "workflow.get")

    @query
    def history(self, tx: Tx, instance_id: int) -> list[WorkflowEvent]:
        """Every event of an instance, oldest first: who did what, when, and why.

        A door like the client record: the same visibility, field rules on
        ``workflow_event`` fields (comment, detail), and a look-up record. The data a step
        gave is the instance's data, so the instance's rules on ``data`` keys withhold it here
        too: history is no side door to what ``get`` masks.
        """
        tx.actor.require("workflow.read")
        row = self._row(tx, instance_id)
        instance = self._build(tx, row)
        place = {
            "action": "workflow.history",
            "client_id": row.client_id,
            "clearance": _client_level(tx, row.client_id),
            "record_id": row.id,
        }
        events = []
        for event in _events(tx, row.id):
            shown = access.present(tx, event, "workflow_event", **place)
            if shown.detail and event.action not in _BOOKKEEPING:
                as_data = access.present(
                    tx,
                    attrs.evolve(instance, data=shown.detail),
                    "workflow_instance",
                    only=("data",),
                    **place,
                )
                hidden = tuple("detail" + name.removeprefix("data") for name in as_data.masked)
                if hidden:
                    shown = attrs.evolve(
                        shown, detail=as_data.data, masked=(*shown.masked, *hidden)
                    )
            events.append(shown)
        return events

    @query
    def list(
        self,
        tx: Tx,
        *,
        client_code: str | None = None,
        workflow: str | None = None,
        include_closed: bool = False,
        limit: int = 100,
    ) -> list[Instance]:
        tx.actor.require("workflow.read")
        w = t.workflow_instances.c
        stmt = (
            select(t.workflow_instances)
            .join(t.clients, t.clients.c.id == w.client_id)
            .where(access.readable_clients(tx))
            .order_by(w.id.desc())
            .limit(limit)
        )
        if client_code:
            stmt = stmt.where(w.client_id == lookup.client_row(tx.conn, client_code).id)
        if workflow:
            stmt = stmt.where(w.workflow == workflow)
        if not include_closed:
            stmt = stmt.where(w.closed_at.is_(None))
        return [self._view(tx, r, "workflow.list") for r in tx.conn.execute(stmt)]

    @query
    def for_entity(self, tx: Tx, entity_type: str, entity_id: str | int) -> list[Instance]:
        """The instances attached to one plugin record, oldest first."""
        tx.actor.require("workflow.read")
        w = t.workflow_instances.c
        rows = tx.conn.execute(
            select(t.workflow_instances)
            .join(t.clients, t.clients.c.id == w.client_id)
            .where(
                w.entity_type == entity_type,
                w.entity_id == str(entity_id),
                access.readable_clients(tx),
            )
            .order_by(w.id)
        )
        return [self._view(tx, r, "workflow.list") for r in rows]

    def waiting_on(
        self, tx: Tx, roles: Iterable[str], *, login: str | None = None
    ) -> list[tuple[Instance, tuple[str, ...]]]:
        """Open instances at a step one of ``roles`` may act on, with the roles that may act.

        With ``login``, a step assigned to named people counts only if ``login`` is one of them.
        """
        roles = set(roles)
        pairs = [
            (name, state)
            for name, d in self.crm.workflow_definitions.items()
            for state, outgoing in d.transitions.items()
            if any(not tr.reject and tr.role in roles for tr in outgoing)
        ]
        if not pairs:
            return []
        w = t.workflow_instances.c
        rows = tx.conn.execute(
            select(t.workflow_instances)
            .join(t.clients, t.clients.c.id == w.client_id)
            .where(
                w.closed_at.is_(None),
                access.readable_clients(tx),
                or_(*(and_(w.workflow == n, w.state == s) for n, s in pairs)),
            )
            .order_by(w.id)
        )
        result = []
        for row in rows:
            view = self._build(tx, row)
            mine = tuple(
                r
                for r in view.waiting_for
                if r in roles
                and (login is None or not view.assignees.get(r) or login in view.assignees[r])
            )
            if mine:
                result.append((self._present(tx, view, row, "workflow.tasks"), mine))
        return result

    # -- starting and moving ------------------------------------------------------------------

    @use_case
    def start(
        self,
        tx: Tx,
        workflow: str,
        client_code: str,
        *,
        entity_type: str | None = None,
        entity_id: str | int | None = None,
        data: Mapping[str, Any] | None = None,
        assignees: Mapping[str, Sequence[str]] | None = None,
        comment: str | None = None,
    ) -> Instance:
        """Open an instance of ``workflow`` for a client (and a plugin record) at its first step."""
        tx.actor.require("workflow.start")
        definition = self._definition(workflow)
        starters = definition.workflow.start_roles
        if starters and not set(starters) & tx.actor.roles:
            raise PermissionDenied(
                f"workflow {workflow}: only {', '.join(starters)} may start it; "
                f"{tx.actor.login} holds {', '.join(sorted(tx.actor.roles)) or 'no role'}",
                rule=definition.workflow.rule or None,
            )
        if (entity_type is None) != (entity_id is None):
            raise InvalidInput("entity", "give both the entity type and its id, or neither")
        client = access.client_for_read(tx, client_code, action=None)
        _check_data_write(tx, data, None)
        named = _check_assignees(tx, definition, assignees or {})
        initial = definition.workflow.initial
        instance_id = tx.conn.execute(
            t.workflow_instances.insert().values(
                workflow=workflow,
                client_id=client.id,
                entity_type=entity_type,
                entity_id=None if entity_id is None else str(entity_id),
                state=initial,
                version=1,
                data=dict(data or {}),
                assignees=named,
                started_at=tx.now,
                started_by=tx.actor.user_id,
                updated_at=tx.now,
            )
        ).inserted_primary_key[0]
        _event(tx, instance_id, 1, "start", None, initial, None, comment, {})
        row = self._row(tx, instance_id)
        ctx = StepContext(tx, self._build(tx, row), "start", None, initial, comment, row.data)
        self._enter(tx, definition, row, None, initial, ctx)
        tx.audit(
            "workflow.start",
            "workflow_instance",
            instance_id,
            client_id=client.id,
            detail={"workflow": workflow, "state": initial},
        )
        return self._view(tx, self._row(tx, instance_id), None)

    @use_case
    def advance(
        self,
        tx: Tx,
        instance_id: int,
        action: str | None = None,
        *,
        comment: str | None = None,
        data: Mapping[str, Any] | None = None,
        expected_state: str | None = None,
    ) -> Instance:
        """Take ``action`` at the current step as the acting user (the only action if omitted).

        A sign-off step records the signature and moves on when the last role has signed. A
        paused instance resumes first (the client has answered): its clocks run again.
        """
        return self._act(tx, instance_id, action, comment, data, expected_state, reject=False)

    @use_case
    def reject(
        self,
        tx: Tx,
        instance_id: int,
        reason: str,
        *,
        expected_state: str | None = None,
    ) -> Instance:
        """Reject at the current step: back to the state the definition names, with a reason."""
        return self._act(tx, instance_id, None, reason, None, expected_state, reject=True)

    @use_case
    def withdraw(self, tx: Tx, instance_id: int, reason: str) -> Instance:
        """Withdraw (撤回): only who started it, or a workflow admin; clocks are cancelled."""
        row = self._row(tx, instance_id, lock=True)
        definition = self._definition(row.workflow)
        _open(row, definition)
        if not definition.workflow.withdrawable:
            raise Conflict(f"workflow {row.id}: {row.workflow} cannot be withdrawn")
        if row.started_by != tx.actor.user_id and not tx.actor.can("workflow.admin"):
            raise PermissionDenied(
                f"workflow {row.id}: only whoever started it or a workflow admin may withdraw it"
            )
        reason = _required(reason, "reason", "a withdrawal needs a reason")
        view = self._build(tx, row)
        ctx = StepContext(tx, view, "withdraw", None, WITHDRAWN, reason, row.data)
        self._move(tx, definition, row, "withdraw", None, WITHDRAWN, reason, {}, ctx)
        return self._view(tx, self._row(tx, instance_id), None)

    @use_case
    def pause(self, tx: Tx, instance_id: int, reason: str) -> Instance:
        """Stop the clocks while the client holds the ball (e.g. documents missing)."""
        row = self._row(tx, instance_id, lock=True)
        definition = self._definition(row.workflow)
        _open(row, definition)
        self._may_steer(tx, row, definition)
        if row.paused_at is not None:
            raise Conflict(f"workflow {row.id} is already paused")
        reason = _required(reason, "reason", "say what the client has to do")
        calendar = self.crm.calendar.calendar(tx)
        today = china_date(tx.now)
        for clock in _running_clocks(tx, row.id):
            tx.conn.execute(
                update(t.workflow_clocks)
                .where(t.workflow_clocks.c.id == clock.id)
                .values(
                    paused_on=today,
                    remaining=calendar.days_between(today, clock.due, DayUnit(clock.unit)),
                )
            )
        self._bump(tx, row, paused_at=tx.now)
        _event(tx, row.id, row.version + 1, "pause", row.state, row.state, None, reason, {})
        tx.audit("workflow.pause", "workflow_instance", row.id, client_id=row.client_id)
        return self._view(tx, self._row(tx, instance_id), None)

    @use_case
    def resume(self, tx: Tx, instance_id: int, comment: str | None = None) -> Instance:
        """Restart the clocks with the days they had left when paused."""
        row = self._row(tx, instance_id, lock=True)
        definition = self._definition(row.workflow)
        _open(row, definition)
        self._may_steer(tx, row, definition)
        if row.paused_at is None:
            raise Conflict(f"workflow {row.id} is not paused")
        self._resume(tx, row, comment)
        return self._view(tx, self._row(tx, instance_id), None)

    # -- SLA ----------------------------------------------------------------------------------

    @query
    def sla(self, tx: Tx, start: date, end: date, *, workflow: str | None = None) -> list[SlaRow]:
        """On-time rate per workflow and clock (a chain step's clock is named after the step).

        Counted: clocks stopped within [start, end] (met or late by their due date) and clocks
        still running whose due date passed within it (overdue). Withdrawn instances' clocks
        and paused ones don't count.
        """
        tx.actor.require("workflow.read")
        if end < start:
            raise InvalidInput("to", f"{end} is before {start}")
        c, w = t.workflow_clocks.c, t.workflow_instances.c
        today = china_date(tx.now)
        slot = case((c.stopped_at.is_(None), 2), (c.outcome == "met", 0), else_=1)
        stmt = (
            select(w.workflow, c.name, slot.label("slot"), func.count().label("n"))
            .join(t.workflow_instances, w.id == c.instance_id)
            .join(t.clients, t.clients.c.id == w.client_id)
            .where(
                access.readable_clients(tx),
                or_(
                    and_(
                        c.stopped_at >= start_of_day(start),
                        c.stopped_at <= end_of_day(end),
                        c.outcome != "cancelled",
                    ),
                    and_(
                        c.stopped_at.is_(None),
                        c.paused_on.is_(None),  # the client holds the ball: not late
                        c.due >= start,
                        c.due <= end,
                        c.due < today,
                    ),
                ),
            )
            .group_by(w.workflow, c.name, slot)
        )
        if workflow:
            stmt = stmt.where(w.workflow == workflow)
        counts: dict[tuple[str, str], list[int]] = {}
        for r in tx.conn.execute(stmt):
            counts.setdefault((r.workflow, r.name), [0, 0, 0])[r.slot] = r.n
        return [
            SlaRow(
                workflow=wf,
                clock=name,
                met=met,
                late=late,
                overdue=overdue,
                on_time_rate=_rate(met, met + late + overdue),
            )
            for (wf, name), (met, late, overdue) in sorted(counts.items())
        ]

    # -- internals ----------------------------------------------------------------------------

    def _definition(self, name: str) -> Definition:
        definition = self.crm.workflow_definitions.get(name)
        if definition is None:
            known = ", ".join(sorted(self.crm.workflow_definitions)) or "none"
            raise NotFound(
                f"workflow: unknown workflow {name!r} (registered: {known}; is its plugin enabled?)"
            )
        return definition

    def _row(self, tx: Tx, instance_id: int, *, lock: bool = False) -> Row[Any]:
        stmt = select(t.workflow_instances).where(t.workflow_instances.c.id == instance_id)
        if lock:
            stmt = stmt.with_for_update()
        row = tx.conn.execute(stmt).first()
        if row is None:
            raise NotFound(f"workflow: unknown workflow instance {instance_id}")
        access.client_by_id(tx, row.client_id)  # PermissionDenied unless readable
        return row

    def _act(
        self,
        tx: Tx,
        instance_id: int,
        action: str | None,
        comment: str | None,
        data: Mapping[str, Any] | None,
        expected_state: str | None,
        *,
        reject: bool,
    ) -> Instance:
        row = self._row(tx, instance_id, lock=True)
        definition = self._definition(row.workflow)
        _open(row, definition)
        if expected_state is not None and expected_state != row.state:
            raise Conflict(
                f"workflow {row.id} is no longer at {expected_state!r}: it is at "
                f"{definition.label(row.state)!r} now (someone acted first)",
                rule=definition.workflow.rule or None,
            )
        view = self._build(tx, row)
        tr, role = self._choose(tx, definition, row, view, action, reject)
        if reject:
            comment = _required(comment, "reason", "a rejection needs a reason")
        _check_data_write(tx, data, view)
        merged = {**row.data, **(data or {})}
        ctx = StepContext(tx, view, tr.action, role, tr.target, comment, merged)
        for guard in tr.guards:
            reason = _call(definition, "guard", guard, ctx)
            if reason:
                raise Vetoed(
                    f"workflow {row.id}: {tr.action} refused by plugin {definition.owner}: {reason}",
                    rule=definition.workflow.rule or None,
                )
        if row.paused_at is not None:
            self._resume(tx, row, "resumed by the next step")
            row = self._row(tx, instance_id)
        target = tr.target
        if tr.signoff:
            signed = {s.role for s in view.signatures} | {role}
            if set(definition.signoffs[row.state]) - signed:
                target = row.state  # more signatures to come
        ctx = StepContext(tx, view, tr.action, role, target, comment, merged)
        self._move(tx, definition, row, tr.action, role, target, comment, dict(data or {}), ctx)
        return self._view(tx, self._row(tx, instance_id), None)

    def _choose(
        self,
        tx: Tx,
        definition: Definition,
        row: Row[Any],
        view: Instance,
        action: str | None,
        reject: bool,
    ) -> tuple[Transition, str]:
        """The transition the actor takes, or a clear error saying why there is none."""
        here = definition.label(row.state)
        outgoing = [tr for tr in definition.transitions.get(row.state, ()) if tr.reject == reject]
        if not outgoing:
            raise Conflict(f"workflow {row.id}: nothing can be rejected at {here!r}")
        actions = sorted({tr.action for tr in outgoing})
        if action is None:
            if len(actions) > 1:
                raise InvalidInput(
                    "action", f"at {here!r} say which: {', '.join(actions)}", rule=None
                )
            action = actions[0]
        candidates = [tr for tr in outgoing if tr.action == action]
        if not candidates:
            raise Conflict(
                f"workflow {row.id}: {action!r} is not possible at {here!r} "
                f"(possible: {', '.join(actions)})",
                rule=definition.workflow.rule or None,
            )
        signed = {s.role: s.signer for s in view.signatures}
        if tx.actor.login in signed.values() and any(tr.signoff for tr in candidates):
            raise Conflict(
                f"workflow {row.id}: {tx.actor.login} has already signed at {here!r}; "
                "each role signs by a different person",
                rule=definition.workflow.rule or None,
            )
        mine = [
            tr
            for tr in candidates
            if access.may_act(tx, tr.role, client_id=row.client_id, assignees=row.assignees)
            and tr.role not in signed
        ]
        if not mine:
            waiting = ", ".join(view.waiting_for) or "nobody"
            last = _last_event(tx, row.id)
            if last is not None and last.actor_id == tx.actor.user_id and last.action == action:
                raise Conflict(
                    f"workflow {row.id}: {tx.actor.login} already did {action!r}; "
                    f"it now waits at {here!r} for {waiting}",
                    rule=definition.workflow.rule or None,
                )
            raise PermissionDenied(
                f"workflow {row.id}: {action!r} at {here!r} is for {waiting}; "
                f"{tx.actor.login} holds {', '.join(sorted(tx.actor.roles)) or 'no role'}",
                rule=definition.workflow.rule or None,
            )
        role = mine[0].role
        ctx = StepContext(tx, view, action, role, mine[0].target, None, row.data)
        routed = [tr for tr in mine if tr.role == role]
        for tr in routed:
            if tr.when is None or _call(definition, "when", tr.when, ctx):
                return tr, role
        raise Conflict(
            f"workflow {row.id}: no route for {action!r} at {here!r} applies to this instance",
            rule=definition.workflow.rule or None,
        )

    def _move(
        self,
        tx: Tx,
        definition: Definition,
        row: Row[Any],
        action: str,
        role: str | None,
        target: str,
        comment: str | None,
        data: dict[str, Any],
        ctx: StepContext,
    ) -> None:
        closing = definition.is_terminal(target)
        self._bump(
            tx,
            row,
            state=target,
            data={**row.data, **data},
            closed_at=tx.now if closing else None,
        )
        _event(tx, row.id, row.version + 1, action, row.state, target, role, comment, data)
        if target != row.state:
            self._enter(tx, definition, row, row.state, target, ctx)
        tx.audit(
            f"workflow.{action}",
            "workflow_instance",
            row.id,
            client_id=row.client_id,
            detail={"from": row.state, "to": target, "role": role},
        )

    def _enter(
        self,
        tx: Tx,
        definition: Definition,
        row: Row[Any],
        source: str | None,
        target: str,
        ctx: StepContext,
    ) -> None:
        """Stop and start clocks for a move from ``source`` to ``target``, then ``on_enter``."""
        today = china_date(tx.now)
        closing = definition.is_terminal(target)
        by_name = {c.name: c for c in definition.clocks}
        running = {c.name: c for c in _running_clocks(tx, row.id)}
        for name, clock in running.items():
            spec = by_name.get(name)
            leaving = spec is not None and (
                target in spec.stop or (not spec.stop and spec.start == source)
            )
            if closing or leaving:
                outcome = (
                    "cancelled"
                    if target == WITHDRAWN
                    else "met"
                    if today <= clock.due
                    else "missed"
                )
                tx.conn.execute(
                    update(t.workflow_clocks)
                    .where(t.workflow_clocks.c.id == clock.id)
                    .values(stopped_at=tx.now, outcome=outcome, paused_on=None, remaining=None)
                )
        still = {c.name for c in _running_clocks(tx, row.id)}
        if not closing:
            calendar = self.crm.calendar.calendar(tx)
            for spec in definition.clocks:
                if spec.start == target and spec.name not in still:
                    days = _clock_days(definition, spec, ctx)
                    since = _plugin_call(
                        definition, f"clock {spec.name}", clock_since, spec, ctx, today
                    )
                    tx.conn.execute(
                        t.workflow_clocks.insert().values(
                            instance_id=row.id,
                            name=spec.name,
                            unit=spec.unit,
                            days=days,
                            started_at=tx.now,
                            due=calendar.add(since, days, spec.unit),
                        )
                    )
        hook = definition.states[target].on_enter
        if hook is not None:
            _call(definition, f"on_enter of {target!r}", hook, ctx)

    def _bump(self, tx: Tx, row: Row[Any], **values: Any) -> None:
        """Compare-and-set: the row must still be at the version we read."""
        w = t.workflow_instances.c
        done = tx.conn.execute(
            update(t.workflow_instances)
            .where(w.id == row.id, w.version == row.version)
            .values(**values, version=row.version + 1, updated_at=tx.now)
        ).rowcount
        if done != 1:
            raise Conflict(f"workflow {row.id} changed meanwhile; look again and retry")

    def _resume(self, tx: Tx, row: Row[Any], comment: str | None) -> None:
        calendar = self.crm.calendar.calendar(tx)
        today = china_date(tx.now)
        for clock in _running_clocks(tx, row.id):
            if clock.paused_on is None:
                continue
            left = clock.remaining or 0
            due = calendar.add(today, left, DayUnit(clock.unit)) if left > 0 else clock.due
            tx.conn.execute(
                update(t.workflow_clocks)
                .where(t.workflow_clocks.c.id == clock.id)
                .values(due=due, paused_on=None, remaining=None)
            )
        self._bump(tx, row, paused_at=None)
        _event(tx, row.id, row.version + 1, "resume", row.state, row.state, None, comment, {})
        tx.audit("workflow.resume", "workflow_instance", row.id, client_id=row.client_id)

    def _may_steer(self, tx: Tx, row: Row[Any], definition: Definition) -> None:
        """Pause and resume: whoever may act at this step, whoever started it, or an admin."""
        if row.started_by == tx.actor.user_id or tx.actor.can("workflow.admin"):
            return
        for tr in definition.transitions.get(row.state, ()):
            if access.may_act(tx, tr.role, client_id=row.client_id, assignees=row.assignees):
                return
        raise PermissionDenied(
            f"workflow {row.id}: {tx.actor.login} may not pause or resume it "
            "(whoever started it, whoever acts at this step, or a workflow admin)"
        )

    def _view(self, tx: Tx, row: Row[Any], action: str | None) -> Instance:
        """The instance as the actor may see it; ``action`` names the door (None: a write,
        which its own event records)."""
        return self._present(tx, self._build(tx, row), row, action)

    def _present(self, tx: Tx, view: Instance, row: Row[Any], action: str | None) -> Instance:
        return access.present(
            tx,
            view,
            "workflow_instance",
            action=action,
            client_id=row.client_id,
            clearance=_client_level(tx, row.client_id),
            record_id=row.id,
        )

    def _build(self, tx: Tx, row: Row[Any]) -> Instance:
        """The whole instance, for the engine and plugin callbacks; never returned as is."""
        definition = self.crm.workflow_definitions.get(row.workflow)
        client = tx.conn.execute(
            select(t.clients.c.code, t.clients.c.name).where(t.clients.c.id == row.client_id)
        ).one()
        signatures: tuple[Signature, ...] = ()
        waiting: tuple[str, ...] = ()
        actions: tuple[str, ...] = ()
        if definition is not None and row.closed_at is None:
            outgoing = definition.transitions.get(row.state, ())
            if row.state in definition.signoffs:
                signatures = _round_signatures(tx, row.id, row.state)
            done = {s.role for s in signatures}
            waiting = tuple(
                dict.fromkeys(tr.role for tr in outgoing if not tr.reject and tr.role not in done)
            )
            actions = tuple(dict.fromkeys(tr.action for tr in outgoing))
        today = china_date(tx.now)
        c = t.workflow_clocks.c
        clocks = tuple(
            ClockView(
                name=r.name,
                unit=DayUnit(r.unit),
                days=r.days,
                started_at=r.started_at,
                due=r.due,
                paused=r.paused_on is not None,
                stopped_at=r.stopped_at,
                outcome=r.outcome,
                overdue=r.stopped_at is None and r.paused_on is None and r.due < today,
            )
            for r in tx.conn.execute(
                select(t.workflow_clocks).where(c.instance_id == row.id).order_by(c.id)
            )
        )
        starter = lookup.logins(tx.conn, {row.started_by})
        return Instance(
            id=row.id,
            workflow=row.workflow,
            title=definition.workflow.title if definition else row.workflow,
            client_code=client.code,
            client_name=client.name,
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            state=row.state,
            state_label=definition.label(row.state)
            if definition and row.state in definition.states
            else row.state,
            closed=row.closed_at is not None,
            version=row.version,
            paused=row.paused_at is not None,
            started_at=row.started_at,
            started_by=starter[row.started_by],
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            data=dict(row.data or {}),
            assignees={k: list(v) for k, v in (row.assignees or {}).items()},
            waiting_for=waiting,
            actions=actions,
            signatures=signatures,
            clocks=clocks,
        )


# -- handover (CORE-OWN-2) --------------------------------------------------------------------


def hand_over_tasks(
    tx: Tx, from_user: str, to_user: str, handover_id: int, record: Callable[..., None]
) -> None:
    """The workflows' part of a handover: open instances naming the leaver among a role's
    assignees name the successor instead (a step of ``services.handover.CORE_STEPS``).

    Each move is an event in the instance's history and in the audit trail. A successor who
    does not hold the role could never act, so that refuses the whole handover (Conflict):
    nothing moves until an admin gives them the role or reassigns the instance.
    """
    w = t.workflow_instances.c
    rows = tx.conn.execute(
        select(t.workflow_instances).where(w.closed_at.is_(None)).order_by(w.id)
    ).all()
    successor = lookup.user_id(tx.conn, to_user, field="to")
    held = set(
        tx.conn.scalars(select(t.user_roles.c.role).where(t.user_roles.c.user_id == successor))
    )
    for row in rows:
        assignees = {role: list(logins) for role, logins in (row.assignees or {}).items()}
        roles = sorted(role for role, logins in assignees.items() if from_user in logins)
        if not roles:
            continue
        missing = [role for role in roles if role not in held]
        if missing:
            raise Conflict(
                f"handover: workflow {row.id} ({row.workflow}) names {from_user} as "
                f"{', '.join(missing)}, which {to_user} does not hold; give {to_user} the role "
                "or reassign the workflow first",
                rule="CORE-OWN-2",
            )
        for role in roles:
            named = [to_user if login == from_user else login for login in assignees[role]]
            assignees[role] = list(dict.fromkeys(named))
        tx.crm.workflows._bump(tx, row, assignees=assignees)
        detail = {"roles": roles, "from": from_user, "to": to_user, "handover": handover_id}
        _event(
            tx,
            row.id,
            row.version + 1,
            "reassign",
            row.state,
            row.state,
            None,
            f"handover {handover_id}: {from_user} -> {to_user}",
            detail,
        )
        tx.audit(
            "workflow.reassign", "workflow_instance", row.id, client_id=row.client_id, detail=detail
        )
        record(
            "workflow_task",
            row.client_id,
            f"workflow {row.id} ({row.workflow}) at {row.state}: {', '.join(roles)}",
        )


# -- helpers -----------------------------------------------------------------------------------

#: Events whose detail is the core's own bookkeeping, not a step's data.
_BOOKKEEPING = frozenset({"reassign"})


def _check_data_write(tx: Tx, data: Mapping[str, Any] | None, view: Instance | None) -> None:
    """Refuse data keys the actor may not read (CORE-CONF-2), as the instance stands."""
    if data:
        names = ["data", *(f"data.{key}" for key in data)]
        access.check_write(tx, "workflow_instance", names, view)


def _client_level(tx: Tx, client_id: int) -> Clearance:
    return Clearance(
        tx.conn.scalar(select(t.clients.c.clearance).where(t.clients.c.id == client_id))
    )


def _open(row: Row[Any], definition: Definition) -> None:
    if row.closed_at is not None:
        raise Conflict(
            f"workflow {row.id} is closed ({definition.label(row.state)}); nothing can change it",
            rule=definition.workflow.rule or None,
        )


def _required(value: str | None, field: str, message: str) -> str:
    if value is None or not value.strip():
        raise InvalidInput(field, message)
    if len(value) > 4000:
        raise InvalidInput(field, "is longer than 4000 characters")
    return value.strip()


def _check_assignees(
    tx: Tx, definition: Definition, assignees: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    roles = definition.roles()
    result: dict[str, list[str]] = {}
    for role, logins in assignees.items():
        if role not in roles:
            raise InvalidInput(
                "assignees",
                f"role {role!r} acts nowhere in {definition.name} ({', '.join(sorted(roles))})",
            )
        names = [logins] if isinstance(logins, str) else list(logins)
        for login in names:
            user_id = lookup.user_id(tx.conn, login, field="assignees")
            held = tx.conn.scalar(
                select(func.count()).where(
                    t.user_roles.c.user_id == user_id, t.user_roles.c.role == role
                )
            )
            if not held:
                raise InvalidInput("assignees", f"{login} does not hold role {role!r}")
        result[role] = names
    return result


def _call(definition: Definition, what: str, fn: Any, ctx: StepContext) -> Any:
    """Call a plugin's guard/condition/callback; a crash names the plugin and rolls back."""
    return _plugin_call(definition, f"{what} failed", fn, ctx)


def _clock_days(definition: Definition, spec: Clock, ctx: StepContext) -> int:
    return _plugin_call(definition, f"clock {spec.name}", clock_days, spec, ctx)


def _plugin_call(definition: Definition, what: str, fn: Any, *args: Any) -> Any:
    """Run a plugin-supplied callable; a crash names the plugin and rolls back."""
    try:
        return fn(*args)
    except CrmError:
        raise
    except Exception as exc:
        raise PluginError(
            definition.owner, f"workflow {definition.name}: {what}: {_describe(exc)}"
        ) from exc


def _event(
    tx: Tx,
    instance_id: int,
    seq: int,
    action: str,
    source: str | None,
    target: str,
    role: str | None,
    comment: str | None,
    detail: Mapping[str, Any],
) -> None:
    tx.conn.execute(
        t.workflow_events.insert().values(
            instance_id=instance_id,
            seq=seq,
            action=action,
            from_state=source,
            to_state=target,
            role=role,
            actor_id=tx.actor.user_id,
            at=tx.now,
            comment=comment,
            detail=dict(detail),
        )
    )


def _events(tx: Tx, instance_id: int) -> list[WorkflowEvent]:
    e = t.workflow_events.c
    rows = tx.conn.execute(
        select(t.workflow_events, t.users.c.login)
        .join(t.users, t.users.c.id == e.actor_id)
        .where(e.instance_id == instance_id)
        .order_by(e.seq)
    )
    return [
        WorkflowEvent(
            seq=r.seq,
            action=r.action,
            from_state=r.from_state,
            to_state=r.to_state,
            role=r.role,
            actor=r.login,
            at=r.at,
            comment=r.comment,
            detail=dict(r.detail or {}),
        )
        for r in rows
    ]


def _last_event(tx: Tx, instance_id: int) -> Row[Any] | None:
    e = t.workflow_events.c
    return tx.conn.execute(
        select(t.workflow_events)
        .where(e.instance_id == instance_id)
        .order_by(e.seq.desc())
        .limit(1)
    ).first()


def _round_signatures(tx: Tx, instance_id: int, state: str) -> tuple[Signature, ...]:
    """Signatures given at ``state`` since the instance last entered it."""
    current: list[Signature] = []
    for event in _events(tx, instance_id):
        if event.to_state == state and event.from_state != state:
            current = []
        elif event.action == "sign" and event.from_state == state and event.role:
            current.append(Signature(role=event.role, signer=event.actor, signed_at=event.at))
    return tuple(current)


def _running_clocks(tx: Tx, instance_id: int) -> list[Row[Any]]:
    c = t.workflow_clocks.c
    return list(
        tx.conn.execute(
            select(t.workflow_clocks)
            .where(c.instance_id == instance_id, c.stopped_at.is_(None))
            .order_by(c.id)
        )
    )


def _rate(met: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(100) * met / total).quantize(Decimal("0.1"))
