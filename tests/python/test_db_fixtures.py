"""The database fixtures: postgres and mariadb, per test and per session, and a postgres
database per test copied from a template. tests/python_db_fixtures.bats runs this under two
xdist workers in a private network namespace, where stand-ins listen on 5432 and 3306 (the
host's own servers' ports) and must see no connection. Clients are the real psql and mariadb.
With EPR_TEST_RECORD set, each test writes what it saw to a file there for the bats suite,
which checks from outside that every data directory is gone."""
import os
import subprocess
import urllib.parse

import pytest

import epr_pytest

RECORD = os.environ.get("EPR_TEST_RECORD")
SESSION_SEEN = {}  # fixture name -> (port, pid) of its server, the first time this worker saw it


def record(name, *fields):
    if RECORD:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
        with open(os.path.join(RECORD, "%s-%s" % (worker, name)), "w") as f:
            f.write(" ".join(str(field) for field in fields) + "\n")


def listening_ports(pid):
    """The TCP ports that process PID listens on, as ss sees them."""
    out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True, check=True).stdout
    return {int(line.split()[3].rsplit(":", 1)[1]) for line in out.splitlines()
            if "pid=%d," % pid in line}


def uid_of(pid):
    with open("/proc/%d/status" % pid) as status:
        return next(int(line.split()[1]) for line in status if line.startswith("Uid:"))


def psql(url, sql):
    """psql, the real client, given the fixture's URL."""
    bin_dir = epr_pytest.postgres_bin_dir()
    return subprocess.run([os.path.join(bin_dir, "psql"), "-X", "-A", "-t", "-w", url, "-c", sql],
                          capture_output=True, text=True, check=True, timeout=60,
                          env=dict(os.environ, PGCONNECT_TIMEOUT="5")).stdout.strip()


def mariadb(url, sql):
    """The real mariadb client, given host, port, user and database from the fixture's URL."""
    parts = urllib.parse.urlsplit(url)
    return subprocess.run(["mariadb", "--no-defaults", "-h", parts.hostname, "-P", str(parts.port),
                           "-u", parts.username, "--connect-timeout=5", "-N", "-B",
                           parts.path.lstrip("/"), "-e", sql],
                          capture_output=True, text=True, check=True, timeout=60).stdout.strip()


def check_listens_on_its_port_alone(server, sentinel):
    assert server.port != sentinel
    assert listening_ports(server.pid) == {server.port}


def test_postgres_of_a_test(epr_postgres, tmp_path):
    server = epr_postgres
    check_listens_on_its_port_alone(server, 5432)
    assert server.url == "postgresql://postgres@127.0.0.1:%d/postgres" % server.port
    assert psql(server.url, "select 1") == "1"
    # its files are in this test's tmp path, none in /run/postgresql
    assert psql(server.url, "show data_directory") == str(tmp_path / "postgres" / "data")
    assert psql(server.url, "show unix_socket_directories") == str(tmp_path / "postgres" / "run")
    assert server.psql("create table t (x int); insert into t values (7); select x from t") == "7"
    if os.geteuid() == 0:
        assert uid_of(server.pid) != 0  # postgres refuses root: it runs as another user
    record("postgres-test", server.port, server.pid, server.base, uid_of(server.pid))


def test_mariadb_of_a_test(epr_mariadb, tmp_path):
    server = epr_mariadb
    check_listens_on_its_port_alone(server, 3306)
    assert server.url == "mysql://root@127.0.0.1:%d/test" % server.port
    assert mariadb(server.url, "select 1") == "1"
    assert mariadb(server.url, "select database()") == "test"
    base = tmp_path / "mariadb"
    assert mariadb(server.url, "select @@datadir") == "%s/" % (base / "data")
    # its socket and pid file are in this test's tmp path, none in /run/mysqld
    assert mariadb(server.url, "select @@socket, @@pid_file") == "%s\t%s" % (
        base / "run" / "mysqld.sock", base / "run" / "mysqld.pid")
    assert server.mariadb("create table t (x int); insert t values (7); select x from t") == "7"
    record("mariadb-test", server.port, server.pid, server.base, uid_of(server.pid))


# Three tests each: with two workers, one worker runs at least two of them.
@pytest.mark.parametrize("n", range(3))
def test_postgres_of_the_session_is_shared(epr_postgres_session, n):
    server = epr_postgres_session
    check_listens_on_its_port_alone(server, 5432)
    assert psql(server.url, "select 1") == "1"
    seen = (server.port, server.pid)
    assert SESSION_SEEN.setdefault("postgres", seen) == seen
    record("postgres-session-%d" % n, server.port, server.pid, server.base)


@pytest.mark.parametrize("n", range(3))
def test_mariadb_of_the_session_is_shared(epr_mariadb_session, n):
    server = epr_mariadb_session
    check_listens_on_its_port_alone(server, 3306)
    assert mariadb(server.url, "select 1") == "1"
    seen = (server.port, server.pid)
    assert SESSION_SEEN.setdefault("mariadb", seen) == seen
    record("mariadb-session-%d" % n, server.port, server.pid, server.base)


@pytest.fixture(scope="session")
def epr_postgres_template(epr_postgres_template):
    """The plugin's template, with a table loaded once: what a user's conftest.py does."""
    epr_postgres_template.psql("create table seeded (who text); "
                               "insert into seeded values ('template')")
    return epr_postgres_template


@pytest.mark.parametrize("n", range(4))
def test_a_database_of_each_test_copied_from_the_template(epr_postgres_db, epr_postgres_session,
                                                          n):
    db = epr_postgres_db
    assert db.server is epr_postgres_session
    assert db.url == "postgresql://postgres@127.0.0.1:%d/%s" % (epr_postgres_session.port, db.name)
    assert psql(db.url, "select current_database()") == db.name
    # the template's row, and no other test's: earlier tests wrote into their own copies
    assert psql(db.url, "select who from seeded") == "template"
    psql(db.url, "insert into seeded values ('test %d')" % n)
    assert db.psql("select count(*) from seeded") == "2"
    # the databases of this worker's earlier tests are dropped
    names = psql(db.url, "select datname from pg_database").split()
    assert sorted(names) == sorted(["postgres", "template0", "template1", "epr_template", db.name])
    record("postgres-db-%d" % n, epr_postgres_session.port, db.name)


def test_a_failed_statement_raises_with_the_servers_message(epr_postgres_db):
    with pytest.raises(epr_pytest.DatabaseError, match="syntax error"):
        epr_postgres_db.psql("selec 1")
