"""Fails on purpose (tests/python.bats runs it by name): the server's log must be in the report."""
import sys

LISTEN = __file__.rsplit("/", 2)[0] + "/progs/cli_listen.py"


def test_fails_with_a_server(epr_server):
    server = epr_server([sys.executable, LISTEN, "127.0.0.1", "8000", "600"], ports=[8000])
    assert server.port == 8000, "on purpose"
