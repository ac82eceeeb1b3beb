"""The one enforcement point for reading: which clients, which fields in clear, and the record.

Every door (Python API, CLI show/list/search with or without ``--json``, timelines, contact
lists, memos, client history, archive documents, audit views, exports, workflow history and
plugin records) goes through these functions, so no door can differ from another:

- :func:`readable_clients` is the WHERE clause on ``clients`` that lists/searches apply, and
  :func:`readable_client_ids` the same set for tables keyed by ``client_id``;
- :func:`client_for_read` / :func:`client_by_id` resolve one client for a door keyed by it
  (NotFound when unknown, PermissionDenied when not readable) and record the look-up;
- :func:`present` turns a record into the view the actor may see (fields masked) and records
  the look-up and every unmasking;
- :func:`check_write` refuses writing a field the actor may not read.

**Record visibility** (CORE-CONF-2/3): deny by default. A user reads a client when they hold
``client.read`` and their clearance is at least the client's level, and one of: they own it;
they are a current co-contact; they are its archive custodian; the client's unit, or a unit of
its owner, is their unit or below it; they hold ``access.all_clients``; or a current grant
names them or one of their roles. Contacts, logs and memos inherit their client's visibility
and level; an archive document also needs the actor's clearance to reach its own level.

**Field rules**: core declares some (:data:`CORE_FIELD_RULES`), plugins declare theirs with
``crm_sensitive_fields``, admins add more in the database (``crm access field``). Every rule
that applies to a field must be met: the highest clearance and every permission (the most
restrictive wins). A masked field is ``None`` in the view and named in its ``masked`` tuple.
A rule may name one key of a mapping field, ``"data.cost_per_m2"``: only that key is withheld
(``None`` in the mapping, ``"data.cost_per_m2"`` in ``masked``) and the others stay readable;
a rule on the whole field (``"data"``) withholds all of it, its keys included.

**Look-up records** (查阅记录): a read of a record at or above the policy's level
(confidential by default, and client records are confidential by default, CORE-CONF-1), or a
sensitive field shown in clear, leaves one audit event per door call and client, deferred and
merged (see :func:`crmcore.audit.defer`), naming the door (action), the records and the
masked/unmasked fields, never their values.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
from attrs import define, field
from sqlalchemy import (
    and_,
    any_,
    bindparam,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement, Select

from crmcore import audit
from crmcore.domain.security import Clearance, ConfidentialityPolicy, FieldRule
from crmcore.errors import NotFound, PermissionDenied
from crmcore.store import tables as t
from crmcore.store.engine import PLANNED_ONCE

if TYPE_CHECKING:
    from crmcore.app import Tx
    from crmcore.security.actors import Actor

ALL_CLIENTS = "access.all_clients"

#: Fields the core itself declares sensitive (plugins add theirs with crm_sensitive_fields).
CORE_FIELD_RULES: tuple[FieldRule, ...] = (
    # market assessment, sales capacity, business model (CORE-REC-2)
    FieldRule("client", "profile", Clearance.CONFIDENTIAL, rule="CORE-REC-2", label_zh="客户概况"),
    # key people: personal data (CORE-REC-2, CORE-CONF-5)
    FieldRule("contact", "phone", Clearance.INTERNAL, rule="CORE-REC-2", label_zh="联系电话"),
    FieldRule("contact", "email", Clearance.INTERNAL, rule="CORE-REC-2", label_zh="电子邮件"),
    FieldRule("contact", "profile", Clearance.CONFIDENTIAL, rule="CORE-REC-2", label_zh="个人情况"),
    FieldRule("contact", "id_number", Clearance.INTERNAL, rule="CORE-CONF-5", label_zh="身份证号"),
    # what was negotiated (CORE-LOG-2)
    FieldRule("memo", "body", Clearance.CONFIDENTIAL, rule="CORE-LOG-2", label_zh="备忘录正文"),
    # issue 5: yearly figures and scorecards are business secrets (CORE-REC-3), and so are the
    # scores and amounts a classification measured (its class is not: it decides service)
    FieldRule("figure", "value", Clearance.CONFIDENTIAL, rule="CORE-REC-3", label_zh="年度数据"),
    FieldRule("scorecard", "scores", Clearance.CONFIDENTIAL, rule="CLS-SCORE-1", label_zh="评分"),
    FieldRule(
        "classification", "value", Clearance.CONFIDENTIAL, rule="CLS-SCORE-1", label_zh="分值"
    ),
    FieldRule(
        "classification", "reasons", Clearance.CONFIDENTIAL, rule="CLS-SCORE-1", label_zh="依据"
    ),
    # a run keeps the policy it applied and its bounds or cuts: the amounts that make a class
    FieldRule(
        "classification_run",
        "policy",
        Clearance.CONFIDENTIAL,
        rule="CLS-AMT-1",
        label_zh="分级参数",
    ),
    FieldRule(
        "classification_run",
        "detail",
        Clearance.CONFIDENTIAL,
        rule="CLS-SCORE-1",
        label_zh="分档界限",
    ),
)

#: Record classes whose entity name need not be passed to :func:`present`.
ENTITY_OF_CLASS = {
    "Client": "client",
    "Contact": "contact",
    "ContactLog": "contact_log",
    "Memo": "memo",
    "Document": "document",
}

#: Mapping fields of core records whose keys take rules of their own (``"data.KEY"``). Other
#: core fields are judged whole: exports, imports and history treat them whole.
KEYED_FIELDS: dict[str, tuple[str, ...]] = {"workflow_instance": ("data",)}
CORE_ENTITIES = frozenset({*ENTITY_OF_CLASS.values(), "workflow_instance", "workflow_event"})


def rule_field_problem(entity: str, name: str) -> str | None:
    """Why a field rule cannot name ``entity.name``, or None: on core records, only the keys
    of :data:`KEYED_FIELDS` may be named one by one."""
    head, dot, key = name.partition(".")
    if not dot or entity not in CORE_ENTITIES:
        return None
    if key and head in KEYED_FIELDS.get(entity, ()):
        return None
    keyed = ", ".join(f"{e}.{f}.KEY" for e, fs in KEYED_FIELDS.items() for f in fs)
    return f"{entity}.{name}: name a whole field (only {keyed} takes a rule per key)"


# -- which clients --------------------------------------------------------------------------------


def reads_every_client(tx: Tx) -> bool:
    """Whether ``tx.actor`` may read every client at every level, so that queries need no
    access condition (search leaves out a statement per step for them)."""
    return tx.actor.can(ALL_CLIENTS) and tx.actor.clearance >= max(Clearance)


#: From this many clients readable through their units, a user reads many (a director):
#: queries that read clients in order test them one by one (``readable_clients(in_order=)``).
#: The line search draws too (``search_index.SCOPE_CAP + 1``), so a search counts once.
MANY = 2_001


def readable_clients(tx: Tx, *, in_order: bool = False) -> ColumnElement[bool]:
    """A WHERE clause on ``clients`` limiting rows to those ``tx.actor`` may read.

    ``in_order``: the caller reads clients in an index's order and stops at a page (a listing
    by code, search's code tiers). For a user who reads many clients (:data:`MANY`) the
    condition is then hidden from SQLite's indexes: without statistics SQLite takes a unit's
    100,000 clients for a few, gathers them through the unit index and sorts them (a
    director's page of 50 at 1M clients: 100 ms), where reading the code index in order and
    testing each row stops after ~500 rows (0.8 ms). A user who reads few keeps the indexes,
    which find their clients at once (reading in order would pass over most of the table).
    PostgreSQL has statistics and chooses for itself.

    The clause is built once per reader and backend and then shared (building it cost an
    account manager's search ~1 ms of Python). Its one value that changes, the time grants
    are judged at, is bound when the statement runs: ``tx.now``, taken here, so a statement
    must run in the transaction that asked for its clause, before another asks.
    """
    tx.actor.require("client.read")
    _JUDGED_AT.set(tx.now)
    dialect = tx.conn.dialect.name
    if in_order and dialect == "sqlite" and reads_many(tx, MANY):
        return _clause(tx.actor, dialect, hidden=True)
    return _clause(tx.actor, dialect, hidden=False)


#: When the current transaction judges grants (see :func:`readable_clients`).
_JUDGED_AT: ContextVar[datetime] = ContextVar("crm_access_judged_at")


@functools.lru_cache(maxsize=1024)
def _clause(actor: Actor, dialect: str, *, hidden: bool) -> ColumnElement[bool]:
    condition = _readable(actor, dialect)
    return func.coalesce(condition, false()) if hidden else condition


def _readable(actor: Actor, dialect: str) -> ColumnElement[bool]:
    if actor.can(ALL_CLIENTS) and actor.clearance >= max(Clearance):
        return true()
    one_of = _one_of_for(dialect)
    c = t.clients.c
    level_ok = c.clearance <= int(actor.clearance)
    if actor.can(ALL_CLIENTS):
        return level_ok
    s, g = t.client_staff.c, t.client_grants.c
    related: list[ColumnElement[bool]] = [
        c.owner_id == actor.user_id,
        c.custodian_id == actor.user_id,
        one_of(c.id, s.client_id, s.user_id == actor.user_id, s.until.is_(None)),
        one_of(
            c.id,
            g.client_id,
            or_(
                g.user_id == actor.user_id,
                g.role.in_(sorted(actor.roles)) if actor.roles else false(),
            ),
            g.revoked_at.is_(None),
            or_(g.until.is_(None), g.until > bindparam("judged_at", callable_=_JUDGED_AT.get)),
        ),
    ]
    return and_(level_ok, or_(*related, *_through_units(actor, dialect)))


def reads_many(tx: Tx, count: int) -> bool:
    """Whether ``tx.actor`` may read at least ``count`` clients through their units (a
    director's), counted in the indexes alone.

    Asking ``readable_clients`` for ``count`` rows instead lets PostgreSQL gamble on a
    sequential scan that finds them early, and lose where they lie together at the end of the
    table (a unit's clients imported last): 370 ms for a director with 100,000 of 1M clients.
    """
    if tx.actor.can(ALL_CLIENTS):
        return True
    # asked once per transaction and user: it picks how to read, never what may be read
    known: dict[int, bool] = tx.state.setdefault(f"reads_many:{tx.actor.login}", {})
    if count not in known:
        known[count] = any(
            tx.conn.scalar(
                select(func.count()).select_from(
                    select(literal_column("1"))
                    .select_from(t.clients)
                    .where(arm)
                    .limit(count)
                    .subquery()
                )
            )
            >= count
            for arm in _through_units(tx.actor, tx.conn.dialect.name)
        )
    return known[count]


@functools.lru_cache(maxsize=1024)
def _through_units(actor: Actor, dialect: str) -> tuple[ColumnElement[bool], ...]:
    """The clients ``actor`` reads through their units: those assigned to the units, and
    those owned by the units' members."""
    if not actor.scope:
        return ()
    c, uu = t.clients.c, t.user_units.c
    scope = sorted(actor.scope)
    members = _one_of_for(dialect)(
        c.owner_id, uu.user_id, uu.unit_id.in_(scope), uu.until.is_(None)
    )
    return (c.unit_id.in_(scope), members)


def _one_of_for(dialect: str) -> Callable[..., ColumnElement[bool]]:
    return _one_of_postgresql if dialect == "postgresql" else _one_of


def _one_of(
    column: ColumnElement[Any], ids: ColumnElement[Any], *where: ColumnElement[bool]
) -> ColumnElement[bool]:
    """``column IN (SELECT ids WHERE ...)``."""
    return column.in_(select(ids).where(*where))


def _one_of_postgresql(
    column: ColumnElement[Any], ids: ColumnElement[Any], *where: ColumnElement[bool]
) -> ColumnElement[bool]:
    """``column = ANY(the ids as one array)``: the array is computed once, and each arm of the
    access OR becomes an index scan (a BitmapOr). ``IN (subquery)`` inside the OR made
    PostgreSQL test every client instead: 350 ms against 0.3 ms to list the 200 clients of an
    account manager among 1M (docs/performance.md)."""
    every = select(func.array_agg(ids)).where(*where).scalar_subquery()
    return column == any_(func.coalesce(every, literal_column("'{}'")))  # none: empty, not NULL


def readable_client_ids(tx: Tx) -> Select[Any]:
    """``SELECT id FROM clients WHERE <readable>``, for ``other.client_id.in_(...)``."""
    return select(t.clients.c.id).where(readable_clients(tx))


def client_for_read(tx: Tx, code: str, *, action: str | None) -> Row[Any]:
    """The client row with ``code`` if the actor may read it; the look-up is recorded."""
    row = tx.conn.execute(
        select(t.clients).where(t.clients.c.code == code, readable_clients(tx))
    ).first()
    if row is None:
        _refuse(tx, code)
    if action is not None:
        record_read(tx, action, row)
    return row


def client_by_id(tx: Tx, client_id: int, *, action: str | None = None) -> Row[Any]:
    """Like :func:`client_for_read`, for records that carry a ``client_id``."""
    row = tx.conn.execute(
        select(t.clients).where(t.clients.c.id == client_id, readable_clients(tx))
    ).first()
    if row is None:
        code = tx.conn.scalar(select(t.clients.c.code).where(t.clients.c.id == client_id))
        if code is None:
            raise NotFound(f"client: unknown client id {client_id}")
        _refuse(tx, code)
    if action is not None:
        record_read(tx, action, row)
    return row


def record_read(tx: Tx, action: str, client: Row[Any]) -> None:
    """Record that a door showed (part of) a client row it selected with readable_clients."""
    policy = tx.crm.policies.in_force(tx, CONFIDENTIALITY_POLICY)
    _note(tx, action, client.id, "client", client.code, Clearance(client.clearance), (), (), policy)


def client_for_write(tx: Tx, code: str, permission: str) -> Row[Any]:
    """The client row for a change: the permission, and the client must be readable."""
    tx.actor.require(permission)
    return client_for_read(tx, code, action=None)


def _refuse(tx: Tx, code: str) -> Any:
    from crmcore.services import lookup

    lookup.client_row(tx.conn, code)  # unknown: NotFound
    raise PermissionDenied(
        f"client: {tx.actor.login} may not read client {code}", rule="CORE-CONF-2"
    )


# -- which fields ---------------------------------------------------------------------------------


def field_rules(tx: Tx, entity: str) -> dict[str, list[FieldRule]]:
    """Every rule on ``entity``'s fields: core, plugins and the database's, by field."""
    cache: dict[str, dict[str, list[FieldRule]]] = tx.state.setdefault("field_rules", {})
    if not cache:
        for rule in (*CORE_FIELD_RULES, *tx.crm.field_rules, *_database_rules(tx)):
            cache.setdefault(rule.entity, {}).setdefault(rule.field, []).append(rule)
    return cache.get(entity, {})


_r, _p = t.field_rules.c, t.policy_values.c
CONFIDENTIALITY_POLICY = "CORE-CONF-1"
#: What every view reads first, in one statement (on PostgreSQL each is a round trip): the
#: field rules in force and the values of the confidentiality policy (CORE-CONF-1), which
#: :func:`_database_rules` hands to the policy service. The columns one part lacks are typed
#: NULLs, so that both backends read each column as its type.
_VIEW_SETTINGS = union_all(
    select(
        literal_column("'rule'").label("kind"),
        _r.entity,
        _r.field,
        _r.clearance,
        _r.permission,
        type_coerce(null(), _p.id.type).label("id"),
        type_coerce(null(), _p.effective_from.type).label("effective_from"),
        type_coerce(null(), _p.set_at.type).label("set_at"),
        type_coerce(null(), _p.value.type).label("value"),
    ).where(_r.ended_at.is_(None)),
    select(
        literal_column("'policy'"),
        null(),
        null(),
        null(),
        null(),
        _p.id,
        _p.effective_from,
        _p.set_at,
        _p.value,
    ).where(_p.key == CONFIDENTIALITY_POLICY),
).execution_options(**PLANNED_ONCE)


def _database_rules(tx: Tx) -> list[FieldRule]:
    """The field rules an admin set, and, from the same statement, the confidentiality policy's
    values for the policy service (so :func:`present` asks for the rules first)."""
    rows = tx.conn.execute(_VIEW_SETTINGS).all()
    tx.crm.policies.preload(tx, CONFIDENTIALITY_POLICY, [r for r in rows if r.kind == "policy"])
    return [
        FieldRule(row.entity, row.field, Clearance(row.clearance), row.permission, owner="admin")
        for row in rows
        if row.kind == "rule"
    ]


def _meets(actor: Actor, rules: Iterable[FieldRule]) -> bool:
    return all(
        actor.clearance >= r.clearance and (r.permission is None or actor.can(r.permission))
        for r in rules
    )


def _sensitive(rules: Iterable[FieldRule], policy: ConfidentialityPolicy) -> bool:
    """Fields whose disclosure is itself recorded: a permission, or a level worth a record."""
    return any(r.permission or r.clearance >= policy.audit_reads_from for r in rules)


def field_readable(tx: Tx, entity: str, name: str, record: Any = None) -> bool:
    rules = [r for r in field_rules(tx, entity).get(name, ()) if r.applies_to(record)]
    return _meets(tx.actor, rules)


def check_write(tx: Tx, entity: str, fields: Iterable[str], record: Any = None) -> None:
    """Refuse writing a field the actor may not read (it would let them probe or overwrite it).

    For a key of a mapping field name both: ``["data", "data.cost_per_m2"]``.
    """
    for name in sorted(fields):
        if not field_readable(tx, entity, name, record):
            raise PermissionDenied(
                f"{name}: {tx.actor.login} may not write {entity}.{name}, which they may not read",
                rule="CORE-CONF-2",
            )


def present(
    tx: Tx,
    record: Any,
    entity: str | None = None,
    *,
    action: str | None,
    client: Row[Any] | None = None,
    client_id: int | None = None,
    clearance: Clearance | int | None = None,
    record_id: object | None = None,
    only: Collection[str] | None = None,
) -> Any:
    """The view of ``record`` that ``tx.actor`` may see, with the look-up recorded.

    ``record`` is an attrs instance (masked fields must accept None; a ``masked`` attribute,
    if it has one, receives their names) or a mapping (a copy with a ``"masked"`` key).
    ``entity`` defaults from the class (client, contact, contact_log, memo, document); plugins
    name theirs, e.g. ``"realestate.price_analysis"``. ``action`` names the door
    (``"client.get"``, ``"realestate.price.show"``); None only for the result of a write,
    which its own audit event already records. ``client_id`` and ``clearance`` give the
    record's client and level, or ``client`` gives both from the client's row (a record shown
    at its client's level); the caller must have checked the client is readable (it came
    from a query scoped by :func:`readable_clients`, or :func:`client_for_read`).
    ``only`` limits the judging to these fields (and their keys), for a door that shows just
    part of the record.
    """
    if client is not None:
        client_id, clearance = client.id, client.clearance
    entity = entity or ENTITY_OF_CLASS.get(type(record).__name__)
    if entity is None:
        raise TypeError(f"present() needs entity= for a {type(record).__name__}")
    level = Clearance(
        clearance if clearance is not None else _get(record, "clearance", Clearance.PUBLIC)
    )
    if tx.actor.clearance < level:  # belt and braces: the query should not have returned it
        raise PermissionDenied(
            f"{entity}: {tx.actor.login} is not cleared for {level.label} records",
            rule="CORE-CONF-2",
        )
    rules_by_field = field_rules(tx, entity)  # first: it reads the policy too
    policy = tx.crm.policies.in_force(tx, CONFIDENTIALITY_POLICY)
    masked: list[str] = []
    unmasked: list[str] = []
    for name, rules in rules_by_field.items():
        if only is not None and name.partition(".")[0] not in only:
            continue
        applicable = [r for r in rules if r.applies_to(record)]
        value = _value(record, name)
        if not applicable or value is _ABSENT:
            continue
        if not _meets(tx.actor, applicable):
            masked.append(name)
        elif _sensitive(applicable, policy) and value not in (None, "", {}, ()):
            unmasked.append(name)
    # a key of a field withheld as a whole is neither masked on its own nor shown in clear
    masked = [n for n in masked if not _under(n, masked)]
    unmasked = [n for n in unmasked if not _under(n, masked)]
    if action is not None:
        rid = record_id if record_id is not None else _get(record, "id", None)
        _note(tx, action, client_id, entity, rid, level, masked, unmasked, policy)
    return _masked(record, masked) if masked else record


def mask_changes(
    tx: Tx, entity: str, changes: Mapping[str, Any], record: Any = None
) -> tuple[dict[str, Any], list[str]]:
    """A version's ``{field: [old, new]}`` with unreadable fields blanked (history door)."""
    shown, hidden = {}, []
    for name, value in changes.items():
        if field_readable(tx, entity, name, record):
            shown[name] = value
        else:
            shown[name] = None
            hidden.append(name)
    return shown, hidden


def _has(record: Any, name: str) -> bool:
    if isinstance(record, Mapping):
        return name in record
    return hasattr(record, name)


def _get(record: Any, name: str, default: Any) -> Any:
    if isinstance(record, Mapping):
        return record.get(name, default)
    return getattr(record, name, default)


_ABSENT = object()


def _value(record: Any, name: str) -> Any:
    """The field's value, or a key's (``data.cost``) in a mapping field; ``_ABSENT`` if none."""
    if _has(record, name):
        return _get(record, name, None)
    head, dot, key = name.partition(".")
    inner = _get(record, head, None) if dot and _has(record, head) else None
    if isinstance(inner, Mapping) and key in inner:
        return inner[key]
    return _ABSENT


def _under(name: str, masked: Sequence[str]) -> bool:
    """Whether ``name`` is a key of a field in ``masked`` (``data.cost`` under ``data``)."""
    head, dot, _ = name.partition(".")
    return bool(dot) and head in masked


def _masked(record: Any, names: Sequence[str]) -> Any:
    values: dict[str, Any] = {}
    for name in names:
        if _has(record, name):
            values[name] = None
            continue
        head, _, key = name.partition(".")  # a key of a mapping field: withhold that key only
        values[head] = {**(values.get(head) or _get(record, head, {})), key: None}
    if isinstance(record, Mapping):
        return {**record, **values, "masked": tuple(sorted(names))}
    if any(a.name == "masked" for a in attrs.fields(type(record))):
        values["masked"] = tuple(sorted(names))
    return attrs.evolve(record, **values)


# -- look-up records ------------------------------------------------------------------------------


@define
class _Read:
    """One door call's reads of one client (or of one plugin entity without a client)."""

    action: str
    client_id: int | None
    audit_from: Clearance
    level: Clearance = Clearance.PUBLIC
    client_code: str | None = None
    records: dict[str, list[str]] = field(factory=dict)
    masked: set[str] = field(factory=set)
    unmasked: set[str] = field(factory=set)

    def event(self) -> tuple[str, str, object | None, int | None, Mapping[str, Any]] | None:
        if self.level < self.audit_from and not self.unmasked:
            return None
        detail: dict[str, Any] = {"level": self.level.label}
        if self.records:
            detail["records"] = self.records
        if self.masked:
            detail["masked"] = sorted(self.masked)
        if self.unmasked:
            detail["unmasked"] = sorted(self.unmasked)
        if self.client_code is not None:
            return (self.action, "client", self.client_code, self.client_id, detail)
        only = next(iter(self.records), "record")
        ids = self.records.get(only, [])
        return (self.action, only, ids[0] if len(ids) == 1 else None, self.client_id, detail)


def _note(
    tx: Tx,
    action: str,
    client_id: int | None,
    entity: str,
    record_id: object | None,
    level: Clearance,
    masked: Iterable[str],
    unmasked: Iterable[str],
    policy: ConfidentialityPolicy,
) -> None:
    key = ("read", action, client_id if client_id is not None else entity)
    read: _Read = audit.defer(tx, key, lambda: _Read(action, client_id, policy.audit_reads_from))
    read.level = max(read.level, level)
    if entity == "client":
        read.client_code = str(record_id)
    elif record_id is not None:
        ids = read.records.setdefault(entity, [])
        if str(record_id) not in ids:
            ids.append(str(record_id))
    qualified = (lambda n: n) if entity == "client" else (lambda n: f"{entity}.{n}")
    read.masked.update(qualified(n) for n in masked)
    read.unmasked.update(qualified(n) for n in unmasked)


def record_export(
    tx: Tx,
    what: str,
    *,
    count: int,
    fields: Sequence[str],
    masked: Sequence[str] = (),
    fmt: str,
    client_id: int | None = None,
    filters: Mapping[str, Any] | None = None,
    file: str | None = None,
    sha256: str | None = None,
) -> None:
    """Record an export (CORE-CONF-2): what, how many records, which fields, masked which.

    Exporters build rows from views that :func:`present` masked (e.g. ``crm.clients.list``,
    with ``action=None``: the export is recorded here, not one look-up per record), and call
    this once per export. ``filters`` are the selection the user gave (never field values);
    ``file`` and ``sha256`` name what was written, so a copy found later can be traced.
    """
    detail: dict[str, Any] = {
        "format": fmt,
        "count": count,
        "fields": list(fields),
        "masked": sorted(set(masked)),
        "filters": dict(filters or {}),
    }
    if file is not None:
        detail["file"] = file
    tx.audit(f"export.{what}", what, sha256, client_id=client_id, detail=detail)


# -- explaining -----------------------------------------------------------------------------------


def reasons(tx: Tx, actor: Actor, client: Row[Any]) -> tuple[bool, list[str]]:
    """Whether ``actor`` may read ``client``, and why (``crm access check``).

    The verdict is taken from :func:`readable_clients` itself so it can never disagree with
    what the doors do; the reasons are computed alongside for people.
    """
    from crmcore.security import units

    probe = tx.acting_as(actor)
    try:
        verdict = (
            tx.conn.scalar(
                select(t.clients.c.id).where(t.clients.c.id == client.id, readable_clients(probe))
            )
            is not None
        )
    except PermissionDenied:
        return False, ["lacks the permission client.read"]
    why: list[str] = []
    level = Clearance(client.clearance)
    if actor.clearance < level:
        why.append(f"clearance {actor.clearance.label} is below the record's {level.label}")
    if actor.can(ALL_CLIENTS):
        why.append("holds access.all_clients")
    if client.owner_id == actor.user_id:
        why.append("owns the client")
    if client.custodian_id == actor.user_id:
        why.append("is the archive custodian")
    s = t.client_staff.c
    if tx.conn.scalar(
        select(s.id).where(s.client_id == client.id, s.user_id == actor.user_id, s.until.is_(None))
    ):
        why.append("is a co-contact")
    if actor.scope:
        owner_units = (
            units.memberships(tx.conn, client.owner_id) if client.owner_id else frozenset()
        )
        if client.unit_id in actor.scope:
            why.append("the client's unit is the user's unit or below it")
        if owner_units & actor.scope:
            why.append("the owner's unit is the user's unit or below it")
    g = t.client_grants.c
    for grant in tx.conn.execute(
        select(t.client_grants).where(
            g.client_id == client.id,
            g.revoked_at.is_(None),
            or_(g.until.is_(None), g.until > tx.now),
        )
    ):
        if grant.user_id == actor.user_id or (grant.role and grant.role in actor.roles):
            who = "the user" if grant.user_id else f"role {grant.role}"
            why.append(f"grant {grant.id} to {who}: {grant.reason}")
    if not why:
        why.append("no relationship, unit or grant gives access (deny by default)")
    return verdict, why


def may_act(
    tx: Tx, role: str, *, client_id: int, assignees: Mapping[str, Sequence[str]] | None = None
) -> bool:
    """Whether ``tx.actor`` may perform a step that needs ``role`` on a client.

    The one place that decides it, for every workflow and for plugin steps that are not
    workflow transitions (a signature, a revocation): the actor holds ``role``; when the
    instance names assignees for that role, is one of them; and may read the client (its
    clearance and the relationship, unit or grant that :func:`readable_clients` asks for), so
    nobody approves what they may not see. Holding ``admin`` is not enough: an approval is a
    person's decision in a named capacity. Public API (see ``crmcore``).
    """
    if role not in tx.actor.roles:
        return False
    named = (assignees or {}).get(role)
    if named and tx.actor.login not in named:
        return False
    return may_read_client(tx, client_id)


def may_read_client(tx: Tx, client_id: int) -> bool:
    """Whether ``tx.actor`` may read the client with ``client_id`` (no record is written)."""
    if not tx.actor.can("client.read"):
        return False
    found = tx.conn.scalar(
        select(t.clients.c.id).where(t.clients.c.id == client_id, readable_clients(tx))
    )
    return found is not None
