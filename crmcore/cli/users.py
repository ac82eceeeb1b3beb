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
@click.option(
    "--clearance",
    help="public, internal, confidential or secret; default: the policy's (confidential).",
)
def add(
    login: str,
    name: str,
    email: str | None,
    phone: str | None,
    roles: tuple[str, ...],
    clearance: str | None,
) -> None:
    """Add a user."""
    from crmcore.convert import structure
    from crmcore.domain.users import NewUser

    app = current()
    data = {"login": login, "name": name, "email": email, "phone": phone}
    if roles:
        data["roles"] = list(roles)
    if clearance:
        data["clearance"] = clearance
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
        ["login", "name", "roles", "clearance", "units", "email", "phone", "active"],
        [
            (
                u.login,
                u.name,
                u.roles,
                u.clearance,
                u.units,
                u.email,
                u.phone,
                "yes" if u.active else "no",
            )
            for u in users
        ],
    )


@user.command()
@click.argument("login")
@click.argument("level")
def clearance(login: str, level: str) -> None:
    """Set how far a user is cleared to read: public, internal, confidential, secret."""
    app = current()
    changed = app.crm.users.set_clearance(app.actor, login, level)
    render.done(f"user {changed.login} is cleared for {changed.clearance}")
