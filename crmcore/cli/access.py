"""``crm access``: record levels, read grants (查阅权限), field rules, and why someone can read."""

from __future__ import annotations

import click

from crmcore.cli import render
from crmcore.cli.context import china_time, current, json_option


@click.group()
def access() -> None:
    """Confidentiality (保密): levels, grants, field rules, explanations."""


@access.command()
@click.argument("code")
@click.argument("level")
def level(code: str, level: str) -> None:
    """Set a client record's level: public, internal, confidential or secret."""
    app = current()
    result = app.crm.access.set_level(app.actor, code, level)
    render.done(f"client {code} is now {result}")


@access.command()
@click.argument("code")
@click.option("--user", help="Login to grant to.")
@click.option("--role", help="Role to grant to (everyone holding it).")
@click.option("--until", help="End of the grant, e.g. 2026-12-31T18:00+08:00.")
@click.option("--reason", required=True, help="Why (kept with the grant).")
def grant(code: str, user: str | None, role: str | None, until: str | None, reason: str) -> None:
    """Let a user or a role read one client's archive (查阅权限, CORE-CONF-2)."""
    app = current()
    end = china_time(until, "until", end_of_day=True) if until else None
    made = app.crm.access.grant(app.actor, code, user=user, role=role, until=end, reason=reason)
    render.done(f"grant {made.id}: {made.user or 'role ' + str(made.role)} may read {code}")


@access.command()
@click.argument("grant_id", type=int)
def revoke(grant_id: int) -> None:
    """End a grant (it stays on record)."""
    app = current()
    app.crm.access.revoke(app.actor, grant_id)
    render.done(f"grant {grant_id} revoked")


@access.command()
@click.argument("code", required=False)
@click.option("--all", "include_ended", is_flag=True, help="Include revoked and expired grants.")
@json_option
def grants(code: str | None, include_ended: bool, as_json: bool) -> None:
    """Current grants (on one client, or on every client you may read)."""
    app = current()
    found = app.crm.access.grants(app.actor, code, current_only=not include_ended)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        "Grants",
        ["id", "client", "user", "role", "until", "reason", "by", "revoked"],
        [
            (g.id, g.client_code, g.user, g.role, g.until, g.reason, g.granted_by, g.revoked_at)
            for g in found
        ],
    )


@access.command()
@json_option
def fields(as_json: bool) -> None:
    """Every field rule in force (core, plugins, admins); the most restrictive wins."""
    app = current()
    rules = app.crm.access.field_rules(app.actor)
    if as_json:
        render.emit_json(rules)
        return
    render.table(
        "Field rules",
        ["id", "entity", "field", "clearance", "permission", "conditional", "from", "rule"],
        [
            (
                r.id,
                r.entity,
                r.field,
                r.clearance,
                r.permission,
                "yes" if r.conditional else "",
                r.owner,
                r.rule,
            )
            for r in rules
        ],
    )


@access.command()
@click.argument("entity")
@click.argument("field_name", metavar="FIELD")
@click.option("--level", "clearance", default="public", help="Clearance needed to read it.")
@click.option("--permission", help="Permission needed to read it, e.g. finance.cost.read.")
def field(entity: str, field_name: str, clearance: str, permission: str | None) -> None:
    """Add a rule making ENTITY's FIELD harder to read (e.g. client registered_capital)."""
    app = current()
    made = app.crm.access.add_field_rule(
        app.actor, entity, field_name, clearance=clearance, permission=permission
    )
    render.done(f"field rule {made.id}: {entity}.{field_name} needs {made.clearance}")


@access.command(name="field-end")
@click.argument("rule_id", type=int)
def field_end(rule_id: int) -> None:
    """End a field rule set in the database."""
    app = current()
    app.crm.access.end_field_rule(app.actor, rule_id)
    render.done(f"field rule {rule_id} ended")


@access.command()
@click.argument("login")
@click.argument("code")
@json_option
def check(login: str, code: str, as_json: bool) -> None:
    """Whether LOGIN may read client CODE, and why."""
    app = current()
    result = app.crm.access.check(app.actor, login, code)
    if as_json:
        render.emit_json(result)
        return
    render.fields(
        f"{login} on {code}: {'may read' if result.readable else 'may NOT read'}",
        [("because", "; ".join(result.reasons)), ("masked fields", result.masked_fields)],
    )
