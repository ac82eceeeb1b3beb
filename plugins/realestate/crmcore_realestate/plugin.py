"""Hook implementations only; the logic lives in the modules next to this one.

Two areas share the plugin: the sales floor and money trail (modules here) and the
negotiation and price approval (``deals/``); each hook registers both.
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
    from crmcore_realestate.deals.tables import TABLES as DEALS
    from crmcore_realestate.tables import TABLES as SALES

    return (*SALES, *DEALS)


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def crm_cli_group() -> click.Group:
    from crmcore_realestate.cli import realestate

    return realestate


@hookimpl
def crm_roles(register: Callable[..., None]) -> None:
    from crmcore_realestate.deals.roles import ROLES as DEALS
    from crmcore_realestate.roles import ROLES as SALES

    for roles in (SALES, DEALS):  # a role named in both gets both sets of permissions
        for role, (permissions, label) in roles.items():
            register(role, permissions, label_zh=label)


@hookimpl
def crm_archive_categories(register: Callable[..., None]) -> None:
    from crmcore_realestate.filing import CATEGORY

    register(CATEGORY, "Commissioned-build sales papers (signed ticket copies)", "委托建房销售单据")


@hookimpl
def crm_sensitive_fields(register: Callable[..., None]) -> None:
    from crmcore_realestate.deals.roles import SENSITIVE

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
    from crmcore_realestate.deals.policies import POLICIES as DEALS
    from crmcore_realestate.policies import POLICIES as SALES

    for key, cls, title, title_zh in (*SALES, *DEALS):
        register(key, cls, title=title, title_zh=title_zh)


@hookimpl
def crm_workflows(register: Callable[..., None]) -> None:
    from crmcore_realestate.deals.workflows import WORKFLOWS
    from crmcore_realestate.release import RELEASE, RELEASE_WITHOUT_TARGET

    for workflow in (RELEASE, RELEASE_WITHOUT_TARGET, *WORKFLOWS):
        register(workflow)


@hookimpl
def crm_obligations(register: Callable[..., None]) -> None:
    from crmcore_realestate.obligations import OBLIGATIONS

    for obligation in OBLIGATIONS:
        register(obligation)


@hookimpl
def crm_demo_data(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> Any:
    """The deals demo approves an average price first; the sales floor sells at it."""
    from crmcore_realestate.deals.demo import load as negotiate
    from crmcore_realestate.demo import load as sell

    return f"{negotiate(tx, sample, clients)}; {sell(tx, sample, clients)}"
