"""Negotiation memos signed by every team member (谈判备忘录, CORE-LOG-2)."""

from __future__ import annotations

from sqlalchemy import select, update

from crmcore.app import Service, Tx, query, use_case
from crmcore.domain.logs import Memo, NewMemo, Signature
from crmcore.errors import Conflict, NotFound, PermissionDenied
from crmcore.services import lookup
from crmcore.store import tables as t


class MemoService(Service):
    @use_case
    def add(self, tx: Tx, client_code: str, new: NewMemo) -> Memo:
        tx.actor.require("memo.write")
        client = lookup.client_row(tx.conn, client_code)
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
        return self._memo(tx, memo_id)

    @use_case
    def sign(self, tx: Tx, memo_id: int) -> Memo:
        """The acting user signs; each signature is recorded once (CORE-LOG-2)."""
        memo = self._memo(tx, memo_id)
        mine = next((s for s in memo.signatures if s.signer == tx.actor.login), None)
        if mine is None:
            raise PermissionDenied(
                f"memo {memo_id}: {tx.actor.login} is not on its list of signers", rule="CORE-LOG-2"
            )
        s = t.memo_signers.c
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
        return self._memo(tx, memo_id)

    @query
    def get(self, tx: Tx, memo_id: int) -> Memo:
        tx.actor.require("client.read")
        return self._memo(tx, memo_id)

    @query
    def list(self, tx: Tx, client_code: str) -> list[Memo]:
        tx.actor.require("client.read")
        client = lookup.client_row(tx.conn, client_code)
        ids = tx.conn.scalars(
            select(t.memos.c.id)
            .where(t.memos.c.client_id == client.id)
            .order_by(t.memos.c.id.desc())
        )
        return [self._memo(tx, i) for i in ids]

    def _memo(self, tx: Tx, memo_id: int) -> Memo:
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
        signatures = tx.conn.execute(
            select(t.users.c.login, s.signed_at)
            .join(t.users, t.users.c.id == s.user_id)
            .where(s.memo_id == memo_id)
            .order_by(t.users.c.login)
        )
        return Memo(
            id=row.id,
            client_code=row.code,
            title=row.title,
            body=row.body,
            author=row.login,
            created_at=row.created_at,
            signatures=tuple(Signature(signer=r.login, signed_at=r.signed_at) for r in signatures),
        )
