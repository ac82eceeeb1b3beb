"""``crm log`` and ``crm memo``: dealings with clients and signed negotiation memos."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def log() -> None:
    """Contact logs (接触记录)."""


@log.command()
@click.argument("client_code")
@click.option("--channel", required=True, help="visit, phone, letter, fax, email or meeting.")
@click.option("--summary", required=True)
@click.option("--at", "occurred_at", help="When, e.g. 2026-11-20T10:00+08:00; default now.")
@click.option("--participant", "participants", multiple=True, help="Who took part (repeatable).")
@click.option("--next-action")
@click.option("--due", "next_action_due", help="Due date of the next action, YYYY-MM-DD.")
@click.option(
    "--inquiry",
    is_flag=True,
    default=None,
    help="The client asked or wrote to us: to be answered within 24 hours (CORE-LOG-3).",
)
def add(client_code: str, **options: object) -> None:
    """Log a dealing with a client."""
    from crmcore.convert import structure
    from crmcore.domain.logs import NewLog

    app = current()
    data = {k: v for k, v in options.items() if v not in (None, ())}
    created = app.crm.logs.add(app.actor, client_code, structure(data, NewLog))
    render.done(f"logged {created.channel.value} with {client_code} (log {created.id})")


@log.command(name="list")
@click.argument("client_code")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
@json_option
def list_(client_code: str, limit: int, as_json: bool) -> None:
    """A client's timeline, newest first."""
    app = current()
    logs = app.crm.logs.timeline(app.actor, client_code, limit=limit)
    if as_json:
        render.emit_json(logs)
        return
    render.table(
        f"Timeline of {client_code}",
        ["when", "channel", "by", "participants", "summary", "next action", "due"],
        [
            (
                lg.occurred_at,
                f"{lg.channel.value} (inquiry)" if lg.inquiry else lg.channel,
                lg.author,
                lg.participants,
                lg.summary,
                lg.next_action,
                lg.next_action_due,
            )
            for lg in logs
        ],
    )


@click.group()
def memo() -> None:
    """Negotiation memos signed by every team member (CORE-LOG-2)."""


@memo.command()
@click.argument("client_code")
@click.option("--title", required=True)
@click.option("--body", required=True)
@click.option(
    "--signer", "signers", multiple=True, required=True, help="Login of a team member (repeatable)."
)
def add(client_code: str, title: str, body: str, signers: tuple[str, ...]) -> None:  # noqa: F811
    """Write a memo that every listed member must sign."""
    from crmcore.convert import structure
    from crmcore.domain.logs import NewMemo

    app = current()
    created = app.crm.memos.add(
        app.actor,
        client_code,
        structure({"title": title, "body": body, "signers": list(signers)}, NewMemo),
    )
    render.done(f"memo {created.id} awaits {len(created.signatures)} signatures")


@memo.command()
@click.argument("memo_id", type=int)
def sign(memo_id: int) -> None:
    """Sign a memo as the acting user."""
    app = current()
    signed = app.crm.memos.sign(app.actor, memo_id)
    waiting = [s.signer for s in signed.signatures if s.signed_at is None]
    render.done(
        f"signed memo {memo_id}; "
        + (f"waiting for {', '.join(waiting)}" if waiting else "all signed")
    )


@memo.command()
@click.argument("memo_id", type=int)
@json_option
def show(memo_id: int, as_json: bool) -> None:
    """A memo and who has signed it."""
    app = current()
    m = app.crm.memos.get(app.actor, memo_id)
    if as_json:
        render.emit_json({**render_memo(m)})
        return
    render.fields(
        f"Memo {m.id}: {m.title}",
        [
            ("client", m.client_code),
            ("author", m.author),
            ("written", m.created_at),
            ("complete", "yes" if m.complete else "no"),
            ("body", m.body),
        ],
    )
    render.table(
        "Signatures", ["signer", "signed at"], [(s.signer, s.signed_at) for s in m.signatures]
    )


def render_memo(m: object) -> dict[str, object]:
    from crmcore.convert import unstructure

    return {**unstructure(m), "complete": m.complete}  # type: ignore[attr-defined]
