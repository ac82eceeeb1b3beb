"""Hook implementations only; the logic lives in the modules next to this one."""

from __future__ import annotations

from crmcore import PluginInfo, hookimpl


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="distribution",
        version="0.1.0",
        description="Distributor credit tiers (分销商信用等级 A/B/C/D): scores, price bounds, payment terms, credit",
        requires_api=">=1.0,<2",
    )
