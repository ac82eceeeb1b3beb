"""Throw-away PostgreSQL clusters for the test suite: real servers, no mocks.

The CRM relies on PostgreSQL behaviour that SQLite or mocks cannot imitate (pg_trgm on Chinese
names, row locking, constraint timing), so tests run against a real server. Starting a cluster
costs about a second, so a test session starts one, migrates a template database once, and
gives every test its own copy with ``CREATE DATABASE ... TEMPLATE`` (tens of milliseconds).

Environment variables:

``CRM_TEST_POSTGRES_URL``
    Use an existing server instead of starting one, e.g.
    ``postgresql+psycopg://crm@db.example:5432/postgres``. It must name a database the role can
    connect to, and the role needs CREATEDB, because tests create and drop databases through it.
    Nothing is installed or started locally when this is set.

``CRM_REQUIRE_POSTGRES``
    When set (to anything but ``0``/``false``/``no``), a missing PostgreSQL is an error rather
    than a reason to skip. CI sets it so that a broken install cannot pass as "all skipped".

The server refuses to run as root, so under root (containers, CI) initdb and pg_ctl run as the
``postgres`` system user, which is created if needed.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import TupleRow

URL_ENV = "CRM_TEST_POSTGRES_URL"
REQUIRE_ENV = "CRM_REQUIRE_POSTGRES"
SERVER_BINARIES = ("initdb", "pg_ctl", "postgres")
SYSTEM_USER = "postgres"

# Durability buys nothing for data that is thrown away, and costs most of the time.
# Autovacuum is off so that it never holds the template open: CREATE DATABASE ... TEMPLATE
# waits in 100 ms steps for other sessions on the template to leave. It also keeps test
# timings and plans independent of when a background worker happened to run.
_TEST_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "autovacuum": "off",
    "max_connections": "200",
    "max_wal_size": "'256MB'",  # the cluster may live in RAM (see _default_base_dir)
}
_RAM_DIR = Path("/dev/shm")
_RAM_DIR_MIN_FREE = 2 * 1024**3  # Docker's default 64 MB /dev/shm is too small to use


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries were found on this machine."""


class PostgresError(RuntimeError):
    """A PostgreSQL tool failed; the message names the tool and quotes its stderr."""


def postgres_required() -> bool:
    """True when a missing server must fail the run instead of skipping tests (CI)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def find_bindir() -> Path | None:
    """Locate initdb/pg_ctl/postgres, preferring the newest server on the machine.

    Debian ships ``pg_config`` with libpq-dev, where it reports a server bindir even when no
    server is installed, so every candidate is checked for the binaries themselves.
    """
    candidates: list[Path] = []
    if pg_config := shutil.which("pg_config"):
        result = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if result.returncode == 0 and result.stdout.strip():
            candidates.append(Path(result.stdout.strip()))
    debian_dirs = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += [Path(d) for d in sorted(debian_dirs, key=_major_version, reverse=True)]
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in SERVER_BINARIES):
            return bindir
    initdb = shutil.which("initdb")
    if initdb and all(shutil.which(name) for name in SERVER_BINARIES):
        return Path(initdb).resolve().parent  # through symlinks such as /usr/local/bin/initdb
    return None


def _major_version(bindir: str) -> tuple[int, ...]:
    """Sort key so that /usr/lib/postgresql/16 beats 9.6 (plain string order would not)."""
    version = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (0,)


def _default_base_dir() -> Path | None:
    """Prefer RAM-backed /dev/shm, else the system temp dir.

    CREATE DATABASE ... TEMPLATE touches every file of the template: copying the migrated CRM
    schema took ~20 ms on tmpfs against ~250 ms on a VM's disk, and cluster start 0.5 s vs 1.2 s.
    """
    try:
        roomy = shutil.disk_usage(_RAM_DIR).free >= _RAM_DIR_MIN_FREE
    except OSError:
        return None
    return _RAM_DIR if roomy and os.access(_RAM_DIR, os.W_OK) else None


def _free_port() -> int:
    """Ask the kernel for an unused port; start() retries if another process takes it first."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_system_user() -> pwd.struct_passwd:
    """Return the ``postgres`` account, creating it on machines that have binaries but no user."""
    try:
        return pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        pass
    _run(["useradd", "--system", "--user-group", "--no-create-home", SYSTEM_USER], "useradd")
    return pwd.getpwnam(SYSTEM_USER)


def _run(cmd: list[str], tool: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure raise one line naming the tool and what it printed."""
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except OSError as exc:
        raise PostgresError(f"{tool}: cannot execute {cmd[0]!r}: {exc.strerror}") from exc
    except subprocess.TimeoutExpired as exc:
        raise PostgresError(f"{tool}: no answer after {timeout:.0f}s: {shlex.join(cmd)}") from exc
    if result.returncode != 0:
        output = " | ".join(
            line.strip() for line in (result.stderr or result.stdout).splitlines() if line.strip()
        )
        raise PostgresError(f"{tool} failed (exit {result.returncode}): {output or 'no output'}")
    return result


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temp dir, reachable on 127.0.0.1, deleted on stop().

    Usable as a context manager. The superuser is ``postgres`` and authentication is ``trust``:
    the server only listens on loopback and a private socket directory, and lives for one run.
    ``base_dir`` defaults to /dev/shm when it has room, because template copies are much faster
    in RAM. ``settings`` are added to the test settings (values as postgresql.conf spells
    them): a benchmark gives its server the memory a production one would have.
    """

    def __init__(
        self,
        bindir: Path | None = None,
        *,
        superuser: str = "postgres",
        base_dir: Path | None = None,
        start_timeout: float = 60,
        settings: Mapping[str, str] | None = None,
    ) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise PostgresUnavailable(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found: tried "
                "`pg_config --bindir`, /usr/lib/postgresql/*/bin and PATH; "
                f"install PostgreSQL or set {URL_ENV}"
            )
        self.bindir: Path = found
        self.superuser = superuser
        self.base_dir = base_dir
        self.start_timeout = start_timeout
        self.settings = dict(settings or {})
        self.port: int | None = None
        self._root: Path | None = None
        self._run_as: list[str] = []

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database, for admin work such as CREATE DATABASE."""
        if self.port is None:
            raise RuntimeError("ThrowawayPostgres.url used before start()")
        return f"postgresql+psycopg://{self.superuser}@127.0.0.1:{self.port}/postgres"

    @property
    def data_dir(self) -> Path:
        if self._root is None:
            raise RuntimeError("ThrowawayPostgres is not started")
        return self._root / "data"

    def start(self) -> str:
        """Create and start the cluster; return its admin URL."""
        if self._root is not None:
            return self.url
        base_dir = self.base_dir or _default_base_dir()
        self._root = Path(tempfile.mkdtemp(prefix="crm-pg-", dir=base_dir))
        try:
            self._prepare_owner()
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stop the server without a checkpoint (nothing is worth keeping) and delete its files."""
        if self._root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            # If it is already dead, removing the directory is all that is left to do.
            with contextlib.suppress(PostgresError):
                self._pg(["pg_ctl", "stop", "-D", str(self.data_dir), "-m", "immediate", "-w"])
        shutil.rmtree(self._root, ignore_errors=True)
        self._root = None
        self.port = None

    def __enter__(self) -> ThrowawayPostgres:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _prepare_owner(self) -> None:
        """Under root, hand the directory to the postgres user, since the server refuses root."""
        assert self._root is not None
        if os.geteuid() != 0:
            return
        user = _ensure_system_user()
        os.chown(self._root, user.pw_uid, user.pw_gid)
        if shutil.which("runuser"):
            self._run_as = ["runuser", "-u", SYSTEM_USER, "--"]
        else:
            self._run_as = ["su", SYSTEM_USER, "-s", "/bin/sh", "-c"]

    def _pg(self, cmd: list[str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a server tool from bindir, as the postgres user when we are root."""
        full = [str(self.bindir / cmd[0]), *cmd[1:]]
        if self._run_as[-1:] == ["-c"]:  # su takes a single shell string
            full = [shlex.join(full)]
        return _run([*self._run_as, *full], cmd[0], timeout)

    def _initdb(self) -> None:
        assert self._root is not None
        self._pg(
            [
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.superuser,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "-A",
                "trust",
                "--no-sync",  # fsync of the new cluster is wasted on a throw-away one
            ]
        )
        (self._root / "sock").mkdir()
        if self._run_as:
            shutil.chown(self._root / "sock", SYSTEM_USER, SYSTEM_USER)

    def _start_server(self, attempts: int = 3) -> None:
        """Start on a free port, retrying when another process grabbed the port in between."""
        assert self._root is not None
        for attempt in range(1, attempts + 1):
            self.port = _free_port()
            self._write_config(self.port)
            log = self._root / "server.log"
            try:
                wait = ["-w", "-t", str(int(self.start_timeout))]
                self._pg(
                    ["pg_ctl", "start", "-D", str(self.data_dir), "-l", str(log), *wait],
                    timeout=self.start_timeout + 10,
                )
                return
            except PostgresError as exc:
                server_log = log.read_text(errors="replace") if log.exists() else ""
                if attempt < attempts and "Address already in use" in server_log:
                    time.sleep(0.1)
                    continue
                problems = re.findall(r"^.*(?:FATAL|PANIC|ERROR|could not).*$", server_log, re.M)
                last = " | ".join(problems[-3:] or server_log.strip().splitlines()[-3:])
                raise PostgresError(f"{exc}; server log: {last or 'empty'}") from None

    def _write_config(self, port: int) -> None:
        """Append settings; the last occurrence of a setting wins, so retries just append."""
        assert self._root is not None
        settings = {
            **_TEST_SETTINGS,
            **self.settings,
            "port": str(port),
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self._root / 'sock'}'",
        }
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# crmcore.testing.postgres\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())


@contextlib.contextmanager
def postgres_server() -> Iterator[str]:
    """Yield an admin URL: ``CRM_TEST_POSTGRES_URL`` if set, else a throw-away cluster's.

    Raises PostgresUnavailable when neither exists; callers decide whether that means skip or
    fail (see postgres_required()).
    """
    if external := os.environ.get(URL_ENV):
        yield external
        return
    with ThrowawayPostgres() as server:
        yield server.url


def database_url(admin_url: str, name: str) -> str:
    """The admin URL pointed at another database on the same server."""
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def create_database(admin_url: str, name: str, template: str | None = None) -> str:
    """Create ``name`` (copying ``template`` if given) and return its URL.

    Copying a migrated template is how each test gets a fresh schema without rerunning
    migrations. PostgreSQL refuses to copy a template that has open connections, so dispose of
    engines on the template before calling this.
    """
    from psycopg import sql

    statement = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        statement += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with _admin_connection(admin_url) as conn:
        conn.execute(statement)
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    """Drop ``name`` if it exists, disconnecting anyone still using it (leaked test sessions)."""
    from psycopg import sql

    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    with _admin_connection(admin_url) as conn:
        conn.execute(statement)


@contextlib.contextmanager
def _admin_connection(admin_url: str) -> Iterator[psycopg.Connection[TupleRow]]:
    """Autocommit connection, because CREATE/DROP DATABASE cannot run inside a transaction."""
    import psycopg

    url = make_url(admin_url)
    parts = {"host": url.host, "port": url.port, "user": url.username, "password": url.password}
    params = {key: value for key, value in parts.items() if value is not None}
    params |= {key: str(value) for key, value in url.query.items()}  # e.g. ?host=/run/postgresql
    with psycopg.connect(dbname=url.database, autocommit=True, **params) as conn:
        yield conn
