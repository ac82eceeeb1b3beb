"""Administering confidentiality: record levels, read grants, field rules, explanations.

The rules themselves are enforced in ``crmcore.security.access``; this service changes the
data they read, each change audited (CORE-CONF-1..3).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from attrs import frozen
from sqlalchemy import or_, select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.security import Clearance, FieldRule, Grant
from crmcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t


@frozen(kw_only=True)
class Explanation:
    """Why a user may or may not read a client (``crm access check``)."""

    user: str
    client_code: str
    readable: bool
    reasons: tuple[str, ...]
    masked_fields: tuple[str, ...]


@frozen(kw_only=True)
class FieldRuleView:
    id: int | None  # database rules have an id; core and plugin rules don't
    entity: str
    field: str
    clearance: Clearance
    permission: str | None
    conditional: bool
    owner: str
    rule: str | None


class AccessService(Service):
    @use_case
    def set_level(self, tx: Tx, code: str, level: Clearance | str) -> Clearance:
        """Set a client record's secrecy level; only someone cleared for both old and new."""
        tx.actor.require("access.admin")
        level = Clearance.parse(level)
        row = access.client_for_read(tx, code, action=None)
        if level > tx.actor.clearance:
            raise PermissionDenied(
                f"clearance: {tx.actor.login} may not raise a record above their own "
                f"{tx.actor.clearance.label}",
                rule="CORE-CONF-1",
            )
        old = Clearance(row.clearance)
        if level == old:
            return level
        tx.crm.clients._update(tx, row, {"clearance": int(level)})
        tx.crm.clients._history(
            tx, row.id, row.version + 1, "level", {"clearance": [old.label, level.label]}
        )
        tx.audit(
            "access.level",
            "client",
            code,
            client_id=row.id,
            detail={"from": old.label, "to": level.label},
        )
        return level

    @use_case
    def grant(
        self,
        tx: Tx,
        code: str,
        *,
        user: str | None = None,
        role: str | None = None,
        until: datetime | None = None,
        reason: str,
    ) -> Grant:
        """Give a user or a role permission to read one client (查阅权限, CORE-CONF-2).

        The granter must be able to read the client themselves; the grantee still needs the
        clearance for its level.
        """
        tx.actor.require("access.grant")
        if (user is None) == (role is None):
            raise InvalidInput("grantee", "give exactly one of user or role", rule="CORE-CONF-2")
        if not reason or not reason.strip():
            raise InvalidInput("reason", "a grant needs a reason", rule="CORE-CONF-2")
        if until is not None and until.tzinfo is None:
            raise InvalidInput("until", "needs a time zone")
        if until is not None and until <= tx.now:
            raise InvalidInput("until", "is already past", rule="CORE-CONF-2")
        if role is not None and role not in tx.crm.roles:
            raise InvalidInput("role", f"unknown role {role!r}")
        client = access.client_for_read(tx, code, action=None)
        user_id = lookup.user_id(tx.conn, user) if user else None
        grant_id = tx.conn.execute(
            t.client_grants.insert().values(
                client_id=client.id,
                user_id=user_id,
                role=role,
                reason=reason.strip(),
                granted_by=tx.actor.user_id,
                granted_at=tx.now,
                until=until,
            )
        ).inserted_primary_key[0]
        tx.audit(
            "access.grant",
            "client",
            code,
            client_id=client.id,
            detail={"grant": grant_id, "user": user, "role": role, "until": until},
        )
        return self._grants(tx, [grant_id])[0]

    @use_case
    def revoke(self, tx: Tx, grant_id: int) -> Grant:
        tx.actor.require("access.grant")
        g = t.client_grants.c
        row = tx.conn.execute(select(t.client_grants).where(g.id == grant_id)).first()
        if row is None:
            raise NotFound(f"grant: unknown grant {grant_id}")
        client = access.client_by_id(tx, row.client_id)
        done = tx.conn.execute(
            update(t.client_grants)
            .where(g.id == grant_id, g.revoked_at.is_(None))
            .values(revoked_at=tx.now, revoked_by=tx.actor.user_id)
        ).rowcount
        if not done:
            raise Conflict(f"grant {grant_id} is already revoked")
        tx.audit(
            "access.revoke", "client", client.code, client_id=client.id, detail={"grant": grant_id}
        )
        return self._grants(tx, [grant_id])[0]

    @query
    def grants(self, tx: Tx, code: str | None = None, *, current_only: bool = True) -> list[Grant]:
        """Grants on clients the actor may read (on one client with ``code``)."""
        g = t.client_grants.c
        stmt = select(g.id).where(g.client_id.in_(access.readable_client_ids(tx))).order_by(g.id)
        if code:
            stmt = stmt.where(g.client_id == access.client_for_read(tx, code, action=None).id)
        if current_only:
            stmt = stmt.where(g.revoked_at.is_(None), or_(g.until.is_(None), g.until > tx.now))
        return self._grants(tx, list(tx.conn.scalars(stmt)))

    def _grants(self, tx: Tx, ids: list[int]) -> list[Grant]:
        g = t.client_grants.c
        rows = tx.conn.execute(
            select(t.client_grants, t.clients.c.code)
            .join(t.clients, t.clients.c.id == g.client_id)
            .where(g.id.in_(ids))
            .order_by(g.id)
        ).all()
        names = lookup.logins(
            tx.conn, {u for r in rows for u in (r.user_id, r.granted_by) if u is not None}
        )
        return [
            Grant(
                id=r.id,
                client_code=r.code,
                user=names.get(r.user_id) if r.user_id else None,
                role=r.role,
                reason=r.reason,
                granted_by=names[r.granted_by],
                granted_at=r.granted_at,
                until=r.until,
                revoked_at=r.revoked_at,
            )
            for r in rows
        ]

    # -- field rules ------------------------------------------------------------------------

    @use_case
    def add_field_rule(
        self,
        tx: Tx,
        entity: str,
        field: str,
        *,
        clearance: Clearance | str = Clearance.PUBLIC,
        permission: str | None = None,
    ) -> FieldRuleView:
        """Make a field harder to read. Rules only add up: the most restrictive wins, so an
        admin can tighten what core and plugins declare but never relax it."""
        tx.actor.require("access.admin")
        level = Clearance.parse(clearance)
        if not entity.strip() or not field.strip():
            raise InvalidInput(
                "field", "name an entity and a field, e.g. client registered_capital"
            )
        if level == Clearance.PUBLIC and not permission:
            raise InvalidInput("clearance", "a rule needs a clearance above public or a permission")
        rule_id = tx.conn.execute(
            t.field_rules.insert().values(
                entity=entity.strip(),
                field=field.strip(),
                clearance=int(level),
                permission=permission or None,
                set_by=tx.actor.user_id,
                set_at=tx.now,
            )
        ).inserted_primary_key[0]
        tx.audit(
            "access.field_rule",
            "field_rule",
            rule_id,
            detail={
                "entity": entity,
                "field": field,
                "clearance": level.label,
                "permission": permission,
            },
        )
        tx.state.pop("field_rules", None)
        return FieldRuleView(
            id=rule_id,
            entity=entity,
            field=field,
            clearance=level,
            permission=permission,
            conditional=False,
            owner="admin",
            rule=None,
        )

    @use_case
    def end_field_rule(self, tx: Tx, rule_id: int) -> None:
        tx.actor.require("access.admin")
        r = t.field_rules.c
        done = tx.conn.execute(
            update(t.field_rules)
            .where(r.id == rule_id, r.ended_at.is_(None))
            .values(ended_at=tx.now)
        ).rowcount
        if not done:
            raise NotFound(f"field rule: no active field rule {rule_id}")
        tx.audit("access.field_rule.end", "field_rule", rule_id)
        tx.state.pop("field_rules", None)

    @query
    def field_rules(self, tx: Tx) -> list[FieldRuleView]:
        """Every field rule in force: the core's, the plugins' and the database's."""
        r = t.field_rules.c
        stored = tx.conn.execute(select(t.field_rules).where(r.ended_at.is_(None)).order_by(r.id))
        views = [_view(None, rule) for rule in (*access.CORE_FIELD_RULES, *tx.crm.field_rules)]
        views += [
            FieldRuleView(
                id=row.id,
                entity=row.entity,
                field=row.field,
                clearance=Clearance(row.clearance),
                permission=row.permission,
                conditional=False,
                owner="admin",
                rule=None,
            )
            for row in stored
        ]
        return sorted(views, key=lambda v: (v.entity, v.field, v.owner))

    # -- explaining -------------------------------------------------------------------------

    @query
    def check(self, tx: Tx, login: str, code: str) -> Explanation:
        """Whether ``login`` may read client ``code`` and why; which client fields they'd miss."""
        tx.actor.require("access.admin")
        access.client_for_read(tx, code, action=None)
        target = tx.crm.actor(login, tx=tx)
        client = lookup.client_row(tx.conn, code)
        readable, reasons = access.reasons(tx, target, client)
        probe = tx.acting_as(target)
        masked = tuple(
            name
            for name in sorted(access.field_rules(tx, "client"))
            if not access.field_readable(probe, "client", name, client)
        )
        return Explanation(
            user=login,
            client_code=code,
            readable=readable,
            reasons=tuple(reasons),
            masked_fields=masked if readable else (),
        )


def _view(rule_id: Any, rule: FieldRule) -> FieldRuleView:
    return FieldRuleView(
        id=rule_id,
        entity=rule.entity,
        field=rule.field,
        clearance=rule.clearance,
        permission=rule.permission,
        conditional=rule.when is not None,
        owner=rule.owner,
        rule=rule.rule,
    )
