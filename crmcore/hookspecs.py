"""Every hook a crmcore plugin can implement. This file is the plugin author's reference.

Implement a hook with ``@crmcore.hookimpl`` on a function of the same name in your plugin
module; a misspelled name is reported and the plugin is not loaded. Hooks run inside the
caller's transaction (``tx``): if any implementation raises, the whole use case is rolled back
and the error names your plugin. Implementations are called in reverse registration order and
plugins are registered in dependency order, so a plugin runs before the plugins it requires.
Hook wrappers are not supported on crmcore hooks.

Collection hooks receive a ``register`` callback, so crmcore validates what you hand in and can
tell which plugin handed it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from sqlalchemy import Table

    from crmcore.app import Tx
    from crmcore.calendar import Period
    from crmcore.domain.clients import Client
    from crmcore.domain.plugins import PluginInfo
    from crmcore.sampledata import SampleData

PROJECT = "crmcore"

#: The hook API this crmcore provides. A minor step adds hooks or optional arguments; a major
#: step removes or changes one. Plugins state what they need in ``PluginInfo.requires_api``
#: (e.g. ``">=1.0,<2"``); an incompatible plugin is refused with both versions named.
#: Deprecated hooks are marked ``@hookspec(warn_on_impl=DeprecationWarning(...))`` and the
#: warning is shown by ``crm plugins list`` and ``crm plugins doctor``.
HOOK_API_VERSION = "1.1"  # 1.1: crm_classifiers (issue 5)
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


# -- who the plugin is -------------------------------------------------------------------------


@hookspec
def crm_plugin_info() -> PluginInfo:
    """Name, version, description and the plugins this one requires.

    Every plugin must implement it; the name must equal the entry-point name.
    """


# -- schema -------------------------------------------------------------------------------------


@hookspec
def crm_tables() -> Sequence[Table]:
    """The tables this plugin owns, defined on ``crmcore.store.metadata``.

    Used to check that the plugin's migrations create them (``crm plugins doctor``, the test
    kit). Disabling a plugin keeps its tables and data.
    """


@hookspec
def crm_migrations() -> Path:
    """The directory of this plugin's Alembic revisions.

    Its first revision has ``branch_labels = ("<plugin name>",)`` and ``depends_on`` the core
    revision it needs; ``crm db upgrade`` and ``crm plugins enable`` run the branch.
    """


# -- the command line ------------------------------------------------------------------------


@hookspec
def crm_cli_group() -> click.Group:
    """A click group mounted as ``crm <plugin name> ...``.

    Imported only when that command runs, so keep heavy imports inside the group's module.
    Commands get the open Crm and the acting user from ``crmcore.cli.context``.
    """


# -- registries --------------------------------------------------------------------------------


@hookspec
def crm_roles(register: Callable[..., None]) -> None:
    """Declare roles and the permissions they grant: ``register(role, permissions, label_zh=...)``.

    A permission is ``"<area>.<verb>"``; ``"<area>.*"`` grants every verb of an area. Declaring
    an existing role adds permissions to it.
    """


@hookspec
def crm_archive_categories(register: Callable[..., None]) -> None:
    """Declare archive categories (CORE-ARC-1): ``register(code, label, label_zh)``.

    The core's four are ``basic``, ``contracts``, ``receivables`` and ``complaints``; a code is
    lower-case letters, digits and ``_``, and must not be taken already.
    """


@hookspec
def crm_sensitive_fields(register: Callable[..., None]) -> None:
    """Declare fields that need more than their record to be read (CORE-CONF-4/5).

    ``register(entity, field, clearance="secret", permission=None, when=None, rule=None,
    label_zh="")``. ``entity`` is the name your code passes to
    ``crmcore.security.access.present(tx, record, entity, ...)`` (prefix it with your plugin
    name, e.g. ``"realestate.price_analysis"``), or a core entity (client, contact,
    contact_log, memo, document, workflow_instance, workflow_event). A reader needs at least
    ``clearance`` *and* ``permission``; ``when(record) -> bool`` limits the rule to some
    records, e.g. a cost that is secret until the price is approved::

        register("realestate.price_analysis", "cost_per_m2", clearance="secret",
                 permission="realestate.cost.read", when=lambda r: r.status != "approved",
                 rule="RE-PRICE-6")

    Every rule on a field applies (the most restrictive wins); admins can add rules but never
    relax yours. A masked field is None in the view and named in its ``masked`` tuple, and
    ``check_write`` refuses writing it.

    A rule may name one key of a mapping field (``"data.cost_per_m2"``): only that key is
    withheld, the others stay readable. On core entities that is allowed for workflow data
    only (``register("workflow_instance", "data.cost_per_m2", ...)``; it withholds the key in
    the instance and in the history of the steps that gave it); other core fields are named
    whole. A rule on ``"data"`` itself withholds all of it.
    """


@hookspec
def crm_client_sort_keys(register: Callable[..., None]) -> None:
    """Offer a sort key for client listings such as the archive index (CORE-ARC-2).

    ``register(name, expression, label="", label_zh="", descending=True)`` where
    ``expression(tx)`` returns a SQL expression correlated with ``crmcore.store.tables.clients``
    (typically a scalar subquery on your own yearly figures, e.g. last year's annual sales).
    Clients without a value sort last. Names must be unique.
    """


@hookspec
def crm_policies(register: Callable[..., None]) -> None:
    """Declare policies (制度参数): ``register(key, cls, title=..., title_zh=...)``.

    ``key`` is the rule ID (``"PWR-APP-2"``); ``cls`` a frozen attrs class whose every field
    has a default, the rule's number, and validators that refuse nonsense (use
    ``crmcore.policies.days()``, ``percent()``, ``amount()``, ``between()``). Admins change
    values with ``crm policy set KEY FIELD=VALUE --from DATE``; read the value in force with
    ``tx.crm.policies.in_force(tx, key)``, never a literal. Registered after the core's
    policies (CLS-AMT-1/2, CLS-SCORE-1, CORE-LOG-3, CORE-ARC-1/3, CORE-CONF-1, CORE-OWN-1) and
    before workflows.
    """


@hookspec
def crm_workflows(register: Callable[..., None]) -> None:
    """Declare approval workflows: ``register(crmcore.Workflow(...))``.

    States, transitions with the role allowed to take each, guards that veto with a reason,
    sign-off chains (``Chain``), all-must-sign steps (``AllOf``), terminal states and clocks in
    working or calendar days (``Clock``); see :mod:`crmcore.workflow` for a full example. The
    definition is checked on registration (unknown or unreachable state, dead end, undefined
    role or policy field) and a problem names your plugin. Roles must exist: declare your own
    with ``crm_roles`` and give them ``client.read`` and ``workflow.read`` so their holders can
    see what they approve. Run instances with ``tx.crm.workflows.start/advance/...``.
    """


@hookspec
def crm_obligations(register: Callable[..., None]) -> None:
    """Declare recurring obligations: ``register(crmcore.Obligation(key, title, duties))``.

    ``duties(ctx)`` yields the :class:`crmcore.Duty` items due within ``ctx.start`` ..
    ``ctx.end`` (dates, China time), each with its due moment and when it was done (None if
    not yet). ``crm tasks`` shows the open ones to their assignee or role, ``crm obligations``
    lists them all with their on-time record. Set ``done_by_record=True`` for duties done by
    an act that someone records (``crm obligations done KEY PERIOD``).
    """


@hookspec
def crm_classifiers(register: Callable[..., None]) -> None:
    """Declare classification schemes (客户分级方案): ``register(scheme)``.

    ``scheme`` is a :class:`crmcore.classification.ThresholdScheme` (classes by lower bounds
    on an amount), a :class:`crmcore.classification.QuotaScheme` (rank by a score, split by
    shares) or your own subclass of :class:`crmcore.classification.Scheme`; its key is the
    rule ID and it names the policy (``crm_policies``) that holds its numbers. A run classifies
    every client in one SQL statement; write measures as SQL, never a loop per client. Checked
    on registration (unknown policy, a duplicate key, no classes); registered after the core's
    CLS-AMT-1, CLS-AMT-2 and CLS-SCORE-1. Read classes with
    ``tx.crm.classification.classes_of(tx, key, client_ids)``.
    """


@hookspec
def crm_quarterly_report(tx: Tx, period: Period, clients: Sequence[str]) -> Any:
    """Columns for the CORE-ARC-3 period report: ``{column: {client code: value}}``.

    ``clients`` are the codes in the report. Add what only your plugin knows (sales in the
    period, credit limit, receivables, collection rate); columns appear as ``plugin.column``.
    The report judges them like any door (CORE-CONF-2): declare the sensitive ones with
    ``crm_sensitive_fields`` on entity ``"<plugin>.report"`` (``register("distribution.report",
    "credit_limit", permission=...)``); a reader who may not see one gets None there and
    ``plugin.column`` in the row's ``masked``, shown ``(masked)``.
    """


# -- client lifecycle --------------------------------------------------------------------------


@hookspec
def crm_client_veto(tx: Tx, before: Client | None, after: Client) -> str | None:
    """Return a reason to refuse a client being created (``before`` is None) or changed.

    Runs before anything is written. A reason refuses the change with that reason and names
    your plugin; None lets it through.
    """


@hookspec
def crm_client_created(tx: Tx, client: Client) -> None:
    """A client was registered. Write your own records in ``tx``; raising rolls back."""


@hookspec
def crm_client_updated(tx: Tx, before: Client, after: Client, fields: Sequence[str]) -> None:
    """A client's fields changed (``fields`` names them)."""


@hookspec
def crm_client_archived(tx: Tx, client: Client, reason: str) -> None:
    """A client was archived (never deleted); ``client.status`` is ``archived``."""


@hookspec
def crm_client_restored(tx: Tx, client: Client) -> None:
    """An archived client was restored."""


@hookspec
def crm_client_owner_changed(tx: Tx, client: Client, old_owner: str | None, new_owner: str) -> None:
    """The responsible account manager changed (assignment or handover, CORE-OWN-1/2)."""


@hookspec
def crm_handover(
    tx: Tx, from_user: str, to_user: str, handover_id: int, record: Callable[..., None]
) -> None:
    """A leaving user's work moves to a successor (CORE-OWN-2), in the handover's transaction.

    Move every record of yours that belongs to ``from_user`` (open tasks, team seats, ...)
    to ``to_user``, and call ``record(role, client_id=None, detail=None)`` once per moved item
    so the handover lists it. Raising rolls the whole handover back: nothing moves and the
    user stays active. Runs after the core has moved clients, co-contact roles,
    custodianships and the open workflow approvals naming the leaver, before the user is
    deactivated.
    """


# -- bulk import (issue 9) ---------------------------------------------------------------------


@hookspec
def crm_import_veto(tx: Tx, kind: str, records: Sequence[Any]) -> Mapping[int, str] | None:
    """Refuse rows of a bulk import: return ``{position in records: reason}``, or None.

    Called once per batch (thousands of rows), not per row, before the batch is written.
    ``kind`` is ``"clients"``, ``"contacts"`` or ``"logs"``; ``records`` are the views the
    rows would become (:class:`~crmcore.domain.clients.Client` with ``id`` 0 for a new
    client, ``Contact``, ``ContactLog``). A refused row is reported in the import's error list
    as refused by your plugin, like any invalid row: the whole import stops unless the user
    asked for ``--skip-invalid``. Imports call this instead of ``crm_client_veto``.
    """


@hookspec
def crm_imported(tx: Tx, kind: str, created: Sequence[Any], updated: Sequence[Any]) -> None:
    """A batch of a bulk import was written: ``created`` and ``updated`` views, by kind.

    Called once per batch, in the import's transaction (raising rolls the whole import back).
    Imports call this instead of ``crm_client_created``/``crm_client_updated``: a plugin that
    keeps its own records per client implements both.
    """


# -- demo --------------------------------------------------------------------------------------


@hookspec
def crm_demo_data(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> Any:
    """Add this plugin's demo records for ``crm demo``, using the demo ``clients``.

    ``sample`` is a seeded generator of realistic Chinese names, companies and ID numbers.
    Return a short summary (e.g. ``"3 projects, 120 units"``) to print.
    """
