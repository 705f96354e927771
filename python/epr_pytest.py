"""pytest fixtures for servers started under epr (see the epr module).

pytest loads the plugin by itself when epr is pip-installed (its pytest11 entry point);
otherwise load it with `pytest -p epr_pytest`, or `pytest_plugins = ["epr_pytest"]` in a
conftest.py. Two fixtures, each a factory that starts a server and returns its epr.Server:

    def test_counter(epr_server):
        redis = epr_server(["redis-server", "--port", "6379", "--save", ""], ports=[6379])
        # ... talk to 127.0.0.1:redis.port ...

    @pytest.fixture(scope="session")
    def shared_redis(epr_session_server):
        return epr_session_server(["redis-server", "--port", "6379", "--save", ""], ports=[6379])

epr_server's servers are stopped when the test ends, epr_session_server's when the session
does. Under pytest-xdist each worker is its own session: every worker starts its own
servers, each on its own port, and stops them. When a test fails, the log of every server
it used is added to its report, one "epr log: NAME (port P)" section each.

Ready-made servers, each with its files in pytest's tmp path, removed when it ends, and with
.host, .port and .url; the plain fixture is the test's, the _session one the session's:

    epr_redis, epr_redis_session          redis://127.0.0.1:PORT/0
    epr_memcached, epr_memcached_session  memcache://127.0.0.1:PORT
    epr_postgres, epr_postgres_session    postgresql://postgres@127.0.0.1:PORT/postgres,
                                          .psql(sql, dbname=...)
    epr_mariadb, epr_mariadb_session      mysql://root@127.0.0.1:PORT/test, .mariadb(sql)
    epr_postgres_db                       a database of the test's own on the session's
                                          postgres, copied from epr_postgres_template

    def test_orders(epr_postgres_db):
        epr_postgres_db.psql("create table orders (id int)")
        connect(epr_postgres_db.url)  # psycopg, SQLAlchemy, ...

The databases are made with initdb and mariadb-install-db; as root, postgres runs as the
postgres user (nobody where there is none). They are ready once a query answers.
"""

import glob
import itertools
import os
import pwd
import select
import shlex
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import epr


class ServerFactory:
    """Starts servers (arguments as for epr.Server) and stops them all at once."""

    def __init__(self):
        self.servers = []

    def __call__(self, command, ports=(), **options):
        return self.start(epr.Server(command, ports, **options))

    def start(self, server):
        """Starts an epr.Server made elsewhere (a subclass too) and adds it to the lot."""
        server.start()
        self.servers.append(server)
        return server

    def stop_all(self):
        errors = []
        for server in reversed(self.servers):
            try:
                server.stop()
            except (epr.EprError, OSError) as error:
                errors.append(error)
        if errors:
            raise errors[0]


_SESSION_KEY = pytest.StashKey[ServerFactory]()
_ITEM_KEY = pytest.StashKey[list]()


@pytest.fixture
def epr_server(request):
    """A factory of servers started under epr for this test, stopped after it."""
    factory = ServerFactory()
    request.node.stash.setdefault(_ITEM_KEY, []).append(factory)
    try:
        yield factory
    finally:
        factory.stop_all()


@pytest.fixture(scope="session")
def epr_session_server(request):
    """A factory of servers started under epr for the whole session (an xdist worker's)."""
    factory = ServerFactory()
    request.session.stash[_SESSION_KEY] = factory
    try:
        yield factory
    finally:
        factory.stop_all()


def _servers_of(item):
    factories = list(item.stash.get(_ITEM_KEY, []))
    if "epr_session_server" in getattr(item, "fixturenames", ()):
        session_factory = item.session.stash.get(_SESSION_KEY, None)
        if session_factory is not None:
            factories.append(session_factory)
    return [server for factory in factories for server in factory.servers]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for server in _servers_of(item):
        where = "port %d" % server.port if server.running else "stopped"
        report.sections.append(("epr log: %s (%s)" % (server.name, where),
                                server.log_text() or "(empty)"))


# Ready-made servers: each fixture starts one under epr with its data in pytest's tmp path
# and gives the epr.Server with .host, .port and .url. The plain one is the test's; the
# _session one is shared by the session (an xdist worker's).
HOST = "127.0.0.1"


def _as_root():
    return os.geteuid() == 0


def _redis(factory, data_dir):
    server = factory(["redis-server", "--port", "6379", "--bind", HOST, "--dir", str(data_dir),
                      "--save", "", "--appendonly", "no"], ports=[6379])
    server.host, server.url = HOST, "redis://%s:%d/0" % (HOST, server.port)
    return server


def _memcached(factory, data_dir):
    # memcached refuses to run as root unless told a user to become
    user = ["-u", "nobody"] if _as_root() else []
    server = factory(["memcached", "-l", HOST, "-p", "11211", "-U", "0", "-m", "16",
                      "-c", "64", "-t", "1"] + user, ports=[11211], cwd=str(data_dir))
    server.host, server.url = HOST, "memcache://%s:%d" % (HOST, server.port)
    return server


@pytest.fixture
def epr_redis(epr_server, tmp_path):
    """A redis-server of this test's own (no persistence), stopped after it."""
    return _redis(epr_server, tmp_path)


@pytest.fixture(scope="session")
def epr_redis_session(epr_session_server, tmp_path_factory):
    """A redis-server for the whole session (an xdist worker's)."""
    return _redis(epr_session_server, tmp_path_factory.mktemp("redis"))


@pytest.fixture
def epr_memcached(epr_server, tmp_path):
    """A memcached of this test's own, stopped after it."""
    return _memcached(epr_server, tmp_path)


@pytest.fixture(scope="session")
def epr_memcached_session(epr_session_server, tmp_path_factory):
    """A memcached for the whole session (an xdist worker's)."""
    return _memcached(epr_session_server, tmp_path_factory.mktemp("memcached"))


# Databases: postgres and mariadb. Each server lives in a directory BASE of pytest's tmp path:
# BASE/data is its data directory (made by initdb or mariadb-install-db), BASE/run holds its
# socket and pid file, and BASE is removed when the fixture ends. Its command line names the
# default port (the sentinel, 5432 or 3306), which epr gives a port of its own; clients go over
# TCP to .host:.port, never through the default sockets in /run, the host's own server's.
PG_SENTINEL = 5432
MARIADB_SENTINEL = 3306
DB_TIMEOUT = 60  # a start on a loaded 2-core host
CLIENT_TIMEOUT = 60  # one set-up program or one SQL statement
TEMPLATE = "epr_template"


class DatabaseError(RuntimeError):
    """A database's set-up program or an SQL statement failed; the message holds its output."""


def _run(args, what, cwd=None, env=None):
    """stdout of a set-up program or a client; DatabaseError with its output if it fails."""
    try:
        done = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              cwd=cwd, env=env, timeout=CLIENT_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise DatabaseError("%s: no answer after %d s: %s" % (what, CLIENT_TIMEOUT,
                            shlex.join(args))) from None
    except OSError as error:
        raise DatabaseError("%s: cannot run %s: %s" % (what, args[0],
                            error.strerror or error)) from None
    if done.returncode != 0:
        raise DatabaseError("%s failed (exit %d): %s\n%s" % (what, done.returncode,
                            shlex.join(args), (done.stderr + done.stdout).rstrip()))
    return done.stdout


def _program(name, *more):
    """The path of the first of NAME, MORE... found on PATH or in the sbin directories, which
    a user's PATH may lack (Debian puts mariadbd there)."""
    path = os.environ.get("PATH", "") + ":/usr/local/sbin:/usr/sbin:/sbin"
    for candidate in (name,) + more:
        found = shutil.which(candidate, path=path)
        if found:
            return found
    raise DatabaseError("no %s on PATH or in /usr/sbin" % " or ".join((name,) + more))


def _version_key(path):
    return [int(part) if part.isdigit() else 0 for part in path.split("/")[4].split(".")]


def postgres_bin_dir():
    """The newest /usr/lib/postgresql/N/bin (Debian's initdb and postgres are there, off
    PATH), else the directory of the postgres on PATH."""
    found = glob.glob("/usr/lib/postgresql/*/bin/postgres")
    if found:
        return os.path.dirname(max(found, key=_version_key))
    on_path = shutil.which("postgres")
    if on_path:
        return os.path.dirname(on_path)
    raise DatabaseError("no postgres in /usr/lib/postgresql/*/bin or on PATH "
                        "(Debian package postgresql)")


def _as_postgres_user():
    """As root, setpriv's words that run a program as the postgres user (nobody where there
    is none), and its uid and gid: postgres refuses to run as root. The program keeps one
    capability, CAP_DAC_READ_SEARCH, to reach BASE through pytest's tmp path, which is root's
    and 0700; pytest would close it again at its next session if it were opened up. Not as
    root: no words, our own ids."""
    if not _as_root():
        return [], None, None
    try:
        user = pwd.getpwnam("postgres")
    except KeyError:
        user = pwd.getpwnam("nobody")
    return (["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid,
             "--clear-groups", "--inh-caps=+dac_read_search",
             "--ambient-caps=+dac_read_search", "--"], user.pw_uid, user.pw_gid)


def _pidfd(pid):
    """A pidfd of PID, readable once it exits; None when there is none."""
    try:
        return os.pidfd_open(int(pid))
    except (TypeError, ValueError, OSError):
        return None


class _DatabaseServer(epr.Server):
    """A database server whose files are all in BASE (see above)."""

    host = HOST

    def remove(self):
        """Stops it and removes BASE."""
        try:
            self.stop()
        finally:
            if self.base.exists():
                shutil.rmtree(self.base)


class PostgresServer(_DatabaseServer):
    """postgres on a data directory of its own in BASE, started under epr.

    .host, .port, .url (postgresql://postgres@HOST:PORT/postgres), .data_dir, .socket_dir
    (where its socket is, named for port 5432), .version (the major version), and
    .psql(sql, dbname="postgres"), which runs SQL through psql: no Python driver needed.
    """

    user = "postgres"
    dbname = "postgres"

    def __init__(self, base, **options):
        self.base = Path(base)
        self.data_dir = self.base / "data"
        self.socket_dir = self.base / "run"
        self.bin_dir = postgres_bin_dir()
        self.as_user, self.uid, self.gid = _as_postgres_user()
        self.version = None
        # fsync and the rest off: the data goes with the test
        command = self.as_user + [
            os.path.join(self.bin_dir, "postgres"), "-D", str(self.data_dir),
            "-p", str(PG_SENTINEL), "-h", self.host, "-k", str(self.socket_dir), "-F",
            "-c", "full_page_writes=off", "-c", "synchronous_commit=off"]
        # ready when a query answers, not when it listens: postgres listens before it has
        # finished its recovery
        ready = "PGCONNECT_TIMEOUT=5 %s -p \"$EPR_PORT\" -d %s -c 'select 1'" % (
            shlex.join(self._client()), self.dbname)
        options.setdefault("timeout", DB_TIMEOUT)
        super().__init__(command, [PG_SENTINEL], name="postgres", wait_cmd=ready, **options)

    def _client(self):
        return [os.path.join(self.bin_dir, "psql"), "-X", "-A", "-t", "-w", "-q",
                "-v", "ON_ERROR_STOP=1", "-h", self.host, "-U", self.user]

    def prepare(self):
        """Makes BASE/data with initdb, and BASE/run: both the server user's."""
        self.base.mkdir(parents=True, exist_ok=True)
        for directory in (self.data_dir, self.socket_dir):
            directory.mkdir(mode=0o700)
            if self.uid is not None:
                os.chown(directory, self.uid, self.gid)
        _run(self.as_user + [os.path.join(self.bin_dir, "initdb"), "-D", str(self.data_dir),
             "-U", self.user, "--auth=trust", "--no-sync", "--no-instructions",
             "-E", "UTF8", "--locale=C"], "initdb", cwd=str(self.base))
        self.version = int((self.data_dir / "PG_VERSION").read_text().split(".")[0])
        return self

    @property
    def url(self):
        return "postgresql://%s@%s:%d/%s" % (self.user, self.host, self.port, self.dbname)

    def psql(self, sql, dbname=None):
        """Runs SQL (one or more statements) on .port; psql's output of the last one, a row a
        line and columns split by |. DatabaseError with psql's message if it fails."""
        args = self._client() + ["-p", str(self.port), "-d", dbname or self.dbname, "-c", sql]
        return _run(args, "psql", env=dict(os.environ, PGCONNECT_TIMEOUT="5")).rstrip("\n")

    def stop(self, timeout=10):
        # epr stop's SIGTERM is postgres's smart shutdown, which waits until every client
        # has left; SIGINT, the fast one, ends their sessions first: a connection that a test
        # left open does not hold the stop for its whole timeout. The launch then ends by
        # itself, and epr stop is run once its supervisor is gone, to remove what start made:
        # run while the supervisor exits, it may leave that behind, or fail.
        if self.running:
            supervisor = _pidfd(self.values.get("EPR_SUPERVISOR_PID"))
            try:
                os.kill(self.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            if supervisor is not None:
                select.select([supervisor], [], [], timeout)
                os.close(supervisor)
        super().stop(timeout)


class PostgresDatabase:
    """One database of a PostgresServer: .name, .host, .port, .url, .psql(sql)."""

    def __init__(self, server, name):
        self.server = server
        self.name = name

    host = property(lambda self: self.server.host)
    port = property(lambda self: self.server.port)

    @property
    def url(self):
        return "postgresql://%s@%s:%d/%s" % (self.server.user, self.host, self.port, self.name)

    def psql(self, sql):
        return self.server.psql(sql, self.name)

    def __repr__(self):
        return "<PostgresDatabase %s on port %d>" % (self.name, self.port)


_copy_numbers = itertools.count(1)


def copy_database(template, strategy="FILE_COPY"):
    """A new database copied from TEMPLATE (a PostgresDatabase), as pytest-postgresql makes
    one per test. Postgres 15 copies with WAL_LOG by default, block by block through the
    WAL; FILE_COPY copies the files between two checkpoints. With fsync off, as here, it is
    the faster by about a tenth for a small template (bench/db_fixtures.py); either takes
    an eighth of the time of initdb and a start. Before 15 there is no choice: STRATEGY is
    not said."""
    name = "t_%d" % next(_copy_numbers)
    said = " STRATEGY %s" % strategy if strategy and template.server.version >= 15 else ""
    template.server.psql("CREATE DATABASE %s TEMPLATE %s%s" % (name, template.name, said))
    return PostgresDatabase(template.server, name)


def drop_database(database):
    """Drops DATABASE, ending the sessions a test left open on it (postgres 13 and later)."""
    force = " WITH (FORCE)" if database.server.version >= 13 else ""
    database.server.psql("DROP DATABASE %s%s" % (database.name, force))


class MariaDBServer(_DatabaseServer):
    """mariadbd on a data directory of its own in BASE, started under epr.

    .host, .port, .url (mysql://root@HOST:PORT/test, a database made at start), .data_dir,
    .socket, and .mariadb(sql, database="test"), which runs SQL through the mariadb client.
    mariadbd runs as root when we are root: unlike postgres it only needs --user=root said.
    """

    user = "root"
    database = "test"

    def __init__(self, base, **options):
        self.base = Path(base)
        self.data_dir = self.base / "data"
        self.run_dir = self.base / "run"
        self.tmp_dir = self.base / "tmp"  # its temporary tables: not the shared /tmp
        self.socket = self.run_dir / "mysqld.sock"
        self.as_user = ["--user=root"] if _as_root() else []
        # --no-defaults: /etc/mysql's settings are the host server's (its socket in /run,
        # its data directory)
        command = [_program("mariadbd", "mysqld"), "--no-defaults",
                   "--datadir=%s" % self.data_dir, "--socket=%s" % self.socket,
                   "--pid-file=%s" % (self.run_dir / "mysqld.pid"),
                   "--tmpdir=%s" % self.tmp_dir, "--port=%d" % MARIADB_SENTINEL,
                   "--bind-address=%s" % self.host, "--skip-log-bin",
                   "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M",
                   "--innodb-flush-log-at-trx-commit=0"] + self.as_user
        ready = "%s -P \"$EPR_PORT\" -e 'select 1'" % shlex.join(self._client())
        options.setdefault("timeout", DB_TIMEOUT)
        super().__init__(command, [MARIADB_SENTINEL], name="mariadbd", wait_cmd=ready,
                         **options)

    def _client(self):
        return [_program("mariadb", "mysql"), "--no-defaults", "-h", self.host, "-u", self.user,
                "--connect-timeout=5", "-N", "-B"]

    def prepare(self):
        """Makes BASE/data with mariadb-install-db, and BASE/run and BASE/tmp."""
        self.base.mkdir(parents=True, exist_ok=True)
        for directory in (self.run_dir, self.tmp_dir):
            directory.mkdir(mode=0o700)
        # --skip-name-resolve: no look-up of the host's name, which a private network
        # namespace may not resolve; root@localhost is made all the same
        _run([_program("mariadb-install-db", "mysql_install_db"), "--no-defaults",
              "--datadir=%s" % self.data_dir, "--tmpdir=%s" % self.tmp_dir,
              "--auth-root-authentication-method=normal", "--skip-test-db",
              "--skip-name-resolve", "--innodb-log-file-size=8M"] + self.as_user,
             "mariadb-install-db", cwd=str(self.base))
        return self

    def start(self):
        super().start()
        self.mariadb("CREATE DATABASE IF NOT EXISTS %s" % self.database, database="")
        return self

    @property
    def url(self):
        return "mysql://%s@%s:%d/%s" % (self.user, self.host, self.port, self.database)

    def mariadb(self, sql, database=None):
        """Runs SQL (one or more statements) on .port; the client's output, a row a line and
        columns split by tabs. DatabaseError with its message if it fails."""
        database = self.database if database is None else database
        args = self._client() + ["-P", str(self.port)] + ([database] if database else [])
        return _run(args + ["-e", sql], "mariadb").rstrip("\n")


def _serve(factory, server):
    """Makes SERVER's files, starts it through FACTORY and yields it; then stops it and
    removes its files, also when the start failed."""
    try:
        server.prepare()
        yield factory.start(server)
    finally:
        server.remove()


@pytest.fixture
def epr_postgres(epr_server, tmp_path):
    """A postgres of this test's own (a PostgresServer), removed after it."""
    yield from _serve(epr_server, PostgresServer(tmp_path / "postgres"))


@pytest.fixture(scope="session")
def epr_postgres_session(epr_session_server, tmp_path_factory):
    """A postgres for the whole session (an xdist worker's)."""
    yield from _serve(epr_session_server, PostgresServer(tmp_path_factory.mktemp("postgres")))


@pytest.fixture(scope="session")
def epr_postgres_template(epr_postgres_session):
    """epr_template, the session postgres's database that epr_postgres_db copies for each
    test. To load a schema once, override it with a session fixture of the same name that
    asks for it: `def epr_postgres_template(epr_postgres_template): ...psql(...); return it`."""
    epr_postgres_session.psql("CREATE DATABASE %s" % TEMPLATE)
    return PostgresDatabase(epr_postgres_session, TEMPLATE)


@pytest.fixture
def epr_postgres_db(epr_postgres_template):
    """A database of this test's own (a PostgresDatabase) on the session postgres, copied
    from epr_postgres_template and dropped after the test."""
    database = copy_database(epr_postgres_template)
    try:
        yield database
    finally:
        drop_database(database)


@pytest.fixture
def epr_mariadb(epr_server, tmp_path):
    """A mariadbd of this test's own (a MariaDBServer), removed after it."""
    yield from _serve(epr_server, MariaDBServer(tmp_path / "mariadb"))


@pytest.fixture(scope="session")
def epr_mariadb_session(epr_session_server, tmp_path_factory):
    """A mariadbd for the whole session (an xdist worker's)."""
    yield from _serve(epr_session_server, MariaDBServer(tmp_path_factory.mktemp("mariadb")))
