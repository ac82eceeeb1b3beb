"""Policies as data: read the value in force, change it from a date, see its history.

Definitions (classes and defaults) are in :mod:`crmcore.policies`. Every decision reads
``in_force(tx, key)``; a change is a new complete value effective from today or later, audited,
and never reaches back into decisions taken before it was made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from attrs import frozen
from sqlalchemy import bindparam, select

from crmcore import policies
from crmcore.app import Service, Tx, query, use_case
from crmcore.calendar import china_date, end_of_day
from crmcore.errors import InvalidInput
from crmcore.services import lookup
from crmcore.store import tables as t


@frozen(kw_only=True)
class PolicyField:
    name: str
    value: Any
    default: Any
    type: str
    help: str


@frozen(kw_only=True)
class PolicyChange:
    effective_from: date
    set_at: datetime
    set_by: str
    reason: str | None
    changes: dict[str, list[Any]]  # field -> [before, after]


@frozen(kw_only=True)
class PolicyView:
    key: str
    title: str
    title_zh: str
    owner: str
    in_force_from: date | None  # None: the rule's defaults, never changed
    value: dict[str, Any]
    changed: tuple[str, ...]  # fields that differ from the rule's defaults
    next_change: date | None  # a change already set for a later date
    fields: tuple[PolicyField, ...] = ()
    history: tuple[PolicyChange, ...] = ()


_p = t.policy_values.c
#: Built once: every transaction that shows a record reads CORE-CONF-1's values, and building
#: the statement cost about as much as running it.
_VALUES = (
    select(_p.effective_from, _p.set_at, _p.value)
    .where(_p.key == bindparam("key"))
    .order_by(_p.effective_from.desc(), _p.id.desc())
)


class PolicyService(Service):
    def in_force(self, tx: Tx, key: str, at: datetime | date | None = None) -> Any:
        """The policy object in force at ``at`` (default: now); a date means its end of day.

        The newest value effective on or before that day, among those set before that moment:
        a decision taken earlier keeps the value it was taken with. The value now is kept for
        the transaction (``tx.now`` does not move), since doors ask for it per record.
        """
        if at is not None:
            return self.resolver(tx, key)(at)
        cache = tx.state.setdefault("policies", {})
        now = cache.get(("now", key))
        if now is None:
            now = cache[("now", key)] = self.resolver(tx, key)(tx.now)
        return now

    def preload(self, tx: Tx, key: str, rows: Sequence[Any]) -> None:
        """Take the policy's rows (``effective_from``, ``id``, ``set_at``, ``value``) read with
        another statement, to save it a round trip (``access._VIEW_SETTINGS``). Rows the
        transaction has read already are kept."""
        spec = policies.lookup(self.crm.policy_specs, key)
        newest_first = sorted(rows, key=lambda r: (r.effective_from, r.id), reverse=True)
        tx.state.setdefault("policies", {}).setdefault(spec.key, (newest_first, {}))

    def resolver(self, tx: Tx, key: str) -> Callable[[datetime | date], Any]:
        """``at -> policy in force``, reading the policy's rows once: for deciding many
        things at once (every inquiry of a quarter) without a query each."""
        spec = policies.lookup(self.crm.policy_specs, key)
        cache = tx.state.setdefault("policies", {})
        if spec.key not in cache:
            rows = tx.conn.execute(_VALUES, {"key": spec.key}).all()
            cache[spec.key] = (rows, {})
        rows, built = cache[spec.key]

        def resolve(at: datetime | date) -> Any:
            moment = at if isinstance(at, datetime) else end_of_day(at)
            day = china_date(moment)
            index = next(
                (i for i, r in enumerate(rows) if r.effective_from <= day and r.set_at <= moment),
                None,
            )
            if index not in built:
                built[index] = (
                    spec.default()
                    if index is None
                    else policies.build(spec, _known(spec, rows[index].value))
                )
            return built[index]

        return resolve

    def effective_from(self, tx: Tx, key: str, at: datetime | date | None = None) -> date | None:
        """The date the value in force at ``at`` took effect (None: the rule's defaults), to
        name the policy version a decision used."""
        moment = tx.now if at is None else at if isinstance(at, datetime) else end_of_day(at)
        row = _row_in_force(tx, policies.lookup(self.crm.policy_specs, key).key, moment)
        return None if row is None else row.effective_from

    @query
    def list(self, tx: Tx, *, at: date | None = None) -> list[PolicyView]:
        tx.actor.require("policy.read")
        return [self._view(tx, key, at) for key in sorted(self.crm.policy_specs)]

    @query
    def show(self, tx: Tx, key: str, *, at: date | None = None) -> PolicyView:
        tx.actor.require("policy.read")
        return self._view(tx, key, at, detailed=True)

    @use_case
    def set(
        self,
        tx: Tx,
        key: str,
        changes: Mapping[str, Any],
        *,
        effective_from: date | None = None,
        reason: str | None = None,
    ) -> PolicyView:
        """Change fields of a policy from ``effective_from`` (today or later) on."""
        tx.actor.require("policy.admin")
        spec = policies.lookup(self.crm.policy_specs, key)
        today = china_date(tx.now)
        effective_from = effective_from or today
        if effective_from < today:
            raise InvalidInput(
                "effective_from",
                f"{effective_from} is in the past: a policy change applies to new decisions only",
                rule=spec.key,
            )
        if not changes:
            raise InvalidInput(spec.key, "give at least one FIELD=VALUE to change", rule=spec.key)
        if reason is not None and len(reason) > 2000:
            raise InvalidInput("reason", "is longer than 2000 characters")
        base = policies.value_of(self.in_force(tx, spec.key, end_of_day(effective_from)))
        new = policies.value_of(policies.build(spec, {**base, **changes}))
        changed = sorted(n for n in new if new[n] != base.get(n))
        if changed:
            tx.conn.execute(
                t.policy_values.insert().values(
                    key=spec.key,
                    effective_from=effective_from,
                    value=new,
                    set_at=tx.now,
                    set_by=tx.actor.user_id,
                    reason=reason.strip() if reason and reason.strip() else None,
                )
            )
            tx.audit(
                "policy.set",
                "policy",
                spec.key,
                detail={
                    "fields": changed,
                    "effective_from": effective_from.isoformat(),
                    "values": {n: [base.get(n), new[n]] for n in changed},
                },
            )
            tx.state.pop("policies", None)
        return self._view(tx, spec.key, effective_from, detailed=True)

    def _view(self, tx: Tx, key: str, at: date | None, *, detailed: bool = False) -> PolicyView:
        spec = policies.lookup(self.crm.policy_specs, key)
        moment = end_of_day(at) if at else tx.now
        row = _row_in_force(tx, spec.key, moment)
        value = policies.value_of(self.in_force(tx, spec.key, moment))
        default = policies.value_of(spec.default())
        p = t.policy_values.c
        next_change = tx.conn.scalar(
            select(p.effective_from)
            .where(p.key == spec.key, p.effective_from > china_date(moment))
            .order_by(p.effective_from)
            .limit(1)
        )
        fields: tuple[PolicyField, ...] = ()
        history: tuple[PolicyChange, ...] = ()
        if detailed:
            fields = tuple(
                PolicyField(
                    name=f.name,
                    value=value[f.name],
                    default=default[f.name],
                    type=_type_name(f.type),
                    help=str(f.metadata.get("help", "")),
                )
                for f in spec.fields
            )
            history = _history(tx, spec.key, default)
        return PolicyView(
            key=spec.key,
            title=spec.title,
            title_zh=spec.title_zh,
            owner=spec.owner,
            in_force_from=row.effective_from if row is not None else None,
            value=value,
            changed=tuple(n for n in value if value[n] != default[n]),
            next_change=next_change,
            fields=fields,
            history=history,
        )


def _known(spec: policies.PolicySpec, stored: Mapping[str, Any]) -> dict[str, Any]:
    """A stored value read by today's class: a field a newer plugin version dropped is
    ignored; one it added takes its default until someone sets it."""
    names = {f.name for f in spec.fields}
    return {k: v for k, v in stored.items() if k in names}


def _row_in_force(tx: Tx, key: str, moment: datetime) -> Any:
    p = t.policy_values.c
    return tx.conn.execute(
        select(p.effective_from)
        .where(p.key == key, p.effective_from <= china_date(moment), p.set_at <= moment)
        .order_by(p.effective_from.desc(), p.id.desc())
        .limit(1)
    ).first()


def _history(tx: Tx, key: str, default: dict[str, Any]) -> tuple[PolicyChange, ...]:
    p = t.policy_values.c
    rows = tx.conn.execute(
        select(t.policy_values).where(p.key == key).order_by(p.effective_from, p.id)
    ).all()
    names = lookup.logins(tx.conn, {r.set_by for r in rows})
    changes: list[PolicyChange] = []
    before = default
    for r in rows:
        changes.append(
            PolicyChange(
                effective_from=r.effective_from,
                set_at=r.set_at,
                set_by=names[r.set_by],
                reason=r.reason,
                changes={n: [before.get(n), v] for n, v in r.value.items() if before.get(n) != v},
            )
        )
        before = r.value
    return tuple(changes)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    return getattr(annotation, "__name__", str(annotation))
