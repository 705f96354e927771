"""The ready-made server fixtures: redis and memcached, per test and per session."""
import socket


def ask(server, request):
    with socket.create_connection((server.host, server.port), 5) as s:
        s.sendall(request)
        return s.makefile("rb").readline()


def test_redis_per_test(epr_redis):
    assert epr_redis.port != 6379
    assert epr_redis.url == "redis://127.0.0.1:%d/0" % epr_redis.port
    assert ask(epr_redis, b"*1\r\n$4\r\nPING\r\n") == b"+PONG\r\n"


def test_redis_per_session(epr_redis_session):
    assert ask(epr_redis_session, b"*1\r\n$4\r\nPING\r\n") == b"+PONG\r\n"


def test_memcached_per_test(epr_memcached):
    assert epr_memcached.port != 11211
    assert ask(epr_memcached, b"version\r\n").startswith(b"VERSION ")


def test_memcached_per_session(epr_memcached_session):
    assert ask(epr_memcached_session, b"version\r\n").startswith(b"VERSION ")
