"""Hook implementations only; the logic lives in the modules next to this one."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from crmcore import Duty, DutyContext, Obligation, PluginInfo, hookimpl

if TYPE_CHECKING:
    import click
    from sqlalchemy import Table

    from crmcore import Client, Tx
    from crmcore.calendar import Period
    from crmcore.sampledata import SampleData


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="distribution",
        version="0.1.0",
        description="Distributor credit tiers (分销商信用等级 A/B/C/D): scores, price bounds, payment terms, credit",
        requires_api=">=1.1,<2",  # classification (hook API 1.1)
    )


@hookimpl
def crm_tables() -> Sequence[Table]:
    from crmcore_distribution.tables import TABLES

    return TABLES


@hookimpl
def crm_migrations() -> Path:
    return Path(__file__).parent / "migrations"


@hookimpl
def crm_roles(register: Callable[..., None]) -> None:
    from crmcore_distribution.workflows import CORE_ROLE_PERMISSIONS, ROLES

    for role, (label, permissions) in ROLES.items():
        register(role, ["client.read", "workflow.read", *permissions], label_zh=label)
    for role, permissions in CORE_ROLE_PERMISSIONS.items():
        register(role, permissions)


@hookimpl
def crm_sensitive_fields(register: Callable[..., None]) -> None:
    from crmcore_distribution.views import CREDIT_READ, SENSITIVE, WHEN

    for entity, fields in SENSITIVE.items():
        for name, label in fields.items():
            register(
                entity,
                name,
                clearance="confidential",
                permission=CREDIT_READ,
                when=WHEN.get((entity, name)),
                rule="DIST-CRED-1",
                label_zh=label,
            )


@hookimpl
def crm_policies(register: Callable[..., None]) -> None:
    from crmcore_distribution.policies import POLICIES

    for key, cls, title, title_zh in POLICIES:
        register(key, cls, title=title, title_zh=title_zh)


@hookimpl
def crm_workflows(register: Callable[..., None]) -> None:
    from crmcore_distribution.workflows import WORKFLOWS

    for workflow in WORKFLOWS:
        register(workflow)


def _reviews(ctx: DutyContext) -> Iterable[Duty]:
    """DIST-CRED-3: each distributor's credit reviewed once per review period."""
    from crmcore.calendar import end_of_day
    from crmcore_distribution.services import DistributionService

    for code, period, due, done in DistributionService(ctx.tx.crm).reviews_due(
        ctx.tx, ctx.start, ctx.end
    ):
        yield Duty(
            obligation="DIST-CRED-3.review",
            subject=f"{code} {period}",
            client_code=code,
            role="finance",
            period=period,
            due_at=end_of_day(due),
            done_at=done,
            detail="credit grade and limit reviewed by the credit committee",
        )


@hookimpl
def crm_obligations(register: Callable[..., None]) -> None:
    register(
        Obligation(
            "DIST-CRED-3.review",
            "Review every distributor's credit",
            _reviews,
            "定期核查客户信用等级",
        )
    )


@hookimpl
def crm_cli_group() -> click.Group:
    from crmcore_distribution.cli import distribution

    return distribution


@hookimpl
def crm_quarterly_report(tx: Tx, period: Period, clients: Sequence[str]) -> Any:
    from crmcore_distribution.services import DistributionService

    return DistributionService(tx.crm).report_columns(tx, period, clients)


@hookimpl
def crm_demo_data(tx: Tx, sample: SampleData, clients: Sequence[Client]) -> Any:
    from crmcore_distribution.demo import load

    return load(tx, clients)
