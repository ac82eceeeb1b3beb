"""Hook implementations only; the logic lives in the modules next to this one."""

from __future__ import annotations

from crmcore import PluginInfo, hookimpl


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="power",
        version="0.1.0",
        description="Power-supply key accounts (业扩报装): application, supply plan and quote, acceptance, energising",
        requires_api=">=1.0,<2",
    )
