"""Client records: register, read, edit (versioned), archive and restore, ownership.

Rules CORE-REC-1/2 (what a record holds), CORE-LOG-1 (first contact), CORE-OWN-1 (one
responsible manager plus co-contacts). Nothing is deleted: an edit writes the previous values
to ``client_history``; archiving sets a status and a reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import attrs
from sqlalchemy import (
    Select,
    String,
    and_,
    cast,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Row

from crmcore.app import Service, Tx, query, standalone_query, use_case
from crmcore.domain.clients import (
    CODE_PATTERN,
    EDITABLE_FIELDS,
    Client,
    ClientSize,
    ClientStatus,
    NewClient,
    credit_code_taken,
)
from crmcore.domain.search_terms import name_terms, normalise_query
from crmcore.domain.security import Clearance, Importance
from crmcore.errors import Conflict, InvalidInput, PermissionDenied
from crmcore.security import access
from crmcore.services import lookup
from crmcore.services.counters import next_number
from crmcore.store import search_index
from crmcore.store import tables as t
from crmcore.store.engine import PLANNED_ONCE

CLIENT_FIELDS = [f.name for f in attrs.fields(NewClient) if f.name not in {"code", "owner"}]
#: NewClient fields whose empty value means "not given" (for the write check)
_EMPTY: tuple[Any, ...] = (None, "", {}, ())
_c, _s = t.clients.c, t.client_staff.c
_owner, _custodian, _first = (t.users.alias(n) for n in ("owner", "custodian", "first_contact"))


def _with_names() -> Select[Any]:
    """Clients with everything their view names, in one statement (on PostgreSQL each
    statement is a round trip): the logins of the owner, custodian and first contact, the
    unit's code, the co-contacts (CORE-OWN-1) as ``"<staff id>:<login> ..."``, which
    :func:`_client` puts in the order they joined (the two backends' string aggregates cannot
    both be ordered). Joined to ``clients`` itself, not to a limited subquery of it: that
    subquery cost 1.2 ms of Python per list to build. The search terms are left out."""
    staff = (
        select(func.aggregate_strings(cast(_s.id, String) + ":" + t.users.c.login, " "))
        .join_from(t.client_staff, t.users, t.users.c.id == _s.user_id)
        .where(_s.client_id == _c.id, _s.until.is_(None))
        .correlate(t.clients)
        .scalar_subquery()
    )
    joined = t.clients
    for alias, column in (
        (_owner, _c.owner_id),
        (_custodian, _c.custodian_id),
        (_first, _c.first_contact_by),
    ):
        joined = joined.outerjoin(alias, alias.c.id == column)
    joined = joined.outerjoin(t.org_units, t.org_units.c.id == _c.unit_id)
    columns = [
        *(column for column in t.clients.c if column.name not in {"name_pinyin", "name_grams"}),
        _owner.c.login.label("owner_login"),
        _custodian.c.login.label("custodian_login"),
        _first.c.login.label("first_contact_login"),
        t.org_units.c.code.label("unit_code"),
        staff.label("staff"),
    ]
    return select(*columns).select_from(joined)


#: Clients with their names, to add conditions to (a copy is cheaper to make than a new
#: select).
_NAMED = _with_names()
#: Built once per backend: search shows 20 clients per call, and building cost more than
#: running.
_CHOSEN = {
    name: _NAMED.where(by).execution_options(**PLANNED_ONCE)
    for name, by in search_index.client_ids_in("ids").items()
}


class Vetoed(Conflict):
    """A plugin refused the change; the message names the plugin and its reason."""


class ClientService(Service):
    @use_case
    def add(self, tx: Tx, new: NewClient) -> Client:
        from crmcore.convert import unstructure  # cattrs loads only for writes
        from crmcore.services.org import Assigner

        tx.actor.require("client.write")
        conn = tx.conn
        values = {name: getattr(new, name) for name in CLIENT_FIELDS}
        access.check_write(tx, "client", [n for n, v in values.items() if v not in _EMPTY])
        # CORE-OWN-3: the assignment rules decide the unit, and the manager unless one is named
        assigner = Assigner(tx)
        decision = assigner.decide(new.region, new.industry, new.importance)
        if new.owner:
            owner_id = lookup.user_id(conn, new.owner, field="owner")
        else:
            owner_id = decision.manager_id or tx.actor.user_id
        unit_id = decision.unit_id or assigner.owner_unit(owner_id)
        code = new.code or self._next_code(tx)
        if conn.scalar(select(t.clients.c.id).where(t.clients.c.code == code)) is not None:
            raise Conflict(f"code: client code {code!r} already exists")
        self._check_credit_code_free(tx, new.credit_code)
        level = registration_level(tx)
        prospective = self._view_from(
            dict(values, id=0, code=code, owner_id=owner_id, clearance=level), tx
        )
        _veto(tx, None, prospective)
        pinyin, grams = name_terms(new.name)
        client_id = conn.execute(
            t.clients.insert().values(
                **values,
                name_pinyin=pinyin,
                name_grams=grams,
                code=code,
                owner_id=owner_id,
                unit_id=unit_id,
                clearance=int(level),
                version=1,
                created_at=tx.now,
                updated_at=tx.now,
                created_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        search_index.add(conn, [(client_id, new.name, pinyin, grams)])
        self._history(tx, client_id, 1, "create", unstructure(values))
        tx.audit(
            "client.create", "client", code, client_id=client_id, detail={"fields": sorted(values)}
        )
        client = self._view(tx, client_id)
        tx.hook("crm_client_created", client=client)
        return client

    @standalone_query
    def get(self, tx: Tx, code: str) -> Client:
        """One client as the actor may see it; the look-up is recorded (CORE-CONF-2)."""
        row = access.client_for_read(tx, code, action=None)
        return self._views(tx, self._chosen(tx, [row.id]), "client.get")[0]

    @standalone_query
    def list(
        self,
        tx: Tx,
        *,
        owner: str | None = None,
        region: str | None = None,
        industry: str | None = None,
        status: ClientStatus | str | None = None,
        unit: str | None = None,
        importance: Importance | str | None = None,
        include_archived: bool = False,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Client]:
        """Clients the actor may read, ordered by code; archived ones only when asked for.

        ``unit`` rolls up the organisation tree: the unit and every unit below it.
        """
        c = t.clients.c
        conditions = [access.readable_clients(tx, in_order=True)]
        if owner:
            conditions.append(
                c.owner_id == lookup.user_id(tx.conn, owner, field="owner", active=False)
            )
        if unit:
            conditions.append(c.unit_id.in_(sorted(lookup.unit_subtree(tx.conn, unit))))
        if importance:
            conditions.append(c.importance == Importance(importance))
        if region:
            conditions.append(or_(c.region == region, c.region.startswith(region + "/")))
        if industry:
            conditions.append(c.industry == industry)
        if status:
            conditions.append(c.status == ClientStatus(status))
        elif not include_archived:
            conditions.append(c.status != ClientStatus.ARCHIVED)
        rows = tx.conn.execute(
            _NAMED.where(and_(True, *conditions)).order_by(c.code).limit(limit).offset(offset)
        ).all()
        return self._views(tx, rows, "client.list")

    @standalone_query
    def search(self, tx: Tx, text: str, *, limit: int = 20) -> list[Client]:
        """Clients found by name (any substring, 1 character on), pinyin, code or credit code.

        Ranked in tiers: (1) the exact client code or credit code; (2) codes and credit codes
        starting with the text; (3) names whose Chinese, pinyin or pinyin initials start with
        it (``zgdx`` finds 中国电信…); (4) names containing it anywhere. Within tiers 3 and 4
        shorter names come first (the closer match), then older clients; codes by code.
        Two-letter queries match initials (``dx``), not the middle of a full spelling.
        Only clients the actor may read are found (``access.readable_clients``).
        """
        scope = access.readable_clients(tx, in_order=True)
        where = [] if access.reads_every_client(tx) else [scope]
        raw = text.strip()
        query = normalise_query(text)
        if not query:
            raise InvalidInput("query", "must not be empty")
        many = not where or access.reads_many(tx, search_index.SCOPE_CAP + 1)
        among = None if many else search_index.few(tx.conn, where)
        found: list[int] = []
        if re.fullmatch(CODE_PATTERN, raw):  # codes and credit codes are never other text
            found = search_index.codes(tx.conn, raw, where=where, limit=limit, among=among)
        for prefix in (True, False):
            if len(found) < limit:
                found += search_index.find(
                    tx.conn,
                    query,
                    prefix=prefix,
                    where=where,
                    exclude=found,
                    limit=limit - len(found),
                    among=among,
                )
        if not found:
            return []
        return self._views(tx, self._chosen(tx, found), "client.search")

    def pages(
        self, tx: Tx, *, include_archived: bool = True, batch: int = 2_000
    ) -> Iterable[list[Client]]:
        """Every readable client in pages of ``batch`` views, inside the caller's ``tx``.

        Streams a million clients in constant memory: each page is one keyset query on
        ``code`` through ``access.readable_clients`` and ``access.present``. No look-up is
        recorded per client: the caller (an export) records its one event with
        ``access.record_export``.
        """
        scope = access.readable_clients(tx, in_order=True)
        c = t.clients.c
        last: str | None = None
        while True:
            stmt = _NAMED.where(scope)
            if not include_archived:
                stmt = stmt.where(c.status != ClientStatus.ARCHIVED)
            if last is not None:
                stmt = stmt.where(c.code > last)
            rows = tx.conn.execute(stmt.order_by(c.code).limit(batch)).all()
            if not rows:
                return
            yield self._views(tx, rows, None)
            last = rows[-1].code

    @use_case
    def edit(
        self, tx: Tx, code: str, changes: Mapping[str, Any], *, expected_version: int | None = None
    ) -> Client:
        """Change fields; the previous values go to the client's history (never lost)."""
        from crmcore.convert import structure, unstructure

        tx.actor.require("client.write")
        for name in changes:
            if name not in EDITABLE_FIELDS:
                raise InvalidInput(
                    name,
                    f"is not an editable field (editable: {', '.join(sorted(EDITABLE_FIELDS))})",
                )
        row = access.client_for_write(tx, code, "client.write")
        if row.status == ClientStatus.ARCHIVED:
            raise Conflict(f"client {code} is archived; restore it before editing")
        if expected_version is not None and row.version != expected_version:
            raise Conflict(
                f"client {code} changed meanwhile (version {row.version}, you edited {expected_version})"
            )
        current = {name: getattr(row, name) for name in CLIENT_FIELDS}
        merged = structure({**unstructure(current), **unstructure(dict(changes))}, NewClient)
        after_values = {name: getattr(merged, name) for name in CLIENT_FIELDS}
        changed = sorted(n for n in CLIENT_FIELDS if after_values[n] != current[n])
        access.check_write(tx, "client", changed, _client(row._mapping))
        if not changed:
            return self._view(tx, row.id)
        if "credit_code" in changed:
            self._check_credit_code_free(tx, after_values["credit_code"])
        before = self._view(tx, row.id)
        _veto(tx, before, attrs.evolve(before, **{n: after_values[n] for n in changed}))
        self._update(tx, row, with_search_terms(row, {n: after_values[n] for n in changed}))
        self._history(
            tx,
            row.id,
            row.version + 1,
            "edit",
            {n: [unstructure(current[n]), unstructure(after_values[n])] for n in changed},
        )
        tx.audit("client.edit", "client", code, client_id=row.id, detail={"fields": changed})
        after = self._view(tx, row.id)
        tx.hook("crm_client_updated", before=before, after=after, fields=changed)
        return after

    @use_case
    def archive(self, tx: Tx, code: str, reason: str) -> Client:
        if not reason or not reason.strip():
            raise InvalidInput("reason", "archiving a client needs a reason", rule="CORE-ARC-1")
        row = access.client_for_write(tx, code, "client.archive")
        if row.status == ClientStatus.ARCHIVED:
            raise Conflict(f"client {code} is already archived")
        self._update(tx, row, {"status": ClientStatus.ARCHIVED, "archived_reason": reason.strip()})
        self._history(
            tx,
            row.id,
            row.version + 1,
            "archive",
            {"status": [row.status, "archived"], "reason": reason},
        )
        tx.audit("client.archive", "client", code, client_id=row.id, detail={"fields": ["status"]})
        client = self._view(tx, row.id)
        tx.hook("crm_client_archived", client=client, reason=reason.strip())
        return client

    @use_case
    def restore(self, tx: Tx, code: str) -> Client:
        row = access.client_for_write(tx, code, "client.archive")
        if row.status != ClientStatus.ARCHIVED:
            raise Conflict(f"client {code} is not archived")
        self._update(tx, row, {"status": ClientStatus.ACTIVE, "archived_reason": None})
        self._history(tx, row.id, row.version + 1, "restore", {"status": ["archived", "active"]})
        tx.audit("client.restore", "client", code, client_id=row.id, detail={"fields": ["status"]})
        client = self._view(tx, row.id)
        tx.hook("crm_client_restored", client=client)
        return client

    @use_case
    def assign(self, tx: Tx, code: str, owner: str) -> Client:
        """Make ``owner`` the responsible account manager (CORE-OWN-1)."""
        row = access.client_for_write(tx, code, "client.assign")
        new_id = lookup.user_id(tx.conn, owner, field="owner")
        if row.owner_id == new_id:
            return self._view(tx, row.id)
        old = lookup.logins(tx.conn, {row.owner_id}).get(row.owner_id) if row.owner_id else None
        self._update(tx, row, {"owner_id": new_id})
        self._history(tx, row.id, row.version + 1, "assign", {"owner": [old, owner]})
        tx.audit("client.assign", "client", code, client_id=row.id, detail={"fields": ["owner"]})
        client = self._view(tx, row.id)
        tx.hook("crm_client_owner_changed", client=client, old_owner=old, new_owner=owner)
        return client

    @use_case
    def add_co_contact(self, tx: Tx, code: str, login: str) -> Client:
        """Add a second person in contact (联系报告制, CORE-OWN-1)."""
        row = access.client_for_write(tx, code, "client.assign")
        user_id = lookup.user_id(tx.conn, login)
        if user_id == row.owner_id:
            raise Conflict(f"{login} already owns client {code}", rule="CORE-OWN-1")
        if user_id in self._co_contact_ids(tx, row.id):
            raise Conflict(f"{login} is already a co-contact of client {code}", rule="CORE-OWN-1")
        tx.conn.execute(
            t.client_staff.insert().values(client_id=row.id, user_id=user_id, since=tx.now)
        )
        tx.audit("client.co_contact.add", "client", code, client_id=row.id, detail={"user": login})
        return self._view(tx, row.id)

    @use_case
    def remove_co_contact(self, tx: Tx, code: str, login: str) -> Client:
        row = access.client_for_write(tx, code, "client.assign")
        user_id = lookup.user_id(tx.conn, login, active=False)
        ended = tx.conn.execute(
            update(t.client_staff)
            .where(
                t.client_staff.c.client_id == row.id,
                t.client_staff.c.user_id == user_id,
                t.client_staff.c.until.is_(None),
            )
            .values(until=tx.now)
        ).rowcount
        if not ended:
            raise Conflict(f"{login} is not a co-contact of client {code}")
        tx.audit("client.co_contact.end", "client", code, client_id=row.id, detail={"user": login})
        return self._view(tx, row.id)

    @query
    def history(self, tx: Tx, code: str) -> list[dict[str, Any]]:
        """Every version of the record: who changed what, when, from what to what.

        Old and new values of a field the actor may not read are withheld (``masked``): the
        history is a door like any other (CORE-CONF-2).
        """
        row = access.client_for_read(tx, code, action="client.history")
        current = _client(row._mapping)
        h = t.client_history.c
        rows = tx.conn.execute(
            select(h.version, h.changed_at, h.action, h.changes, t.users.c.login)
            .join(t.users, t.users.c.id == h.changed_by)
            .where(h.client_id == row.id)
            .order_by(h.version)
        )
        versions = []
        for r in rows:
            changes, hidden = access.mask_changes(tx, "client", r.changes or {}, current)
            versions.append(
                {
                    "version": r.version,
                    "at": r.changed_at,
                    "by": r.login,
                    "action": r.action,
                    "changes": changes,
                    "masked": hidden,
                }
            )
        return versions

    # -- internals ----------------------------------------------------------------------------

    def _next_code(self, tx: Tx) -> str:
        """Generated codes C000001, C000002, ... skipping codes someone chose by hand."""
        while True:
            number = next_number(tx, "client_code")
            code = f"C{number:06d}"
            if tx.conn.scalar(select(t.clients.c.id).where(t.clients.c.code == code)) is None:
                return code

    def _check_credit_code_free(self, tx: Tx, credit_code: str | None) -> None:
        if credit_code is None:
            return
        holder = tx.conn.execute(
            select(t.clients.c.id, t.clients.c.code).where(t.clients.c.credit_code == credit_code)
        ).first()
        if holder is not None:
            named = holder.code if access.may_read_client(tx, holder.id) else None
            raise Conflict(
                f"credit_code: {credit_code_taken(credit_code, named)}", rule="CORE-REC-1"
            )

    def _update(self, tx: Tx, row: Row[Any], values: Mapping[str, Any]) -> None:
        done = tx.conn.execute(
            update(t.clients)
            .where(t.clients.c.id == row.id, t.clients.c.version == row.version)
            .values(**values, version=row.version + 1, updated_at=tx.now)
        ).rowcount
        if done != 1:
            raise Conflict(f"client {row.code} changed meanwhile; try again")
        if "name_pinyin" in values:
            search_index.remove(tx.conn, [(row.id, row.name, row.name_pinyin, row.name_grams)])
            search_index.add(
                tx.conn, [(row.id, values["name"], values["name_pinyin"], values["name_grams"])]
            )

    def _history(self, tx: Tx, client_id: int, version: int, action: str, changes: Any) -> None:
        tx.conn.execute(
            t.client_history.insert().values(
                client_id=client_id,
                version=version,
                changed_at=tx.now,
                changed_by=tx.actor.user_id,
                action=action,
                changes=changes,
            )
        )

    def _co_contact_ids(self, tx: Tx, client_id: int) -> list[int]:
        s = t.client_staff.c
        return list(
            tx.conn.scalars(
                select(s.user_id).where(s.client_id == client_id, s.until.is_(None)).order_by(s.id)
            )
        )

    def _view(self, tx: Tx, client_id: int) -> Client:
        """The result of a write, masked for the writer (the write's event records it)."""
        return self._views(tx, self._chosen(tx, [client_id]), None)[0]

    def _chosen(self, tx: Tx, ids: Sequence[int]) -> list[Row[Any]]:
        """The clients ``ids`` with their names (``_NAMED``), in the order of ``ids``."""
        if not ids:
            return []
        stmt = _CHOSEN.get(tx.conn.dialect.name, _CHOSEN["sqlite"])
        rows = {r.id: r for r in tx.conn.execute(stmt, {"ids": list(ids)})}
        return [rows[i] for i in ids]

    def _views(self, tx: Tx, rows: Sequence[Row[Any]], action: str | None) -> list[Client]:
        """Views of rows from ``_NAMED``, masked and their look-up recorded (``action``)."""
        return [
            access.present(
                tx,
                _client(r._mapping),
                "client",
                action=action,
                client_id=r.id,
                record_id=r.code,
            )
            for r in rows
        ]

    def _view_from(self, values: Mapping[str, Any], tx: Tx) -> Client:
        row = dict(
            values,
            status=values.get("status", ClientStatus.ACTIVE),
            first_contact_by=None,
            first_contact_at=None,
            archived_reason=None,
            version=0,
            created_at=tx.now,
            updated_at=tx.now,
            owner_login=lookup.logins(tx.conn, {values["owner_id"]}).get(values["owner_id"]),
        )
        return _client(row)


def registration_level(tx: Tx) -> Clearance:
    """The level new clients get (CORE-CONF-1); nobody registers one they could not read."""
    level: Clearance = tx.crm.policies.in_force(tx, "CORE-CONF-1").client_level
    if level > tx.actor.clearance:
        raise PermissionDenied(
            f"clearance: clients are registered as {level.label}, above "
            f"{tx.actor.login}'s clearance ({tx.actor.clearance.label})",
            rule="CORE-CONF-1",
        )
    return level


def with_search_terms(row: Row[Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` plus the new pinyin and grams when the name changes (re-indexed on SQLite)."""
    if "name" not in values or values["name"] == row.name:
        return dict(values)
    pinyin, grams = name_terms(values["name"])
    return dict(values, name_pinyin=pinyin, name_grams=grams)


def _client(row: Mapping[str, Any]) -> Client:
    """A client from a row of ``_NAMED``; a bare ``clients`` row gives no names."""
    skip = {"status", "size", "importance"}
    staff = [member.partition(":") for member in (row.get("staff") or "").split()]
    return Client(
        **{name: row[name] for name in CLIENT_FIELDS if name not in skip},
        id=row["id"],
        code=row["code"],
        status=ClientStatus(row["status"]),
        size=ClientSize(row["size"]) if row["size"] else None,
        importance=Importance(row["importance"]) if row.get("importance") else None,
        clearance=Clearance(row.get("clearance", Clearance.CONFIDENTIAL)),
        unit=row.get("unit_code"),
        custodian=row.get("custodian_login"),
        owner=row.get("owner_login"),
        co_contacts=tuple(login for _, _, login in sorted(staff, key=lambda m: int(m[0]))),
        first_contact_by=row.get("first_contact_login"),
        first_contact_at=row["first_contact_at"],
        archived_reason=row["archived_reason"],
        version=row["version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _veto(tx: Tx, before: Client | None, after: Client) -> None:
    for plugin, reason in tx.hook("crm_client_veto", before=before, after=after):
        raise Vetoed(f"client: refused by plugin {plugin}: {reason}")
