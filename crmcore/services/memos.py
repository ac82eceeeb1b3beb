"""Negotiation memos signed by every team member (谈判备忘录, CORE-LOG-2)."""

from __future__ import annotations

from sqlalchemy import select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.logs import Memo, NewMemo, Signature
from crmcore.domain.security import Clearance
from crmcore.errors import Conflict, NotFound, PermissionDenied
from crmcore.security import access
from crmcore.services import lookup
from crmcore.store import tables as t


class MemoService(Service):
    @use_case
    def add(self, tx: Tx, client_code: str, new: NewMemo) -> Memo:
        client = access.client_for_write(tx, client_code, "memo.write")
        access.check_write(tx, "memo", ["title", "body"])
        signer_ids = [lookup.user_id(tx.conn, login, field="signers") for login in new.signers]
        memo_id = tx.conn.execute(
            t.memos.insert().values(
                client_id=client.id,
                title=new.title,
                body=new.body,
                author_id=tx.actor.user_id,
                created_at=tx.now,
            )
        ).inserted_primary_key[0]
        tx.conn.execute(
            t.memo_signers.insert(), [{"memo_id": memo_id, "user_id": u} for u in signer_ids]
        )
        tx.audit(
            "memo.create",
            "memo",
            memo_id,
            client_id=client.id,
            detail={"signers": list(new.signers)},
        )
        return self._memo(tx, memo_id, None)

    @use_case
    def sign(self, tx: Tx, memo_id: int) -> Memo:
        """The acting user signs; each signature is recorded once (CORE-LOG-2)."""
        s = t.memo_signers.c
        if tx.conn.scalar(select(t.memos.c.id).where(t.memos.c.id == memo_id)) is None:
            raise NotFound(f"memo: unknown memo {memo_id}")
        if not tx.conn.scalar(
            select(s.user_id).where(s.memo_id == memo_id, s.user_id == tx.actor.user_id)
        ):
            raise PermissionDenied(
                f"memo {memo_id}: {tx.actor.login} is not on its list of signers", rule="CORE-LOG-2"
            )
        signed = tx.conn.execute(
            update(t.memo_signers)
            .where(s.memo_id == memo_id, s.user_id == tx.actor.user_id, s.signed_at.is_(None))
            .values(signed_at=tx.now)
        ).rowcount
        if not signed:
            raise Conflict(
                f"memo {memo_id}: {tx.actor.login} has already signed", rule="CORE-LOG-2"
            )
        client_id = tx.conn.scalar(select(t.memos.c.client_id).where(t.memos.c.id == memo_id))
        tx.audit("memo.sign", "memo", memo_id, client_id=client_id)
        return self._memo(tx, memo_id, None)

    @query
    def get(self, tx: Tx, memo_id: int) -> Memo:
        """A memo, for whoever may read its client and for its signers (CORE-LOG-2)."""
        return self._memo(tx, memo_id, "memo.get")

    @query
    def list(self, tx: Tx, client_code: str) -> list[Memo]:
        client = access.client_for_read(tx, client_code, action="memo.list")
        ids = tx.conn.scalars(
            select(t.memos.c.id)
            .where(t.memos.c.client_id == client.id)
            .order_by(t.memos.c.id.desc())
        )
        return [self._memo(tx, i, "memo.list") for i in ids]

    def _memo(self, tx: Tx, memo_id: int, action: str | None) -> Memo:
        m = t.memos.c
        row = tx.conn.execute(
            select(t.memos, t.clients.c.code, t.users.c.login)
            .join(t.clients, t.clients.c.id == m.client_id)
            .join(t.users, t.users.c.id == m.author_id)
            .where(m.id == memo_id)
        ).first()
        if row is None:
            raise NotFound(f"memo: unknown memo {memo_id}")
        s = t.memo_signers.c
        signer = tx.conn.scalar(
            select(s.user_id).where(s.memo_id == memo_id, s.user_id == tx.actor.user_id)
        )
        level = tx.conn.scalar(select(t.clients.c.clearance).where(t.clients.c.id == row.client_id))
        if signer is None or tx.actor.clearance < level:
            access.client_by_id(tx, row.client_id)  # PermissionDenied unless readable
        signatures = tx.conn.execute(
            select(t.users.c.login, s.signed_at)
            .join(t.users, t.users.c.id == s.user_id)
            .where(s.memo_id == memo_id)
            .order_by(t.users.c.login)
        )
        memo = Memo(
            id=row.id,
            client_code=row.code,
            title=row.title,
            body=row.body,
            author=row.login,
            created_at=row.created_at,
            signatures=tuple(Signature(signer=r.login, signed_at=r.signed_at) for r in signatures),
        )
        return access.present(
            tx, memo, "memo", action=action, client_id=row.client_id, clearance=Clearance(level)
        )
