"""Approval workflows (审批流程) that plugins declare and the core runs.

A workflow is a state machine over a client (and optionally one of a plugin's records). A
plugin declares it with plain attrs objects and registers it through ``crm_workflows``::

    from crmcore import AllOf, Chain, Clock, DayUnit, State, Transition, Workflow, hookimpl

    PRICE = Workflow(
        name="realestate.price",
        title="Average price approval",
        title_zh="均价审批",
        rule="RE-PRICE-5",
        initial="draft",
        states=(State("draft"), State("approved", terminal=True)),
        transitions=(Transition("submit", "draft", "approval", role="key_account_director"),),
        chains=(
            Chain(
                "approval",
                roles=("marketing_director", "finance_director", "project_gm", "gm", "chairman"),
                then="approved",
                on_reject="draft",
                step_days=3,  # a clock per step: the SLA report shows each approver
            ),
        ),
    )

    @hookimpl
    def crm_workflows(register):
        register(PRICE)

The building blocks:

* :class:`State`: a step; ``terminal`` ends the instance; ``on_enter(ctx)`` runs in the same
  transaction when the instance arrives (write your own records there; raising rolls back).
* :class:`Transition`: ``action`` from ``source`` to ``target``, allowed to ``role`` only.
  ``guards`` may veto with a reason (``lambda ctx: "no financing target" if ... else None``);
  ``when`` routes: of several transitions with the same action, the first whose ``when(ctx)``
  is true is taken (one without ``when`` is the fallback). ``reject=True`` marks a rejection:
  it needs a reason and returns to its target, a defined earlier state.
* :class:`Chain`: sequential sign-off (依次审批): one step per role, in order; each may approve
  (on to the next, the last to ``then``) or reject (to ``on_reject``). Targeting the chain's
  ``name`` enters its first step; its steps are named ``"<chain>:<role>"``.
* :class:`AllOf`: all-must-sign (会签): every role signs once, in any order, each by a
  different person; the last signature moves on to ``then``; any of them may reject.
* :class:`Clock`: a deadline (时限) that starts when the instance enters ``start`` and stops
  when it enters a ``stop`` state (or, without ``stop``, when it leaves ``start``; at the
  latest when it ends). ``days`` is a number, a policy field (``"PWR-APP-2.single_source_days"``,
  read on the day the clock starts) or ``callable(ctx) -> int``; ``unit`` counts working days
  (Chinese statutory calendar, :mod:`crmcore.calendar`) or calendar days. The count runs from
  the day the clock starts, or from ``since(ctx) -> date`` when the rule counts from a business
  date someone records (PWR-APP-2 counts from the acceptance date, 受理日, which a clerk may
  enter a day late). Clocks pause while the client holds the ball (``crm.workflows.pause``) and
  resume with the days they had left.

Every instance can be withdrawn (撤回) by whoever started it (or a ``workflow.admin``) unless
``withdrawable=False``; that adds the terminal state ``withdrawn``. Who may act on a step is
decided by one function, ``crmcore.security.access.may_act``: holding the transition's role,
and, when the instance names assignees for that role, being one of them.

Definitions are checked when the plugin registers them (unknown or unreachable states, dead
ends, undefined roles, unknown policy fields); the error names the plugin. Running instances
is the job of ``crm.workflows`` (``crmcore.services.workflows``): ``start``, ``advance``,
``reject``, ``withdraw``, ``pause``, ``resume``, ``get``, ``history``, ``for_entity``, ``sla``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import attrs
from attrs import field, frozen

from crmcore.calendar import DayUnit
from crmcore.errors import PluginError

if TYPE_CHECKING:
    from crmcore.app import Tx
    from crmcore.policies import PolicySpec
    from crmcore.security.actors import Actor
    from crmcore.services.workflows import Instance

WITHDRAWN = "withdrawn"
RESERVED_ACTIONS = frozenset({"start", "withdraw", "pause", "resume", "sign"})
NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*")
ACTION = re.compile(r"[a-z][a-z0-9_]*")


def _tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


@frozen
class StepContext:
    """What a guard, a routing condition, a clock or ``on_enter`` sees."""

    tx: Tx
    instance: Instance  # as it was before this move
    action: str
    role: str | None
    target: str
    comment: str | None
    data: Mapping[str, Any]  # the instance's data with this move's data merged in

    @property
    def actor(self) -> Actor:
        return self.tx.actor

    def policy(self, key: str) -> Any:
        """The policy in force now (e.g. ``ctx.policy("PWR-APP-2").dual_source_days``)."""
        return self.tx.crm.policies.in_force(self.tx, key)


Guard = Callable[[StepContext], str | None]


@frozen
class State:
    name: str
    terminal: bool = False
    label: str = ""  # what people read, e.g. 待财务总监审批
    on_enter: Callable[[StepContext], None] | None = None


@frozen
class Transition:
    action: str
    source: tuple[str, ...] = field(converter=_tuple)
    target: str
    role: str
    guards: tuple[Guard, ...] = field(default=(), converter=tuple)
    when: Callable[[StepContext], bool] | None = None
    reject: bool = False
    signoff: bool = False  # set by AllOf: a signature that moves on only when all have signed


@frozen
class Chain:
    """Sequential sign-off: ``roles`` approve one after the other."""

    name: str
    roles: tuple[str, ...] = field(converter=tuple)
    then: str
    on_reject: str
    guards: tuple[Guard, ...] = field(default=(), converter=tuple)  # on every approval
    step_days: int | str | Callable[[StepContext], int] | None = None
    unit: DayUnit = field(default=DayUnit.WORKING, converter=DayUnit)
    label: str = ""

    def step(self, role: str) -> str:
        return f"{self.name}:{role}"


@frozen
class AllOf:
    """All-must-sign: every role in ``roles`` signs once, in any order, by different people."""

    name: str
    roles: tuple[str, ...] = field(converter=tuple)
    then: str
    on_reject: str
    guards: tuple[Guard, ...] = field(default=(), converter=tuple)  # on every signature
    days: int | str | Callable[[StepContext], int] | None = None
    unit: DayUnit = field(default=DayUnit.WORKING, converter=DayUnit)
    label: str = ""


@frozen
class Clock:
    name: str
    start: str
    days: int | str | Callable[[StepContext], int]
    unit: DayUnit = field(default=DayUnit.WORKING, converter=DayUnit)
    stop: tuple[str, ...] = field(default=(), converter=_tuple)
    rule: str = ""
    #: The business date the days count from (None or absent: the day the clock starts).
    since: Callable[[StepContext], date | None] | None = None


@frozen
class Workflow:
    name: str
    title: str
    initial: str
    states: tuple[State, ...] = field(converter=tuple)
    transitions: tuple[Transition, ...] = field(default=(), converter=tuple)
    chains: tuple[Chain, ...] = field(default=(), converter=tuple)
    all_of: tuple[AllOf, ...] = field(default=(), converter=tuple)
    clocks: tuple[Clock, ...] = field(default=(), converter=tuple)
    start_roles: tuple[str, ...] = field(default=(), converter=tuple)  # () = workflow.start
    withdrawable: bool = True
    rule: str = ""
    title_zh: str = ""


@frozen
class Definition:
    """A registered workflow, expanded and checked: what the service runs."""

    owner: str
    workflow: Workflow
    states: Mapping[str, State]
    transitions: Mapping[str, tuple[Transition, ...]]  # by source state
    clocks: tuple[Clock, ...]
    signoffs: Mapping[str, tuple[str, ...]]  # AllOf state -> roles that must sign

    @property
    def name(self) -> str:
        return self.workflow.name

    def is_terminal(self, state: str) -> bool:
        return self.states[state].terminal

    def label(self, state: str) -> str:
        return self.states[state].label or state

    def roles(self) -> set[str]:
        return {t.role for ts in self.transitions.values() for t in ts}


def compile_workflow(
    owner: str,
    workflow: Workflow,
    *,
    roles: Mapping[str, object],
    policies: Mapping[str, PolicySpec],
    known: Mapping[str, Definition],
) -> Definition:
    """Expand chains and sign-offs into states and transitions, then check everything.

    Raises a PluginError naming ``owner`` and the workflow for the first problem found.
    """
    name = getattr(workflow, "name", "?")

    def fail(message: str) -> PluginError:
        return PluginError(owner, f"workflow {name}: {message}")

    if not isinstance(workflow, Workflow):
        raise PluginError(owner, f"crm_workflows registered {workflow!r}, not a crmcore.Workflow")
    if not NAME.fullmatch(name):
        raise fail("the name must be lower-case words joined by dots, e.g. realestate.price")
    if name in known:
        raise fail(f"is already registered by {known[name].owner}")

    states: dict[str, State] = {}
    for state in workflow.states:
        if state.name in states:
            raise fail(f"state {state.name!r} is declared twice")
        states[state.name] = state
    aliases: dict[str, str] = {}
    transitions: list[Transition] = list(workflow.transitions)
    signoffs: dict[str, tuple[str, ...]] = {}
    clocks = list(workflow.clocks)

    for chain in workflow.chains:
        if not chain.roles:
            raise fail(f"chain {chain.name!r} has no roles")
        if len(set(chain.roles)) != len(chain.roles):
            raise fail(f"chain {chain.name!r} names a role twice")
        steps = [chain.step(r) for r in chain.roles]
        for role, step in zip(chain.roles, steps, strict=True):
            if step in states or chain.name in states:
                raise fail(f"chain {chain.name!r} clashes with state {step!r}")
            label = f"{chain.label or chain.name}: {role}"
            states[step] = State(step, label=label)
            if chain.step_days is not None:
                clocks.append(Clock(step, step, chain.step_days, chain.unit))
        aliases[chain.name] = steps[0]
        for i, (role, step) in enumerate(zip(chain.roles, steps, strict=True)):
            nxt = steps[i + 1] if i + 1 < len(steps) else chain.then
            transitions.append(Transition("approve", step, nxt, role, guards=chain.guards))
            transitions.append(Transition("reject", step, chain.on_reject, role, reject=True))

    for group in workflow.all_of:
        if not group.roles:
            raise fail(f"sign-off {group.name!r} has no roles")
        if len(set(group.roles)) != len(group.roles):
            raise fail(f"sign-off {group.name!r} names a role twice")
        if group.name in states:
            raise fail(f"sign-off {group.name!r} clashes with a state of that name")
        states[group.name] = State(group.name, label=group.label)
        signoffs[group.name] = group.roles
        if group.days is not None:
            clocks.append(Clock(group.name, group.name, group.days, group.unit))
        for role in group.roles:
            transitions.append(
                Transition("sign", group.name, group.then, role, guards=group.guards, signoff=True)
            )
            transitions.append(Transition("reject", group.name, group.on_reject, role, reject=True))

    if workflow.withdrawable:
        if WITHDRAWN in states:
            raise fail(
                f"state {WITHDRAWN!r} is reserved for withdrawal (or set withdrawable=False)"
            )
        states[WITHDRAWN] = State(WITHDRAWN, terminal=True, label="withdrawn (撤回)")

    def resolve(state: str, what: str) -> str:
        state = aliases.get(state, state)
        if state not in states:
            raise fail(f"{what} names unknown state {state!r}")
        return state

    initial = resolve(workflow.initial, "initial")
    if states[initial].terminal:
        raise fail(f"the initial state {initial!r} is terminal")
    resolved: list[Transition] = []
    for tr in transitions:
        what = f"transition {tr.action!r}"
        if not ACTION.fullmatch(tr.action):
            raise fail(f"{what}: an action is a lower-case word")
        if tr.action in RESERVED_ACTIONS and not tr.signoff:
            raise fail(f"{what}: {tr.action!r} is reserved")
        if tr.role not in roles:
            raise fail(f"{what} needs role {tr.role!r}, which no plugin or the core defines")
        sources = tuple(resolve(s, what) for s in tr.source)
        for source in sources:
            if states[source].terminal:
                raise fail(f"{what} leaves terminal state {source!r}")
        _callables(fail, what, [*tr.guards, tr.when])
        resolved.append(attrs.evolve(tr, source=sources, target=resolve(tr.target, what)))
    for role in workflow.start_roles:
        if role not in roles:
            raise fail(f"start role {role!r} is not defined")

    by_source: dict[str, list[Transition]] = {}
    for tr in resolved:
        for source in tr.source:
            by_source.setdefault(source, []).append(tr)
    for source, outgoing in by_source.items():
        seen: dict[tuple[str, str], int] = {}
        for tr in outgoing:
            if tr.when is None:
                key = (tr.action, tr.role)
                seen[key] = seen.get(key, 0) + 1
                if seen[key] > 1 and not tr.signoff:
                    raise fail(
                        f"state {source!r} has two {tr.action!r} transitions for role "
                        f"{tr.role!r} without a `when` to choose between them"
                    )

    for state in states.values():
        _callables(fail, f"state {state.name!r}", [state.on_enter])
        if not state.terminal and state.name not in by_source:
            raise fail(f"state {state.name!r} is a dead end: not terminal and no way out")
    reachable = _reach(initial, by_source)
    unreachable = sorted(set(states) - reachable - {WITHDRAWN})
    if unreachable:
        raise fail(f"state {unreachable[0]!r} is unreachable from {initial!r}")
    for state in sorted(reachable):
        if not states[state].terminal and not any(
            states[s].terminal and s != WITHDRAWN for s in _reach(state, by_source)
        ):
            raise fail(f"from state {state!r} no terminal state can be reached")

    checked_clocks: list[Clock] = []
    for clock in clocks:
        what = f"clock {clock.name!r}"
        if clock.name in {c.name for c in checked_clocks}:
            raise fail(f"{what} is declared twice")
        start = resolve(clock.start, what)
        stop = tuple(resolve(s, what) for s in clock.stop)
        _check_days(fail, what, clock.days, policies)
        _callables(fail, what, [clock.since])
        checked_clocks.append(attrs.evolve(clock, start=start, stop=stop))

    return Definition(
        owner=owner,
        workflow=attrs.evolve(workflow, initial=initial),
        states=states,
        transitions={s: tuple(ts) for s, ts in by_source.items()},
        clocks=tuple(checked_clocks),
        signoffs=signoffs,
    )


def _reach(start: str, by_source: Mapping[str, Sequence[Transition]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for tr in by_source.get(todo.pop(), ()):
            if tr.target not in seen:
                seen.add(tr.target)
                todo.append(tr.target)
    return seen


def _callables(fail: Callable[[str], PluginError], what: str, items: Sequence[object]) -> None:
    for item in items:
        if item is not None and not callable(item):
            raise fail(f"{what}: {item!r} is not callable")


def _check_days(
    fail: Callable[[str], PluginError],
    what: str,
    days: object,
    policies: Mapping[str, PolicySpec],
) -> None:
    if isinstance(days, bool):
        raise fail(f"{what}: days must be a number, a policy field or a callable")
    if isinstance(days, int):
        if days < 0:
            raise fail(f"{what}: days must not be negative")
        return
    if isinstance(days, str):
        key, _, name = days.rpartition(".")
        spec = policies.get(key)
        if spec is None:
            raise fail(f"{what}: days names unknown policy {key!r}")
        if name not in {f.name for f in spec.fields}:
            raise fail(f"{what}: policy {key} has no field {name!r}")
        return
    if not callable(days):
        raise fail(f"{what}: days must be a number, a policy field or a callable")


def clock_days(clock: Clock, ctx: StepContext) -> int:
    """The length of ``clock`` for a start now (policy fields read in force today)."""
    days = clock.days
    if isinstance(days, str):
        key, _, name = days.rpartition(".")
        days = getattr(ctx.policy(key), name)
    elif callable(days):
        days = days(ctx)
    if not isinstance(days, int) or isinstance(days, bool) or days < 0:
        raise ValueError(f"clock {clock.name!r}: days must be a whole number >= 0, got {days!r}")
    return days


def clock_since(clock: Clock, ctx: StepContext, today: date) -> date:
    """The day ``clock`` counts from: ``since(ctx)`` when declared and not None, else today."""
    if clock.since is None:
        return today
    day = clock.since(ctx)
    if day is None:
        return today
    if not isinstance(day, date) or isinstance(day, datetime):
        raise ValueError(f"clock {clock.name!r}: since must return a date, got {day!r}")
    return day
