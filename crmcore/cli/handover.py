"""``crm handover``: a leaving employee's clients move to a successor (移交, CORE-OWN-2)."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.command()
@click.option("--from", "from_user", required=True, help="Login of the leaving user.")
@click.option("--to", "to_user", required=True, help="Login of the successor.")
@click.option("--reason", default="离职", show_default=True, help="Why (kept with the handover).")
@json_option
def handover(from_user: str, to_user: str, reason: str, as_json: bool) -> None:
    """Move every client, co-contact role, custodianship and open task of a leaving user, in
    one transaction; then deactivate them. Prints the clients to notify."""
    app = current()
    result = app.crm.handover.run(app.actor, from_user, to_user, reason=reason)
    notify = result.clients_to_notify
    if as_json:
        render.emit_json(
            {
                "handover": result.id,
                "from": result.from_user,
                "to": result.to_user,
                "items": result.items,
                "clients_to_notify": [{"code": c, "name": n} for c, n in notify],
            }
        )
        return
    render.table(
        f"Handover {result.id}: {from_user} -> {to_user}",
        ["what", "client", "name", "detail"],
        [(i.role, i.client_code, i.client_name, i.detail) for i in result.items],
    )
    render.done(f"Tell these {len(notify)} clients that {to_user} now looks after them:")
    render.table(None, ["client", "name"], notify)
    render.done(f"{from_user} is deactivated")
