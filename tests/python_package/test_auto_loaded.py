"""Run in a venv where epr is pip-installed: no -p, no PYTHONPATH, no epr on PATH. The
fixtures come from the pytest11 entry point; the modules find the venv's epr and library."""
import os
import socket
import sys

import pytest

import ephemeral_port_reserve
import epr


def redis_ping(port):
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return s.makefile("rb").readline()


def test_the_modules_use_the_venvs_epr_and_library():
    venv_bin = os.path.dirname(sys.executable)
    assert epr.epr_command() == os.path.join(venv_bin, "epr")
    assert ephemeral_port_reserve.library_path == os.path.join(
        sys.prefix, "lib", "epr", "libepr-reserve.so")


@pytest.mark.parametrize("n", range(8))
def test_each_test_has_a_redis_of_its_own(epr_server, tmp_path, n):
    server = epr_server(["redis-server", "--port", "6379", "--bind", "127.0.0.1",
                         "--dir", str(tmp_path), "--save", ""], ports=[6379])
    assert server.port != 6379
    assert redis_ping(server.port) == b"+PONG\r\n"
