"""``crm client``: client records (客户档案)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, pairs

#: option -> NewClient field. Values stay text here; the service's converter checks them.
FIELD_OPTIONS: list[tuple[str, str, str]] = [
    ("--name", "name", "Registered name (名称)."),
    ("--credit-code", "credit_code", "Unified social credit code (统一社会信用代码)."),
    ("--legal-rep", "legal_rep", "Legal representative (法定代表人)."),
    ("--address", "address", "Address (地址)."),
    ("--postcode", "postcode", "Postcode (邮编)."),
    ("--phone", "phone", "Phone (电话)."),
    ("--fax", "fax", "Fax (传真)."),
    ("--scope", "business_scope", "Business scope (经营范围)."),
    ("--capital", "registered_capital", "Registered capital in CNY (注册资本), e.g. 5000000.00."),
    ("--region", "region", "Region as province/city, e.g. 广东/广州."),
    ("--industry", "industry", "Industry (行业)."),
    ("--size", "size", "large, medium, small or micro."),
    ("--status", "status", "prospect, active or dormant."),
    ("--importance", "importance", "key, important or normal (CORE-OWN-1/3)."),
]


def field_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    for option, dest, help_ in reversed(FIELD_OPTIONS):
        fn = click.option(option, dest, help=help_)(fn)
    return click.option(
        "--profile",
        "profile",
        multiple=True,
        metavar="KEY=VALUE",
        help="Profile field (repeatable).",
    )(fn)


def _fields(options: dict[str, Any]) -> dict[str, Any]:
    data = {dest: options[dest] for _, dest, _ in FIELD_OPTIONS if options.get(dest) is not None}
    if options.get("profile"):
        data["profile"] = _pairs(options["profile"], "profile")
    return data


_pairs = pairs  # shared with `crm contact` and the workflow commands


@click.group()
def client() -> None:
    """Client records (客户档案)."""


@client.command()
@field_options
@click.option("--code", help="Client code; generated (C000001, ...) when omitted.")
@click.option("--owner", help="Login of the responsible account manager; default: you.")
def add(**options: Any) -> None:
    """Register a client."""
    from crmcore.convert import structure
    from crmcore.domain.clients import NewClient

    app = current()
    data = _fields(options)
    for key in ("code", "owner"):
        if options.get(key):
            data[key] = options[key]
    created = app.crm.clients.add(app.actor, structure(data, NewClient))
    render.done(f"added client {created.code} {created.name}")


@client.command()
@click.argument("code")
@json_option
def show(code: str, as_json: bool) -> None:
    """One client with its contacts and latest dealings."""
    app = current()
    record = app.crm.clients.get(app.actor, code)
    contacts = app.crm.contacts.list(app.actor, code)
    logs = app.crm.logs.timeline(app.actor, code, limit=5)
    if as_json:
        render.emit_json({"client": record, "contacts": contacts, "latest_logs": logs})
        return
    show_ = functools.partial(render.shown, record)
    render.fields(
        f"{record.code} {record.name}",
        [
            ("credit code", show_("credit_code")),
            ("status", record.status),
            ("legal rep.", show_("legal_rep")),
            ("address", show_("address")),
            ("postcode", show_("postcode")),
            ("phone", show_("phone")),
            ("fax", show_("fax")),
            ("business scope", show_("business_scope")),
            ("registered capital", show_("registered_capital")),
            ("region", show_("region")),
            ("industry", show_("industry")),
            ("size", show_("size")),
            ("importance", record.importance),
            ("level", record.clearance),
            ("unit", record.unit),
            ("owner", record.owner),
            ("co-contacts", record.co_contacts),
            ("custodian", record.custodian),
            (
                "first contact",
                f"{record.first_contact_by} {render.cell(record.first_contact_at)}"
                if record.first_contact_by
                else None,
            ),
            ("profile", show_("profile")),
            ("archived because", record.archived_reason),
            ("version", record.version),
        ],
    )
    if contacts:
        render.table(
            "Contacts",
            ["id", "name", "position", "phone", "email", "ID number"],
            [
                (
                    c.id,
                    c.name,
                    c.position,
                    render.shown(c, "phone"),
                    render.shown(c, "email"),
                    render.shown(c, "id_number"),
                )
                for c in contacts
            ],
        )
    if logs:
        render.table(
            "Latest dealings",
            ["when", "channel", "by", "summary", "next action", "due"],
            [
                (
                    lg.occurred_at,
                    lg.channel,
                    lg.author,
                    render.shown(lg, "summary"),
                    render.shown(lg, "next_action"),
                    lg.next_action_due,
                )
                for lg in logs
            ],
        )


@client.command(name="list")
@click.option("--owner", help="Login of the account manager.")
@click.option("--region", help="Region or its prefix, e.g. 广东.")
@click.option("--industry")
@click.option("--status", type=click.Choice(["prospect", "active", "dormant", "archived"]))
@click.option("--unit", help="Organisation unit code; includes every unit below it.")
@click.option("--importance", type=click.Choice(["key", "important", "normal"]))
@click.option("--archived", "include_archived", is_flag=True, help="Include archived clients.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--offset", default=0, type=click.IntRange(0))
@json_option
def list_(as_json: bool, **filters: Any) -> None:
    """List clients."""
    app = current()
    _client_table(app.crm.clients.list(app.actor, **filters), as_json, "Clients")


@client.command()
@click.argument("text")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@json_option
def search(text: str, limit: int, as_json: bool) -> None:
    """Find clients by name, code or credit code."""
    app = current()
    _client_table(
        app.crm.clients.search(app.actor, text, limit=limit), as_json, f"Clients matching {text!r}"
    )


def _client_table(clients: list[Any], as_json: bool, title: str) -> None:
    if as_json:
        render.emit_json(clients)
        return
    render.table(
        title,
        ["code", "name", "region", "industry", "unit", "owner", "status"],
        [
            (
                c.code,
                render.shown(c, "name"),
                render.shown(c, "region"),
                render.shown(c, "industry"),
                c.unit,
                c.owner,
                c.status,
            )
            for c in clients
        ],
    )


@client.command()
@click.argument("code")
@field_options
@click.option(
    "--expect-version", type=int, help="Refuse if someone changed the record since this version."
)
def edit(code: str, expect_version: int | None, **options: Any) -> None:
    """Change fields of a client; the old values stay in its history."""
    from crmcore.errors import InvalidInput

    app = current()
    changes = _fields(options)
    if not changes:
        raise InvalidInput("options", "nothing to change: give at least one field option")
    updated = app.crm.clients.edit(app.actor, code, changes, expected_version=expect_version)
    render.done(f"updated client {updated.code} (version {updated.version})")


@client.command()
@click.argument("code")
@click.option("--reason", required=True, help="Why (kept with the record).")
def archive(code: str, reason: str) -> None:
    """Archive a client (nothing is deleted; restore brings it back)."""
    app = current()
    app.crm.clients.archive(app.actor, code, reason)
    render.done(f"archived client {code}")


@client.command()
@click.argument("code")
def restore(code: str) -> None:
    """Restore an archived client."""
    app = current()
    app.crm.clients.restore(app.actor, code)
    render.done(f"restored client {code}")


@client.command()
@click.argument("code")
@click.option("--owner", required=True, help="Login of the new responsible account manager.")
def assign(code: str, owner: str) -> None:
    """Change the responsible account manager."""
    app = current()
    app.crm.clients.assign(app.actor, code, owner)
    render.done(f"client {code} is now managed by {owner}")


@client.command()
@click.argument("code")
@click.option("--add", "add_login", help="Login to add as co-contact.")
@click.option("--remove", "remove_login", help="Login to remove as co-contact.")
def staff(code: str, add_login: str | None, remove_login: str | None) -> None:
    """Co-contacts: staff in contact with the client besides its owner (CORE-OWN-1)."""
    from crmcore.errors import InvalidInput

    app = current()
    if bool(add_login) == bool(remove_login):
        raise InvalidInput("options", "give exactly one of --add or --remove")
    if add_login:
        result = app.crm.clients.add_co_contact(app.actor, code, add_login)
    else:
        result = app.crm.clients.remove_co_contact(app.actor, code, remove_login)
    render.done(
        f"client {code}: owner {result.owner}, co-contacts {render.cell(result.co_contacts)}"
    )


@client.command()
@click.argument("code")
@json_option
def history(code: str, as_json: bool) -> None:
    """Every version of a client record."""
    app = current()
    versions = app.crm.clients.history(app.actor, code)
    if as_json:
        render.emit_json(versions)
        return
    render.table(
        f"History of {code}",
        ["version", "when", "by", "action", "changes"],
        [
            (
                v["version"],
                v["at"],
                v["by"],
                v["action"],
                {k: render.MASKED if k in v["masked"] else c for k, c in v["changes"].items()},
            )
            for v in versions
        ],
    )
