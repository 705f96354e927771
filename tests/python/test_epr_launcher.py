"""epr.Server: start a server under epr, its ports, its log, stop it."""
import os
import socket
import sys

import pytest

import epr

LISTEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "progs", "cli_listen.py")


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), 2).close()
        return True
    except OSError:
        return False


def test_a_sentinel_server_gets_its_port_and_is_stopped():
    server = epr.Server([sys.executable, LISTEN, "127.0.0.1", "8000", "600"], ports=[8000])
    with server:
        assert server.port != 8000
        assert server.ports == {8000: server.port}
        assert server.port_list == [server.port]
        assert answers(server.port)
        assert os.path.isfile(server.env_file)
        assert str(server.port) in server.log_text()  # cli_listen prints its port
        port, env_file = server.port, server.env_file
    assert not server.running
    assert not answers(port)
    assert not os.path.exists(env_file)
    assert str(port) in server.log_text()  # the log, as it was when stopped
    server.stop()  # twice is fine


def test_a_server_that_fails_raises_eprerror_with_its_log():
    with pytest.raises(epr.EprError) as raised:
        epr.Server([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"],
                   timeout=10).start()
    assert raised.value.returncode == 1
    assert "boom" in str(raised.value)


def test_both_spellings_of_epr_start_output_are_read():
    old = epr.parse_start_output("EPR_PORT=4000\nEPR_PORTS=4000,4001\nEPR_ENV_FILE='/tmp/a b/env'\n")
    new = epr.parse_start_output("EPR_PORT=4000\nEPR_PORT_LIST=4000,4001\nEPR_FILE=/tmp/x/env\n")
    for values, env_file in ((old, "/tmp/a b/env"), (new, "/tmp/x/env")):
        server = epr.Server(["true"])
        server.values = values
        assert server.port_list == [4000, 4001]
        assert server.env_file == env_file
    both = epr.Server(["true"])
    both.values = dict(old, EPR_FILE="/new/env", EPR_PORT_LIST="5000")
    assert both.env_file == "/new/env" and both.port_list == [5000]
