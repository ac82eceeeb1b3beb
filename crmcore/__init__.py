"""crmcore: the generic core of a key-account (大客户) CRM.

The public API for integrators and plugin authors is what this module exports; anything else
may change without notice. Plugins import from here (and from ``crmcore.store`` for table
types, ``crmcore.policies`` for policy validators, ``crmcore.workflow``, ``crmcore.calendar``,
``crmcore.obligations`` and ``crmcore.classification``, whose docstrings are their guides;
``crmcore.domain.checks`` for attrs validators that name the field and rule; ``crmcore.convert``
for ``structure`` and ``unstructure``), never from internals. Public modules besides:
``crmcore.security.access`` (the one enforcement point: ``readable_clients``, the WHERE clause
that limits a query joining ``clients`` to the rows the acting user may read,
``readable_client_ids``, ``client_for_read``, ``client_for_write``, ``client_by_id``,
``present``, ``check_write``, ``record_export``, and ``may_act``, the one decision of who may act
in a named role on a client, for plugin steps that are not workflow transitions) and
``crmcore.security.personal`` (ID numbers). A plugin's own services subclass ``Service`` and
decorate their methods with ``use_case``/``query`` (``standalone_query`` for a hot read that
needs no transaction around its statements: it spares PostgreSQL two round trips).
"""

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crmcore.app import Crm, Service, Tx, query, standalone_query, use_case
    from crmcore.calendar import DayUnit, NoCalendarData, Period, WorkCalendar
    from crmcore.domain.archives import Document, NewDocument
    from crmcore.domain.clients import Client, ClientSize, ClientStatus, NewClient
    from crmcore.domain.contacts import Contact, NewContact
    from crmcore.domain.logs import Channel, ContactLog, Memo, NewLog, NewMemo
    from crmcore.domain.plugins import PluginInfo
    from crmcore.domain.security import Clearance, Importance, NewAssignmentRule, NewUnit
    from crmcore.domain.users import NewUser, User
    from crmcore.errors import (
        Conflict,
        CrmError,
        InvalidInput,
        NotFound,
        NotInitialised,
        PermissionDenied,
        PluginError,
    )
    from crmcore.hookspecs import hookimpl
    from crmcore.obligations import Duty, DutyContext, DutyStatus, Obligation
    from crmcore.security.access import readable_clients
    from crmcore.security.actors import Actor
    from crmcore.services.counters import next_number
    from crmcore.services.workflows import Instance, Vetoed, WorkflowEvent
    from crmcore.workflow import AllOf, Chain, Clock, State, StepContext, Transition, Workflow

# Exports load lazily so that ``import crmcore`` (and ``crm --help``) stays cheap: SQLAlchemy
# and the services load when first used.
_EXPORTS = {
    "Crm": "crmcore.app",
    "Service": "crmcore.app",
    "Tx": "crmcore.app",
    "query": "crmcore.app",
    "standalone_query": "crmcore.app",
    "use_case": "crmcore.app",
    "Client": "crmcore.domain.clients",
    "ClientSize": "crmcore.domain.clients",
    "ClientStatus": "crmcore.domain.clients",
    "NewClient": "crmcore.domain.clients",
    "Contact": "crmcore.domain.contacts",
    "NewContact": "crmcore.domain.contacts",
    "Channel": "crmcore.domain.logs",
    "ContactLog": "crmcore.domain.logs",
    "Memo": "crmcore.domain.logs",
    "NewLog": "crmcore.domain.logs",
    "NewMemo": "crmcore.domain.logs",
    "PluginInfo": "crmcore.domain.plugins",
    "Document": "crmcore.domain.archives",
    "NewDocument": "crmcore.domain.archives",
    "Clearance": "crmcore.domain.security",
    "Importance": "crmcore.domain.security",
    "NewAssignmentRule": "crmcore.domain.security",
    "NewUnit": "crmcore.domain.security",
    "NewUser": "crmcore.domain.users",
    "User": "crmcore.domain.users",
    "Conflict": "crmcore.errors",
    "CrmError": "crmcore.errors",
    "InvalidInput": "crmcore.errors",
    "NotFound": "crmcore.errors",
    "NotInitialised": "crmcore.errors",
    "PermissionDenied": "crmcore.errors",
    "PluginError": "crmcore.errors",
    "hookimpl": "crmcore.hookspecs",
    "Actor": "crmcore.security.actors",
    "readable_clients": "crmcore.security.access",
    "DayUnit": "crmcore.calendar",
    "NoCalendarData": "crmcore.calendar",
    "Period": "crmcore.calendar",
    "WorkCalendar": "crmcore.calendar",
    "Duty": "crmcore.obligations",
    "DutyContext": "crmcore.obligations",
    "DutyStatus": "crmcore.obligations",
    "Obligation": "crmcore.obligations",
    "next_number": "crmcore.services.counters",
    "Instance": "crmcore.services.workflows",
    "Vetoed": "crmcore.services.workflows",
    "WorkflowEvent": "crmcore.services.workflows",
    "AllOf": "crmcore.workflow",
    "Chain": "crmcore.workflow",
    "Clock": "crmcore.workflow",
    "State": "crmcore.workflow",
    "StepContext": "crmcore.workflow",
    "Transition": "crmcore.workflow",
    "Workflow": "crmcore.workflow",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'crmcore' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Actor",
    "AllOf",
    "Chain",
    "Channel",
    "Clearance",
    "Client",
    "ClientSize",
    "ClientStatus",
    "Clock",
    "Conflict",
    "Contact",
    "ContactLog",
    "Crm",
    "CrmError",
    "DayUnit",
    "Document",
    "Duty",
    "DutyContext",
    "DutyStatus",
    "Importance",
    "Instance",
    "InvalidInput",
    "Memo",
    "NewAssignmentRule",
    "NewClient",
    "NewContact",
    "NewDocument",
    "NewLog",
    "NewMemo",
    "NewUnit",
    "NewUser",
    "NoCalendarData",
    "NotFound",
    "NotInitialised",
    "Obligation",
    "Period",
    "PermissionDenied",
    "PluginError",
    "PluginInfo",
    "Service",
    "State",
    "StepContext",
    "Transition",
    "Tx",
    "User",
    "Vetoed",
    "WorkCalendar",
    "Workflow",
    "WorkflowEvent",
    "__version__",
    "hookimpl",
    "next_number",
    "query",
    "readable_clients",
    "standalone_query",
    "use_case",
]
