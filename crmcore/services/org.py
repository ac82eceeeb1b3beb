"""The organisation (组织机构): units, members, assignment rules, roll-ups and coverage.

Rules CORE-OWN-3 (clients go to a unit and a manager by region, industry and importance),
CLS-AMT-2 (the tier decides the managing level: provincial, city, county) and CORE-OWN-1
(important clients have at least two staff in contact). Visibility through the tree (a unit
sees its own clients and those of every unit below it) lives in ``security.access``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attrs import frozen
from sqlalchemy import and_, case, func, or_, select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.security import (
    Assignment,
    AssignmentRule,
    Importance,
    ManagingLevel,
    NewAssignmentRule,
    NewUnit,
    OrgUnit,
    UnitKind,
)
from crmcore.errors import Conflict, InvalidInput, NotFound
from crmcore.security import access, units
from crmcore.services import lookup
from crmcore.store import tables as t


@frozen
class Decision:
    unit_id: int | None
    manager_id: int | None
    rule_id: int | None
    level: ManagingLevel | None
    reason: str


@frozen(kw_only=True)
class UnitTotals:
    """A unit's clients: its own, and rolled up with every unit below it."""

    unit: str
    name: str
    depth: int
    own: int
    total: int
    important: int


@frozen(kw_only=True)
class CoverageGap:
    """An important client with too few staff in contact (CORE-OWN-1, 联系报告制)."""

    client_code: str
    client_name: str
    importance: Importance
    owner: str | None
    staff: tuple[str, ...]
    unit: str | None


def decide_assignment(
    tx: Tx,
    region: str | None,
    industry: str | None,
    importance: Importance | str | None,
    tier: str | None = None,
    level: str | None = None,
) -> Decision:
    """What the assignment rules say for a client with these attributes (CORE-OWN-3)."""
    return Assigner(tx).decide(region, industry, importance, tier, level)


class Assigner:
    """The assignment rules and the unit tree, read once, deciding for any number of clients.

    Single adds decide one client; a bulk import decides thousands with the same reads.
    """

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        r = t.assignment_rules.c
        self.rows = {
            row.id: row
            for row in tx.conn.execute(select(t.assignment_rules).where(r.active.is_(True)))
        }
        self.rules = [_rule(row, {}, {}) for row in self.rows.values()]
        self._units: dict[int, Any] | None = None
        self._owner_units: dict[int, int | None] = {}

    @property
    def units(self) -> dict[int, Any]:
        if self._units is None:
            self._units = {r.id: r for r in self.tx.conn.execute(select(t.org_units))}
        return self._units

    def decide(
        self,
        region: str | None,
        industry: str | None,
        importance: Importance | str | None,
        tier: str | None = None,
        level: str | None = None,
    ) -> Decision:
        """The most specific matching rule gives the unit (and its manager, if it names one).

        A tier (CLS-AMT-2, from classification) moves the client to the unit at the tier's
        managing level: up the tree to the provincial centre, or down to the county unit
        serving its region. ``level`` is the level a CLS-AMT-2 run decided (it differs from
        the tier's for a client mailing beyond its city, managed as diamond).
        """
        importance = Importance(importance) if importance else None
        matching = [rule for rule in self.rules if rule.matches(region, industry, importance)]
        if level is not None:
            level = ManagingLevel(level)
        elif tier:
            level = self.tx.crm.policies.in_force(self.tx, "CLS-AMT-2").level_for(tier)
        if tier and level is None:
            raise InvalidInput("tier", f"{tier!r} is not a known tier", rule="CLS-AMT-2")
        if not matching:
            return Decision(None, None, None, None, "no assignment rule matches")
        best = max(matching, key=lambda rule: (rule.specificity, -rule.id))
        row = self.rows[best.id]
        unit_id, manager_id = row.unit_id, row.manager_id
        reason = f"rule {best.id}"
        if level is not None:
            target = _unit_at_level(self.units, unit_id, level, region)
            if target != unit_id:
                unit_id = target
                manager_id = self.units[target].manager_id
                reason += f", tier {tier} managed at {level.value} level"
        if manager_id is None:
            manager_id = self.units[unit_id].manager_id
        return Decision(unit_id, manager_id, best.id, level, reason)

    def owner_unit(self, user_id: int) -> int | None:
        """The owner's unit when they belong to exactly one (else the rules or an admin decide)."""
        if user_id not in self._owner_units:
            uu = t.user_units.c
            found = list(
                self.tx.conn.scalars(
                    select(uu.unit_id).where(uu.user_id == user_id, uu.until.is_(None))
                )
            )
            self._owner_units[user_id] = found[0] if len(found) == 1 else None
        return self._owner_units[user_id]


def _unit_at_level(
    rows: dict[int, Any], unit_id: int, level: ManagingLevel, region: str | None
) -> int:
    tree = {i: r.parent_id for i, r in rows.items()}
    for candidate in units.ancestors(tree, unit_id):
        if rows[candidate].level == level:
            return candidate
    below = [
        rows[u]
        for u in units.descendants(tree, [unit_id])
        if rows[u].level == level
        and (not rows[u].region or (region and _within(region, rows[u].region)))
    ]
    if below:  # the most specific region wins
        return max(below, key=lambda u: len(u.region or "")).id
    return unit_id


def _within(region: str, prefix: str) -> bool:
    return region == prefix or region.startswith(prefix + "/")


class OrgService(Service):
    # -- units ------------------------------------------------------------------------------

    @use_case
    def add_unit(self, tx: Tx, new: NewUnit) -> OrgUnit:
        tx.actor.require("org.admin")
        if tx.conn.scalar(select(t.org_units.c.id).where(t.org_units.c.code == new.code)):
            raise Conflict(f"code: unit {new.code!r} already exists")
        parent_id = lookup.unit_row(tx.conn, new.parent, field="parent").id if new.parent else None
        if parent_id is None and new.kind != UnitKind.HEAD_OFFICE:
            raise InvalidInput(
                "parent", f"a {new.kind.value} needs a parent unit", rule="CORE-OWN-3"
            )
        manager_id = lookup.user_id(tx.conn, new.manager, field="manager") if new.manager else None
        unit_id = tx.conn.execute(
            t.org_units.insert().values(
                code=new.code,
                name=new.name,
                kind=new.kind,
                parent_id=parent_id,
                level=new.level,
                region=new.region,
                manager_id=manager_id,
                created_at=tx.now,
            )
        ).inserted_primary_key[0]
        tx.audit("org.unit.create", "org_unit", new.code, detail={"parent": new.parent})
        return self._units(tx, [unit_id])[0]

    @use_case
    def move_unit(self, tx: Tx, code: str, parent: str) -> OrgUnit:
        """Put a unit under another (re-organisation); refuses to make a cycle."""
        tx.actor.require("org.admin")
        unit = lookup.unit_row(tx.conn, code)
        target = lookup.unit_row(tx.conn, parent, field="parent")
        if target.id in units.descendants(units.load_tree(tx.conn), [unit.id]):
            raise Conflict(f"parent: {parent} is {code} or below it; a unit cannot contain itself")
        return self._change_unit(tx, unit, "org.unit.move", {"parent": parent}, parent_id=target.id)

    @use_case
    def set_manager(self, tx: Tx, code: str, login: str) -> OrgUnit:
        tx.actor.require("org.admin")
        unit = lookup.unit_row(tx.conn, code)
        manager_id = lookup.user_id(tx.conn, login, field="manager")
        return self._change_unit(
            tx, unit, "org.unit.manager", {"manager": login}, manager_id=manager_id
        )

    def _change_unit(
        self, tx: Tx, unit: Any, action: str, detail: dict[str, Any], **values: Any
    ) -> OrgUnit:
        tx.conn.execute(update(t.org_units).where(t.org_units.c.id == unit.id).values(**values))
        tx.audit(action, "org_unit", unit.code, detail=detail)
        return self._units(tx, [unit.id])[0]

    @use_case
    def add_member(self, tx: Tx, code: str, login: str) -> OrgUnit:
        tx.actor.require("org.admin")
        unit = lookup.unit_row(tx.conn, code)
        user_id = lookup.user_id(tx.conn, login)
        uu = t.user_units.c
        if tx.conn.scalar(
            select(uu.id).where(uu.user_id == user_id, uu.unit_id == unit.id, uu.until.is_(None))
        ):
            raise Conflict(f"{login} already belongs to {code}")
        tx.conn.execute(
            t.user_units.insert().values(user_id=user_id, unit_id=unit.id, since=tx.now)
        )
        tx.audit("org.member.add", "org_unit", code, detail={"user": login})
        return self._units(tx, [unit.id])[0]

    @use_case
    def remove_member(self, tx: Tx, code: str, login: str) -> OrgUnit:
        tx.actor.require("org.admin")
        unit = lookup.unit_row(tx.conn, code)
        user_id = lookup.user_id(tx.conn, login, active=False)
        uu = t.user_units.c
        ended = tx.conn.execute(
            update(t.user_units)
            .where(uu.user_id == user_id, uu.unit_id == unit.id, uu.until.is_(None))
            .values(until=tx.now)
        ).rowcount
        if not ended:
            raise Conflict(f"{login} does not belong to {code}")
        tx.audit("org.member.end", "org_unit", code, detail={"user": login})
        return self._units(tx, [unit.id])[0]

    @query
    def units(self, tx: Tx) -> list[OrgUnit]:
        """The whole tree, each unit after its parent (depth-first, by code)."""
        tree = units.load_tree(tx.conn)
        codes = lookup.unit_codes(tx.conn, set(tree))
        children = units.children_of(tree)
        ordered: list[int] = []

        def walk(unit_id: int) -> None:
            ordered.append(unit_id)
            for child in sorted(children.get(unit_id, ()), key=codes.__getitem__):
                walk(child)

        for root in sorted((u for u, p in tree.items() if p is None), key=codes.__getitem__):
            walk(root)
        return self._units(tx, ordered)

    def _units(self, tx: Tx, ids: Sequence[int]) -> list[OrgUnit]:
        rows = {r.id: r for r in tx.conn.execute(select(t.org_units))}
        tree = {i: r.parent_id for i, r in rows.items()}
        uu = t.user_units.c
        members: dict[int, list[str]] = {}
        for r in tx.conn.execute(
            select(uu.unit_id, t.users.c.login)
            .join(t.users, t.users.c.id == uu.user_id)
            .where(uu.until.is_(None))
            .order_by(t.users.c.login)
        ):
            members.setdefault(r.unit_id, []).append(r.login)
        managers = lookup.logins(tx.conn, {r.manager_id for r in rows.values() if r.manager_id})
        return [
            OrgUnit(
                id=i,
                code=rows[i].code,
                name=rows[i].name,
                kind=UnitKind(rows[i].kind),
                parent=rows[rows[i].parent_id].code if rows[i].parent_id else None,
                level=ManagingLevel(rows[i].level) if rows[i].level else None,
                region=rows[i].region,
                manager=managers.get(rows[i].manager_id) if rows[i].manager_id else None,
                members=tuple(members.get(i, ())),
                path=tuple(rows[u].code for u in reversed(units.ancestors(tree, i))),
            )
            for i in ids
        ]

    # -- assignment rules (CORE-OWN-3) ------------------------------------------------------

    @use_case
    def add_rule(self, tx: Tx, new: NewAssignmentRule) -> AssignmentRule:
        tx.actor.require("org.admin")
        unit = lookup.unit_row(tx.conn, new.unit)
        manager_id = lookup.user_id(tx.conn, new.manager, field="manager") if new.manager else None
        rule_id = tx.conn.execute(
            t.assignment_rules.insert().values(
                priority=new.priority,
                region=new.region,
                industry=new.industry,
                importance=new.importance,
                unit_id=unit.id,
                manager_id=manager_id,
                active=True,
                created_at=tx.now,
                created_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        tx.audit("org.rule.create", "assignment_rule", rule_id, detail={"unit": new.unit})
        return self._rules(tx, [rule_id])[0]

    @use_case
    def end_rule(self, tx: Tx, rule_id: int) -> AssignmentRule:
        tx.actor.require("org.admin")
        done = tx.conn.execute(
            update(t.assignment_rules)
            .where(t.assignment_rules.c.id == rule_id, t.assignment_rules.c.active.is_(True))
            .values(active=False)
        ).rowcount
        if not done:
            raise NotFound(f"rule: no active assignment rule {rule_id}")
        tx.audit("org.rule.end", "assignment_rule", rule_id)
        return self._rules(tx, [rule_id])[0]

    @query
    def rules(self, tx: Tx, *, include_ended: bool = False) -> list[AssignmentRule]:
        r = t.assignment_rules.c
        stmt = select(r.id).order_by(r.priority, r.id)
        if not include_ended:
            stmt = stmt.where(r.active.is_(True))
        return self._rules(tx, list(tx.conn.scalars(stmt)))

    def _rules(self, tx: Tx, ids: Sequence[int]) -> list[AssignmentRule]:
        rows = {
            r.id: r
            for r in tx.conn.execute(
                select(t.assignment_rules).where(t.assignment_rules.c.id.in_(ids))
            )
        }
        codes = lookup.unit_codes(tx.conn, {r.unit_id for r in rows.values()})
        names = lookup.logins(tx.conn, {r.manager_id for r in rows.values() if r.manager_id})
        return [_rule(rows[i], codes, names) for i in ids]

    @use_case
    def assign(
        self, tx: Tx, code: str, *, tier: str | None = None, apply: bool = True
    ) -> Assignment:
        """Apply the assignment rules to one client (``apply=False``: only say what they decide).

        ``tier`` is the client's CLS-AMT-2 tier (diamond, platinum, gold, vip); without it, the
        tier and managing level of the CLS-AMT-2 run in force (``crm classify run CLS-AMT-2``)
        decide, if the client has one. The unit change is kept in the client's history; a new
        owner goes through ``clients.assign`` (history, hook), so nothing is lost.
        """
        tx.actor.require("org.assign")
        row = access.client_for_write(tx, code, "client.assign")
        level = None
        if tier is None:
            found = tx.crm.classification.classes_of(tx, "CLS-AMT-2", [row.id]).get(row.id)
            if found is not None and found.note:  # "below" the VIP bound has no level
                tier, level = found.cls, found.note
        decision = decide_assignment(tx, row.region, row.industry, row.importance, tier, level)
        unit_code = lookup.unit_codes(tx.conn, {decision.unit_id} if decision.unit_id else set())
        owner = lookup.logins(tx.conn, {decision.manager_id}) if decision.manager_id else {}
        result = Assignment(
            client_code=code,
            unit=unit_code.get(decision.unit_id or 0),
            owner=owner.get(decision.manager_id or 0),
            rule_id=decision.rule_id,
            level=decision.level,
            reason=decision.reason,
        )
        if not apply or decision.rule_id is None:
            return result
        if decision.unit_id != row.unit_id:
            self._move_client_unit(tx, row, decision.unit_id, result.unit)
        if decision.manager_id and decision.manager_id != row.owner_id:
            tx.crm.clients.assign(tx, code, result.owner)
        return result

    def _move_client_unit(self, tx: Tx, row: Any, unit_id: int | None, unit: str | None) -> None:
        from crmcore.services.clients import ClientService

        service: ClientService = tx.crm.clients
        old = lookup.unit_codes(tx.conn, {row.unit_id}).get(row.unit_id) if row.unit_id else None
        service._update(tx, row, {"unit_id": unit_id})
        service._history(tx, row.id, row.version + 1, "unit", {"unit": [old, unit]})
        tx.audit("client.unit", "client", row.code, client_id=row.id, detail={"fields": ["unit"]})

    # -- reports ----------------------------------------------------------------------------

    @query
    def rollup(self, tx: Tx) -> list[UnitTotals]:
        """Clients per unit, own and rolled up the tree (only clients the actor may read)."""
        c = t.clients.c
        policy = tx.crm.policies.in_force(tx, "CORE-OWN-1")
        counts = {
            r.unit_id: (r.n, r.important or 0)
            for r in tx.conn.execute(
                select(
                    c.unit_id,
                    func.count().label("n"),
                    func.sum(
                        case(
                            (c.importance.in_([i.value for i in policy.important_levels]), 1),
                            else_=0,
                        )
                    ).label("important"),
                )
                .where(access.readable_clients(tx), c.status != "archived")
                .group_by(c.unit_id)
            )
        }
        tree = units.load_tree(tx.conn)
        result = []
        for unit in self.units(tx):
            below = units.descendants(tree, [unit.id])
            result.append(
                UnitTotals(
                    unit=unit.code,
                    name=unit.name,
                    depth=len(unit.path) - 1,
                    own=counts.get(unit.id, (0, 0))[0],
                    total=sum(counts.get(u, (0, 0))[0] for u in below),
                    important=sum(counts.get(u, (0, 0))[1] for u in below),
                )
            )
        return result

    @query
    def coverage(self, tx: Tx, *, unit: str | None = None) -> list[CoverageGap]:
        """Important clients with fewer staff in contact than the policy asks (CORE-OWN-1).

        Staff in contact are the owner and the current co-contacts, counting active users only:
        a deactivated owner leaves the client uncovered until the handover.
        """
        policy = tx.crm.policies.in_force(tx, "CORE-OWN-1")
        c, s, u = t.clients.c, t.client_staff.c, t.users.c
        conditions = [
            access.readable_clients(tx),
            c.status != "archived",
            c.importance.in_([i.value for i in policy.important_levels]),
        ]
        if unit:
            conditions.append(c.unit_id.in_(sorted(lookup.unit_subtree(tx.conn, unit))))
        rows = tx.conn.execute(select(t.clients).where(and_(*conditions)).order_by(c.code)).all()
        ids = [r.id for r in rows]
        staff: dict[int, list[str]] = {i: [] for i in ids}
        if ids:
            for r in tx.conn.execute(
                select(c.id, u.login)
                .select_from(t.clients)
                .join(
                    t.client_staff,
                    and_(s.client_id == c.id, s.until.is_(None)),
                    isouter=True,
                )
                .join(
                    t.users,
                    or_(u.id == c.owner_id, u.id == s.user_id),
                )
                .where(c.id.in_(ids), u.active.is_(True))
                .distinct()
            ):
                staff[r.id].append(r.login)
        owners = lookup.logins(tx.conn, {r.owner_id for r in rows if r.owner_id})
        units_ = lookup.unit_codes(tx.conn, {r.unit_id for r in rows if r.unit_id})
        gaps = []
        for r in rows:
            people = tuple(sorted(set(staff[r.id])))
            if len(people) < policy.min_staff_in_contact:
                gaps.append(
                    CoverageGap(
                        client_code=r.code,
                        client_name=r.name,
                        importance=Importance(r.importance),
                        owner=owners.get(r.owner_id) if r.owner_id else None,
                        staff=people,
                        unit=units_.get(r.unit_id) if r.unit_id else None,
                    )
                )
                access.record_read(tx, "org.coverage", r)
        return gaps


def _rule(row: Any, codes: dict[int, str], names: dict[int, str]) -> AssignmentRule:
    return AssignmentRule(
        id=row.id,
        unit=codes.get(row.unit_id, str(row.unit_id)),
        region=row.region,
        industry=row.industry,
        importance=Importance(row.importance) if row.importance else None,
        manager=names.get(row.manager_id) if row.manager_id else None,
        priority=row.priority,
        active=row.active,
    )
