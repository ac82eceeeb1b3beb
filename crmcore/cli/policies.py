"""``crm policy``: the numbers of RULES.md as configurable, effective-dated policies."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, pairs, parse_date

if TYPE_CHECKING:
    from crmcore.services.policies import PolicyView


@click.group()
def policy() -> None:
    """Policies (制度参数): thresholds, shares, deadlines; changes are dated and audited."""


@policy.command(name="list")
@click.option("--on", "on", help="The values in force on this date (YYYY-MM-DD); default now.")
@json_option
def list_(on: str | None, as_json: bool) -> None:
    """Every policy and its value in force."""
    app = current()
    views = app.crm.policies.list(app.actor, at=parse_date(on, "on"))
    if as_json:
        render.emit_json(views)
        return
    render.table(
        "Policies",
        ["key", "title", "owner", "in force since", "changed fields", "next change"],
        [
            (
                v.key,
                f"{v.title} {v.title_zh}".strip(),
                v.owner,
                v.in_force_from or "default",
                v.changed,
                v.next_change,
            )
            for v in views
        ],
    )


@policy.command()
@click.argument("key")
@click.option("--on", "on", help="The value in force on this date (YYYY-MM-DD); default now.")
@json_option
def show(key: str, on: str | None, as_json: bool) -> None:
    """One policy: each field's value and default, and every change."""
    app = current()
    view = app.crm.policies.show(app.actor, key, at=parse_date(on, "on"))
    if as_json:
        render.emit_json(view)
        return
    _print(view)


@policy.command(name="set")
@click.argument("key")
@click.argument("changes", nargs=-1, metavar="FIELD=VALUE...")
@click.option(
    "--from",
    "effective_from",
    help="Effective from this date (YYYY-MM-DD, today or later); default today.",
)
@click.option("--reason", help="Why (kept with the change).")
def set_(
    key: str, changes: tuple[str, ...], effective_from: str | None, reason: str | None
) -> None:
    """Change fields of a policy from a date on, e.g. `crm policy set CLS-SCORE-1 share_a=25 share_c=35`.

    Lists (such as channels) are comma-separated. Decisions taken before the change keep the
    value they were taken with.
    """
    from crmcore import policies

    app = current()
    spec = policies.lookup(app.crm.policy_specs, key)
    values = {k: policies.from_text(spec, k, v) for k, v in pairs(changes, spec.key).items()}
    view = app.crm.policies.set(
        app.actor,
        spec.key,
        values,
        effective_from=parse_date(effective_from, "from"),
        reason=reason,
    )
    render.done(f"{view.key}: in force from {view.in_force_from or 'now'}")
    _print(view)


def _print(view: PolicyView) -> None:
    render.fields(
        f"{view.key}: {view.title} {view.title_zh}".strip(),
        [
            ("owner", view.owner),
            ("in force since", view.in_force_from or "default (RULES.md)"),
            ("next change", view.next_change),
        ],
    )
    render.table(
        None,
        ["field", "value", "default", "type"],
        [(f.name, f.value, f.default, f.type) for f in view.fields],
    )
    if view.history:
        render.table(
            "Changes",
            ["effective from", "set at", "by", "changes", "reason"],
            [
                (
                    c.effective_from,
                    c.set_at,
                    c.set_by,
                    "; ".join(f"{n}: {a} → {b}" for n, (a, b) in c.changes.items()),
                    c.reason,
                )
                for c in view.history
            ],
        )
