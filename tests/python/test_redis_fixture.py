"""The pytest plugin under xdist: each test starts its own redis-server through epr_server."""
import os
import socket

import pytest

RECORD = os.environ.get("EPR_TEST_RECORD")


def redis(port, *words):
    """One RESP command to 127.0.0.1:port; the first line of the reply."""
    command = b"*%d\r\n" % len(words) + b"".join(
        b"$%d\r\n%s\r\n" % (len(w), w.encode()) for w in words)
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(command)
        return s.makefile("rb").readline().decode().rstrip("\r\n")


def start_redis(factory, tmp_path):
    return factory(["redis-server", "--port", "6379", "--bind", "127.0.0.1", "::1",
                    "--dir", str(tmp_path), "--save", "", "--appendonly", "no"],
                   ports=[6379], timeout=30)


@pytest.mark.parametrize("n", range(12))
def test_each_test_has_a_redis_of_its_own(epr_server, tmp_path, n):
    server = start_redis(epr_server, tmp_path)
    assert server.port != 6379
    assert redis(server.port, "PING") == "+PONG"
    assert redis(server.port, "DBSIZE") == ":0"  # nobody else's keys
    assert redis(server.port, "SET", "test", str(n)) == "+OK"
    assert redis(server.port, "GET", "test") == "$%d" % len(str(n))
    if RECORD:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "none")
        with open(os.path.join(RECORD, "%s-%d" % (worker, n)), "w") as f:
            f.write("%d %d\n" % (server.port, server.pid))


@pytest.fixture(scope="session")
def shared_redis(epr_session_server, tmp_path_factory):
    return start_redis(epr_session_server, tmp_path_factory.mktemp("shared"))


@pytest.mark.parametrize("n", range(4))
def test_a_session_redis_is_shared_within_a_worker(shared_redis, n):
    assert redis(shared_redis.port, "PING") == "+PONG"
    assert redis(shared_redis.port, "INCR", "uses").startswith(":")
