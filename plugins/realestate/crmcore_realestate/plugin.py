"""Hook implementations only; the logic lives in the modules next to this one.

Grouped by area (sales floor and money trail here); another group (negotiation, pricing
approval) adds its own roles, policies, workflows and tables by extending the tuples below.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcore import PluginInfo, hookimpl

if TYPE_CHECKING:
    import click
    from sqlalchemy import Table

    from crmcore import Client, Tx


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
    from crmcore_realestate.tables import TABLES

    return TABLES


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def crm_cli_group() -> click.Group:
    from crmcore_realestate.cli import realestate

    return realestate


@hookimpl
def crm_roles(register: Callable[..., None]) -> None:
    from crmcore_realestate.roles import ROLES

    for role, (permissions, label) in ROLES.items():
        register(role, permissions, label_zh=label)


@hookimpl
def crm_policies(register: Callable[..., None]) -> None:
    from crmcore_realestate.policies import POLICIES

    for key, cls, title, title_zh in POLICIES:
        register(key, cls, title=title, title_zh=title_zh)


@hookimpl
def crm_workflows(register: Callable[..., None]) -> None:
    from crmcore_realestate.release import RELEASE

    register(RELEASE)


@hookimpl
def crm_demo_data(tx: Tx, sample: Any, clients: Sequence[Client]) -> Any:
    from crmcore_realestate.demo import load

    return load(tx, sample, clients)


@hookimpl
def crm_obligations(register: Callable[..., None]) -> None:
    from crmcore_realestate.obligations import OBLIGATIONS

    for obligation in OBLIGATIONS:
        register(obligation)
