"""make bench: the time from a test's start to a ready postgres database of its own, each way
epr_pytest offers one, timed through the fixtures' own code (python/epr_pytest.py):

  initdb per test        epr_postgres: initdb, postgres started through epr, ready once a
                         select 1 answers
  template, FILE_COPY    epr_postgres_db: CREATE DATABASE t_N TEMPLATE epr_template
                         STRATEGY FILE_COPY on the session's running postgres
  template, WAL_LOG      the same with postgres 15's default strategy

and what each costs once the test is over (the server stopped and its files removed; DROP
DATABASE). Debian packages no pytest-postgresql; the template arms are its approach (a
template per session, a copy per test). The copies are also timed from a template holding
a 100,000-row table (the seeded template), and on a server with fsync on (the fixtures
turn it off), where the strategies may part; and, for scale, psql running SELECT 1, the
part of any copy that is the client's. Arms are interleaved, their order turned each
round. Run in a private network namespace, as root or not (bench.mk):

    PYTHONPATH=python EPR_BIN=build/epr /usr/bin/python3 bench/db_fixtures.py [--smoke] ROUNDS

Target: a template copy (FILE_COPY, the fixture's) ready at least 5x sooner than initdb.
Exits 1 when missed (--smoke: never), 0 with a note when postgres is not installed."""
import os
import shutil
import statistics
import sys
import tempfile
import time

import epr_pytest

SMOKE = sys.argv[1:2] == ["--smoke"]
ROUNDS = int(sys.argv[-1]) if len(sys.argv) > 1 + SMOKE else 15
TARGET = 5.0


def now():
    return time.monotonic()


def initdb_per_test(work, n):
    started = now()
    server = epr_pytest.PostgresServer(os.path.join(work, "each-%d" % n)).prepare()
    server.start()
    ready = now()
    server.remove()
    return ready - started, now() - ready


def template_copy(template, strategy):
    started = now()
    database = epr_pytest.copy_database(template, strategy)
    ready = now()
    epr_pytest.drop_database(database)
    return ready - started, now() - ready


def client_floor(server):
    """What any of the fixture's statements costs at least: psql started, connected, done."""
    started = now()
    server.psql("SELECT 1")
    return now() - started, 0.0


def main():
    try:
        epr_pytest.postgres_bin_dir()
    except epr_pytest.DatabaseError as error:
        print("\ndb fixtures: not measured: %s" % error)
        return 0
    work = tempfile.mkdtemp(prefix="epr-bench-db.")
    session = epr_pytest.PostgresServer(os.path.join(work, "session"))
    # the same with fsync on (without postgres -F), where the strategies compare otherwise
    synced = epr_pytest.PostgresServer(os.path.join(work, "synced"))
    synced.command = [word for word in synced.command if word != "-F"]
    try:
        session.prepare().start()
        synced.prepare().start()
        synced.psql("CREATE DATABASE epr_template")
        synced_empty = epr_pytest.PostgresDatabase(synced, "epr_template")
        session.psql("CREATE DATABASE epr_template")
        session.psql("CREATE DATABASE epr_seeded")
        session.psql("CREATE TABLE rows AS SELECT i, md5(i::text) AS h "
                     "FROM generate_series(1, 100000) AS i", "epr_seeded")
        empty = epr_pytest.PostgresDatabase(session, "epr_template")
        seeded = epr_pytest.PostgresDatabase(session, "epr_seeded")
        sizes = {db.name: session.psql("SELECT pg_size_pretty(pg_database_size('%s'))" % db.name)
                 for db in (empty, seeded)}
        arms = [
            ("initdb per test (epr_postgres)", lambda n: initdb_per_test(work, n)),
            ("template, FILE_COPY (epr_postgres_db)", lambda n: template_copy(empty, "FILE_COPY")),
            ("template, WAL_LOG (postgres' default)", lambda n: template_copy(empty, "WAL_LOG")),
            ("seeded template, FILE_COPY", lambda n: template_copy(seeded, "FILE_COPY")),
            ("seeded template, WAL_LOG", lambda n: template_copy(seeded, "WAL_LOG")),
            ("fsync on: template, FILE_COPY", lambda n: template_copy(synced_empty, "FILE_COPY")),
            ("fsync on: template, WAL_LOG", lambda n: template_copy(synced_empty, "WAL_LOG")),
            ("(psql running SELECT 1, for scale)", lambda n: client_floor(session)),
        ]
        ready = {name: [] for name, _ in arms}
        after = {name: [] for name, _ in arms}
        for n in range(ROUNDS):
            turn = n % len(arms)
            for name, arm in arms[turn:] + arms[:turn]:
                up, down = arm(n)
                ready[name].append(up * 1000)
                after[name].append(down * 1000)
    finally:
        synced.remove()
        session.remove()
        shutil.rmtree(work, ignore_errors=True)
    print("\n%-40s %12s %12s %14s" % ("test start -> its database ready", "median", "max",
                                      "after the test"))
    for name, _ in arms:
        print("%-40s %9.1f ms %9.1f ms %11.1f ms" % (name, statistics.median(ready[name]),
                                                     max(ready[name]),
                                                     statistics.median(after[name])))
    initdb = statistics.median(ready[arms[0][0]])
    copy = statistics.median(ready[arms[1][0]])
    print("(postgres %d, medians of %d rounds; template %s, seeded template %s)" % (
        session.version, ROUNDS, sizes["epr_template"], sizes["epr_seeded"]))
    print("  initdb per test / template copy: %.1fx (target >= %g)" % (initdb / copy, TARGET))
    if initdb / copy < TARGET and not SMOKE:
        print("  missed: template copy vs initdb per test")
        return 1
    return 0


sys.exit(main())
