"""What plugin authors rely on: API versioning, deprecation warnings, doctor, the scaffold."""

from __future__ import annotations

import json
import textwrap

import pluggy
import pytest

from crmcore import Crm, PluginError
from crmcore.hookspecs import HOOK_API_VERSION
from crmcore.plugins import PluginHost
from crmcore.testing import run_cli


def info(name: str, requires_api: str | None) -> str:
    return textwrap.dedent(f"""
        from crmcore import hookimpl, PluginInfo
        @hookimpl
        def crm_plugin_info():
            return PluginInfo(name={name!r}, requires_api={requires_api!r})
    """)


def test_a_plugin_needing_another_hook_api_is_refused_with_both_versions(
    crm_url, admin, plugin_installer
):
    plugin_installer("future", info("future", ">=2.0"))
    plugin_installer("current", info("current", ">=1.0,<2"))
    with Crm.open(crm_url) as crm:
        with pytest.raises(
            PluginError,
            match=rf"plugin future: needs hook API >=2.0, this crmcore provides {HOOK_API_VERSION}",
        ):
            crm.plugins.enable(admin, "future")
        crm.plugins.enable(admin, "current")
    with Crm.open(crm_url, plugins=["future", "current"]) as crm:
        assert crm.host.loaded == ["current"]
        assert "needs hook API >=2.0" in crm.host.failures["future"]


def test_deprecated_hooks_warn_when_a_plugin_implements_them():
    hookspec = pluggy.HookspecMarker("crmcore")

    class OldSpecs:
        @hookspec(warn_on_impl=DeprecationWarning("crm_old_hook is deprecated: use crm_new_hook"))
        def crm_old_hook(self) -> None:
            """An example of a retired hook."""

    class Plugin:
        @staticmethod
        def crm_plugin_info():
            from crmcore import PluginInfo

            return PluginInfo(name="legacy")

        @staticmethod
        def crm_old_hook():
            return None

    from crmcore import hookimpl

    Plugin.crm_plugin_info = hookimpl(Plugin.crm_plugin_info)
    Plugin.crm_old_hook = hookimpl(Plugin.crm_old_hook)
    host = PluginHost()
    host.pm.add_hookspecs(OldSpecs)
    host.load([], {"legacy": Plugin})
    assert host.loaded == ["legacy"]
    assert host.warnings["legacy"] == ["crm_old_hook is deprecated: use crm_new_hook"]


BROKEN = """
from pathlib import Path
from crmcore import hookimpl, PluginInfo

@hookimpl
def crm_plugin_info():
    return PluginInfo(name="broken", requires=("ghost",), requires_api=">=1.0,<2")

@hookimpl
def crm_client_created(tx, client, colour):
    pass
"""


def test_doctor_reports_a_broken_plugin_precisely(cli, plugin_installer):
    plugin_installer("healthy", info("healthy", ">=1.0,<2"))
    plugin_installer("broken", BROKEN)
    plugin_installer("unimportable", "import not_a_module_anywhere\n")
    assert cli("plugins", "enable", "healthy").exit_code == 0
    result = cli("plugins", "doctor", "--json")
    assert result.exit_code == 7
    assert (
        result.stderr.strip()
        == "error: plugin broken, unimportable: doctor found problems (see above)"
    )
    report = {d["plugin"]: d for d in json.loads(result.stdout)}
    assert report["healthy"]["ok"]
    checks = {c["name"]: c for c in report["broken"]["checks"]}
    assert not checks["hookimpls"]["ok"]
    assert (
        "crm_client_created" in checks["hookimpls"]["detail"]
        and "colour" in checks["hookimpls"]["detail"]
    )
    assert checks["requirements"]["detail"] == "not enabled: ghost"
    unimportable = report["unimportable"]["checks"]
    assert unimportable[0]["name"] == "imports" and not unimportable[0]["ok"]
    assert "No module named 'not_a_module_anywhere'" in unimportable[0]["detail"]


def test_plugins_new_refuses_bad_names_and_existing_folders(tmp_path):
    bad = run_cli(["plugins", "new", "Telecom-KA", "--dir", str(tmp_path)])
    assert bad.exit_code == 3 and "name: 'Telecom-KA' is not a plugin name" in bad.stderr
    assert run_cli(["plugins", "new", "telecom", "--dir", str(tmp_path)]).exit_code == 0
    again = run_cli(["plugins", "new", "telecom", "--dir", str(tmp_path)])
    assert again.exit_code == 5 and "already exists" in again.stderr
