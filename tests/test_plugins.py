"""The plugin host: discovery, enable/disable, dependencies, failure isolation, rollback."""

from __future__ import annotations

import json
import textwrap

import pytest
from sqlalchemy import inspect, text

from crmcore import Conflict, Crm, NewClient, NotFound, PluginError
from crmcore.testing import row_counts

HEADER = """
from crmcore import hookimpl, PluginInfo
"""


def plain(name: str, requires: tuple[str, ...] = (), body: str = "") -> str:
    return (
        HEADER
        + textwrap.dedent(f"""
        @hookimpl
        def crm_plugin_info():
            return PluginInfo(name={name!r}, version="1.0", description="test plugin", requires={requires!r})
    """)
        + textwrap.dedent(body)
    )


def test_enable_disable_respects_requirements(crm_url, admin, plugin_installer):
    plugin_installer("base", plain("base"))
    plugin_installer("addon", plain("addon", ("base",)))
    with Crm.open(crm_url) as crm:
        with pytest.raises(Conflict, match="addon requires plugin base, which is not enabled"):
            crm.plugins.enable(admin, "addon")
        crm.plugins.enable(admin, "base")
        crm.plugins.enable(admin, "addon")
    with Crm.open(crm_url) as crm:
        assert crm.host.loaded == ["base", "addon"]  # registered in dependency order
        with pytest.raises(Conflict, match="addon requires plugin base: disable addon first"):
            crm.plugins.disable(admin, "base")
        crm.plugins.disable(admin, "addon")
        crm.plugins.disable(admin, "base")
        with pytest.raises(NotFound, match="unknown plugin 'nope'"):
            crm.plugins.enable(admin, "nope")
    with Crm.open(crm_url) as crm:
        assert crm.host.loaded == []
        statuses = {s.name: s.enabled for s in crm.plugins.list(admin)}
        assert (statuses["base"], statuses["addon"]) == (False, False)


def test_cli_plugins_list_enable_disable_json(cli, plugin_installer):
    plugin_installer("base", plain("base"))
    plugin_installer("addon", plain("addon", ("base",)))
    refused = cli("plugins", "enable", "addon")
    assert refused.exit_code == 5
    assert (
        refused.stderr.strip()
        == "error: plugin addon requires plugin base, which is not enabled: enable it first"
    )
    assert cli("plugins", "enable", "base").exit_code == 0
    listed = json.loads(cli("plugins", "list", "--json").stdout)
    enabled = {p["name"]: p["enabled"] for p in listed}
    assert (enabled["addon"], enabled["base"]) == (False, True)
    unknown = cli("plugins", "enable", "nope")
    assert (unknown.exit_code, unknown.stdout) == (4, "")
    assert "Traceback" not in unknown.stderr


def test_enable_runs_the_plugin_migration_and_disable_keeps_its_data(
    crm_url, admin, plugin_installer, tmp_path
):
    versions = tmp_path / "notes_migrations"
    versions.mkdir()
    (versions / "n001_notes.py").write_text(
        textwrap.dedent("""
        import sqlalchemy as sa
        from alembic import op
        revision = "n001"
        down_revision = None
        branch_labels = ("notes",)
        depends_on = "0001_core"
        def upgrade():
            op.create_table("notes_note", sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("client_id", sa.Integer, sa.ForeignKey("clients.id")),
                            sa.Column("body", sa.Text))
        def downgrade():
            op.drop_table("notes_note")
    """)
    )
    plugin_installer(
        "notes",
        plain(
            "notes",
            body=f"""
        from pathlib import Path
        @hookimpl
        def crm_migrations():
            return Path({str(versions)!r})
    """,
        ),
    )
    with Crm.open(crm_url) as crm:
        crm.plugins.enable(admin, "notes")
        with crm.engine.begin() as conn:
            assert inspect(conn).has_table("notes_note")
            conn.execute(text("INSERT INTO notes_note (body) VALUES ('保留')"))
        crm.plugins.disable(admin, "notes")
    with Crm.open(crm_url) as crm:
        assert "notes" not in crm.host.loaded
        with crm.engine.connect() as conn:
            assert conn.scalar(text("SELECT body FROM notes_note")) == "保留"


def test_a_plugin_that_fails_to_import_is_listed_and_skipped(cli, crm_url, admin, plugin_installer):
    plugin_installer("fragile", plain("fragile"))
    assert cli("plugins", "enable", "fragile").exit_code == 0
    assert cli("client", "add", "--name", "甲公司").exit_code == 0
    # The plugin's code breaks later (a bad upgrade): the rest of the CLI keeps working.
    plugin_installer("fragile", "raise RuntimeError('missing licence file')\n")
    listed = cli("client", "list", "--json")
    assert listed.exit_code == 0
    assert [c["name"] for c in json.loads(listed.stdout)] == ["甲公司"]
    status = {p["name"]: p for p in json.loads(cli("plugins", "list", "--json").stdout)}["fragile"]
    assert status["enabled"] and not status["loaded"]
    assert "RuntimeError: missing licence file" in status["error"]
    failed = cli("fragile", "anything")
    assert failed.exit_code == 7
    assert "plugin fragile" in failed.stderr and "Traceback" not in failed.stderr


def test_rescue_switch_loads_only_the_listed_plugins(crm_url, admin, plugin_installer, monkeypatch):
    plugin_installer("fragile", plain("fragile"))
    with Crm.open(crm_url) as crm:
        crm.plugins.enable(admin, "fragile")
    plugin_installer("fragile", "import sys; sys.exit('boom')\n")
    monkeypatch.setenv("CRM_PLUGINS", "")
    with Crm.open(crm_url) as crm:
        assert crm.host.loaded == [] and crm.host.failures == {}
        assert crm.clients.list(admin) == []


def test_a_misspelled_hookimpl_is_reported_and_the_plugin_not_loaded(
    crm_url, admin, plugin_installer
):
    plugin_installer(
        "typo",
        plain(
            "typo",
            body="""
        @hookimpl
        def crm_client_craeted(tx, client):
            pass
    """,
        ),
    )
    with Crm.open(crm_url) as crm:
        crm.plugins.enable(admin, "typo")
    with Crm.open(crm_url) as crm:
        assert "typo" not in crm.host.loaded
        assert crm.host.failures["typo"] == (
            "unknown hook 'crm_client_craeted' (did you mean crm_client_created?)"
        )


RAISING = """
    from sqlalchemy import text
    @hookimpl
    def crm_client_created(tx, client):
        tx.conn.execute(text("UPDATE counters SET value = value + 100"))
        raise ValueError("quota service unreachable")
"""


def test_a_raising_hook_rolls_back_the_whole_use_case(crm_url, admin, plugin_installer):
    plugin_installer("quota", plain("quota", body=RAISING))
    with Crm.open(crm_url) as crm:
        crm.clients.add(admin, NewClient(name="先建的公司"))
        crm.plugins.enable(admin, "quota")
    with Crm.open(crm_url) as crm:
        before = row_counts(crm)
        with crm.engine.connect() as conn:
            counters_before = conn.execute(
                text("SELECT name, value FROM counters ORDER BY name")
            ).all()
        with pytest.raises(
            PluginError,
            match="plugin quota: crm_client_created failed: ValueError: quota service unreachable",
        ):
            crm.clients.add(admin, NewClient(name="甲公司"))
        assert row_counts(crm) == before
        with crm.engine.connect() as conn:
            assert (
                conn.execute(text("SELECT name, value FROM counters ORDER BY name")).all()
                == counters_before
            )


def test_a_veto_refuses_the_change_naming_the_plugin(crm, admin):
    class Blacklist:
        @staticmethod
        def crm_plugin_info():
            from crmcore import PluginInfo

            return PluginInfo(name="blacklist")

        @staticmethod
        def crm_client_veto(tx, before, after):
            return "name is on the sanctions list" if "黑名单" in after.name else None

    from crmcore import hookimpl

    Blacklist.crm_plugin_info = hookimpl(Blacklist.crm_plugin_info)
    Blacklist.crm_client_veto = hookimpl(Blacklist.crm_client_veto)
    with Crm.open(
        crm.engine.url.render_as_string(hide_password=False), extra_plugins={"blacklist": Blacklist}
    ) as vetting:
        ok = vetting.clients.add(admin, NewClient(name="正常公司"))
        before = row_counts(vetting)
        with pytest.raises(
            Conflict, match="refused by plugin blacklist: name is on the sanctions list"
        ):
            vetting.clients.add(admin, NewClient(name="黑名单公司"))
        with pytest.raises(Conflict, match="refused by plugin blacklist"):
            vetting.clients.edit(admin, ok.code, {"name": "黑名单公司"})
        assert row_counts(vetting) == before
