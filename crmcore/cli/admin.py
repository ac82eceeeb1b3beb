"""``crm init`` and ``crm db``: create and migrate databases."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.command()
@click.option(
    "--admin", "admin_login", default="admin", show_default=True, help="Login of the first admin."
)
@click.option("--admin-name", default="Administrator", show_default=True)
def init(admin_login: str, admin_name: str) -> None:
    """Create a new database: schema, migrations, first admin."""
    from crmcore.services import database

    where = database.init(current().db_url, admin_login=admin_login, admin_name=admin_name)
    render.done(f"initialised {where}; admin user: {admin_login}")


@click.group()
def db() -> None:
    """Schema migrations (core and enabled plugins)."""


@db.command()
@json_option
def upgrade(as_json: bool) -> None:
    """Bring the core and every enabled plugin to the newest schema."""
    from crmcore.services import database

    _show(database.upgrade(current().db_url), as_json)


@db.command(name="current")
@json_option
def current_(as_json: bool) -> None:
    """Which revision each branch is at, and the newest available."""
    from crmcore.services import database

    _show(database.current(current().db_url), as_json)


def _show(status: dict[str, tuple[str, str]], as_json: bool) -> None:
    if as_json:
        render.emit_json(
            {b: {"current": c, "head": h, "up_to_date": c == h} for b, (c, h) in status.items()}
        )
        return
    render.table(
        "Schema",
        ["branch", "current", "head", "state"],
        [
            (
                b,
                c,
                h,
                "up to date"
                if c == h
                else "needs `crm db upgrade`"
                if c != "-"
                else "not installed",
            )
            for b, (c, h) in sorted(status.items())
        ],
    )
