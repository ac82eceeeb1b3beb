"""Client archives (客户档案资料): documents filed by category, versions, custodians, index.

Rules CORE-ARC-1 (four core categories plus the plugins', each ordered by date) and CORE-ARC-2
(a named custodian; listings by client, salesperson, company, region, sortable by annual
sales, credit standing and collection rate).

**Where the bytes live.** In the database (``document_blobs``), keyed by sha256: one backup
(``crm backup``, ``pg_dump``) holds records and documents together and consistent; a document
and its metadata are filed in one transaction (no orphan files after a crash); both backends
work alike with no shared file system; identical content is stored once. The cost is a larger
database, bounded by the size limit of :class:`~crmcore.domain.archives.ArchivePolicy`.

**Sorting by yearly figures.** The index sorts by any key registered through the
``crm_client_sort_keys`` hook: a SQL expression correlated with ``clients``, so the sort runs in
the database and a plugin adds a key without touching this module. The core registers code,
name, region, documents, last_filed, and the newest yearly figure (CORE-REC-3) of annual sales,
collection rate and credit standing. An order reveals how values compare, so sorting by a
figure needs the right to read figures (CORE-CONF-2).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.engine import Row

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.archives import (
    CORE_CATEGORIES,
    ArchiveIndexRow,
    Category,
    Document,
    DocumentVersion,
    NewDocument,
    file_type,
)
from crmcore.domain.figures import METRICS, Metric
from crmcore.domain.security import Clearance
from crmcore.errors import Conflict, InvalidInput, NotFound, PermissionDenied, PluginError
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t

RULE = "CORE-ARC-1"
SortKey = tuple[Callable[[Tx], Any], bool, str, str]  # expression, descending, label, label_zh


def _core_sort_keys() -> dict[str, SortKey]:
    c, d = t.clients.c, t.documents.c

    def documents(tx: Tx) -> Any:
        return (
            select(func.count())
            .where(d.client_id == c.id, d.withdrawn_at.is_(None))
            .scalar_subquery()
        )

    def last_filed(tx: Tx) -> Any:
        return (
            select(func.max(d.dated))
            .where(d.client_id == c.id, d.withdrawn_at.is_(None))
            .scalar_subquery()
        )

    def newest(metric: Metric) -> Callable[[Tx], Any]:
        def expression(tx: Tx) -> Any:
            if not access.field_readable(tx, "figure", "value"):
                raise PermissionDenied(
                    f"sort: {tx.actor.login} may not read the figures it orders by",
                    rule="CORE-CONF-2",
                )
            f = t.client_figures.c
            return (
                select(f.value)
                .where(f.client_id == c.id, f.metric == metric, f.superseded_at.is_(None))
                .order_by(f.year.desc())
                .limit(1)
                .scalar_subquery()
            )

        return expression

    figures = {
        metric: (newest(metric), True, METRICS[metric].label, METRICS[metric].label_zh)
        for metric in (Metric.SALES_AMOUNT, Metric.COLLECTION_RATE, Metric.CREDIT_STANDING)
    }
    return {
        "code": (lambda tx: c.code, False, "client code", "客户编号"),
        "name": (lambda tx: c.name, False, "name", "名称"),
        "region": (lambda tx: c.region, False, "region", "区域"),
        "documents": (documents, True, "documents filed", "档案数"),
        "last_filed": (last_filed, True, "latest document date", "最近归档"),
        **figures,
    }


class ArchiveService(Service):
    # -- categories -------------------------------------------------------------------------

    @query
    def categories(self, tx: Tx) -> list[Category]:
        """The core's four categories (CORE-ARC-1 order), then the plugins'."""
        core = [
            Category(code=k, label=v[0], label_zh=v[1], owner="crmcore")
            for k, v in CORE_CATEGORIES.items()
        ]
        plugins = [
            Category(code=k, label=label, label_zh=zh, owner=owner)
            for k, (owner, label, zh) in sorted(self.crm.archive_categories.items())
        ]
        return core + plugins

    def _check_category(self, category: str) -> None:
        if category not in CORE_CATEGORIES and category not in self.crm.archive_categories:
            known = ", ".join([*CORE_CATEGORIES, *sorted(self.crm.archive_categories)])
            raise InvalidInput(
                "category", f"unknown category {category!r} (known: {known})", rule=RULE
            )

    # -- filing -----------------------------------------------------------------------------

    @use_case
    def file(self, tx: Tx, client_code: str, new: NewDocument) -> Document:
        """File a document on a client; its first version. Identical content is stored once."""
        client = access.client_for_write(tx, client_code, "archive.write")
        self._check_category(new.category)
        policy = tx.crm.policies.in_force(tx, "CORE-ARC-1")
        kind = file_type(new.filename, new.content, policy)
        level = new.clearance
        if level is None:  # (Clearance.PUBLIC is 0: never test it for truth)
            level = tx.crm.policies.in_force(tx, "CORE-CONF-1").document_level
        if level > tx.actor.clearance:
            raise PermissionDenied(
                f"clearance: {tx.actor.login} may not file a document above their own "
                f"{tx.actor.clearance.label}",
                rule="CORE-CONF-1",
            )
        access.check_write(tx, "document", ["title", "filename"])
        sha = self._store_blob(tx, new.content)
        doc_id = tx.conn.execute(
            t.documents.insert().values(
                client_id=client.id,
                category=new.category,
                title=new.title,
                dated=new.dated or tx.now.date(),
                clearance=int(level),
                version=1,
                created_at=tx.now,
                created_by=tx.actor.user_id,
            )
        ).inserted_primary_key[0]
        self._add_version(tx, doc_id, 1, sha, new.filename, kind.value, len(new.content), new.note)
        tx.audit(
            "archive.file",
            "document",
            doc_id,
            client_id=client.id,
            detail={
                "category": new.category,
                "sha256": sha,
                "size": len(new.content),
                "level": level.label,
            },
        )
        return self._document(tx, doc_id, None)

    @use_case
    def add_version(
        self, tx: Tx, document_id: int, filename: str, content: bytes, *, note: str | None = None
    ) -> Document:
        """A new version; earlier versions stay readable (nothing is overwritten)."""
        tx.actor.require("archive.write")
        row = self._row(tx, document_id)
        if row.withdrawn_at is not None:
            raise Conflict(f"document {document_id} is withdrawn")
        kind = file_type(filename, content, tx.crm.policies.in_force(tx, "CORE-ARC-1"))
        sha = self._store_blob(tx, content)
        version = row.version + 1
        done = tx.conn.execute(
            update(t.documents)
            .where(t.documents.c.id == document_id, t.documents.c.version == row.version)
            .values(version=version)
        ).rowcount
        if done != 1:
            raise Conflict(f"document {document_id} changed meanwhile; try again")
        self._add_version(tx, document_id, version, sha, filename, kind.value, len(content), note)
        tx.audit(
            "archive.version",
            "document",
            document_id,
            client_id=row.client_id,
            detail={"version": version, "sha256": sha, "size": len(content)},
        )
        return self._document(tx, document_id, None)

    @use_case
    def withdraw(self, tx: Tx, document_id: int, reason: str) -> Document:
        """Take a document out of the current archive; it stays, with the reason (never deleted)."""
        tx.actor.require("archive.write")
        if not reason or not reason.strip():
            raise InvalidInput("reason", "withdrawing a document needs a reason", rule=RULE)
        row = self._row(tx, document_id)
        if row.withdrawn_at is not None:
            raise Conflict(f"document {document_id} is already withdrawn")
        tx.conn.execute(
            update(t.documents)
            .where(t.documents.c.id == document_id)
            .values(withdrawn_at=tx.now, withdrawn_reason=reason.strip())
        )
        tx.audit("archive.withdraw", "document", document_id, client_id=row.client_id)
        return self._document(tx, document_id, None)

    def _store_blob(self, tx: Tx, content: bytes) -> str:
        sha = hashlib.sha256(content).hexdigest()
        b = t.document_blobs.c
        if tx.conn.scalar(select(b.sha256).where(b.sha256 == sha)) is None:
            tx.conn.execute(
                t.document_blobs.insert().values(
                    sha256=sha, size=len(content), content=content, created_at=tx.now
                )
            )
        return sha

    def _add_version(
        self,
        tx: Tx,
        doc_id: int,
        version: int,
        sha: str,
        filename: str,
        media_type: str,
        size: int,
        note: str | None,
    ) -> None:
        tx.conn.execute(
            t.document_versions.insert().values(
                document_id=doc_id,
                version=version,
                sha256=sha,
                filename=filename,
                media_type=media_type,
                size=size,
                note=note,
                uploaded_at=tx.now,
                uploaded_by=tx.actor.user_id,
            )
        )

    # -- reading ----------------------------------------------------------------------------

    @query
    def list(
        self,
        tx: Tx,
        client_code: str,
        *,
        category: str | None = None,
        include_withdrawn: bool = False,
    ) -> list[Document]:
        """A client's documents by category (CORE-ARC-1 order), each category by date.

        Documents above the reader's clearance are not listed at all.
        """
        client = access.client_for_read(tx, client_code, action="archive.list")
        d = t.documents.c
        conditions = [d.client_id == client.id, d.clearance <= int(tx.actor.clearance)]
        if category:
            self._check_category(category)
            conditions.append(d.category == category)
        if not include_withdrawn:
            conditions.append(d.withdrawn_at.is_(None))
        ids = list(tx.conn.scalars(select(d.id).where(and_(*conditions))))
        docs = [self._document(tx, i, "archive.list", versions=False) for i in ids]
        order = {c.code: n for n, c in enumerate(self.categories(tx))}
        return sorted(docs, key=lambda doc: (order.get(doc.category, 99), doc.dated, doc.id))

    @query
    def get(self, tx: Tx, document_id: int) -> Document:
        """One document with every version."""
        return self._document(tx, document_id, "archive.get")

    @query
    def content(
        self, tx: Tx, document_id: int, *, version: int | None = None
    ) -> tuple[Document, bytes]:
        """A version's bytes (the latest by default). Taking a copy out is an export: it is
        always recorded, whatever the level (CORE-CONF-2)."""
        doc = self._document(tx, document_id, None)
        v = t.document_versions.c
        wanted = version or doc.version
        row = tx.conn.execute(
            select(v.sha256, t.document_blobs.c.content)
            .join(t.document_blobs, t.document_blobs.c.sha256 == v.sha256)
            .where(v.document_id == document_id, v.version == wanted)
        ).first()
        if row is None:
            raise NotFound(f"version: document {document_id} has no version {wanted}")
        client_id = tx.conn.scalar(
            select(t.documents.c.client_id).where(t.documents.c.id == document_id)
        )
        tx.audit(
            "export.document",
            "document",
            document_id,
            client_id=client_id,
            detail={"version": wanted, "sha256": row.sha256, "level": doc.clearance.label},
        )
        return doc, bytes(row.content)

    def _row(self, tx: Tx, document_id: int) -> Row[Any]:
        row = tx.conn.execute(select(t.documents).where(t.documents.c.id == document_id)).first()
        if row is None:
            raise NotFound(f"document: unknown document {document_id}")
        access.client_by_id(tx, row.client_id)  # the client must be readable
        if Clearance(row.clearance) > tx.actor.clearance:
            raise PermissionDenied(
                f"document: {tx.actor.login} is not cleared for document {document_id}",
                rule="CORE-CONF-2",
            )
        return row

    def _document(
        self, tx: Tx, document_id: int, action: str | None, *, versions: bool = True
    ) -> Document:
        row = self._row(tx, document_id)
        v = t.document_versions.c
        history = tx.conn.execute(
            select(t.document_versions, t.users.c.login)
            .join(t.users, t.users.c.id == v.uploaded_by)
            .where(v.document_id == document_id)
            .order_by(v.version)
        ).all()
        latest = history[-1]
        code = tx.conn.scalar(select(t.clients.c.code).where(t.clients.c.id == row.client_id))
        creator = lookup.logins(tx.conn, {row.created_by})[row.created_by]
        client_level = tx.conn.scalar(
            select(t.clients.c.clearance).where(t.clients.c.id == row.client_id)
        )
        doc = Document(
            id=row.id,
            client_code=code,
            category=row.category,
            title=row.title,
            dated=row.dated,
            clearance=Clearance(row.clearance),
            version=row.version,
            filename=latest.filename,
            media_type=latest.media_type,
            size=latest.size,
            sha256=latest.sha256,
            created_at=row.created_at,
            created_by=creator,
            withdrawn_at=row.withdrawn_at,
            withdrawn_reason=row.withdrawn_reason,
            versions=tuple(
                DocumentVersion(
                    version=h.version,
                    filename=h.filename,
                    media_type=h.media_type,
                    size=h.size,
                    sha256=h.sha256,
                    note=h.note,
                    uploaded_at=h.uploaded_at,
                    uploaded_by=h.login,
                )
                for h in history
            )
            if versions
            else (),
        )
        return access.present(
            tx,
            doc,
            "document",
            action=action,
            client_id=row.client_id,
            clearance=max(Clearance(row.clearance), Clearance(client_level)),
        )

    # -- custodian and index (CORE-ARC-2) ---------------------------------------------------

    @use_case
    def set_custodian(self, tx: Tx, client_code: str, login: str) -> str:
        """Name the person who keeps a client's archive (专人管理)."""
        row = access.client_for_write(tx, client_code, "archive.custodian")
        user_id = lookup.user_id(tx.conn, login, field="custodian")
        old = (
            lookup.logins(tx.conn, {row.custodian_id}).get(row.custodian_id)
            if row.custodian_id
            else None
        )
        if row.custodian_id == user_id:
            return login
        tx.crm.clients._update(tx, row, {"custodian_id": user_id})
        tx.crm.clients._history(
            tx, row.id, row.version + 1, "custodian", {"custodian": [old, login]}
        )
        tx.audit(
            "archive.custodian",
            "client",
            client_code,
            client_id=row.id,
            detail={"custodian": login},
        )
        return login

    def sort_keys(self) -> dict[str, SortKey]:
        """The core's sort keys and those plugins register (``crm_client_sort_keys``)."""
        keys = _core_sort_keys()

        def register(
            plugin: str,
            name: str,
            expression: Callable[[Tx], Any],
            label: str = "",
            label_zh: str = "",
            descending: bool = True,
        ) -> None:
            if name in keys:
                raise PluginError(plugin, f"sort key {name!r} is already registered")
            if not callable(expression):
                raise PluginError(plugin, f"sort key {name!r}: expression must be callable")
            keys[name] = (expression, descending, label or name, label_zh)

        self.crm.host.collect("crm_client_sort_keys", register)
        return keys

    @query
    def index(
        self,
        tx: Tx,
        *,
        owner: str | None = None,
        custodian: str | None = None,
        region: str | None = None,
        unit: str | None = None,
        sort: str = "code",
        descending: bool | None = None,
        include_archived: bool = False,
        limit: int = 100,
    ) -> list[ArchiveIndexRow]:
        """Clients' archives listed by salesperson, custodian, region or company (unit, rolled up
        the tree), sorted by any registered key (CORE-ARC-2)."""
        keys = self.sort_keys()
        if sort not in keys:
            raise InvalidInput(
                "sort", f"unknown sort key {sort!r} (known: {', '.join(keys)})", rule="CORE-ARC-2"
            )
        expression_of, default_desc, _, _ = keys[sort]
        key = expression_of(tx)
        desc = default_desc if descending is None else descending
        c, d = t.clients.c, t.documents.c
        visible = and_(
            d.client_id == c.id, d.withdrawn_at.is_(None), d.clearance <= int(tx.actor.clearance)
        )
        conditions: list[Any] = [access.readable_clients(tx)]
        if owner:
            conditions.append(
                c.owner_id == lookup.user_id(tx.conn, owner, field="owner", active=False)
            )
        if custodian:
            conditions.append(
                c.custodian_id
                == lookup.user_id(tx.conn, custodian, field="custodian", active=False)
            )
        if region:
            conditions.append(or_(c.region == region, c.region.startswith(region + "/")))
        if unit:
            conditions.append(c.unit_id.in_(sorted(lookup.unit_subtree(tx.conn, unit))))
        if not include_archived:
            conditions.append(c.status != "archived")
        rows = tx.conn.execute(
            select(
                t.clients,
                select(func.count()).where(visible).scalar_subquery().label("n_documents"),
                select(func.max(d.dated)).where(visible).scalar_subquery().label("last_dated"),
                key.label("sort_value"),
            )
            .where(and_(*conditions))
            .order_by(key.is_(None), key.desc() if desc else key.asc(), c.code)
            .limit(limit)
        ).all()
        names = lookup.logins(tx.conn, {u for r in rows for u in (r.owner_id, r.custodian_id) if u})
        codes = lookup.unit_codes(tx.conn, {r.unit_id for r in rows if r.unit_id})
        result = []
        for r in rows:
            access.record_read(tx, "archive.index", r)
            result.append(
                ArchiveIndexRow(
                    client_code=r.code,
                    client_name=r.name,
                    region=r.region,
                    owner=names.get(r.owner_id) if r.owner_id else None,
                    custodian=names.get(r.custodian_id) if r.custodian_id else None,
                    unit=codes.get(r.unit_id) if r.unit_id else None,
                    documents=r.n_documents,
                    last_filed=_as_date(r.last_dated),
                    sort_value=r.sort_value,
                )
            )
        return result


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))
