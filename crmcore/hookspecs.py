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
    from crmcore.domain.clients import Client
    from crmcore.domain.plugins import PluginInfo
    from crmcore.sampledata import SampleData

PROJECT = "crmcore"
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
    """Declare archive categories (CORE-ARC-1): ``register(code, label, label_zh)``."""


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
