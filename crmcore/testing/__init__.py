"""pytest fixtures for crmcore and its plugins (a ``pytest11`` plugin: installed, it's active).

Every test that uses ``crm`` runs twice, on a real SQLite file and on a real PostgreSQL
database (a throw-away server is started when none is configured; see
``crmcore.testing.postgres``). Choose backends with ``CRM_TEST_BACKENDS=sqlite`` and the
plugins under test by overriding a fixture in your conftest::

    @pytest.fixture
    def crm_plugins() -> list[str]:
        return ["realestate"]

Fixtures: ``crm`` (an open Crm on a fresh database), ``admin`` (the admin actor),
``crm_url`` (that database's URL), ``cli`` (runs ``crm ...`` in-process against it),
``make_user``. Helpers: :func:`install_plugin` writes a throw-away plugin distribution onto
``sys.path``; :func:`check_plugin` is the validity check a plugin's own tests should call.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs
import pytest

if TYPE_CHECKING:
    from crmcore.app import Crm
    from crmcore.security.actors import Actor

BACKENDS_ENV = "CRM_TEST_BACKENDS"


def pytest_configure(config: pytest.Config) -> None:
    """Keep tests away from the user's key file and state directory.

    Unless the environment names them, a session gets its own key file (created by the first
    ``crm init``) and its own directory for audit checkpoints of server databases.
    """
    import tempfile

    from crmcore.settings import KEY_FILE_ENV, STATE_DIR_ENV

    if KEY_FILE_ENV not in os.environ or STATE_DIR_ENV not in os.environ:
        scratch = Path(tempfile.mkdtemp(prefix="crm-test-secrets-"))
        os.environ.setdefault(KEY_FILE_ENV, str(scratch / "keys.json"))
        os.environ.setdefault(STATE_DIR_ENV, str(scratch / "state"))
        config.add_cleanup(lambda: shutil.rmtree(scratch, ignore_errors=True))


def _backends() -> list[str]:
    value = os.environ.get(BACKENDS_ENV, "sqlite,postgresql")
    return [b.strip() for b in value.split(",") if b.strip()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "crm_backend" in metafunc.fixturenames:
        metafunc.parametrize("crm_backend", _backends(), scope="session")


# -- servers and templates --------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An admin URL of a PostgreSQL server that may create databases."""
    from crmcore.testing import postgres

    given = os.environ.get(postgres.URL_ENV)
    if given:
        yield given
        return
    if postgres.find_bindir() is None:
        message = (
            "no PostgreSQL server binaries found (install postgresql or set CRM_TEST_POSTGRES_URL)"
        )
        if postgres.postgres_required():
            pytest.fail(message)
        pytest.skip(message)
    server = postgres.ThrowawayPostgres()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@attrs.define
class _Templates:
    """Migrated, plugin-enabled databases made once per session and copied per test."""

    root: Path
    made: dict[tuple[str, tuple[str, ...]], str] = attrs.field(factory=dict)

    def get(self, backend: str, plugins: tuple[str, ...], request: pytest.FixtureRequest) -> str:
        key = (backend, plugins)
        if key not in self.made:
            tag = hashlib.sha1(repr(key).encode()).hexdigest()[:10]
            if backend == "sqlite":
                url = f"sqlite:///{self.root / f'template-{tag}.db'}"
            else:
                from crmcore.testing import postgres

                admin = request.getfixturevalue("postgres_admin_url")
                url = postgres.create_database(admin, f"crm_tpl_{tag}")
            _prepare(url, plugins)
            self.made[key] = url
        return self.made[key]


@pytest.fixture(scope="session")
def _crm_templates(tmp_path_factory: pytest.TempPathFactory) -> _Templates:
    return _Templates(tmp_path_factory.mktemp("crm-templates"))


def _prepare(url: str, plugins: Sequence[str]) -> None:
    from crmcore.app import Crm
    from crmcore.services import database

    database.init(url)
    if plugins:
        with Crm.open(url, plugins=[]) as crm:
            admin = crm.actor("admin")
            for name in plugins:
                crm.plugins.enable(admin, name)


# -- per-test fixtures -----------------------------------------------------------------------


@pytest.fixture
def crm_plugins() -> list[str]:
    """Plugins enabled in the test database; override in your conftest."""
    return []


@pytest.fixture
def crm_url(
    crm_backend: str,
    crm_plugins: list[str],
    _crm_templates: _Templates,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """A fresh, migrated database with ``crm_plugins`` enabled and an ``admin`` user.

    It comes with its own copy of the session's key file, so a test that rotates keys
    changes nothing for the others.
    """
    template = _crm_templates.get(crm_backend, tuple(crm_plugins), request)
    _private_key_file(tmp_path, request)
    if crm_backend == "sqlite":
        target = tmp_path / "crm.db"
        shutil.copyfile(template.removeprefix("sqlite:///"), target)
        yield f"sqlite:///{target}"
        return
    from crmcore.testing import postgres

    admin = request.getfixturevalue("postgres_admin_url")
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    url = postgres.create_database(admin, name, template=template.rsplit("/", 1)[1])
    try:
        yield url
    finally:
        postgres.drop_database(admin, name)


def _private_key_file(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from crmcore.settings import KEY_FILE_ENV

    session_keys = Path(os.environ[KEY_FILE_ENV])
    private = tmp_path / "keys.json"
    shutil.copyfile(session_keys, private)
    request.getfixturevalue("monkeypatch").setenv(KEY_FILE_ENV, str(private))


@pytest.fixture
def crm(crm_url: str) -> Iterator[Crm]:
    from crmcore.app import Crm

    with Crm.open(crm_url) as opened:
        yield opened


@pytest.fixture
def admin(crm: Crm) -> Actor:
    return crm.actor("admin")


@pytest.fixture
def make_user(crm: Crm, admin: Actor) -> Callable[..., Actor]:
    """``make_user("lina", "account_manager")`` adds a user and returns its actor."""

    def make(login: str, *roles: str, name: str | None = None) -> Actor:
        from crmcore.domain.users import NewUser

        crm.users.add(
            admin, NewUser(login=login, name=name or login, roles=roles or ("account_manager",))
        )
        return crm.actor(login)

    return make


@attrs.frozen
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


@pytest.fixture
def cli(crm_url: str) -> Callable[..., CliResult]:
    """Run ``crm ARGS`` in-process on the test database: ``cli("client", "list", "--json")``."""

    def run(
        *args: str,
        user: str | None = None,
        env: dict[str, str] | None = None,
        input: str | None = None,
    ) -> CliResult:
        argv = ["--db", crm_url, *(["--as", user] if user else []), *args]
        return run_cli(argv, env=env, input=input)

    return run


def run_cli(
    argv: Sequence[str], env: dict[str, str] | None = None, input: str | None = None
) -> CliResult:
    """Run ``crm ARGV`` in-process; ``input`` is what the user types at prompts."""
    from click.testing import CliRunner

    from crmcore.cli import main

    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        try:
            main(list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


# -- plugin authors' helpers -----------------------------------------------------------------


def install_plugin(site: Path, name: str, source: str, *, module: str | None = None) -> str:
    """Write a throw-away plugin distribution (module + entry point) into ``site``.

    ``site`` is put on ``sys.path`` so entry-point discovery finds it, exactly as for an
    installed plugin; pass it as PYTHONPATH to a subprocess. Returns the module name.
    """
    module = module or f"crm_test_plugin_{name}"
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist = site / f"{module}-0.1.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {module}\nVersion: 0.1\nSummary: test plugin {name}\n"
    )
    (dist / "entry_points.txt").write_text(f"[crmcore.plugins]\n{name} = {module}\n")
    if str(site) not in sys.path:
        sys.path.insert(0, str(site))
    sys.modules.pop(module, None)
    importlib.invalidate_caches()
    return module


@pytest.fixture
def plugin_installer(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """``install(name, source)`` installs a throw-away plugin for this test only."""
    site = tmp_path / "site-packages"
    installed: list[str] = []

    def install(name: str, source: str, *, module: str | None = None) -> str:
        installed.append(install_plugin(site, name, source, module=module))
        return installed[-1]

    yield install
    if str(site) in sys.path:
        sys.path.remove(str(site))
    for module in installed:
        sys.modules.pop(module, None)
    importlib.invalidate_caches()


def check_plugin(crm: Crm, name: str) -> None:
    """Fail with a clear message unless plugin ``name`` loaded cleanly and its schema exists."""
    from sqlalchemy import inspect

    host = crm.host
    assert name not in host.failures, f"plugin {name} failed to load: {host.failures[name]}"
    assert name in host.modules, f"plugin {name} is not loaded (is it in crm_plugins?)"
    info = host.infos[name]
    assert info.name == name
    tables = host.single(name, "crm_tables") or []
    with crm.engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
    missing = [t.name for t in tables if t.name not in existing]
    assert not missing, f"plugin {name}: its migrations do not create {missing}"


#: Valid unified social credit codes (CORE-REC-1) for tests that need real-looking ones.
VALID_CREDIT_CODES = ("91110000600037341L", "91440300192185379H", "91310000132149237G")


def row_counts(crm: Crm) -> dict[str, int]:
    """Row count of every table crmcore knows (core and loaded plugins).

    "Nothing written" in a test means this is unchanged after the refused call.
    """
    from sqlalchemy import func, inspect, select

    from crmcore.store import metadata

    with crm.engine.connect() as conn:
        existing = set(inspect(conn).get_table_names())
        return {
            table.name: conn.scalar(select(func.count()).select_from(table))
            for table in metadata.sorted_tables
            if table.name in existing
        }


__all__ = [
    "VALID_CREDIT_CODES",
    "CliResult",
    "check_plugin",
    "install_plugin",
    "row_counts",
    "run_cli",
]
