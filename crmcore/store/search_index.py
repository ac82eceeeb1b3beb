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
matches through the index of one length (partition) at a time, where they are few.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, and_, column, func, literal_column, select, table, true
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
_search = table("client_search", column("key"), column("terms"), column("grams"))

#: From this many words starting with the query, the prefix tier reads the trigram index
#: instead (matches are then plentiful, so it stops at the first page); below it,
#: ``client_words`` gives every match, few enough to sort.
WORDS_CAP = 2_000
#: Sorts after every text that starts with the query, so ``[q, q + _LAST)`` is "starts with q".
_LAST = "\U0010ffff"

#: PostgreSQL: rows read in rank order before judging whether a query is common there.
WALK = 200
#: PostgreSQL: at most this many matches are fetched through the trigram index at once;
#: a query with more is common enough that walking the rank order finds the first page.
FETCH_CAP = 500
#: A user who may read at most this many clients has them tested one by one (:func:`find`).
SCOPE_CAP = 2_000
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


def _phrase(text: str) -> str:
    """An FTS5 string literal: the text matched as it is, whatever it contains."""
    return '"' + text.replace('"', '""') + '"'


def _trigrams(text: str) -> str:
    """An FTS5 query for a text of 3+ characters under ``detail=none`` (which has no phrases):
    the text's trigrams side by side, and the last one, all required; ``instr`` rechecks."""
    starts = [*range(0, len(text) - 2, 3), len(text) - 3]
    return " ".join(_phrase(text[i : i + 3]) for i in dict.fromkeys(starts))


def _starting(query: str) -> list[ColumnElement[bool]]:
    return [_words.c.word >= query, _words.c.word < query + _LAST]


def _few_words(conn: Connection, query: str) -> bool:
    """Whether fewer than ``WORDS_CAP`` words start with ``query`` (an index-only count that
    stops at the cap)."""
    head = select(literal_column("1")).select_from(_words).where(*_starting(query))
    return conn.scalar(select(func.count()).select_from(head.limit(WORDS_CAP).subquery())) < (
        WORDS_CAP
    )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find(
    conn: Connection,
    query: str,
    *,
    prefix: bool,
    where: Sequence[ColumnElement[bool]],
    limit: int,
    broad: bool = True,
) -> list[int]:
    """Ids of the first ``limit`` clients whose name or pinyin starts with (``prefix``) or
    contains ``query``, shortest name first, then oldest.

    ``query`` is normalised (``normalise_query``); ``where`` adds conditions on ``clients``
    (access, clients already found). A prefix that fewer than ``WORDS_CAP`` words start with
    is answered from ``client_words`` on both backends (this asks the B-tree first).
    ``broad``: ``where`` admits most clients (an actor who may read them all). Otherwise, when
    ``where`` admits at most ``SCOPE_CAP`` clients (an account manager's own), those are read
    first and tested one by one: reading the index in rank order would pass over most of the
    table to reach them (PostgreSQL, 1M clients: p50 50-120 ms against a few ms).
    """
    c = t.clients.c
    needle = " " + query if prefix else query
    short = len(needle) < 3  # below the trigram length: use the grams
    if prefix and not short and _few_words(conn, query):
        keys = select(_words.c.key).where(*_starting(query)).distinct().subquery()
        return list(
            conn.scalars(
                select(c.id)
                .select_from(keys)
                .join(t.clients, c.id == keys.c.key.op("&")(_ID_MASK))
                .where(*where)
                .order_by(keys.c.key)
                .limit(limit)
            )
        )
    if not broad:
        mine = conn.scalars(select(c.id).where(*where).limit(SCOPE_CAP + 1)).all()
        if len(mine) <= SCOPE_CAP:
            return list(
                conn.scalars(
                    select(c.id)
                    .where(c.id.in_(mine), _condition(query, prefix, TERMS, c.name_grams))
                    .order_by(func.length(c.name), c.id)
                    .limit(limit)
                )
            )
    if conn.dialect.name != "sqlite":
        s = _search.c
        condition = _condition(query, prefix, s.terms, s.grams, _PG_MARKS)
        return _ranked(conn, condition, where, limit)
    if short and prefix:
        source, match = _grams, _phrase("^" + query)
    elif short and len(query) == 2:
        source, match = _grams, _phrase(query)
    elif short:
        source, match = _grams, _phrase(query) + " *"
    else:
        source, match = _fts, _trigrams(needle)
    text = source.c.terms if source is _fts else TERMS
    return list(
        conn.scalars(
            select(c.id)
            .select_from(source)
            .join(t.clients, c.id == source.c.rowid.op("&")(_ID_MASK))
            .where(source.c[source.name].match(match), func.instr(text, needle) > 0, *where)
            .order_by(source.c.rowid)
            .limit(limit)
        )
    )


def _condition(
    query: str,
    prefix: bool,
    terms: ColumnElement[str],
    grams: ColumnElement[str],
    marks: dict[int, str] | None = None,
) -> ColumnElement[bool]:
    """The match as LIKE on the searched text and grams (PostgreSQL's trigram indexes answer
    it; on a few clients it needs no index). ``marks``: how the grams store ``^`` and ``$``."""
    needle = " " + query if prefix else query
    if len(needle) >= 3:
        return terms.like(f"%{_like(needle)}%", escape="\\")
    token = f"^{query} " if prefix else (f"{query} " if len(query) == 2 else query)
    condition = grams.like(f"% {_like(token.translate(marks or {}))}%", escape="\\")
    if len(query) == 1 and not prefix:
        condition = and_(condition, terms.like(f"%{_like(query)}%", escape="\\"))
    return condition


def _ranked(
    conn: Connection,
    condition: ColumnElement[bool],
    where: Sequence[ColumnElement[bool]],
    limit: int,
) -> list[int]:
    """PostgreSQL: the first ``limit`` matches in rank order, read the cheap way for the data.

    It walks ``WALK`` rows in rank order (a query that most names match is done there). Where
    those hold no match it fetches every match through the trigram indexes, up to
    ``FETCH_CAP``, and sorts them (a rare query is done there). A query with more matches, none
    among the shortest names, goes on one name length at a time: walking on where the last
    rows held matches, fetching the rest of the length through its partition's index where
    they held none.
    """
    s, c = _search.c, t.clients.c
    found: list[int] = []

    def walk(start: int, rows: int) -> tuple[int | None, bool]:
        """The next ``rows`` rows from ``start``: (where to go on, or None at the end; whether
        any readable one matched). Access is checked on the matches only, not on every row."""
        got = conn.execute(
            select(s.key, condition).where(s.key >= start).order_by(s.key).limit(rows)
        ).all()
        hits = [k & _ID_MASK for k, matched in got if matched]
        if hits:
            readable = set(conn.scalars(select(c.id).where(c.id.in_(hits), *where)))
            hits = [i for i in hits if i in readable]
        found.extend(hits[: limit - len(found)])
        return (got[-1][0] + 1 if len(got) == rows else None), bool(hits)

    def fetch(start: int, end: int | None, cap: int | None) -> bool:
        """Every match from ``start`` (to ``end``) through the index, sorted; False if there
        were ``cap`` or more, and then nothing is taken."""
        bounds = [s.key >= start] + ([s.key < end] if end is not None else [])
        matched = (
            select(s.key).where(condition, *bounds).limit(cap).cte().prefix_with("MATERIALIZED")
        )  # the index's matches first, never the planner's walk of the whole table
        got = conn.execute(
            select(matched.c.key, and_(true(), *where)).select_from(
                matched.join(t.clients, c.id == matched.c.key.op("&")(_ID_MASK))
            )
        ).all()
        if cap is not None and len(got) >= cap:
            return False
        hits = sorted(k for k, readable in got if readable)
        found.extend(k & _ID_MASK for k in hits[: limit - len(found)])
        return True

    after, dense = walk(0, WALK)
    if len(found) >= limit or after is None or (not dense and fetch(after, None, FETCH_CAP)):
        return found
    while len(found) < limit and after is not None:
        if dense:
            after, dense = walk(after, WALK * 4)
            continue
        end = ((after >> _ID_BITS) + 1) << _ID_BITS
        fetch(after, end, None)
        if len(found) < limit:
            after, dense = walk(end, WALK)
    return found
