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


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="power",
        version="0.1.0",
        description="Power-supply key accounts (业扩报装): application, supply plan and quote, acceptance, energising",
        requires_api=">=1.0,<2",
    )


@hookimpl
def crm_tables() -> Sequence[Table]:
    from crmcore_utility_power.tables import TABLES

    return TABLES


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def crm_cli_group() -> click.Group:
    from crmcore_utility_power.cli import power

    return power


@hookimpl
def crm_roles(register: Callable[..., None]) -> None:
    from crmcore_utility_power.connection import ROLES, SPECIALIST
    from crmcore_utility_power.sensitive import CONTRACTS, FIGURES, QUOTES

    seeing = ["client.read", "workflow.read", "power.read"]
    for role, label in ROLES.items():
        # the specialist notifies the plan (its quote goes into the client's archive) and
        # records the supply contract, so reads its number (PWR-ACC-2); it drafts the plan
        # and tells the client the fees and the account to pay into (PWR-FEE-1)
        extra = ["power.record", CONTRACTS, QUOTES, "archive.write"] if role == SPECIALIST else []
        register(role, [*seeing, *extra], label_zh=label)
    register("power_office", ["workflow.start", "power.apply"])
    # PWR-KA-1: account managers handle connections, keep the profile, supervise contracts.
    register(
        "account_manager",
        ["power.read", "power.apply", "power.profile", FIGURES, CONTRACTS, QUOTES],
    )
    register("director", ["power.*"])
    for role in ("finance", "audit_legal"):
        register(role, ["power.read", FIGURES, CONTRACTS, QUOTES])
    register("read_only", ["power.read"])


@hookimpl
def crm_archive_categories(register: Callable[..., None]) -> None:
    from crmcore_utility_power.archive import CATEGORY

    register(CATEGORY, "Power connection (quotes)", "业扩报装")


@hookimpl
def crm_sensitive_fields(register: Callable[..., None]) -> None:
    from crmcore_utility_power.sensitive import FIELDS

    for entity, name, permission, rule, label_zh in FIELDS:
        register(
            entity,
            name,
            clearance="confidential",
            permission=permission,
            rule=rule,
            label_zh=label_zh,
        )


@hookimpl
def crm_policies(register: Callable[..., None]) -> None:
    from crmcore_utility_power.policies import POLICIES

    for key, cls, title, title_zh in POLICIES:
        register(key, cls, title=title, title_zh=title_zh)


@hookimpl
def crm_workflows(register: Callable[..., None]) -> None:
    from crmcore_utility_power.connection import CONNECTION

    register(CONNECTION)


@hookimpl
def crm_demo_data(tx: Tx, sample: Any, clients: Sequence[Client]) -> Any:
    from crmcore_utility_power.demo import load

    return load(tx, clients)
