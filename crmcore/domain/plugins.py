"""What a plugin says about itself."""

from __future__ import annotations

from attrs import field, frozen


@frozen(kw_only=True)
class PluginInfo:
    """Returned by a plugin's ``crm_plugin_info`` hook.

    ``requires`` names other plugins that must be enabled first: enabling refuses without
    them and disabling a plugin refuses while an enabled one requires it. ``requires_api`` is
    a version specifier on crmcore's hook API (``crmcore.hookspecs.HOOK_API_VERSION``).
    """

    name: str
    version: str = "0"
    description: str = ""
    description_zh: str = ""
    requires: tuple[str, ...] = field(default=(), converter=tuple)
    requires_api: str | None = None
