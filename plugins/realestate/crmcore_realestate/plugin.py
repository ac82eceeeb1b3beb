"""Hook implementations only; the logic lives in the modules next to this one."""

from __future__ import annotations

from crmcore import PluginInfo, hookimpl


@hookimpl
def crm_plugin_info() -> PluginInfo:
    return PluginInfo(
        name="realestate",
        version="0.1.0",
        description="Commissioned-build real estate (大客户委托建房): inventory, pricing approval, eligible buyers, selection tickets, money trail",
        requires_api=">=1.0,<2",
    )
