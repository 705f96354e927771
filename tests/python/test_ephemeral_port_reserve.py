"""ephemeral_port_reserve.reserve() keeps the classic tool's contract."""
import errno
import socket

import pytest

from ephemeral_port_reserve import reserve

HOSTS = ["127.0.0.1", "::1"]


def bind(host, port, reuse):
    """bind+listen a fresh socket to (host, port); the errno, or 0."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        if reuse:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
            s.listen()
        except OSError as error:
            return error.errno
        return 0


@pytest.mark.parametrize("host", HOSTS)
def test_the_port_refuses_a_plain_bind_and_accepts_so_reuseaddr(host):
    port = reserve(host)
    assert 0 < port < 65536
    assert bind(host, port, reuse=False) == errno.EADDRINUSE
    assert bind(host, port, reuse=True) == 0


def test_the_default_address_is_127_0_0_1():
    port = reserve()
    assert bind("127.0.0.1", port, reuse=False) == errno.EADDRINUSE


@pytest.mark.parametrize("host", HOSTS)
def test_a_free_preferred_port_is_used(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:  # a port the kernel handed out, now free
        s.bind((host, 0))
        free = s.getsockname()[1]
    assert reserve(host, free) == free
    assert bind(host, free, reuse=False) == errno.EADDRINUSE


@pytest.mark.parametrize("host", HOSTS)
def test_reserving_a_just_reserved_port_returns_it_again(host):
    port = reserve(host)
    assert reserve(host, port) == port
    assert reserve(host, str(port)) == port  # the classic accepts the port as text
    assert bind(host, port, reuse=True) == 0


@pytest.mark.parametrize("host", HOSTS)
def test_a_listening_preferred_port_falls_back_to_another(host):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.bind((host, 0))
        s.listen()
        busy = s.getsockname()[1]
        other = reserve(host, busy)
    assert other != busy
    assert bind(host, other, reuse=False) == errno.EADDRINUSE


def test_without_a_preference_each_port_is_new():
    ports = [reserve() for _ in range(20)]
    assert len(set(ports)) == 20


def test_localhost_and_keyword_arguments():
    port = reserve(ip="localhost", port=0)
    assert bind("127.0.0.1", port, reuse=False) == errno.EADDRINUSE


def test_errors_raise_oserror_as_the_socket_calls_do():
    with pytest.raises(OSError) as raised:
        reserve("192.0.2.1")  # TEST-NET-1: not a local address
    assert raised.value.errno == errno.EADDRNOTAVAIL
    with pytest.raises(OverflowError):
        reserve("127.0.0.1", 70000)
    with pytest.raises(socket.gaierror):
        reserve("no-such-host.invalid")


def test_an_address_with_a_nul_raises_as_socket_bind_does():
    with socket.socket() as s, pytest.raises((TypeError, ValueError)) as classic:
        s.bind(("127.0.0.1\0junk", 0))
    with pytest.raises(classic.type, match="null character"):
        reserve("127.0.0.1\0junk")
    with pytest.raises(ValueError):
        reserve("::1\0")
