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


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="realestate",
        version="0.1.0",
        description="Commissioned-build real estate (大客户委托建房): inventory, pricing approval, eligible buyers, selection tickets, money trail",
        requires_api=">=1.0,<2",
    )


@hookimpl
def crm_tables() -> Sequence[Table]:
    from .deals.tables import TABLES as DEALS

    return DEALS


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def crm_roles(register: Callable[..., None]) -> None:
    from .deals.roles import ROLES

    for role, (permissions, label) in ROLES.items():
        register(role, permissions, label_zh=label)


@hookimpl
def crm_sensitive_fields(register: Callable[..., None]) -> None:
    from .deals.roles import SENSITIVE

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
def crm_policies(register: Callable[..., None]) -> None:
    from .deals.policies import POLICIES

    for key, cls, title, title_zh in POLICIES:
        register(key, cls, title=title, title_zh=title_zh)


@hookimpl
def crm_workflows(register: Callable[..., None]) -> None:
    from .deals.workflows import WORKFLOWS

    for workflow in WORKFLOWS:
        register(workflow)


@hookimpl
def crm_cli_group() -> click.Group:
    # Temporary (issue 6, deals part): the inventory engineer owns `crm realestate`; at merge
    # their group adds the commands of deals_cli() instead.
    import click

    from .deals.cli import deals_cli

    @click.group(name="realestate")
    def realestate() -> None:
        """Commissioned-build real estate (大客户委托建房)."""

    for command in deals_cli():
        realestate.add_command(command)
    return realestate


@hookimpl
def crm_demo_data(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> Any:
    from .deals.demo import load

    return load(tx, sample, clients)
