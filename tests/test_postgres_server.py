"""The throw-away PostgreSQL server that the suite relies on really works.

pg_trgm is checked on Chinese text because it classifies characters with the cluster's ctype
locale: under a plain ``C`` locale, CJK characters are not "alphanumeric" and every Chinese
name would yield no trigrams, silently breaking fuzzy client search.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from crmcore.testing import postgres


def _skip_or_fail_without_binaries() -> None:
    """CI sets CRM_REQUIRE_POSTGRES so that a missing server cannot pass as a skip."""
    if postgres.find_bindir() is not None:
        return
    message = "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found"
    if postgres.postgres_required():
        pytest.fail(
            f"{message}, and {postgres.REQUIRE_ENV} is set: install PostgreSQL", pytrace=False
        )
    pytest.skip(message)


def test_cluster_template_copy_and_chinese_trigrams() -> None:
    _skip_or_fail_without_binaries()
    with postgres.ThrowawayPostgres() as server:
        root = server.data_dir.parent
        template_url = postgres.create_database(server.url, "crm_template")
        engine = sa.create_engine(template_url)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE EXTENSION pg_trgm"))
            conn.execute(sa.text("CREATE TABLE client (name text)"))
            conn.execute(sa.text("INSERT INTO client VALUES ('中国电信股份有限公司')"))
        engine.dispose()  # a template with open sessions cannot be copied

        copy_url = postgres.create_database(server.url, "crm_copy", template="crm_template")
        engine = sa.create_engine(copy_url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT name FROM client")) == "中国电信股份有限公司"
            # '  中', ' 中国', '中国电', '国电信', '电信 '
            assert len(conn.scalar(sa.text("SELECT show_trgm('中国电信')"))) == 5
            similarity = conn.scalar(sa.text("SELECT similarity(name, '中国电信') FROM client"))
            assert 0.3 < similarity < 1

        leftover = engine.connect()  # a test that forgot to close must not block the drop
        postgres.drop_database(server.url, "crm_copy")
        leftover.invalidate()
        engine.dispose()
        with sa.create_engine(server.url).connect() as admin:
            names = admin.scalars(sa.text("SELECT datname FROM pg_database")).all()
        assert "crm_copy" not in names
        assert "crm_template" in names
    assert not root.exists()


def test_a_server_runs_with_the_settings_it_is_given() -> None:
    """A benchmark sizes its server's memory like a production one (bench/search.py)."""
    _skip_or_fail_without_binaries()
    with postgres.ThrowawayPostgres(settings={"work_mem": "'12MB'"}) as server:
        engine = sa.create_engine(server.url)
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SHOW work_mem")) == "12MB"
            assert conn.scalar(sa.text("SHOW fsync")) == "off"  # the test settings stay
        engine.dispose()
