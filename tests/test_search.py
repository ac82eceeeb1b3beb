"""Client search (issue 9): Chinese substrings of any length, pinyin in full and by initials,
codes; ranked; only what the actor may read (CORE-CONF-2)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crmcore import InvalidInput, NewClient, NewUser, PermissionDenied
from crmcore.sampledata import SampleData
from crmcore.store import search_index
from crmcore.store import tables as t
from crmcore.testing import VALID_CREDIT_CODES as VALID_USCC

NAMES = {
    "TEL": "中国电信股份有限公司广州分公司",
    "CQB": "重庆银行股份有限公司",
    "CL": "长隆集团有限公司",
    "HD": "广州恒达电子科技有限公司",
    "HDZ": "恒达电子（深圳）有限公司",
    "DX": "电信",
    "ZH": "张",
}


@pytest.fixture
def clients(crm, admin):
    made = {}
    for i, (code, name) in enumerate(NAMES.items()):
        credit = VALID_USCC[i] if i < len(VALID_USCC) else None
        made[code] = crm.clients.add(admin, NewClient(name=name, code=code, credit_code=credit))
    return made


def codes(found):
    return [c.code for c in found]


def test_two_character_chinese_query_finds_names_containing_it_shortest_first(crm, admin, clients):
    assert codes(crm.clients.search(admin, "电信")) == ["DX", "TEL"]


def test_ranking_puts_prefix_before_substring(crm, admin, clients):
    # 恒达电子（深圳）… starts with 恒达; 广州恒达… only contains it, although it is not longer
    assert codes(crm.clients.search(admin, "恒达")) == ["HDZ", "HD"]


def test_one_character_query(crm, admin, clients):
    assert codes(crm.clients.search(admin, "张")) == ["ZH"]
    found = codes(crm.clients.search(admin, "信"))
    assert found[0] == "DX" and set(found) == {"DX", "TEL"}
    assert codes(crm.clients.search(admin, "隆")) == ["CL"]


def test_pinyin_initials_and_full_spelling(crm, admin, clients):
    assert codes(crm.clients.search(admin, "zgdx")) == ["TEL"]
    assert codes(crm.clients.search(admin, "ZGDX")) == ["TEL"]
    assert codes(crm.clients.search(admin, "dianxin")) == ["DX", "TEL"]
    assert codes(crm.clients.search(admin, "zhong guo dian xin")) == ["TEL"]
    assert codes(crm.clients.search(admin, "dx")) == ["DX", "TEL"]


def test_polyphonic_characters_read_as_in_their_phrase_or_both_ways(crm, admin, clients):
    assert codes(crm.clients.search(admin, "chongqing")) == ["CQB"]
    assert codes(crm.clients.search(admin, "zhongqing")) == []  # 重庆 is never zhongqing
    assert codes(crm.clients.search(admin, "yinhang")) == ["CQB"]
    assert codes(crm.clients.search(admin, "cqyh")) == ["CQB"]
    # 长隆 is no phrase: 长 is read both ways
    assert codes(crm.clients.search(admin, "changlong")) == ["CL"]
    assert codes(crm.clients.search(admin, "zhanglong")) == ["CL"]
    assert codes(crm.clients.search(admin, "zljt")) == ["CL"]


def test_exact_code_and_credit_code_come_first(crm, admin, clients):
    assert codes(crm.clients.search(admin, "cl"))[0] == "CL"
    assert codes(crm.clients.search(admin, VALID_USCC[1].lower())) == ["CQB"]
    assert codes(crm.clients.search(admin, VALID_USCC[1][:8]))[0] == "CQB"


def test_renamed_client_is_found_by_its_new_name_only(crm, admin, clients):
    crm.clients.edit(admin, "CL", {"name": "海天味业有限公司"})
    assert codes(crm.clients.search(admin, "长隆")) == []
    assert codes(crm.clients.search(admin, "changlong")) == []
    assert codes(crm.clients.search(admin, "htwy")) == ["CL"]
    assert codes(crm.clients.search(admin, "味业")) == ["CL"]


def test_query_characters_with_meaning_to_the_index_are_plain_text(crm, admin, clients):
    for text in ['"', "%", "_", "电信%", '"电信"', "^电", "a*", "NEAR(a b)"]:
        crm.clients.search(admin, text)  # no error, no injection


def test_empty_query_is_refused(crm, admin):
    with pytest.raises(InvalidInput, match="query"):
        crm.clients.search(admin, "  ")


def test_limit_caps_results(crm, admin, clients):
    assert len(crm.clients.search(admin, "有限公司", limit=2)) == 2


def test_a_user_without_client_read_finds_nothing(crm, admin, clients, make_user):
    """CORE-CONF-2. Extended by the access model (issue 4): rows and masking per clearance."""
    outsider = make_user("outsider", "audit_legal")
    assert codes(crm.clients.search(outsider, "电信")) == ["DX", "TEL"]
    crm.users.add(admin, NewUser(login="nobody", name="无角色", roles=()))
    with pytest.raises(PermissionDenied):
        crm.clients.search(crm.actor("nobody"), "电信")


def test_cli_search_uses_the_index(cli, crm, admin, clients):
    result = cli("client", "search", "zgdx", "--json")
    assert result.exit_code == 0, result.output
    assert '"code": "TEL"' in result.stdout


@pytest.fixture
def many(crm, admin):
    """200 sample companies (many share a city, so prefixes like ``guangzhou`` are common)."""
    for company in SampleData(9).companies(200):
        crm.clients.add(admin, NewClient(name=company["name"]))
    with crm.transaction(admin) as tx:
        return list(tx.conn.execute(select(t.clients.c.name_pinyin)).scalars())


def test_prefix_matches_are_the_same_through_either_index(crm, admin, many, monkeypatch):
    """Name and pinyin prefixes are answered from the word index when few clients match and
    from the trigram index otherwise; a user gets the same clients in the same order either
    way, for prefixes of every word (full spellings, initials, names) and for spellings cut
    from the middle, which start no word."""
    words = sorted({w for terms in many for w in terms.split()})
    queries = [w[:n] for w in words[::7] for n in (3, 6, 9)] + [w[2:8] for w in words[::11]]
    few = {q: codes(crm.clients.search(admin, q)) for q in queries}
    monkeypatch.setattr(search_index, "WORDS_CAP", 0)  # the trigram index only
    assert {q: codes(crm.clients.search(admin, q)) for q in queries} == few
    assert any(len(found) > 1 for found in few.values())


def test_a_spelling_from_the_middle_of_a_name_is_no_prefix(crm, admin, clients):
    """``angzhou`` is inside guangzhou: found as a substring, after names that start with a
    word it begins (none here), and a renamed client's old words no longer match."""
    assert codes(crm.clients.search(admin, "angzhouhengda")) == ["HD"]
    assert codes(crm.clients.search(admin, "guangzhouheng")) == ["HD"]
    crm.clients.edit(admin, "HD", {"name": "佛山恒达电子科技有限公司"})
    assert codes(crm.clients.search(admin, "guangzhouheng")) == []
    assert codes(crm.clients.search(admin, "foshanheng")) == ["HD"]


def test_a_code_in_capitals_or_lower_case_finds_the_same_clients_and_records_the_same_reads(
    crm, admin, clients
):
    """CORE-CONF-2: the look-up record names the clients shown, however the code was typed."""

    def search_and_records(text):
        e = t.audit_events.c
        with crm.engine.connect() as conn:
            before = conn.scalar(select(e.seq).order_by(e.seq.desc()).limit(1)) or 0
        found = codes(crm.clients.search(admin, text))
        with crm.engine.connect() as conn:
            records = conn.execute(
                select(e.action, e.entity_id).where(e.seq > before).order_by(e.seq)
            ).all()
        return found, [tuple(r) for r in records]

    upper, lower = search_and_records("HD"), search_and_records("hd")
    assert upper == lower
    assert upper == (["HD", "HDZ"], [("client.search", "HD"), ("client.search", "HDZ")])


def _expected(rows, query, *, prefix, limit=20):
    """What ``find`` must return, from the clients' own text: rank = (name length, id)."""
    needle = " " + query if prefix else query

    def matches(r):
        terms = f" {r.name.lower()} {r.name_pinyin}"
        if len(needle) >= 3:
            return needle in terms
        if prefix:
            return f" ^{query} " in r.name_grams
        if len(query) == 2:
            return f" {query} " in r.name_grams
        return f" {query}" in r.name_grams and query in terms

    ranked = sorted((len(r.name), r.id) for r in rows if matches(r))
    return [i for _, i in ranked][:limit]


@pytest.mark.parametrize("walk, cap", [(3, 4), (1_000, 3_000)])
def test_the_index_finds_the_shortest_names_first_however_it_reads_them(
    crm, admin, many, monkeypatch, walk, cap
):
    """Ranked search (issue 9): the first 20 matches by name length, then age, for queries
    that most, some or no names match, Chinese and pinyin, prefixes and substrings, and with a
    condition on the clients (as access control adds, for a user who may read all clients or
    only some). On PostgreSQL small ``WALK``/``FETCH_CAP``/``CHECKED`` force every way of
    reading: walking the rank order, fetching every match, and one name length at a time; and
    a user's few clients (``few``) are tested one by one, or, past ``SCOPE_CAP``, read like
    everyone's (1M clients: docs/performance.md)."""
    monkeypatch.setattr(search_index, "WALK", walk)
    monkeypatch.setattr(search_index, "FETCH_CAP", cap)
    monkeypatch.setattr(search_index, "CHECKED", walk)  # access checked a few matches at a time
    monkeypatch.setattr(
        search_index, "SCOPE_CAP", walk
    )  # 3: a user's clients read as a broad one's
    monkeypatch.setattr(search_index, "WORDS_CAP", 0)  # prefixes through the trigram index too
    c = t.clients.c
    with crm.transaction(admin) as tx:
        rows = tx.conn.execute(select(c.id, c.name, c.name_pinyin, c.name_grams)).all()
        names = sorted({r.name for r in rows})
        pinyin = sorted({w for r in rows for w in r.name_pinyin.split()})
        queries = (
            ["公司", "有限公司", "科技", "集团", "股份", "公", "司", "的", "zz", "gs", "youxian"]
            + [n[i : i + k] for n in names[::17] for i, k in ((0, 2), (2, 3), (4, 1))]
            + [w[:n] for w in pinyin[::13] for n in (2, 5)]
            + [w[1:7] for w in pinyin[::19]]
        )
        checked = 0
        for query in queries:
            for prefix in (True, False):
                for odd, broad in ((False, True), (True, True), (True, False)):
                    where = [c.id % 2 == 1] if odd else []
                    subset = [r for r in rows if r.id % 2 == 1] if odd else rows
                    among = None if broad else search_index.few(tx.conn, where)
                    got = search_index.find(
                        tx.conn, query, prefix=prefix, where=where, limit=20, among=among
                    )
                    expected = _expected(subset, query, prefix=prefix)
                    assert got == expected, (query, prefix, odd)
                    checked += bool(got)
                    # clients found by an earlier tier are left out, and others take their place
                    shown = expected[::2]
                    rest = search_index.find(
                        tx.conn,
                        query,
                        prefix=prefix,
                        where=where,
                        limit=20,
                        exclude=shown,
                        among=among,
                    )
                    others = [r for r in subset if r.id not in shown]
                    assert rest == _expected(others, query, prefix=prefix), (query, prefix, odd)
    assert checked > len(queries)  # most queries find someone: the comparison is not empty


def test_postgresql_keeps_a_plan_only_for_statements_marked_planned_once(
    crm, admin, make_user, crm_backend
):
    """psycopg would prepare any statement from its fifth run, and PostgreSQL may then reuse a
    plan made without the values: for search on 1M clients that took p50 from 3 ms to 300 ms,
    and an account manager's access probe from 0.52 to 710 ms (docs/performance.md). Only
    statements marked ``PLANNED_ONCE`` are prepared (a view's rows by id, the field rules,
    the audit chain); a reader's access probe and the search's own statements never are."""
    if crm_backend == "sqlite":
        pytest.skip("SQLite plans each statement as it is prepared")
    manager = make_user("lina", "account_manager")
    for name in ("甲电信服务部", "乙电信科技有限公司"):
        crm.clients.add(admin, NewClient(name=name, owner="lina"))
    for _ in range(8):
        assert len(crm.clients.search(manager, "电信")) == 2
    with crm.engine.connect() as conn:
        prepared = list(conn.exec_driver_sql("SELECT statement FROM pg_prepared_statements"))
    statements = " ".join(" ".join(r.statement.split()) for r in prepared)
    assert "SELECT clients.id, clients.code, clients.name" in statements  # the view's rows
    assert "audit_chain_append" in statements  # the look-ups written
    for unmarked in ("client_grants", "client_words", "client_search_next"):  # access, search
        assert unmarked not in statements, statements
