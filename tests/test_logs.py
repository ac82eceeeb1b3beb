"""Contact logs (CORE-LOG-1) and negotiation memos signed by every member (CORE-LOG-2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from crmcore import Conflict, InvalidInput, NewClient, NewLog, NewMemo, NotFound, PermissionDenied
from crmcore.convert import structure
from crmcore.testing import row_counts


def test_first_log_makes_the_contact_record_later_ones_append(crm, admin, make_user):
    lina = make_user("lina")
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    crm.clients.add_co_contact(admin, c.code, "lina")  # staff in contact may read and log
    assert crm.clients.get(admin, c.code).first_contact_by is None
    t0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    crm.logs.add(lina, c.code, NewLog(channel="visit", summary="首次拜访", occurred_at=t0))
    crm.logs.add(
        admin,
        c.code,
        NewLog(channel="phone", summary="电话回访", occurred_at=t0 + timedelta(days=3)),
    )
    record = crm.clients.get(admin, c.code)
    assert record.first_contact_by == "lina"
    assert record.first_contact_at == t0


def test_timeline_reads_newest_first_and_pages(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    base = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    for day in [3, 1, 7, 5]:
        crm.logs.add(
            admin,
            c.code,
            NewLog(channel="email", summary=f"day {day}", occurred_at=base + timedelta(days=day)),
        )
    timeline = crm.logs.timeline(admin, c.code)
    assert [x.summary for x in timeline] == ["day 7", "day 5", "day 3", "day 1"]
    older = crm.logs.timeline(admin, c.code, limit=2, before=timeline[1].occurred_at)
    assert [x.summary for x in older] == ["day 3", "day 1"]


def test_bad_logs_are_refused_with_field_and_rule(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    before = row_counts(crm)
    with pytest.raises(InvalidInput) as err:
        structure({"channel": "pigeon", "summary": "x"}, NewLog)
    assert err.value.field == "channel"
    with pytest.raises(InvalidInput) as err:
        structure(
            {
                "channel": "visit",
                "summary": "x",
                "next_action": "y",
                "next_action_due": "2026-02-30",
            },
            NewLog,
        )
    assert err.value.field == "next_action_due"
    with pytest.raises(InvalidInput) as err:
        crm.logs.add(
            admin,
            c.code,
            NewLog(
                channel="visit",
                summary="x",
                occurred_at=datetime(2026, 5, 1, tzinfo=UTC),
                next_action="回访",
                next_action_due=date(2026, 4, 1),
            ),
        )
    assert (err.value.field, err.value.rule) == ("next_action_due", "CORE-LOG-1")
    with pytest.raises(InvalidInput, match="future"):
        crm.logs.add(
            admin,
            c.code,
            NewLog(channel="visit", summary="x", occurred_at=datetime(2999, 1, 1, tzinfo=UTC)),
        )
    with pytest.raises(NotFound, match="unknown client"):
        crm.logs.add(admin, "NOPE", NewLog(channel="visit", summary="x"))
    assert row_counts(crm) == before


def test_memo_needs_every_signature_once(crm, admin, make_user):
    lina, chen = make_user("lina"), make_user("chenjing", "finance")
    outsider = make_user("zhaolei", "read_only")
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    memo = crm.memos.add(
        admin, c.code, NewMemo(title="谈判备忘录", body="达成一致", signers=("lina", "chenjing"))
    )
    assert not memo.complete
    assert not crm.memos.sign(lina, memo.id).complete
    with pytest.raises(Conflict, match="already signed") as err:
        crm.memos.sign(lina, memo.id)
    assert err.value.rule == "CORE-LOG-2"
    with pytest.raises(PermissionDenied, match="not on its list"):
        crm.memos.sign(outsider, memo.id)
    assert crm.memos.sign(chen, memo.id).complete
    assert [m.id for m in crm.memos.list(admin, c.code)] == [memo.id]


def test_memo_signers_must_be_known_and_distinct(crm, admin):
    c = crm.clients.add(admin, NewClient(name="甲公司"))
    with pytest.raises(InvalidInput, match="listed twice"):
        NewMemo(title="t", body="b", signers=("admin", "admin"))
    with pytest.raises(NotFound, match="signers: unknown user"):
        crm.memos.add(admin, c.code, NewMemo(title="t", body="b", signers=("ghost",)))
