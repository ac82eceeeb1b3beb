"""Schema migrations on both backends: the chain 0001_core -> 0002_workflows -> 0003_search ->
0004_security -> 0005_classification matches tables.py, and a database made before the
confidentiality issue (at 0003_search, with clients) upgrades in place with ``crm db upgrade`` and keeps working: search
still finds its clients, the records get the default level (CORE-CONF-1), the key file for seals
and ID numbers is created, and the audit trail verifies."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal as D
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from crmcore import Crm, NewClient
from crmcore.domain.search_terms import name_terms
from crmcore.security import keys
from crmcore.settings import key_file_path
from crmcore.store import metadata, migrate, search_index, tables
from crmcore.store.engine import WRITE, make_engine

BEFORE_SECURITY = "0003_search"

#: Objects the migrations create on purpose outside tables.py (search indexes per backend).
_OUTSIDE_METADATA = {
    "client_fts",
    "client_grams",
    "client_words",
    "client_search",
    "ix_clients_search_terms",
    "ix_clients_search_grams",
    "ix_clients_name_length",
}


@pytest.fixture
def empty_url(crm_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database with nothing in it, on the backend under test."""
    if crm_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    from crmcore.testing import postgres

    admin = request.getfixturevalue("postgres_admin_url")
    name = f"crm_mig_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(admin, name)
    try:
        yield url
    finally:
        postgres.drop_database(admin, name)


def _migrate(
    url: str, target: str, *, down: bool = False, plugins: dict[str, Path] | None = None
) -> None:
    keys.ensure(key_file_path())  # 0004 seals the trail, as `crm db upgrade` does
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(**{WRITE: True}) as conn, conn.begin():
            cfg = migrate._config(conn, plugins or {})
            (command.downgrade if down else command.upgrade)(cfg, target)
    finally:
        engine.dispose()


def _insert(conn: sa.Connection, table: str, **values: object) -> None:
    """An INSERT naming only ``values``' columns, typed as tables.py types them (the table
    may lack columns that later revisions add)."""
    real = metadata.tables[table]
    light = sa.table(table, *(sa.column(name, real.c[name].type) for name in values))
    conn.execute(light.insert().values(**values))


def _insert_client(conn: sa.Connection, code: str, name: str, now: datetime) -> None:
    """A client owned by user 1, with the columns every revision has."""
    pinyin, grams = name_terms(name)
    _insert(
        conn,
        "clients",
        code=code,
        name=name,
        status="active",
        profile={},
        owner_id=1,
        version=1,
        created_at=now,
        updated_at=now,
        created_by=1,
        name_pinyin=pinyin,
        name_grams=grams,
    )


def _old_database(url: str) -> None:
    """What a database made before issue 4 holds: an admin, two clients, a contact."""
    _migrate(url, BEFORE_SECURITY)
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            _insert(conn, "users", login="admin", name="Administrator", active=True, created_at=now)
            _insert(conn, "user_roles", user_id=1, role="admin")
            for code, name in (
                ("C000001", "中国电信股份有限公司广州分公司"),
                ("C000002", "甲公司"),
            ):
                _insert_client(conn, code, name, now)
            _insert(
                conn,
                "contacts",
                client_id=1,
                name="王经理",
                phone="13800000000",
                profile={},
                active=True,
                created_at=now,
                created_by=1,
            )
            _insert(conn, "counters", name="client_code", value=2)
            if engine.dialect.name == "sqlite":
                search_index.fill(conn, ("client_fts", "client_grams"))  # what 0003 made
    finally:
        engine.dispose()


def _core_object(obj: object, name: str | None, type_: str, *_: object) -> bool:
    """Core objects only: plugin tests earlier in the session leave their tables in the
    shared metadata, and this database has only the core's migrations."""
    if name in _OUTSIDE_METADATA:
        return False
    return type_ != "table" or name in CORE_TABLES


CORE_TABLES = {v.name for v in vars(tables).values() if isinstance(v, sa.Table)}


def test_the_migration_chain_builds_exactly_the_tables_of_tables_py(empty_url):
    _migrate(empty_url, "crmcore@head")
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": _core_object,
                },
            )
            assert context.get_current_heads() == (migrate.core_head(),)
            diff = [d for d in compare_metadata(context, metadata) if not _fts_shadow(d)]
    finally:
        engine.dispose()
    assert diff == []
    assert migrate.core_head() == "0014_audit_chain_append"


def _fts_shadow(difference: object) -> bool:
    """FTS5's own shadow tables (client_fts_data, ...) on SQLite."""
    table = difference[1] if isinstance(difference, tuple) and len(difference) > 1 else None
    name = getattr(table, "name", "")
    return name.startswith(("client_fts_", "client_grams_"))


def test_empty_database_downgrades_below_security_and_up_again(empty_url):
    _migrate(empty_url, "crmcore@head")
    _migrate(empty_url, BEFORE_SECURITY, down=True)
    engine = make_engine(empty_url)
    with engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("clients")}
    engine.dispose()
    assert "clearance" not in columns and "name_pinyin" in columns
    _migrate(empty_url, "crmcore@head")


def test_crm_db_upgrade_from_before_security_keeps_clients_searchable(
    empty_url, tmp_path, monkeypatch, cli
):
    _old_database(empty_url)
    keys = tmp_path / "fresh-keys.json"
    monkeypatch.setenv("CRM_KEY_FILE", str(keys))
    upgraded = cli("--db", empty_url, "db", "upgrade", "--json")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert '"current": "0014_audit_chain_append"' in upgraded.stdout
    assert keys.exists()  # the upgrade brings seals and ID numbers: their key file is made
    with Crm.open(empty_url) as crm:
        admin = crm.actor("admin")
        found = crm.clients.search(admin, "dianxin")
        assert [c.code for c in found] == ["C000001"]
        assert found[0].clearance.label == "confidential"  # the default level, CORE-CONF-1
        assert [c.code for c in crm.clients.search(admin, "甲")] == ["C000002"]
        added = crm.clients.add(admin, NewClient(name="广州恒达电子科技有限公司"))
        assert added.code == "C000003"
        assert [c.phone for c in crm.contacts.list(admin, "C000001")] == ["13800000000"]
        result = crm.audit.verify(admin)
        assert result.ok, result.problem
        assert result.sealed > 0


def test_realestate_0004_upgrades_in_place_and_goes_back(empty_url):
    """RE-TICKET-1, RE-RENAME-1, RE-REL-1: realestate_0004 upgrades a database at realestate_0003 in
    place (its rows stay), builds what tables.py declares, and downgrades to 0003 again."""
    import crmcore_realestate.tables  # noqa: F401  (its tables join the shared metadata)
    from crmcore_realestate.plugin import crm_migrations

    plugins = {"realestate": crm_migrations()}
    new = {
        "realestate_signatures",
        "realestate_rename_terms",
        "realestate_relation_prices",
        "realestate_relation_payments",
    }
    _migrate(empty_url, "realestate_0003", plugins=plugins)
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            _insert(conn, "users", login="admin", name="Administrator", active=True, created_at=now)
            _insert(
                conn,
                "realestate_projects",
                code="HY1",
                name="和园一期",
                recorded_at=now,
                recorded_by=1,
            )
            assert not new & set(sa.inspect(conn).get_table_names())
        _migrate(empty_url, "realestate_0004", plugins=plugins)
        with engine.connect() as conn:
            assert new <= set(sa.inspect(conn).get_table_names())
            assert conn.exec_driver_sql("SELECT code FROM realestate_projects").scalar() == "HY1"
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(context, metadata) if _names_any(d, new)]
        assert diff == []
        _migrate(empty_url, "realestate_0003", down=True, plugins=plugins)
        with engine.connect() as conn:
            assert not new & set(sa.inspect(conn).get_table_names())
            assert conn.exec_driver_sql("SELECT code FROM realestate_projects").scalar() == "HY1"
    finally:
        engine.dispose()


def test_realestate_0005_upgrades_in_place_and_goes_back(empty_url):
    """RE-PRICE-5, RE-TEAM-1: realestate_0005 upgrades a database at realestate_0004 in place (a
    price analysis made before keeps its cost and retail reference, with no input versions),
    builds what tables.py declares, and downgrades to 0004 again."""
    import crmcore_realestate.deals.tables
    import crmcore_realestate.tables  # noqa: F401  (its tables join the shared metadata)
    from crmcore_realestate.plugin import crm_migrations

    plugins = {"realestate": crm_migrations()}
    new = {"realestate_deal_price_inputs", "realestate_deal_pledges"}
    added = {"cost_input_id", "retail_input_id"}
    _migrate(empty_url, "realestate_0004", plugins=plugins)
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    engine = make_engine(empty_url)
    analyses = "realestate_deal_price_analyses"
    try:
        with engine.begin() as conn:
            _insert(conn, "users", login="admin", name="Administrator", active=True, created_at=now)
            _insert_client(conn, "KA1", "甲公司", now)
            _insert(
                conn,
                analyses,
                project_code="HY1",
                client_id=1,
                stage="listing",
                comparable_price=D("12500"),
                unit_cost=D("6800"),
                retail_reference=D("12000"),
                blind_reference=D("10000"),
                cost_plus_reference=D("8840"),
                references_policy={},
                average_price=D("9800"),
                payment_ratio=D("60"),
                recorded_at=now,
                recorded_by=1,
            )
            assert not new & set(sa.inspect(conn).get_table_names())
        _migrate(empty_url, "realestate_0005", plugins=plugins)
        with engine.connect() as conn:
            assert new <= set(sa.inspect(conn).get_table_names())
            assert added <= {c["name"] for c in sa.inspect(conn).get_columns(analyses)}
            row = conn.exec_driver_sql(
                f"SELECT project_code, cost_input_id, retail_input_id FROM {analyses}"
            ).one()
            assert tuple(row) == ("HY1", None, None)
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = [d for d in compare_metadata(context, metadata) if _names_any(d, new | added)]
        assert diff == []
        _migrate(empty_url, "realestate_0004", down=True, plugins=plugins)
        with engine.connect() as conn:
            assert not new & set(sa.inspect(conn).get_table_names())
            assert not added & {c["name"] for c in sa.inspect(conn).get_columns(analyses)}
            assert conn.exec_driver_sql(f"SELECT project_code FROM {analyses}").scalar() == "HY1"
    finally:
        engine.dispose()


def test_search_index_keeps_its_own_text_from_0006_and_gives_it_back_on_downgrade(
    empty_url, crm_backend
):
    """0006: a SQLite database whose ``client_fts`` is contentless (made before 0006) gets an
    index that keeps its text, and a downgrade makes it contentless again; PostgreSQL's indexes
    are untouched. On both, searches and renames find the right clients throughout."""
    sqlite = crm_backend == "sqlite"
    _old_database(empty_url)
    if sqlite:
        with _connection(empty_url) as conn:  # the table as 0003 made it before 0006 existed
            conn.exec_driver_sql("DROP TABLE client_fts")
            conn.exec_driver_sql(_CONTENTLESS_FTS)
            search_index.fill(conn, ("client_fts",))
    _migrate(empty_url, "crmcore@head")
    if sqlite:
        assert "content=''" not in _fts_sql(empty_url)
    with Crm.open(empty_url) as crm:
        admin = crm.actor("admin")
        assert [c.code for c in crm.clients.search(admin, "dianxin")] == ["C000001"]
        crm.clients.edit(admin, "C000001", {"name": "广州恒达电子科技有限公司"})
        assert crm.clients.search(admin, "dianxin") == []
        assert [c.code for c in crm.clients.search(admin, "hengda")] == ["C000001"]
    _migrate(empty_url, "0005_classification", down=True)
    if sqlite:
        assert _fts_sql(empty_url) == _CONTENTLESS_FTS
        with _connection(empty_url) as conn:
            found = conn.exec_driver_sql(
                "SELECT rowid & 4294967295 FROM client_fts WHERE client_fts MATCH ?",
                ('"hen" "gda"',),
            ).scalars()
            assert list(found) == [1]
    _migrate(empty_url, "crmcore@head")
    with Crm.open(empty_url) as crm:
        assert [c.code for c in crm.clients.search(crm.actor("admin"), "hengda")] == ["C000001"]


def test_postgresql_search_tables_are_built_for_existing_clients_by_0008_and_dropped_on_downgrade(
    empty_url, crm_backend
):
    """0008: on PostgreSQL a database with clients gets ``client_search`` (a row per client,
    keyed by name length then id) and ``client_words``, and search finds the clients through
    them; a downgrade brings back 0003's indexes on ``clients``. SQLite keeps its own tables."""
    _old_database(empty_url)
    _migrate(empty_url, "0007_search_words")
    _migrate(empty_url, "crmcore@head")
    with Crm.open(empty_url) as crm:
        admin = crm.actor("admin")
        assert [c.code for c in crm.clients.search(admin, "zhongguo")] == ["C000001"]
        assert [c.code for c in crm.clients.search(admin, "电信")] == ["C000001"]
        assert [c.code for c in crm.clients.search(admin, "公司")] == ["C000002", "C000001"]
    with _connection(empty_url) as conn:
        names = set(sa.inspect(conn).get_table_names())
        if crm_backend == "sqlite":
            assert {"client_fts", "client_words"} <= names and "client_search" not in names
            return
        keys = conn.exec_driver_sql("SELECT key >> 32, key & 4294967295 FROM client_search")
        assert sorted(keys.all()) == [(3, 2), (15, 1)]
    _migrate(empty_url, "0007_search_words", down=True)
    with _connection(empty_url) as conn:
        assert not {"client_search", "client_words"} & set(sa.inspect(conn).get_table_names())
        indexes = conn.exec_driver_sql("SELECT indexname FROM pg_indexes").scalars().all()
        assert {"ix_clients_search_terms", "ix_clients_name_length"} <= set(indexes)


def test_word_index_is_built_for_existing_clients_by_0007_and_dropped_on_downgrade(
    empty_url, crm_backend
):
    """0007: a database with clients gets ``client_words`` filled with their words (SQLite),
    so a prefix search finds them through it; a downgrade drops it. PostgreSQL is untouched."""
    _old_database(empty_url)
    _migrate(empty_url, "0006_search_text")
    _migrate(empty_url, "crmcore@head")
    with Crm.open(empty_url) as crm:
        assert [c.code for c in crm.clients.search(crm.actor("admin"), "zhongguo")] == ["C000001"]
    if crm_backend != "sqlite":
        return
    with _connection(empty_url) as conn:
        words = conn.exec_driver_sql("SELECT word, key & 4294967295 FROM client_words").all()
    assert ("zhongguodianxingufenyouxiangongsiguangzhoufengongsi", 1) in words
    assert ("甲公司", 2) in words
    _migrate(empty_url, "0006_search_text", down=True)
    with _connection(empty_url) as conn:
        assert "client_words" not in sa.inspect(conn).get_table_names()


_CONTENTLESS_FTS = (
    "CREATE VIRTUAL TABLE client_fts USING fts5("
    "terms, content='', detail='none', tokenize='trigram')"
)


@contextmanager
def _connection(url: str) -> Iterator[sa.Connection]:
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            yield conn
    finally:
        engine.dispose()


def _names_any(difference: object, names: set[str]) -> bool:
    return any(name in repr(difference) for name in names)


def _fts_sql(url: str) -> str:
    with _connection(url) as conn:
        return conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'client_fts'"
        ).scalar_one()


def test_0010_keeps_the_trail_whole_append_only_and_unforkable_both_ways(empty_url):
    """0010 drops the unique constraint on ``audit_events.hash`` (look-up records wrote a page
    of a random-key index per row). On SQLite the table is rebuilt: its events must survive
    and verify, its append-only triggers must come back, and ``seq`` and ``prev_hash`` must
    still refuse a second event after the same one (CORE-CONF-2), after upgrade and downgrade."""
    from crmcore.audit import GENESIS, _hashed_part, chain_hash, verify

    _migrate(empty_url, "0009_client_custodian_index")
    now = datetime(2026, 11, 1, 2, 0, tzinfo=UTC)
    events, prev = [], GENESIS
    for seq in (1, 2, 3):
        row = dict(seq=seq, at=now, actor="admin", door="cli", action="client.get")
        row |= dict(entity="client", entity_id=f"C00000{seq}", client_id=seq, body="{}")
        row["prev_hash"], row["hash"] = prev, chain_hash(prev, _hashed_part(row))
        events.append(row)
        prev = row["hash"]
    engine = make_engine(empty_url)
    try:
        with engine.begin() as conn:
            for row in events:
                _insert(conn, "audit_events", **row)
        for target, down in (("crmcore@head", False), ("0009_client_custodian_index", True)):
            _migrate(empty_url, target, down=down)
            with engine.connect() as conn:
                check = verify(conn)
                assert (check.ok, check.events, check.head) == (True, 3, prev), check.problem
            for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events"):
                with pytest.raises(sa.exc.DBAPIError, match="append-only"), engine.begin() as c:
                    c.exec_driver_sql(statement)
            forged = dict(events[2], entity_id="forged", hash="f" * 64)
            after_event_2_again = forged | {"seq": 4}  # its prev_hash is taken by event 3
            third_again = forged | {"prev_hash": prev}  # follows the head, but as event 3
            for fork in (after_event_2_again, third_again):
                with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
                    _insert(conn, "audit_events", **fork)
    finally:
        engine.dispose()


def test_0011_walks_the_search_index_with_a_plan_made_once_and_downgrades_cleanly(
    empty_url, crm_backend
):
    """0011 (PostgreSQL): the search's walk becomes ``client_search_walk``, planned once per
    connection, and the trigram columns keep coarser statistics (planning took longer than
    running). Searches that walk and fetch find the same clients; the downgrade puts
    PostgreSQL's defaults back. SQLite's schema does not change."""
    _old_database(empty_url)
    _migrate(empty_url, "0010_audit_hash_not_unique")

    def schema() -> list[tuple[object, ...]]:
        with _connection(empty_url) as conn:
            if crm_backend == "sqlite":
                return list(conn.exec_driver_sql("SELECT name, sql FROM sqlite_master"))
            return list(
                conn.exec_driver_sql(
                    "SELECT p.proname, p.proconfig, a.attname, a.attstattarget "
                    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                    "LEFT JOIN pg_proc p ON p.proname = 'client_search_walk' "
                    "WHERE c.relname = 'client_search' AND a.attname IN ('terms', 'grams') "
                    "ORDER BY a.attname"
                )
            )

    before = schema()
    _migrate(empty_url, "crmcore@head")
    after = schema()
    if crm_backend == "sqlite":
        assert after == before
    else:
        assert [(r[0], r[1], r[3]) for r in after] == [
            ("client_search_walk", ["plan_cache_mode=force_generic_plan"], 10)
        ] * 2
    with Crm.open(empty_url) as crm:
        admin = crm.actor("admin")
        for name in ("北京甲电信科技有限公司", "乙电信服务部", "丙公司"):
            crm.clients.add(admin, NewClient(name=name, owner="admin"))
        # through the walk: the grams (2 characters), the text (pinyin), both (1 character)
        assert [c.name for c in crm.clients.search(admin, "电信")] == [
            "乙电信服务部",
            "北京甲电信科技有限公司",
            "中国电信股份有限公司广州分公司",
        ]
        assert [c.name for c in crm.clients.search(admin, "xinke")] == ["北京甲电信科技有限公司"]
        assert [c.name for c in crm.clients.search(admin, "甲")] == [
            "甲公司",
            "北京甲电信科技有限公司",
        ]
    _migrate(empty_url, "0010_audit_hash_not_unique", down=True)
    assert schema() == before


def _schema_names(url: str, backend: str, function: str) -> set[str]:
    """SQLite: every name in its schema; PostgreSQL: ``function``, if it exists."""
    query = (
        "SELECT name FROM sqlite_master"
        if backend == "sqlite"
        else f"SELECT proname FROM pg_proc WHERE proname = '{function}'"
    )
    with _connection(url) as conn:
        return set(conn.exec_driver_sql(query).scalars())


@contextmanager
def _adds_function(url: str, backend: str, previous: str, function: str) -> Iterator[None]:
    """A database from before issue 4 at ``previous``, upgraded to the head: on PostgreSQL the
    upgrade adds ``function`` and nothing else SQLite would see; after the body the
    downgrade to ``previous`` removes it."""
    _old_database(url)
    _migrate(url, previous)
    before = _schema_names(url, backend, function)
    _migrate(url, "crmcore@head")
    after = _schema_names(url, backend, function)
    assert after - before == (set() if backend == "sqlite" else {function})
    yield
    _migrate(url, previous, down=True)
    assert _schema_names(url, backend, function) == before


def test_0012_takes_the_chain_lock_and_head_in_one_call_and_downgrades_cleanly(
    empty_url, crm_backend
):
    """0012 (PostgreSQL): ``audit_chain_head`` takes the chain's lock, then reads its head.
    Writers racing for the head are tested in test_storage; here the chain keeps verifying
    across the upgrade and the downgrade, and SQLite's schema does not change."""
    from crmcore.audit import verify

    with (
        _adds_function(empty_url, crm_backend, "0011_search_walk_plan", "audit_chain_head"),
        Crm.open(empty_url) as crm,
    ):
        admin = crm.actor("admin")
        crm.clients.add(admin, NewClient(name="丁公司", owner="admin"))
        crm.clients.add(admin, NewClient(name="戊公司", owner="admin"))
        with crm.engine.connect() as conn:
            check = verify(conn, keyring=crm.keyring)
        assert check.ok and check.events >= 2, check.problem


def test_0013_finds_the_next_matches_in_one_call_and_downgrades_cleanly(empty_url, crm_backend):
    """0013 (PostgreSQL): ``client_search_next`` takes the search's steps inside the server.
    Search finds the same clients, in rank order, through it (test_search covers every way it
    reads); the downgrade removes it, and SQLite's schema does not change."""
    with (
        _adds_function(empty_url, crm_backend, "0012_audit_chain_head", "client_search_next"),
        Crm.open(empty_url) as crm,
    ):
        admin = crm.actor("admin")
        for name in ("北京己电信科技有限公司", "己电信服务部", "庚公司"):
            crm.clients.add(admin, NewClient(name=name, owner="admin"))
        assert [c.name for c in crm.clients.search(admin, "己电")] == [
            "己电信服务部",
            "北京己电信科技有限公司",
        ]


def test_0014_appends_events_in_one_call_and_downgrades_cleanly(empty_url, crm_backend):
    """0014 (PostgreSQL): ``audit_chain_append`` writes a transaction's events when the head
    is the expected one. Writers with a stale head are tested in test_storage; here the
    first events written through it (the process knows no head yet) chain and verify, the
    downgrade removes it, and SQLite's schema does not change."""
    from crmcore.audit import verify

    with (
        _adds_function(empty_url, crm_backend, "0013_search_next_matches", "audit_chain_append"),
        Crm.open(empty_url) as crm,
    ):
        admin = crm.actor("admin")
        crm.clients.add(admin, NewClient(name="辛公司", owner="admin"))
        assert [c.name for c in crm.clients.search(admin, "辛公司")] == ["辛公司"]
        with crm.engine.connect() as conn:
            check = verify(conn, keyring=crm.keyring)
        assert check.ok and check.events == 2, check.problem  # the client added, its look-up
