"""``crm org``: the organisation tree, members, assignment rules, roll-ups and coverage."""

from __future__ import annotations

from typing import Any

import click

from crmcore.cli import render
from crmcore.cli.context import current, json_option


@click.group()
def org() -> None:
    """Organisation (组织机构): units, members, assignment rules (CORE-OWN-3)."""


@org.command(name="units")
@json_option
def units_(as_json: bool) -> None:
    """The tree: head office, branches, departments, regions."""
    app = current()
    found = app.crm.org.units(app.actor)
    if as_json:
        render.emit_json(found)
        return
    render.table(
        "Organisation",
        ["unit", "name", "kind", "level", "region", "manager", "members"],
        [
            (
                "  " * (len(u.path) - 1) + u.code,
                u.name,
                u.kind,
                u.level,
                u.region,
                u.manager,
                u.members,
            )
            for u in found
        ],
    )


@org.command()
@click.argument("code")
@click.option("--name", required=True, help="e.g. 广东分公司.")
@click.option("--kind", required=True, help="head_office, branch, department or region.")
@click.option("--parent", help="Code of the unit above it.")
@click.option("--level", help="Managing level for tiers (CLS-AMT-2): provincial, city, county.")
@click.option("--region", help="Region it serves, e.g. 广东/广州.")
@click.option("--manager", help="Login who gets clients assigned here by default.")
def add(code: str, **options: Any) -> None:
    """Add a unit."""
    from crmcore.convert import structure
    from crmcore.domain.security import NewUnit

    app = current()
    data = {k: v for k, v in options.items() if v is not None}
    made = app.crm.org.add_unit(app.actor, structure({"code": code, **data}, NewUnit))
    render.done(f"added unit {'/'.join(made.path)}")


@org.command()
@click.argument("code")
@click.option("--parent", required=True)
def move(code: str, parent: str) -> None:
    """Put a unit under another."""
    app = current()
    moved = app.crm.org.move_unit(app.actor, code, parent)
    render.done(f"unit is now {'/'.join(moved.path)}")


@org.command()
@click.argument("code")
@click.argument("login")
def manager(code: str, login: str) -> None:
    """Set the unit's default manager for assigned clients."""
    app = current()
    app.crm.org.set_manager(app.actor, code, login)
    render.done(f"{login} manages unit {code}")


@org.command()
@click.argument("code")
@click.option("--add", "add_login", help="Login to add to the unit.")
@click.option("--remove", "remove_login", help="Login to take out of the unit.")
def member(code: str, add_login: str | None, remove_login: str | None) -> None:
    """Add or remove a unit member (membership ends, it is not deleted)."""
    from crmcore.errors import InvalidInput

    app = current()
    if bool(add_login) == bool(remove_login):
        raise InvalidInput("options", "give exactly one of --add or --remove")
    if add_login:
        unit = app.crm.org.add_member(app.actor, code, add_login)
    else:
        unit = app.crm.org.remove_member(app.actor, code, remove_login)
    render.done(f"unit {code}: {render.cell(unit.members)}")


@org.group()
def rule() -> None:
    """Assignment rules: region, industry, importance -> unit and manager (CORE-OWN-3)."""


@rule.command(name="add")
@click.option("--unit", required=True)
@click.option("--region", help="Region prefix, e.g. 广东 or 广东/广州.")
@click.option("--industry")
@click.option("--importance", help="key, important or normal.")
@click.option("--manager", help="Login; default the unit's manager.")
@click.option("--priority", type=int, default=100, show_default=True, help="Lower wins a tie.")
def rule_add(**options: Any) -> None:
    """Add a rule; the most specific matching rule wins."""
    from crmcore.convert import structure
    from crmcore.domain.security import NewAssignmentRule

    app = current()
    data = {k: v for k, v in options.items() if v is not None}
    made = app.crm.org.add_rule(app.actor, structure(data, NewAssignmentRule))
    render.done(f"added rule {made.id} -> {made.unit}")


@rule.command(name="list")
@click.option("--all", "include_ended", is_flag=True)
@json_option
def rule_list(include_ended: bool, as_json: bool) -> None:
    """Assignment rules in priority order."""
    app = current()
    rules = app.crm.org.rules(app.actor, include_ended=include_ended)
    if as_json:
        render.emit_json(rules)
        return
    render.table(
        "Assignment rules",
        ["id", "region", "industry", "importance", "unit", "manager", "priority", "active"],
        [
            (r.id, r.region, r.industry, r.importance, r.unit, r.manager, r.priority, r.active)
            for r in rules
        ],
    )


@rule.command(name="end")
@click.argument("rule_id", type=int)
def rule_end(rule_id: int) -> None:
    """Stop using a rule (it stays on record)."""
    app = current()
    app.crm.org.end_rule(app.actor, rule_id)
    render.done(f"rule {rule_id} ended")


@org.command()
@click.argument("codes", nargs=-1, required=True)
@click.option("--tier", help="CLS-AMT-2 tier (diamond, platinum, gold, vip): decides the level.")
@click.option("--dry-run", is_flag=True, help="Only show what the rules decide.")
@json_option
def assign(codes: tuple[str, ...], tier: str | None, dry_run: bool, as_json: bool) -> None:
    """Apply the assignment rules to clients."""
    app = current()
    results = [app.crm.org.assign(app.actor, code, tier=tier, apply=not dry_run) for code in codes]
    if as_json:
        render.emit_json(results)
        return
    render.table(
        "Assignments" + (" (dry run)" if dry_run else ""),
        ["client", "unit", "owner", "level", "because"],
        [(a.client_code, a.unit, a.owner, a.level, a.reason) for a in results],
    )


@org.command()
@json_option
def rollup(as_json: bool) -> None:
    """Clients per unit, each unit including every unit below it."""
    app = current()
    totals = app.crm.org.rollup(app.actor)
    if as_json:
        render.emit_json(totals)
        return
    render.table(
        "Clients by unit (rolled up)",
        ["unit", "name", "own", "with units below", "important"],
        [("  " * u.depth + u.unit, u.name, u.own, u.total, u.important) for u in totals],
    )


@org.command()
@click.option("--unit", help="Only this unit and those below it.")
@json_option
def coverage(unit: str | None, as_json: bool) -> None:
    """Important clients with fewer than two staff in contact (CORE-OWN-1, 联系报告制)."""
    app = current()
    gaps = app.crm.org.coverage(app.actor, unit=unit)
    if as_json:
        render.emit_json(gaps)
        return
    render.table(
        "Important clients short of staff in contact",
        ["client", "name", "importance", "unit", "owner", "staff in contact"],
        [(g.client_code, g.client_name, g.importance, g.unit, g.owner, g.staff) for g in gaps],
    )
