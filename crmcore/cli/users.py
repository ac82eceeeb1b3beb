"""``crm user``: staff accounts."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def user() -> None:
    """Staff accounts and roles."""


@user.command()
@click.argument("login")
@click.option("--name", required=True, help="Full name, e.g. 张伟.")
@click.option("--email")
@click.option("--phone")
@click.option("--role", "roles", multiple=True, help="Role (repeatable); default account_manager.")
def add(
    login: str, name: str, email: str | None, phone: str | None, roles: tuple[str, ...]
) -> None:
    """Add a user."""
    from crmcore.convert import structure
    from crmcore.domain.users import NewUser

    app = current()
    data = {"login": login, "name": name, "email": email, "phone": phone}
    if roles:
        data["roles"] = list(roles)
    created = app.crm.users.add(app.actor, structure(data, NewUser))
    render.done(f"added user {created.login} ({', '.join(created.roles)})")


@user.command(name="list")
@click.option("--all", "include_inactive", is_flag=True, help="Include deactivated users.")
@json_option
def list_(include_inactive: bool, as_json: bool) -> None:
    """List users."""
    app = current()
    users = app.crm.users.list(app.actor, include_inactive=include_inactive)
    if as_json:
        render.emit_json(users)
        return
    render.table(
        "Users",
        ["login", "name", "roles", "email", "phone", "active"],
        [(u.login, u.name, u.roles, u.email, u.phone, "yes" if u.active else "no") for u in users],
    )
