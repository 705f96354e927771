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
"""

import os

import pytest

import epr


class ServerFactory:
    """Starts servers (arguments as for epr.Server) and stops them all at once."""

    def __init__(self):
        self.servers = []

    def __call__(self, command, ports=(), **options):
        server = epr.Server(command, ports, **options).start()
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
