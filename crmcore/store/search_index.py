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

PostgreSQL: pg_trgm GIN indexes on ``TERMS`` and ``name_grams`` and a B-tree on
``(length(name), id)``, all maintained by PostgreSQL itself; :func:`add` and :func:`remove`
do nothing there.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from operator import itemgetter

from sqlalchemy import ColumnElement, Select, and_, column, func, literal_column, select, table
from sqlalchemy.engine import Connection

from crmcore.store import tables as t

#: The searched text, as SQL. The PostgreSQL index in migration 0003_search is on exactly this
#: expression; change both together.
TERMS_SQL = "(' ' || lower(clients.name) || ' ' || coalesce(clients.name_pinyin, ''))"
TERMS: ColumnElement[str] = literal_column(TERMS_SQL)

_ID_BITS = 32
_ID_MASK = (1 << _ID_BITS) - 1

_fts = table("client_fts", column("rowid"), column("client_fts"), column("terms"))
_grams = table("client_grams", column("rowid"), column("client_grams"))
_words = table("client_words", column("word"), column("key"))

#: SQLite: from this many words starting with the query, the prefix tier reads the trigram
#: index in rank order instead (matches are then plentiful, so it stops at the first page);
#: below it, ``client_words`` gives every match, few enough to sort.
WORDS_CAP = 2_000
#: Sorts after every text that starts with the query, so ``[q, q + _LAST)`` is "starts with q".
_LAST = "\U0010ffff"

#: (id, name, name_pinyin, name_grams) of one client, as the index needs it.
Entry = tuple[int, str, str | None, str | None]


def key(client_id: int, name: str) -> int:
    """The FTS rowid: shorter names sort first, then older clients."""
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


def add(conn: Connection, entries: Iterable[Entry]) -> None:
    """Index new or changed clients (SQLite; PostgreSQL's indexes follow the table)."""
    if conn.dialect.name != "sqlite":
        return
    _insert(conn, entries, TABLES)


def _insert(conn: Connection, entries: Iterable[Entry], tables: Collection[str]) -> None:
    terms, grams, words = _documents(entries)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    if terms and "client_fts" in tables:
        cursor.executemany("INSERT INTO client_fts(rowid, terms) VALUES (?, ?)", terms)
    if grams and "client_grams" in tables:
        cursor.executemany("INSERT INTO client_grams(rowid, grams) VALUES (?, ?)", grams)
    if words and "client_words" in tables:
        cursor.executemany("INSERT INTO client_words(word, key) VALUES (?, ?)", words)


def remove(conn: Connection, entries: Iterable[Entry]) -> None:
    """Unindex clients as they were (the contentless ``client_grams`` needs the old text)."""
    if conn.dialect.name != "sqlite":
        return
    terms, grams, words = _documents(entries)
    if terms:
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cursor.executemany("DELETE FROM client_fts WHERE rowid = ?", [(k,) for k, _ in terms])
        cursor.executemany(
            "INSERT INTO client_grams(client_grams, rowid, grams) VALUES ('delete', ?, ?)", grams
        )
        cursor.executemany("DELETE FROM client_words WHERE word = ? AND key = ?", words)


def rebuild(conn: Connection) -> None:
    """Index every client afresh (to repair, or after clients were written behind the
    services' back)."""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("DELETE FROM client_fts")
    conn.exec_driver_sql("INSERT INTO client_grams(client_grams) VALUES ('delete-all')")
    conn.exec_driver_sql("DELETE FROM client_words")
    fill(conn, TABLES)


def fill(conn: Connection, tables: Collection[str], *, batch: int = 20_000) -> None:
    """Index every client into the empty ``tables`` (a migration names the ones it makes)."""
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
        _insert(conn, [tuple(r) for r in rows], tables)  # type: ignore[misc]
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


def _few_words(conn: Connection, query: str) -> bool:
    """Whether fewer than ``WORDS_CAP`` words start with ``query`` (an index-only count that
    stops at the cap)."""
    head = (
        select(literal_column("1"))
        .select_from(_words)
        .where(_words.c.word >= query, _words.c.word < query + _LAST)
        .limit(WORDS_CAP)
        .subquery()
    )
    return conn.scalar(select(func.count()).select_from(head)) < WORDS_CAP


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: PostgreSQL: how many of the shortest names a one-character query reads first (see :func:`matches`).
HEAD = 5_000


def matches(
    conn: Connection, query: str, *, prefix: bool, where: Sequence[ColumnElement[bool]]
) -> list[Select[tuple[int]]]:
    """Ids of clients whose name or pinyin starts with (``prefix``) or contains ``query``.

    ``query`` is normalised (``normalise_query``). The ids come shortest name first, so the
    caller's LIMIT stops the scan early; ``where`` adds conditions on ``clients`` (access).
    On SQLite a prefix that fewer than ``WORDS_CAP`` words start with is answered from
    ``client_words`` (this asks the B-tree first).
    The result is a list of attempts, each giving the same first ids: run them in order until
    one fills the caller's LIMIT, or the last. On PostgreSQL a one-character query first looks
    only among the ``HEAD`` shortest names, read in order from the B-tree on
    ``(length(name), id)``: most one-character queries match thousands of names and are
    answered there in a few milliseconds, where the grams index would fetch and sort every
    match (p50 28 ms against 1,331 ms on 1M clients). For two characters and more the head
    attempt costs more than it saves (its own read of the B-tree, and a second query when it
    comes up short), so those get the single statement and the planner's choice
    (docs/performance.md, "Search on PostgreSQL").
    """
    c = t.clients.c
    needle = " " + query if prefix else query
    short = len(needle) < 3  # below the trigram length: use the grams
    if conn.dialect.name == "sqlite":
        if prefix and not short and _few_words(conn, query):
            keys = (
                select(_words.c.key)
                .where(_words.c.word >= query, _words.c.word < query + _LAST)
                .distinct()
                .subquery()
            )
            return [
                select(c.id)
                .select_from(keys)
                .join(t.clients, c.id == keys.c.key.op("&")(_ID_MASK))
                .where(*where)
                .order_by(keys.c.key)
            ]
        if short and prefix:
            source, match = _grams, _phrase("^" + query)
        elif short and len(query) == 2:
            source, match = _grams, _phrase(query)
        elif short:
            source, match = _grams, _phrase(query) + " *"
        else:
            source, match = _fts, _trigrams(needle)
        text = source.c.terms if source is _fts else TERMS
        return [
            select(c.id)
            .select_from(source)
            .join(t.clients, c.id == source.c.rowid.op("&")(_ID_MASK))
            .where(
                source.c[source.name].match(match),
                func.instr(text, needle) > 0,
                *where,
            )
            .order_by(source.c.rowid)
        ]
    if short:
        token = f"^{query} " if prefix else (f"{query} " if len(query) == 2 else query)
        condition = c.name_grams.like(f"% {_like(token)}%", escape="\\")
        if len(query) == 1 and not prefix:
            condition = and_(condition, TERMS.like(f"%{_like(query)}%", escape="\\"))
    else:
        condition = TERMS.like(f"%{_like(needle)}%", escape="\\")
    everywhere = select(c.id).where(condition, *where).order_by(func.length(c.name), c.id)
    if len(query) > 1:
        return [everywhere]
    shortest = t.clients.alias("shortest")
    head = (
        select(shortest.c.id)
        .order_by(func.length(shortest.c.name), shortest.c.id)
        .limit(HEAD)
        .cte("head")
        .prefix_with("MATERIALIZED")
    )
    return [everywhere.where(c.id.in_(select(head.c.id))), everywhere]
