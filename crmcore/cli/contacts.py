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
@click.option(
    "--id-number",
    help="Resident ID number (居民身份证号); stored encrypted, shown masked. "
    "Give - to type it at a hidden prompt (keeps it out of shell history).",
)
def add(
    client_code: str,
    name: str,
    position: str | None,
    phone: str | None,
    email: str | None,
    notes: str | None,
    profile: tuple[str, ...],
    id_number: str | None,
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
        "id_number": _secret(id_number),
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
    _contact_table(f"Contacts of {client_code}", people)


def _contact_table(title: str, people: list[object]) -> None:
    render.table(
        title,
        ["id", "client", "name", "position", "phone", "email", "ID number", "active"],
        [
            (
                c.id,  # type: ignore[attr-defined]
                c.client_code,  # type: ignore[attr-defined]
                c.name,  # type: ignore[attr-defined]
                c.position,  # type: ignore[attr-defined]
                render.shown(c, "phone"),
                render.shown(c, "email"),
                render.shown(c, "id_number"),
                "yes" if c.active else "no",  # type: ignore[attr-defined]
            )
            for c in people
        ],
    )


def _secret(value: str | None) -> str | None:
    if value == "-":
        return click.prompt("ID number", hide_input=True)
    return value


@contact.command(name="find-id")
@click.argument("id_number")
@json_option
def find_id(id_number: str, as_json: bool) -> None:
    """Find people by exact ID number (- prompts for it); the search is recorded, not the number."""
    app = current()
    people = app.crm.contacts.find_by_id_number(app.actor, _secret(id_number))
    if as_json:
        render.emit_json(people)
        return
    _contact_table("People with this ID number", people)


@contact.command(name="reveal-id")
@click.argument("contact_id", type=int)
@click.option("--reason", required=True, help="Why the number is needed in clear (recorded).")
def reveal_id(contact_id: int, reason: str) -> None:
    """Show a contact's ID number in clear (needs personal.reveal; audited)."""
    app = current()
    number = app.crm.contacts.reveal_id_number(app.actor, contact_id, reason=reason)
    render.done(number or "-")
