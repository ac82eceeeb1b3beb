"""Staff accounts and their roles."""

from __future__ import annotations

from sqlalchemy import select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.security import Clearance
from crmcore.domain.users import NewUser, User
from crmcore.errors import Conflict, InvalidInput, PermissionDenied
from crmcore.services import lookup
from crmcore.store import tables as t


class UserService(Service):
    @use_case
    def add(self, tx: Tx, new: NewUser) -> User:
        tx.actor.require("user.admin")
        return create_user(tx, new)

    @use_case
    def set_clearance(self, tx: Tx, login: str, level: Clearance | str) -> User:
        """Clear a user for a secrecy level (CORE-CONF-1); no one clears beyond their own."""
        tx.actor.require("user.admin")
        level = Clearance.parse(level)
        _no_higher_than_own(tx, level)
        user_id = lookup.user_id(tx.conn, login, active=False)
        tx.conn.execute(update(t.users).where(t.users.c.id == user_id).values(clearance=int(level)))
        tx.audit("user.clearance", "user", login, detail={"clearance": level.label})
        return self._views(tx, [user_id])[0]

    @query
    def get(self, tx: Tx, login: str) -> User:
        return self._views(tx, [lookup.user_id(tx.conn, login, active=False)])[0]

    @query
    def list(self, tx: Tx, *, include_inactive: bool = False) -> list[User]:
        stmt = select(t.users.c.id).order_by(t.users.c.login)
        if not include_inactive:
            stmt = stmt.where(t.users.c.active.is_(True))
        return self._views(tx, list(tx.conn.scalars(stmt)))

    def _views(self, tx: Tx, ids: list[int]) -> list[User]:
        roles: dict[int, list[str]] = {i: [] for i in ids}
        for r in tx.conn.execute(
            select(t.user_roles)
            .where(t.user_roles.c.user_id.in_(ids))
            .order_by(t.user_roles.c.role)
        ):
            roles[r.user_id].append(r.role)
        rows = {r.id: r for r in tx.conn.execute(select(t.users).where(t.users.c.id.in_(ids)))}
        units: dict[int, list[str]] = {i: [] for i in ids}
        uu = t.user_units.c
        for r in tx.conn.execute(
            select(uu.user_id, t.org_units.c.code)
            .join(t.org_units, t.org_units.c.id == uu.unit_id)
            .where(uu.user_id.in_(ids), uu.until.is_(None))
            .order_by(t.org_units.c.code)
        ):
            units[r.user_id].append(r.code)
        return [
            User(
                id=i,
                login=rows[i].login,
                name=rows[i].name,
                email=rows[i].email,
                phone=rows[i].phone,
                roles=tuple(roles[i]),
                active=rows[i].active,
                created_at=rows[i].created_at,
                clearance=Clearance(rows[i].clearance),
                units=tuple(units[i]),
            )
            for i in ids
        ]


def _no_higher_than_own(tx: Tx, level: Clearance) -> None:
    if level > tx.actor.clearance:
        raise PermissionDenied(
            f"clearance: {tx.actor.login} may not clear anyone beyond their own "
            f"{tx.actor.clearance.label}",
            rule="CORE-CONF-1",
        )


def create_user(tx: Tx, new: NewUser, *, clearance: Clearance | None = None) -> User:
    """Shared by ``crm user add`` and ``crm init`` (which has no acting admin yet)."""
    # Clearance.PUBLIC is 0: test for None, never for truth
    level = next(
        (c for c in (clearance, new.clearance) if c is not None),
        tx.crm.policies.in_force(tx, "CORE-CONF-1").user_clearance,
    )
    _no_higher_than_own(tx, level)
    unknown = [r for r in new.roles if r not in tx.crm.roles]
    if unknown:
        raise InvalidInput(
            "roles", f"unknown role {unknown[0]!r} (known: {', '.join(sorted(tx.crm.roles))})"
        )
    if tx.conn.scalar(select(t.users.c.id).where(t.users.c.login == new.login)) is not None:
        raise Conflict(f"login: user {new.login!r} already exists")
    user_id = tx.conn.execute(
        t.users.insert().values(
            login=new.login,
            name=new.name,
            email=new.email,
            phone=new.phone,
            active=True,
            created_at=tx.now,
            clearance=int(level),
        )
    ).inserted_primary_key[0]
    if new.roles:
        tx.conn.execute(t.user_roles.insert(), [{"user_id": user_id, "role": r} for r in new.roles])
    tx.audit(
        "user.create",
        "user",
        new.login,
        detail={"roles": list(new.roles), "clearance": level.label},
    )
    return User(
        id=user_id,
        login=new.login,
        name=new.name,
        email=new.email,
        phone=new.phone,
        roles=tuple(new.roles),
        active=True,
        created_at=tx.now,
        clearance=level,
    )
