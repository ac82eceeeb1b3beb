"""``crm plugins``: which industry plugins this database runs."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def plugins() -> None:
    """Industry plugins: list, info, enable, disable."""


@plugins.command(name="list")
@json_option
def list_(as_json: bool) -> None:
    """Installed plugins, whether enabled here, and why one failed to load."""
    app = current()
    statuses = app.crm.plugins.list(app.actor)
    if as_json:
        render.emit_json(statuses)
        return
    render.table(
        "Plugins",
        ["name", "version", "enabled", "loaded", "requires", "description / error"],
        [
            (
                s.name,
                s.version,
                "yes" if s.enabled else "no",
                "yes" if s.loaded else "no",
                s.requires,
                f"[red]{s.error}[/red]" if s.error else s.description,
            )
            for s in statuses
        ],
    )


@plugins.command()
@click.argument("name")
@json_option
def info(name: str, as_json: bool) -> None:
    """One plugin: version, requirements, hooks, load error."""
    app = current()
    status = app.crm.plugins.info(app.actor, name)
    if as_json:
        render.emit_json(status)
        return
    render.fields(
        f"Plugin {name}",
        [
            ("version", status.version),
            ("description", status.description),
            ("enabled", status.enabled),
            ("loaded", status.loaded),
            ("requires", status.requires),
            ("hooks", status.hooks),
            ("error", status.error),
        ],
    )


@plugins.command()
@click.argument("name")
def enable(name: str) -> None:
    """Enable a plugin in this database and run its migrations."""
    app = current()
    app.crm.plugins.enable(app.actor, name)
    render.done(f"enabled plugin {name}")


@plugins.command()
@click.argument("name")
def disable(name: str) -> None:
    """Disable a plugin; its tables and data are kept."""
    app = current()
    app.crm.plugins.disable(app.actor, name)
    render.done(f"disabled plugin {name} (its data is kept)")


@plugins.command()
@json_option
def doctor(as_json: bool) -> None:
    """Check every plugin: imports, hook API, hookimpls, migrations, requirements, tables."""
    from crmcore.errors import PluginError

    app = current()
    report = app.crm.plugins.doctor(app.actor)
    if as_json:
        render.emit_json(
            [
                {"plugin": d.plugin, "enabled": d.enabled, "ok": d.ok, "checks": d.checks}
                for d in report
            ]
        )
    else:
        render.table(
            "Plugin doctor",
            ["plugin", "check", "result", "detail"],
            [
                (d.plugin, c.name, "ok" if c.ok else "[red]FAIL[/red]", c.detail)
                for d in report
                for c in d.checks
            ],
        )
    failing = [d.plugin for d in report if not d.ok]
    if failing:
        raise PluginError(", ".join(failing), "doctor found problems (see above)")


@plugins.command()
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Where to create it.",
)
def new(name: str, directory: str) -> None:
    """Create a working plugin distribution to start from (docs/plugins.md)."""
    from pathlib import Path

    from crmcore.scaffold import new_plugin
    from crmcore.store.migrate import core_head

    target = new_plugin(name, Path(directory), core_revision=core_head())
    render.done(
        f"created {target}: pip install -e {target} && crm plugins enable {name}; run its tests with pytest"
    )
