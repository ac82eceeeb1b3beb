"""The client search index, per backend, and the statements that read it.

What is searched (``TERMS``): `` <name in lower case> <pinyin spellings> <initials>``; a
*prefix* match looks for a space followed by the query, a *substring* match for the query.
Queries of one or two characters use ``clients.name_grams`` instead (see
``crmcore.domain.search_terms``), because trigram indexes cannot answer them.

SQLite: two FTS5 tables whose rowid is :func:`key` (name length, then client id), so
``ORDER BY rowid LIMIT n`` returns the shortest matching names first and stops early, even for
a query that half the clients match. ``client_fts`` uses the trigram tokenizer over ``TERMS``;
``client_grams`` the unicode61 tokenizer over ``name_grams``. They are written by the services
(:func:`add`, :func:`remove`) and not by triggers: FTS5 flushes its pending index data at
every statement savepoint, which a trigger opens per row, so trigger-maintained indexes made
bulk inserts ~7x slower (measured: 10k vs 70k rows/s). With ``detail=none`` the index stores
no positions, so every match is rechecked (``instr``). ``client_fts`` keeps its own copy of
the text (migration 0006) so that the recheck of a long pinyin query's many candidates reads
its small rows instead of the wide ``clients`` rows; ``client_grams`` is contentless.
``client_words`` (migration 0007) is a B-tree of every word of ``TERMS`` with the same key: it
answers "a word starts with" exactly. The trigram index cannot: a prefix query that matches
nobody (``chengyou`` in the middle of a spelling) made it recheck every candidate holding the
query's trigrams anywhere, 10,000-70,000 rows, which was the whole slow tail of full-pinyin
queries (95th percentile 30 ms against 0.2 ms, 1M clients).

PostgreSQL (migration 0008): ``client_search`` holds the same key, text and grams, partitioned
by name length, with a pg_trgm GIN index per partition; ``client_words`` is the same B-tree as
on SQLite. PostgreSQL has no index that returns trigram matches in rank order, and its planner
cannot tell whether walking the key order or fetching every match is cheaper: its guess was
wrong both ways for 5-10% of queries (500-1,400 ms at 1M clients) because matches cluster by
name length (科技 is in none of the 290,000 shortest names). :func:`_ranked` therefore decides
from the data: it walks the first rows in rank order, and where they hold no match it fetches
matches through the index of one length (partition) at a time, where they are few. These
steps run inside the server (``client_search_next``, migration 0013), one round trip for all
of them; its walk is a function of its own (0011) so that its plan is made once per
connection: planned at each call it took longer to plan than to run.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    any_,
    bindparam,
    column,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from crmcore.store import tables as t

#: The searched text, as SQL (SQLite's recheck of short queries reads it from ``clients``).
TERMS_SQL = "(' ' || lower(clients.name) || ' ' || coalesce(clients.name_pinyin, ''))"
TERMS: ColumnElement[str] = literal_column(TERMS_SQL)

_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1

_fts = table("client_fts", column("rowid"), column("client_fts"), column("terms"))
_grams = table("client_grams", column("rowid"), column("client_grams"))
_words = table("client_words", column("word"), column("key"))

#: From this many words starting with the query, the prefix tier reads the trigram index
#: instead (matches are then plentiful, so it stops at the first page); below it,
#: ``client_words`` gives every match, few enough to sort.
WORDS_CAP = 2_000
#: Sorts after every text that starts with the query, so ``[q, q + _LAST)`` is "starts with q".
_LAST = "\U0010ffff"

#: PostgreSQL: rows read in rank order before judging whether a query is common there.
WALK = 200
#: PostgreSQL: at most this many matches are fetched through the trigram index at once;
#: a query with more goes on one name length at a time. Past the cap the fetch was wasted
#: (the lengths are read again), so it is kept small: 150 against 500 took the 95th
#: percentile of full-pinyin queries from 28 to 22 ms at 1M clients, the other kinds unmoved.
FETCH_CAP = 150
#: A user who may read at most this many clients has them tested one by one (:func:`find`).
SCOPE_CAP = 2_000
#: PostgreSQL: access is checked on at most this many matches at a time (:func:`_ranked`).
CHECKED = 500
#: PostgreSQL: names of up to this many characters get a partition each; longer ones share one.
PARTITIONED_LENGTHS = 40
#: PostgreSQL: pg_trgm splits words at ``^`` and ``$``, so the grams' start and end marks are
#: stored there as letters nobody types; a query's marks are written the same way.
_PG_MARKS = str.maketrans({"^": "ǂ", "$": "ǁ"})

#: (id, name, name_pinyin, name_grams) of one client, as the index needs it.
Entry = tuple[int, str, str | None, str | None]


def key(client_id: int, name: str) -> int:
    """The rank key: shorter names sort first, then older clients."""
    return (len(name) << _ID_BITS) | client_id


def create_sqlite(conn: Connection) -> None:
    create_sqlite_terms(conn)
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE client_grams USING fts5("
        "grams, content='', detail='none', tokenize=\"unicode61 tokenchars '^$'\")"
    )


def create_sqlite_terms(conn: Connection) -> None:
    conn.exec_driver_sql(
        "CREATE VIRTUAL TABLE client_fts USING fts5(terms, detail='none', tokenize='trigram')"
    )


def create_postgresql(conn: Connection) -> None:
    """``client_search`` partitioned by name length (a range of keys each) and ``client_words``;
    the trigram indexes come after the rows (:func:`index_postgresql`), which is faster."""
    conn.exec_driver_sql(
        "CREATE TABLE client_search (key bigint PRIMARY KEY, terms text NOT NULL, "
        "grams text NOT NULL) PARTITION BY RANGE (key)"
    )
    bounds = ["MINVALUE", *(str(n << _ID_BITS) for n in range(2, PARTITIONED_LENGTHS + 1))]
    for n, (low, high) in enumerate(zip(bounds, [*bounds[1:], "MAXVALUE"], strict=True), 1):
        conn.exec_driver_sql(
            f"CREATE TABLE client_search_{n} PARTITION OF client_search "
            f"FOR VALUES FROM ({low}) TO ({high})"
        )
    conn.exec_driver_sql(
        'CREATE TABLE client_words (word text COLLATE "C" NOT NULL, key bigint NOT NULL, '
        "PRIMARY KEY (word, key))"
    )


def index_postgresql(conn: Connection) -> None:
    for name in ("terms", "grams"):
        conn.exec_driver_sql(
            f"CREATE INDEX ix_client_search_{name} ON client_search USING gin ({name} gin_trgm_ops)"
        )


def _documents(
    entries: Iterable[Entry],
) -> tuple[list[tuple[int, str]], list[tuple[int, str]], list[tuple[str, int]]]:
    """The rows of ``client_fts``, ``client_grams`` and ``client_words`` for ``entries``.

    Words are split at plain spaces only, as the prefix match looks for ``" " + query``; they
    come sorted, so that a bulk insert appends to the B-tree instead of landing all over it
    (3M words: 6 s against 22 s)."""
    terms, grams, words = [], [], []
    for client_id, name, pinyin, name_grams in sorted(entries, key=lambda e: key(e[0], e[1])):
        k = key(client_id, name)
        text = f" {name.lower()} {pinyin or ''}"
        terms.append((k, text))
        grams.append((k, name_grams or ""))
        words.extend((w, k) for w in dict.fromkeys(text.split(" ")) if w)
    words.sort(key=itemgetter(0))  # stable: keys stay in order within a word
    return terms, grams, words


#: The search tables, by name, as :func:`fill` and the migrations that make them know them.
TABLES = ("client_fts", "client_grams", "client_words")
PG_TABLES = ("client_search", "client_words")


def add(conn: Connection, entries: Iterable[Entry]) -> None:
    """Index new or changed clients."""
    _insert(conn, entries, TABLES if conn.dialect.name == "sqlite" else PG_TABLES)


def _insert(conn: Connection, entries: Iterable[Entry], into: Collection[str]) -> None:
    terms, grams, words = _documents(entries)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if terms and "client_fts" in into:
        cursor.executemany("INSERT INTO client_fts(rowid, terms) VALUES (?, ?)", terms)
    if grams and "client_grams" in into:
        cursor.executemany("INSERT INTO client_grams(rowid, grams) VALUES (?, ?)", grams)
    if terms and "client_search" in into:
        marked = (
            (k, text, g.translate(_PG_MARKS))
            for (k, text), (_, g) in zip(terms, grams, strict=True)
        )
        _copy(cursor, "client_search(key, terms, grams)", marked)
    if words and "client_words" in into:
        if conn.dialect.name == "sqlite":
            cursor.executemany("INSERT INTO client_words(word, key) VALUES (?, ?)", words)
        else:
            _copy(cursor, "client_words(word, key)", words)


def _copy(cursor: Any, target: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """PostgreSQL's COPY: a 1M-client import writes 4M search rows, which COPY takes faster
    than INSERTs (docs/performance.md)."""
    with cursor.copy(f"COPY {target} FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def remove(conn: Connection, entries: Iterable[Entry]) -> None:
    """Unindex clients as they were (the contentless ``client_grams`` needs the old text)."""
    terms, grams, words = _documents(entries)
    if not terms:
        return
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    keys = [(k,) for k, _ in terms]
    if conn.dialect.name == "sqlite":
        cursor.executemany("DELETE FROM client_fts WHERE rowid = ?", keys)
        cursor.executemany(
            "INSERT INTO client_grams(client_grams, rowid, grams) VALUES ('delete', ?, ?)", grams
        )
        cursor.executemany("DELETE FROM client_words WHERE word = ? AND key = ?", words)
    else:
        cursor.executemany("DELETE FROM client_search WHERE key = %s", keys)
        cursor.executemany("DELETE FROM client_words WHERE word = %s AND key = %s", words)


def fill(conn: Connection, into: Collection[str], *, batch: int = 20_000) -> None:
    """Index every client into the empty tables ``into`` (a migration names the ones it makes)."""
    c = t.clients.c
    last = 0
    while True:
        rows = conn.execute(
            select(c.id, c.name, c.name_pinyin, c.name_grams)
            .where(c.id > last)
            .order_by(c.id)
            .limit(batch)
        ).all()
        if not rows:
            return
        _insert(conn, [tuple(r) for r in rows], into)  # type: ignore[misc]
        last = rows[-1].id


# -- reading ----------------------------------------------------------------------------------
#
# Statements are built with bound values, once per shape, for an actor who reads every client
# (no ``where``) or searches among a few client ids (``among``): a union or a CTE costs
# ~0.3 ms of Python to build, as much as PostgreSQL takes to run it, and a statement built
# before skips that and its cache key.

Where = Sequence[ColumnElement[bool]]


def client_ids_in(param: str) -> dict[str, ColumnElement[bool]]:
    """ "The client's id is one of the list bound as ``param``", by backend. On PostgreSQL one
    array: the statement's text is the same for any number of ids, so the driver prepares it
    once (200 ids as 200 parameters took 3 ms to plan in the code tiers' union)."""
    return {
        "sqlite": t.clients.c.id.in_(bindparam(param, expanding=True)),
        "postgresql": t.clients.c.id == any_(bindparam(param, type_=ARRAY(Integer))),
    }


#: "Among these clients": a user's few readable clients (:func:`few`), bound per run.
_AMONG = client_ids_in("among")


def _among_condition(conn: Connection) -> ColumnElement[bool]:
    return _AMONG.get(conn.dialect.name, _AMONG["sqlite"])


@functools.cache
def _built(build: Callable[..., Any], *shape: Any) -> Any:
    return build(*shape)


def _statement(build: Callable[..., Any], *shape: Any, where: Where) -> Any:
    """``build(*shape, where)``, made once per shape when ``where`` is empty or "among"."""
    if not where or (len(where) == 1 and any(where[0] is a for a in _AMONG.values())):
        return _built(build, *shape, tuple(where))
    return build(*shape, where)


def few(conn: Connection, where: Where) -> list[int] | None:
    """The ids of the clients ``where`` admits, if at most ``SCOPE_CAP``: search tests those
    one by one (``among``), as reading the index in rank order would pass over most of
    the table to reach them (PostgreSQL, 1M clients: p50 50-120 ms against a few ms). Ask
    ``access.reads_many`` first: for a director this probe is a gamble (see there)."""
    ids = conn.scalars(select(t.clients.c.id).where(*where).limit(SCOPE_CAP + 1)).all()
    return list(ids) if len(ids) <= SCOPE_CAP else None


def _phrase(text: str) -> str:
    """An FTS5 string literal: the text matched as it is, whatever it contains."""
    return '"' + text.replace('"', '""') + '"'


def _trigrams(text: str) -> str:
    """An FTS5 query for a text of 3+ characters under ``detail=none`` (which has no phrases):
    the text's trigrams side by side, and the last one, all required; ``instr`` rechecks."""
    starts = [*range(0, len(text) - 2, 3), len(text) - 3]
    return " ".join(_phrase(text[i : i + 3]) for i in dict.fromkeys(starts))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _patterns(query: str, prefix: bool, marks: dict[int, str] | None = None) -> dict[str, str]:
    """The match as LIKE patterns that the searched text (``terms``) and the grams must meet
    (PostgreSQL's trigram indexes answer them; on a few clients they need no index).
    ``marks``: how the grams store ``^`` and ``$``."""
    needle = " " + query if prefix else query
    if len(needle) >= 3:
        return {"terms": f"%{_like(needle)}%"}
    token = f"^{query} " if prefix else (f"{query} " if len(query) == 2 else query)
    patterns = {"grams": f"% {_like(token.translate(marks or {}))}%"}
    if len(query) == 1 and not prefix:
        patterns["terms"] = f"%{_like(query)}%"
    return patterns


def _condition(terms: ColumnElement[str], grams: ColumnElement[str], names: Iterable[str]) -> Any:
    """LIKE on ``terms`` and/or ``grams`` (``names``, as :func:`_patterns` gives them)."""
    columns = {"terms": terms, "grams": grams}
    return and_(*(columns[n].like(bindparam(n), escape="\\") for n in names))


def _not_found() -> ColumnElement[bool]:
    return t.clients.c.id.not_in(bindparam("exclude", expanding=True))


def codes(
    conn: Connection, raw: str, *, where: Where, limit: int, among: Sequence[int] | None = None
) -> list[int]:
    """Search's first tiers: the exact client code or credit code, then codes and credit codes
    starting with ``raw``, in one statement. ``where`` and ``among`` as for :func:`find`;
    a reader of many clients gives ``readable_clients(in_order=True)``, which SQLite then tests
    row by row as the code indexes give them."""
    if among is not None:
        where = [_among_condition(conn)]
    upper = raw.upper()
    params = {"raw": raw, "upper": upper, "raw_end": raw + "\x7f", "upper_end": upper + "\x7f"}
    stmt = _statement(_codes, len(raw) >= 2, raw != upper, where=where)
    ids = conn.scalars(stmt, {**params, "limit": limit, "among": list(among or ())})
    return list(dict.fromkeys(ids))[:limit]


def _codes(prefixes: bool, cased: bool, where: Where) -> Any:
    """Each part is limited before the parts are joined: dropping the clients an earlier part
    found still leaves ``limit`` from a later one, when it has them."""
    c, value = t.clients.c, bindparam
    parts = [
        (
            or_(c.code == value("raw"), c.code == value("upper"), c.credit_code == value("upper")),
            c.code,
        )
    ]
    if prefixes:  # a code typed in capitals is one prefix, not the same query twice
        cases = ("raw", "upper") if cased else ("upper",)
        parts += [(and_(c.code >= value(x), c.code < value(x + "_end")), c.code) for x in cases]
        parts.append(
            (
                and_(c.credit_code >= value("upper"), c.credit_code < value("upper_end")),
                c.credit_code,
            )
        )
    ranked = [
        select(c.id, literal_column(str(n)).label("part"), order.label("rank"))
        .where(condition, *where)
        .order_by(order)
        .limit(value("limit"))
        .subquery()
        for n, (condition, order) in enumerate(parts)
    ]
    every = union_all(*(select(r) for r in ranked)).subquery()
    return select(every.c.id).order_by(every.c.part, every.c.rank)


def find(
    conn: Connection,
    query: str,
    *,
    prefix: bool,
    where: Where,
    limit: int,
    exclude: Collection[int] = (),
    among: Sequence[int] | None = None,
) -> list[int]:
    """Ids of the first ``limit`` clients whose name or pinyin starts with (``prefix``) or
    contains ``query``, shortest name first, then oldest.

    ``query`` is normalised (``normalise_query``); ``where`` adds conditions on ``clients``
    (access; none for an actor who reads every client, which spares PostgreSQL a statement per
    step); ``exclude``: ids not to return (found already). A prefix that fewer than
    ``WORDS_CAP`` words start with is answered from ``client_words`` on both backends.
    ``among``: the only clients to consider, given instead of ``where`` (:func:`few`); they
    are tested one by one.
    """
    needle = " " + query if prefix else query
    short = len(needle) < 3  # below the trigram length: use the grams
    params: dict[str, Any] = {"limit": limit, "exclude": list(exclude)}
    if among is not None:
        where, params["among"] = [_among_condition(conn)], list(among)
    if prefix and not short:
        stmt = _statement(_prefix_words, where=where)
        bounds = {"low": query, "high": query + _LAST, "words_cap": WORDS_CAP}
        got = conn.execute(stmt, {**params, **bounds}).all()
        if got[0][0] < WORDS_CAP:
            return [client_id for _, client_id, _ in got[1:]]
    if among is not None:
        patterns = _patterns(query, prefix)
        stmt = _built(_among, tuple(patterns), where[0])
        return list(conn.scalars(stmt, {**params, **patterns}))
    if conn.dialect.name != "sqlite":
        return _ranked(conn, _patterns(query, prefix, _PG_MARKS), where, exclude, limit)
    if short and prefix:
        source, match = "client_grams", _phrase("^" + query)
    elif short and len(query) == 2:
        source, match = "client_grams", _phrase(query)
    elif short:
        source, match = "client_grams", _phrase(query) + " *"
    else:
        source, match = "client_fts", _trigrams(needle)
    stmt = _statement(_indexed, source, where=where)
    return list(conn.scalars(stmt, {**params, "match": match, "needle": needle}))


def _prefix_words(where: Where) -> Any:
    """The prefix tier from ``client_words``, which answers "a word starts with" exactly.

    One statement: its first row counts the words, in the index alone, stopping at
    ``WORDS_CAP`` (from there matches are plentiful and the trigram index finds the first
    page sooner); the next rows are the clients. Two statements cost PostgreSQL a round trip
    more for every prefix that no word starts with, the usual case for Chinese text."""
    c = t.clients.c
    words = (
        select(_words.c.key)
        .where(_words.c.word >= bindparam("low"), _words.c.word < bindparam("high"))
        .limit(bindparam("words_cap"))
        .cte("words")
    )
    count = select(func.count()).select_from(words).scalar_subquery()
    few = count < bindparam("words_cap")  # evaluated once: past the cap, nothing is joined
    keys = select(words.c.key).where(few).distinct().subquery("keys")
    first = (
        select(c.id, keys.c.key)
        .select_from(keys)
        .join(t.clients, c.id == keys.c.key.op("&")(_ID_MASK))
        .where(_not_found(), *where)
        .order_by(keys.c.key)
        .limit(bindparam("limit"))
        .subquery("first")
    )
    head = select(count.label("n"), null().label("id"), literal_column("-1").label("key"))
    rows = union_all(head, select(null(), first.c.id, first.c.key)).subquery()
    return select(rows).order_by(rows.c.key)


def _among(names: tuple[str, ...], among: ColumnElement[bool]) -> Any:
    """The matches among a user's few clients, tested one by one."""
    c = t.clients.c
    return (
        select(c.id)
        .where(among, _not_found(), _condition(TERMS, c.name_grams, names))
        .order_by(func.length(c.name), c.id)
        .limit(bindparam("limit"))
    )


def _indexed(source: str, where: Where) -> Any:
    """SQLite: matches in rank order from an FTS5 table (``match``), rechecked (``needle``)."""
    c = t.clients.c
    index = _fts if source == "client_fts" else _grams
    text = index.c.terms if index is _fts else TERMS
    return (
        select(c.id)
        .select_from(index)
        .join(t.clients, c.id == index.c.rowid.op("&")(_ID_MASK))
        .where(index.c[source].match(bindparam("match")), func.instr(text, bindparam("needle")) > 0)
        .where(_not_found(), *where)
        .order_by(index.c.rowid)
        .limit(bindparam("limit"))
    )


#: PostgreSQL: the first ``n`` keys from ``start`` whose ``terms`` and/or ``grams`` match
#: (None: no condition), in rank order, read the cheap way for the data (migration 0013).
_NEXT = text(
    "SELECT client_search_next(CAST(:terms AS text), CAST(:grams AS text), "
    "CAST(:start AS bigint), CAST(:n AS integer), CAST(:walk AS integer), "
    "CAST(:walk_max AS integer), CAST(:fetch_cap AS integer))"
)


def _ranked(
    conn: Connection, patterns: dict[str, str], where: Where, exclude: Collection[int], limit: int
) -> list[int]:
    """PostgreSQL: the first ``limit`` matches in rank order, read the cheap way for the data.

    ``client_search_next`` walks ``WALK`` rows in rank order (a query that most names match
    is done there). Where those hold no match it fetches every match through the trigram
    indexes, up to ``FETCH_CAP``, and sorts them (a rare query is done there). A query with
    more matches, none among the shortest names, goes on one name length at a time: walking
    on where the last rows held matches, fetching the rest of the length through its
    partition's index where they held none. It reads ``client_search`` alone, in one round
    trip. ``where`` is then checked on its matches, and more are asked for from the last one
    until the page is full: four pages' worth at first, then twice as many each time, at most
    ``CHECKED`` (a director who may read a tenth of the clients gets 27,000 matches of 公司
    from one name length, and one statement over all of them took 250 ms).
    """
    c = t.clients.c
    skip = set(exclude)
    # one statement for every chunk, its ids as one array: the text never changes, so the
    # driver prepares it once (a list of ids as parameters was parsed and planned each time)
    readable = select(c.id).where(_AMONG["postgresql"], *where) if where else None
    params = {"terms": None, "grams": None, **patterns}
    params |= {"walk": WALK, "walk_max": WALK * 32, "fetch_cap": FETCH_CAP}
    found: list[int] = []
    start, wanted = 0, limit + len(skip)
    if readable is not None:
        wanted = min(CHECKED, wanted * 4)
    while True:
        keys = conn.scalar(_NEXT, {**params, "start": start, "n": wanted}) or []
        ids = [i for i in (k & _ID_MASK for k in keys) if i not in skip]
        if readable is not None and ids:
            shown = set(conn.scalars(readable, {"among": ids}))
            ids = [i for i in ids if i in shown]
        found.extend(ids[: limit - len(found)])
        if len(found) >= limit or len(keys) < wanted:
            return found
        start = keys[-1] + 1
        wanted = min(CHECKED, wanted * 2)
