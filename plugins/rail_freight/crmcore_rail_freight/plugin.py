"""Hook implementations only; the logic lives in the modules next to this one."""

from __future__ import annotations

from crmcore import PluginInfo, hookimpl


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="rail",
        version="0.1.0",
        description="Railway freight key accounts (铁路运输大客户): qualification, certificate, annual volume approval",
        requires_api=">=1.0,<2",
    )
