"""Hook implementations only; the logic lives in the modules next to this one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcore import PluginInfo, hookimpl

if TYPE_CHECKING:
    import click
    from sqlalchemy import Table

    from crmcore import Client, Tx
    from crmcore.sampledata import SampleData

#: role -> (permissions, label). Approvers need client.read and workflow.read to see what
#: they approve (and, to act, must be able to read the client: units, grants, clearance);
#: admin holds every permission already. The ministry files what it issues and approves in
#: the client's archive (archive.write). ``rail.freight.read`` shows freight amounts.
ROLES: dict[str, tuple[tuple[str, ...], str]] = {
    "rail_bureau": (
        (
            "client.read",
            "workflow.read",
            "workflow.start",
            "report.read",
            "rail.read",
            "rail.write",
            "rail.freight.read",
        ),
        "铁路局(大客户管理)",
    ),
    "rail_ministry": (
        (
            "client.read",
            "workflow.read",
            "report.read",
            "archive.write",
            "rail.read",
            "rail.freight.read",
        ),
        "铁道部(运输局)",
    ),
    "account_manager": (("rail.read", "rail.write"), ""),
    "director": (("rail.read", "rail.write", "rail.freight.read"), ""),
    "finance": (("rail.read", "rail.settle", "rail.freight.read"), ""),
    "audit_legal": (("rail.read", "rail.freight.read"), ""),
    "read_only": (("rail.read",), ""),
}


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="rail",
        version="0.1.0",
        description="Railway freight key accounts (铁路运输大客户): qualification, certificate, annual volume approval",
        requires_api=">=1.0,<2",
    )


@hookimpl
def crm_tables() -> Sequence[Table]:
    from .tables import TABLES

    return TABLES


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def crm_cli_group() -> click.Group:
    from .cli import group

    return group


@hookimpl
def crm_roles(register: Callable[..., None]) -> None:
    for role, (permissions, label) in ROLES.items():
        register(role, permissions, label_zh=label)


@hookimpl
def crm_sensitive_fields(register: Callable[..., None]) -> None:
    from .confidentiality import SENSITIVE

    for entity, field, clearance, permission, when, rule, label in SENSITIVE:
        register(
            entity,
            field,
            clearance=clearance,
            permission=permission,
            when=when,
            rule=rule,
            label_zh=label,
        )


@hookimpl
def crm_archive_categories(register: Callable[..., None]) -> None:
    from .archive import CATEGORIES

    for code, label, label_zh in CATEGORIES:
        register(code, label, label_zh)


@hookimpl
def crm_policies(register: Callable[..., None]) -> None:
    from .domain.policies import POLICIES

    for key, cls, title, title_zh in POLICIES:
        register(key, cls, title=title, title_zh=title_zh)


@hookimpl
def crm_workflows(register: Callable[..., None]) -> None:
    from .workflows import CERTIFICATE

    register(CERTIFICATE)


@hookimpl
def crm_obligations(register: Callable[..., None]) -> None:
    from .obligations import obligations

    for obligation in obligations():
        register(obligation)


@hookimpl
def crm_demo_data(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> Any:
    from .demo import load

    return load(tx, sample, clients)
