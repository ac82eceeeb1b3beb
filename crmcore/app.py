"""The Crm object: what an integrator opens, and the one way use cases touch the database.

    crm = Crm.open("sqlite:///crm.db")
    admin = crm.actor("admin")
    client = crm.clients.add(admin, NewClient(name="中国电信股份有限公司广州分公司"))

Every service method is a use case that runs in one transaction: pass an :class:`Actor` and
the method opens (and commits) its own; pass a :class:`Tx` (as plugin hooks receive) and it
joins that transaction, so a plugin's writes and the core's commit or roll back together.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from attrs import define, field
from sqlalchemy import Engine, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, OperationalError

from crmcore import audit
from crmcore.domain.security import Clearance, FieldRule
from crmcore.errors import InvalidInput, NotFound, NotInitialised, PermissionDenied, PluginError
from crmcore.plugins import PluginHost
from crmcore.security.actors import BUILT_IN_ROLES, Actor, permissions_of
from crmcore.settings import checkpoint_path, database_url, key_file_path
from crmcore.store import tables as t
from crmcore.store.engine import WRITE, make_engine

if TYPE_CHECKING:
    from crmcore import classification
    from crmcore.obligations import Registered
    from crmcore.policies import PolicySpec
    from crmcore.workflow import Definition

P = ParamSpec("P")
R = TypeVar("R")

#: PostgreSQL SQLSTATEs worth one more try: serialization failure, deadlock detected.
RETRYABLE = {"40001", "40P01"}
RETRIES = 5
#: SQLite's primary result code for "database is locked" (extended: BUSY_SNAPSHOT and kin).
SQLITE_BUSY = 5


@define
class Tx:
    """One open transaction of one actor: the connection, the acting user, a fixed clock."""

    crm: Crm
    conn: Connection
    actor: Actor
    now: datetime
    state: dict[str, Any] = field(factory=dict)

    def audit(
        self,
        action: str,
        entity: str,
        entity_id: object | None = None,
        *,
        client_id: int | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> int:
        return audit.record(self, action, entity, entity_id, client_id=client_id, detail=detail)

    def acting_as(self, actor: Actor) -> Tx:
        """The same transaction with another actor (demo data, handover on someone's behalf)."""
        return Tx(self.crm, self.conn, actor, self.now, self.state)

    def hook(self, name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        return self.crm.host.call(name, tx=self, **kwargs)


Subject = Actor | Tx


class Crm:
    """Composition root: engine, plugins, services."""

    def __init__(self, engine: Engine, host: PluginHost) -> None:
        self.engine = engine
        self.host = host
        #: Where every transaction's ``tx.now`` comes from; tests and simulations replace it.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.roles: dict[str, frozenset[str]] = dict(BUILT_IN_ROLES)
        self.role_owner: dict[str, str] = dict.fromkeys(BUILT_IN_ROLES, "crmcore")
        self.archive_categories: dict[str, tuple[str, str, str]] = {}
        self.field_rules: list[FieldRule] = []
        self._keyring: Any = None
        #: The audit chain's head as this process last committed it: PostgreSQL writes the
        #: next events in one round trip while no other process has written (audit.py).
        self.audit_head_seen: tuple[int, str] | None = None
        self.policy_specs: dict[str, PolicySpec] = {}
        self.workflow_definitions: dict[str, Definition] = {}
        self.obligation_definitions: dict[str, Registered] = {}
        self.classification_schemes: dict[str, classification.Registered] = {}
        self._collect_registries()

    def __getattr__(self, name: str) -> Any:
        """Services load on first use, so a command imports only what it needs."""
        from crmcore.services import SERVICES

        if name not in SERVICES:
            raise AttributeError(f"Crm has no service {name!r}")
        module, cls = SERVICES[name].split(":")
        service = getattr(importlib.import_module(module), cls)(self)
        setattr(self, name, service)
        return service

    # -- opening ------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        plugins: Iterable[str] | None = None,
        extra_plugins: Mapping[str, object] | None = None,
    ) -> Crm:
        """Open an initialised database and load the plugins enabled in it.

        ``plugins`` overrides the enabled set (tests, scripts); ``extra_plugins`` registers
        plugin objects that are not installed as distributions (throw-away test plugins).
        """
        engine = make_engine(database_url(url))
        if not _initialised(engine):
            engine.dispose()
            raise NotInitialised(
                f"{engine.url.render_as_string()} is not a crmcore database yet: run `crm init`"
            )
        host = PluginHost()
        names = list(plugins) if plugins is not None else enabled_plugins(engine)
        host.load(names, extra_plugins)
        return cls(engine, host)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Crm:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _collect_registries(self) -> None:
        def add_role(
            plugin: str, role: str, permissions: Iterable[str], label_zh: str = ""
        ) -> None:
            self.roles[role] = self.roles.get(role, frozenset()) | frozenset(permissions)
            self.role_owner.setdefault(role, plugin)

        def add_category(plugin: str, code: str, label: str, label_zh: str = "") -> None:
            import re

            from crmcore.domain.archives import CATEGORY_PATTERN, CORE_CATEGORIES

            if not isinstance(code, str) or not re.fullmatch(CATEGORY_PATTERN, code):
                raise PluginError(plugin, f"archive category {code!r}: use a-z, 0-9 and _")
            if code in self.archive_categories or code in CORE_CATEGORIES:
                raise PluginError(plugin, f"archive category {code!r} is already registered")
            self.archive_categories[code] = (plugin, label, label_zh)

        def add_field_rule(
            plugin: str,
            entity: str,
            field_name: str,
            *,
            clearance: Clearance | str = Clearance.SECRET,
            permission: str | None = None,
            when: Callable[[Any], bool] | None = None,
            rule: str | None = None,
            label_zh: str = "",
        ) -> None:
            try:
                level = Clearance.parse(clearance)
            except InvalidInput as exc:
                raise PluginError(plugin, f"sensitive field {entity}.{field_name}: {exc}") from None
            from crmcore.security.access import rule_field_problem

            problem = rule_field_problem(entity, field_name)
            if problem:
                raise PluginError(plugin, f"sensitive field {problem}")
            if when is not None and not callable(when):
                raise PluginError(
                    plugin, f"sensitive field {entity}.{field_name}: when= must be callable"
                )
            self.field_rules.append(
                FieldRule(entity, field_name, level, permission, when, plugin, rule, label_zh)
            )

        self.host.collect("crm_roles", add_role)
        self.host.collect("crm_archive_categories", add_category)
        self.host.collect("crm_sensitive_fields", add_field_rule)
        self._collect_processes()

    def _collect_processes(self) -> None:
        """Policies, then workflows (they name roles and policy fields), then obligations,
        then classification schemes (they name policies)."""
        from crmcore import classification, obligations, policies, workflow
        from crmcore.services.obligations import CORE_OBLIGATIONS

        def add_policy(
            plugin: str, key: str, cls: type, *, title: str = "", title_zh: str = ""
        ) -> None:
            spec = policies.PolicySpec(key, cls, plugin, title, title_zh)
            policies.check_spec(spec, self.policy_specs)
            self.policy_specs[key] = spec

        def add_workflow(plugin: str, definition: workflow.Workflow) -> None:
            compiled = workflow.compile_workflow(
                plugin,
                definition,
                roles=self.roles,
                policies=self.policy_specs,
                known=self.workflow_definitions,
            )
            self.workflow_definitions[compiled.name] = compiled

        def add_obligation(plugin: str, obligation: obligations.Obligation) -> None:
            obligations.check_obligation(plugin, obligation, self.obligation_definitions)
            self.obligation_definitions[obligation.key] = obligations.Registered(plugin, obligation)

        for key, cls, title, title_zh in policies.CORE_POLICIES:
            add_policy("crmcore", key, cls, title=title, title_zh=title_zh)
        self.host.collect("crm_policies", add_policy)
        self.host.collect("crm_workflows", add_workflow)
        for core in CORE_OBLIGATIONS:
            add_obligation("crmcore", core)
        self.host.collect("crm_obligations", add_obligation)

        def add_scheme(plugin: str, scheme: classification.Scheme) -> None:
            classification.check_scheme(
                plugin, scheme, self.classification_schemes, self.policy_specs
            )
            self.classification_schemes[scheme.key] = classification.Registered(plugin, scheme)

        for scheme in classification.CORE_SCHEMES:
            add_scheme("crmcore", scheme)
        self.host.collect("crm_classifiers", add_scheme)

    # -- keys and checkpoint --------------------------------------------------------------------

    @property
    def keyring(self) -> Any:
        """The key file's keys (crmcore.security.keys.KeyRing), loaded on first use."""
        if self._keyring is None:
            from crmcore.security import keys

            self._keyring = keys.load(key_file_path())
        return self._keyring

    def reload_keys(self) -> None:
        self._keyring = None

    @property
    def checkpoint_path(self) -> Path:
        return checkpoint_path(self.engine.url.render_as_string(hide_password=False))

    # -- acting -------------------------------------------------------------------------------

    def actor(self, login: str, *, door: str = "api", tx: Tx | None = None) -> Actor:
        """The acting user; inactive users can do nothing (CORE-OWN-2).

        Pass ``tx`` to see users created earlier in that (uncommitted) transaction.
        """
        if tx is not None:
            return self._load_actor(tx.conn, login, door)
        with self.engine.connect() as conn:
            return self._load_actor(conn, login, door)

    def _load_actor(self, conn: Connection, login: str, door: str) -> Actor:
        user = conn.execute(select(t.users).where(t.users.c.login == login)).first()
        if user is None:
            raise NotFound(f"user: unknown user {login!r}")
        if not user.active:
            raise PermissionDenied(f"user {login!r} is deactivated")
        roles = frozenset(
            conn.scalars(select(t.user_roles.c.role).where(t.user_roles.c.user_id == user.id))
        )
        from crmcore.security import units

        member_of = units.memberships(conn, user.id)
        scope = units.descendants(units.load_tree(conn), member_of) if member_of else frozenset()
        return Actor(
            user.id,
            user.login,
            roles,
            permissions_of(roles, self.roles),
            door,
            clearance=Clearance(user.clearance),
            units=member_of,
            scope=scope,
        )

    @contextmanager
    def transaction(
        self, actor: Actor, *, write: bool = True, standalone: bool = False
    ) -> Iterator[Tx]:
        """One transaction; writes on SQLite begin IMMEDIATE (see ``store.engine``).

        Deferred audit events (look-up records) are written just before commit; after commit
        the chain's new head goes to the checkpoint file. ``standalone`` (a read, see
        :func:`standalone_query`): on PostgreSQL each statement is its own transaction.
        """
        with self.engine.connect() as conn:
            if write:
                conn = conn.execution_options(**{WRITE: True})
            elif standalone and conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            with conn.begin():
                tx = Tx(self, conn, actor, self.clock())
                yield tx
                audit.flush(tx)
        head = tx.state.get("audit_head")
        if head is not None:
            self.audit_head_seen = head
            audit.write_checkpoint(self.checkpoint_path, *head)

    def run(
        self,
        subject: Subject,
        work: Callable[[Tx], R],
        *,
        write: bool = True,
        standalone: bool = False,
    ) -> R:
        """Run ``work`` in ``subject``'s transaction, or a new one retried on conflicts.

        A read (``write=False``) that records a look-up must write an audit event in its own
        transaction. On SQLite a read transaction can become a write transaction only while
        no other connection has written since it began; otherwise SQLite answers "database is
        locked" at once (no busy wait, to avoid deadlock). The read is then simply run again
        as a write transaction (``BEGIN IMMEDIATE``, which queues), so reads stay concurrent
        in the common case and the look-up record stays in the same transaction as the read.
        """
        if isinstance(subject, Tx):
            return work(subject)
        if not isinstance(subject, Actor):
            raise TypeError("the first argument of a use case is an Actor or a Tx")
        for attempt in range(RETRIES):
            try:
                with self.transaction(subject, write=write, standalone=standalone) as tx:
                    return work(tx)
            except DBAPIError as exc:
                if attempt == RETRIES - 1:
                    raise
                if not write and _sqlite_busy(exc):
                    write = True
                elif _sqlstate(exc) not in RETRYABLE:
                    raise
        raise AssertionError("unreachable")


def use_case(
    fn: Callable[Concatenate[Any, Tx, P], R],
) -> Callable[Concatenate[Any, Subject, P], R]:
    """Make ``method(self, tx, ...)`` callable as ``method(actor_or_tx, ...)``, in one transaction."""

    @functools.wraps(fn)
    def wrapper(self: Any, subject: Subject, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.crm.run(subject, lambda tx: fn(self, tx, *args, **kwargs))

    return wrapper


def query(
    fn: Callable[Concatenate[Any, Tx, P], R],
) -> Callable[Concatenate[Any, Subject, P], R]:
    """Like :func:`use_case` for reads: no write lock up front on SQLite.

    A read may still write its look-up record (CORE-CONF-2); :meth:`Crm.run` then makes the
    transaction a write transaction, retrying once as one if SQLite refuses the upgrade.
    """

    @functools.wraps(fn)
    def wrapper(self: Any, subject: Subject, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.crm.run(subject, lambda tx: fn(self, tx, *args, **kwargs), write=False)

    return wrapper


def standalone_query(
    fn: Callable[Concatenate[Any, Tx, P], R],
) -> Callable[Concatenate[Any, Subject, P], R]:
    """Like :func:`query`, for a read whose statements need no transaction around them.

    On PostgreSQL each statement then commits on its own (READ COMMITTED already gives each
    statement of a transaction its own snapshot), which spares the ``BEGIN`` and ``COMMIT``
    round trips: two of a search's eight, ~0.4 ms each on the bench machine. The look-up
    records are still written before the read returns, by one statement that checks the
    chain's head and inserts (``audit._append_pg``). Not for a read that holds a server-side
    cursor, locks rows, or reads the same rows twice and needs them to agree.
    """

    @functools.wraps(fn)
    def wrapper(self: Any, subject: Subject, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.crm.run(
            subject, lambda tx: fn(self, tx, *args, **kwargs), write=False, standalone=True
        )

    return wrapper


class Service:
    def __init__(self, crm: Crm) -> None:
        self.crm = crm


def enabled_plugins(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(t.plugins.c.name).where(t.plugins.c.enabled.is_(True))))


def _initialised(engine: Engine) -> bool:
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and not Path(database).exists():
        return False  # connecting would create an empty file
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table("alembic_version") and inspect(conn).has_table("clients")
    except OperationalError:
        return False


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


def _sqlite_busy(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlite_errorcode", None)
    return code is not None and code & 0xFF == SQLITE_BUSY
