"""``crm contact``: a client's key people."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.clients import _pairs
from crmcore.cli.context import current, json_option


@click.group()
def contact() -> None:
    """A client's key people."""


@contact.command()
@click.argument("client_code")
@click.option("--name", required=True)
@click.option("--position", help="e.g. 采购部经理.")
@click.option("--phone")
@click.option("--email")
@click.option("--notes")
@click.option(
    "--profile",
    multiple=True,
    metavar="KEY=VALUE",
    help="character, interests, education, age, background.",
)
def add(
    client_code: str,
    name: str,
    position: str | None,
    phone: str | None,
    email: str | None,
    notes: str | None,
    profile: tuple[str, ...],
) -> None:
    """Add a contact person to a client."""
    from crmcore.convert import structure
    from crmcore.domain.contacts import NewContact

    app = current()
    data = {
        "name": name,
        "position": position,
        "phone": phone,
        "email": email,
        "notes": notes,
        "profile": _pairs(profile, "profile"),
    }
    created = app.crm.contacts.add(app.actor, client_code, structure(data, NewContact))
    render.done(f"added contact {created.id} {created.name} to {client_code}")


@contact.command(name="list")
@click.argument("client_code")
@click.option("--all", "include_inactive", is_flag=True, help="Include people who left.")
@json_option
def list_(client_code: str, include_inactive: bool, as_json: bool) -> None:
    """A client's contacts."""
    app = current()
    people = app.crm.contacts.list(app.actor, client_code, include_inactive=include_inactive)
    if as_json:
        render.emit_json(people)
        return
    render.table(
        f"Contacts of {client_code}",
        ["id", "name", "position", "phone", "email", "active"],
        [(c.id, c.name, c.position, c.phone, c.email, "yes" if c.active else "no") for c in people],
    )
