"""``crm workflow``, ``crm tasks`` and ``crm sla``: approvals, what waits on whom, on-time rates."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option, pairs, window

if TYPE_CHECKING:
    from crmcore.services.workflows import Instance


@click.group()
def workflow() -> None:
    """Approval workflows (审批流程): start, advance, reject, withdraw, pause, history."""


@workflow.command()
@json_option
def definitions(as_json: bool) -> None:
    """The workflows core and enabled plugins declare."""
    app = current()
    defs = app.crm.workflows.definitions(app.actor)
    if as_json:
        render.emit_json(
            [
                {
                    "name": d.name,
                    "title": d.workflow.title,
                    "title_zh": d.workflow.title_zh,
                    "owner": d.owner,
                    "rule": d.workflow.rule,
                    "initial": d.workflow.initial,
                    "states": [
                        {"name": s.name, "label": s.label, "terminal": s.terminal}
                        for s in d.states.values()
                    ],
                    "transitions": [
                        {"action": tr.action, "from": state, "to": tr.target, "role": tr.role}
                        for state, outgoing in d.transitions.items()
                        for tr in outgoing
                    ],
                    "clocks": [
                        {
                            "name": c.name,
                            "start": c.start,
                            "days": c.days if isinstance(c.days, (int, str)) else "computed",
                            "unit": c.unit,
                        }
                        for c in d.clocks
                    ],
                }
                for d in defs
            ]
        )
        return
    render.table(
        "Workflows",
        ["name", "title", "owner", "rule", "steps", "roles"],
        [
            (
                d.name,
                f"{d.workflow.title} {d.workflow.title_zh}".strip(),
                d.owner,
                d.workflow.rule,
                len(d.states),
                sorted(d.roles()),
            )
            for d in defs
        ],
    )


@workflow.command(name="list")
@click.option("--client", "client_code", help="Only this client's.")
@click.option("--workflow", "name", help="Only this workflow's.")
@click.option("--all", "include_closed", is_flag=True, help="Include closed instances.")
@json_option
def list_(client_code: str | None, name: str | None, include_closed: bool, as_json: bool) -> None:
    """Instances, newest first (open ones unless --all)."""
    app = current()
    found = app.crm.workflows.list(
        app.actor, client_code=client_code, workflow=name, include_closed=include_closed
    )
    if as_json:
        render.emit_json([_json(i) for i in found])
        return
    render.table(
        "Workflow instances",
        ["id", "workflow", "client", "step", "waiting for", "due", "state"],
        [
            (i.id, i.workflow, i.client_code, i.state_label, i.waiting_for, i.due, _status(i))
            for i in found
        ],
    )


@workflow.command()
@click.argument("name")
@click.argument("client_code")
@click.option("--entity", help="The plugin record it is about, TYPE:ID.")
@click.option(
    "--data", "data", multiple=True, metavar="KEY=VALUE", help="Instance data (repeatable)."
)
@click.option("--assign", multiple=True, metavar="ROLE=LOGIN", help="Only LOGIN acts as ROLE here.")
@click.option("--comment")
def start(
    name: str,
    client_code: str,
    entity: str | None,
    data: tuple[str, ...],
    assign: tuple[str, ...],
    comment: str | None,
) -> None:
    """Start workflow NAME for a client."""
    from crmcore.errors import InvalidInput

    entity_type = entity_id = None
    if entity:
        entity_type, sep, entity_id = entity.partition(":")
        if not sep or not entity_type or not entity_id:
            raise InvalidInput("entity", f"{entity!r} is not TYPE:ID")
    assignees: dict[str, list[str]] = {}
    for role, login in pairs(assign, "assign").items():
        assignees.setdefault(role, []).append(login)
    app = current()
    started = app.crm.workflows.start(
        app.actor,
        name,
        client_code,
        entity_type=entity_type,
        entity_id=entity_id,
        data=pairs(data, "data"),
        assignees=assignees,
        comment=comment,
    )
    render.done(f"started workflow {started.id} ({name}); {_next(started)}")


@workflow.command()
@click.argument("instance_id", type=int)
@json_option
def show(instance_id: int, as_json: bool) -> None:
    """An instance: where it is, who it waits on, its deadlines."""
    app = current()
    instance = app.crm.workflows.get(app.actor, instance_id)
    if as_json:
        render.emit_json(_json(instance))
        return
    render.fields(
        f"Workflow {instance.id}: {instance.title}",
        [
            ("workflow", instance.workflow),
            ("client", f"{instance.client_code} {instance.client_name}"),
            (
                "about",
                f"{instance.entity_type}:{instance.entity_id}" if instance.entity_type else None,
            ),
            ("step", _step(instance)),
            ("status", _status(instance)),
            ("waiting for", instance.waiting_for),
            ("actions", instance.actions),
            ("signed", [f"{s.role}: {s.signer}" for s in instance.signatures]),
            ("started", f"{render.cell(instance.started_at)} by {instance.started_by}"),
            ("version", instance.version),
            ("data", render.shown(instance, "data")),
        ],
    )
    if instance.clocks:
        render.table(
            "Deadlines",
            ["clock", "days", "started", "due", "state"],
            [
                (
                    c.name,
                    f"{c.days} {c.unit.value}",
                    c.started_at,
                    c.due,
                    c.outcome or ("paused" if c.paused else "OVERDUE" if c.overdue else "running"),
                )
                for c in instance.clocks
            ],
        )


@workflow.command()
@click.argument("instance_id", type=int)
@click.option("--action", help="Which action, when the step offers several (e.g. approve, sign).")
@click.option("--comment")
@click.option("--data", "data", multiple=True, metavar="KEY=VALUE", help="Data for this step.")
@click.option(
    "--expect", "expected_state", help="Refuse unless the instance is still at this step."
)
def advance(
    instance_id: int,
    action: str | None,
    comment: str | None,
    data: tuple[str, ...],
    expected_state: str | None,
) -> None:
    """Approve, sign or take the step's action as yourself."""
    app = current()
    moved = app.crm.workflows.advance(
        app.actor,
        instance_id,
        action,
        comment=comment,
        data=pairs(data, "data"),
        expected_state=expected_state,
    )
    render.done(f"workflow {instance_id}: {_next(moved)}")


@workflow.command()
@click.argument("instance_id", type=int)
@click.option("--reason", required=True, help="Why (required).")
@click.option(
    "--expect", "expected_state", help="Refuse unless the instance is still at this step."
)
def reject(instance_id: int, reason: str, expected_state: str | None) -> None:
    """Reject at the current step: back to the step the workflow names."""
    app = current()
    moved = app.crm.workflows.reject(app.actor, instance_id, reason, expected_state=expected_state)
    render.done(f"workflow {instance_id} rejected: {_next(moved)}")


@workflow.command()
@click.argument("instance_id", type=int)
@click.option("--reason", required=True, help="Why (required).")
def withdraw(instance_id: int, reason: str) -> None:
    """Withdraw (撤回) an instance you started."""
    app = current()
    app.crm.workflows.withdraw(app.actor, instance_id, reason)
    render.done(f"workflow {instance_id} withdrawn")


@workflow.command()
@click.argument("instance_id", type=int)
@click.option("--reason", required=True, help="What the client has to do.")
def pause(instance_id: int, reason: str) -> None:
    """Pause the deadlines while the client holds the ball."""
    app = current()
    app.crm.workflows.pause(app.actor, instance_id, reason)
    render.done(f"workflow {instance_id} paused")


@workflow.command()
@click.argument("instance_id", type=int)
@click.option("--comment")
def resume(instance_id: int, comment: str | None) -> None:
    """Resume the deadlines with the days they had left."""
    app = current()
    resumed = app.crm.workflows.resume(app.actor, instance_id, comment)
    render.done(f"workflow {instance_id} resumed; due {resumed.due or '-'}")


@workflow.command()
@click.argument("instance_id", type=int)
@json_option
def history(instance_id: int, as_json: bool) -> None:
    """Every event of an instance: who, what, when, why."""
    app = current()
    events = app.crm.workflows.history(app.actor, instance_id)
    if as_json:
        render.emit_json(events)
        return
    render.table(
        f"History of workflow {instance_id}",
        ["#", "when", "who", "as", "action", "from", "to", "comment"],
        [
            (
                e.seq,
                e.at,
                e.actor,
                e.role,
                e.action,
                e.from_state,
                e.to_state,
                render.shown(e, "comment"),
            )
            for e in events
        ],
    )


@click.command()
@click.option("--role", help="What waits on this role instead of on you.")
@json_option
def tasks(role: str | None, as_json: bool) -> None:
    """What waits on you (or on a role): approvals and duties, overdue first (待办)."""
    app = current()
    found = app.crm.tasks.waiting(app.actor, role=role)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        f"Waiting on {role or app.actor.login}",
        ["", "due", "what", "client", "step", "for"],
        [
            (
                "OVERDUE" if k.overdue else "paused" if k.paused else "",
                k.due_at,
                f"{k.ref}: {k.title}",
                k.client_code,
                k.step,
                k.waiting_for,
            )
            for k in found
        ],
    )


@click.command()
@click.option("--period", help="A quarter (2026Q3) or month (2026-09); default this quarter.")
@click.option("--from", "start", help="First day, YYYY-MM-DD.")
@click.option("--to", "end", help="Last day, YYYY-MM-DD.")
@click.option("--workflow", "name", help="Only this workflow.")
@json_option
def sla(
    period: str | None, start: str | None, end: str | None, name: str | None, as_json: bool
) -> None:
    """On-time rate per workflow and step over a period (SLA)."""
    app = current()
    first, last = window(period, start, end)
    rows = app.crm.workflows.sla(app.actor, first, last, workflow=name)
    if as_json:
        render.emit_json(
            {
                "from": first,
                "to": last,
                "rows": [{**_plain(r), "total": r.total} for r in rows],
            }
        )
        return
    render.table(
        f"On time {first} .. {last}",
        ["workflow", "step / clock", "met", "late", "overdue", "on time"],
        [
            (
                r.workflow,
                r.clock,
                r.met,
                r.late,
                r.overdue,
                f"{r.on_time_rate}%" if r.on_time_rate is not None else "-",
            )
            for r in rows
        ],
    )


def _plain(obj: object) -> dict[str, object]:
    from crmcore.convert import unstructure

    return dict(unstructure(obj))


def _json(instance: Instance) -> dict[str, object]:
    return {**_plain(instance), "due": instance.due}


def _status(instance: Instance) -> str:
    if instance.closed:
        return "closed"
    if instance.paused:
        return "paused (client holds the ball)"
    if any(c.overdue for c in instance.clocks):
        return "OVERDUE"
    return "open"


def _step(instance: Instance) -> str:
    """The step as people read it, with the name ``--expect`` takes when that differs."""
    if instance.state_label == instance.state:
        return instance.state
    return f"{instance.state_label} ({instance.state})"


def _next(instance: Instance) -> str:
    if instance.closed:
        return f"closed at {_step(instance)}"
    waiting = ", ".join(instance.waiting_for) or "nobody"
    due = f", due {instance.due}" if instance.due else ""
    return f"now at {_step(instance)}, waiting for {waiting}{due}"
