"""epr.Server: start a server under epr, its ports, its log, stop it."""
import os
import socket
import sys
import time

import pytest

import epr

LISTEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "progs", "cli_listen.py")


def answers(port):
    try:
        socket.create_connection(("127.0.0.1", port), 2).close()
        return True
    except OSError:
        return False


def log_shows(server, text, seconds=10):
    """cli_listen prints its port just after its listen, which may be after epr start has
    returned: wait for the line, bounded."""
    deadline = time.monotonic() + seconds
    while text not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    return text in server.log_text()


def test_a_sentinel_server_gets_its_port_and_is_stopped():
    server = epr.Server([sys.executable, LISTEN, "127.0.0.1", "8000", "600"], ports=[8000])
    with server:
        assert server.port != 8000
        assert server.ports == {8000: server.port}
        assert server.port_list == [server.port]
        assert answers(server.port)
        assert os.path.isfile(server.env_file)
        # cli_listen prints getsockname()'s port: in a launch, the sentinel it asked for
        assert log_shows(server, "8000")
        port, env_file = server.port, server.env_file
    assert not server.running
    assert not answers(port)
    assert not os.path.exists(env_file)
    assert "8000" in server.log_text()  # the log, as it was when stopped
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


SLOW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "progs", "slow_health.py")


def http_status(port, path):
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def test_wait_http_returns_once_the_server_serves():
    with epr.Server([sys.executable, SLOW, "0", "0.5"], wait_http="/health") as server:
        assert http_status(server.port, "/health") == 200
    with pytest.raises(epr.EprError) as raised:
        epr.Server([sys.executable, SLOW, "0", "0"], wait_http="/missing", timeout=1).start()
    assert "status 404" in str(raised.value)


def test_wait_notify_returns_once_the_server_says_ready():
    # slow_health.py says READY=1 on NOTIFY_SOCKET when /health turns 200
    with epr.Server([sys.executable, SLOW, "0", "0.5"], wait_notify=True) as server:
        assert http_status(server.port, "/health") == 200
    with pytest.raises(epr.EprError) as raised:
        epr.Server([sys.executable, LISTEN, "127.0.0.1", "0", "600"], wait_notify=True,
                   timeout=1).start()
    assert "no READY=1 from the server (NOTIFY_SOCKET=@epr-notify-" in str(raised.value)


def test_a_killed_python_process_takes_its_servers_with_it():
    import json
    import signal
    import subprocess
    import time
    # a stand-in for a pytest session: it starts a server, reports it, and is SIGKILLed
    script = ("import epr, json, sys, time\n"
              "s = epr.Server([sys.executable, %r, '127.0.0.1', '0', '600']).start()\n"
              "print(json.dumps(s.values), flush=True)\n"
              "time.sleep(600)\n" % LISTEN)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                             env=dict(os.environ, PYTHONPATH=os.path.dirname(epr.__file__)))
    try:
        values = json.loads(child.stdout.readline())
        assert isinstance(values["EPR_PORT"], int) and answers(values["EPR_PORT"])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and (answers(values["EPR_PORT"]) or
                                           os.path.exists("/proc/%d" % values["EPR_PID"])):
        time.sleep(0.05)
    assert not answers(values["EPR_PORT"])
    assert not os.path.exists(values["EPR_FILE"])


def load_copy(tmp_path):
    """epr.py copied outside the source tree, so that no build/epr is beside it."""
    import importlib.util
    copy = tmp_path / "epr_copy.py"
    copy.write_text(open(epr.__file__).read())
    spec = importlib.util.spec_from_file_location("epr_copy", copy)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_epr_found_raises_eprerror_naming_where_it_looked(tmp_path, monkeypatch):
    module = load_copy(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.delenv("EPR_BIN", raising=False)
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(module.EprError) as raised:
        module.Server(["true"]).start()
    for where in ("EPR_BIN", os.path.join("bin", "epr"), os.path.join("build", "epr"), str(empty)):
        assert where in str(raised.value)


def test_an_epr_bin_that_cannot_run_raises_eprerror(monkeypatch):
    monkeypatch.setenv("EPR_BIN", "/nonexistent/epr")
    with pytest.raises(epr.EprError, match="/nonexistent/epr"):
        epr.Server(["true"]).start()
