"""``crm audit``: the audit trail (审计日志) and its verification."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import china_time, current, json_option


@click.group()
def audit() -> None:
    """The audit trail: who did or read what, when, through which door (CORE-CONF-2)."""


@audit.command()
@click.option("--client", help="Client code.")
@click.option("--user", help="Login of the actor.")
@click.option("--since", help="From this date (China time), YYYY-MM-DD or a date-time.")
@click.option("--until", help="Up to and including this date.")
@click.option("--action", help="Exact action, or a prefix ending in '.', e.g. client.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(1, 100_000))
@json_option
def log(
    client: str | None,
    user: str | None,
    since: str | None,
    until: str | None,
    action: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Events, newest first."""
    app = current()
    entries = app.crm.audit.log(
        app.actor,
        client=client,
        user=user,
        since=china_time(since, "since") if since else None,
        until=china_time(until, "until", end_of_day=True) if until else None,
        action=action,
        limit=limit,
    )
    if as_json:
        render.emit_json(entries)
        return
    render.table(
        "Audit trail",
        ["#", "when", "who", "door", "action", "what", "client", "detail"],
        [
            (
                e.seq,
                e.at,
                e.actor,
                e.door,
                e.action,
                f"{e.entity} {e.entity_id or ''}".strip(),
                e.client_code,
                e.detail,
            )
            for e in entries
        ],
    )


@audit.command()
@json_option
def verify(as_json: bool) -> None:
    """Check every link and seal of the chain and the checkpoint; exit 9 if anything is off."""
    from crmcore.errors import AuditFailure

    app = current()
    result = app.crm.audit.verify(app.actor)
    if as_json:
        render.emit_json(result)
    elif result.ok:
        sealed = f", {result.sealed} sealed" if result.sealed else ""
        legacy = f", {result.unsealed_prefix} from before seals" if result.unsealed_prefix else ""
        where = (
            f"; checkpoint at event {result.checkpoint} matches"
            if result.checkpoint is not None
            else "; no checkpoint file yet"
        )
        render.done(f"audit trail verifies: {result.events} events{sealed}{legacy}{where}")
    if not result.ok:
        raise AuditFailure(f"audit trail: {result.problem}", rule="CORE-CONF-2")


@audit.command()
def checkpoint() -> None:
    """Write the chain's head to the checkpoint file now."""
    app = current()
    seq, head = app.crm.audit.checkpoint(app.actor)
    render.done(f"checkpoint at event {seq} ({head[:12]}...) written to {app.crm.checkpoint_path}")
