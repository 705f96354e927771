"""unittest with servers of its own, through epr_fixture: two redis-servers, both told
--port 6379, and a python3 -m http.server told port 0. Run it:

    python3 -m unittest discover -s examples -p 'test_epr_fixture.py' -v
"""

import os
import socket
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from epr_fixture import EprServer, epr_server  # noqa: E402


def redis_command(directory):
    return ["redis-server", "--port", "6379", "--bind", "127.0.0.1", "::1",
            "--dir", directory, "--save", "", "--appendonly", "no"]


def redis_call(port, *words):
    """One command in RESP, and the first line of the answer."""
    request = "*%d\r\n" % len(words) + "".join(
        "$%d\r\n%s\r\n" % (len(w.encode()), w) for w in words)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.makefile("rb").readline().decode().rstrip("\r\n")


class TwoRedisServers(unittest.TestCase):
    """Class-wide fixtures: started once, stopped by addClassCleanup even if a test fails."""

    @classmethod
    def setUpClass(cls):
        cls.dirs = []
        cls.servers = []
        for _ in range(2):
            cls.dirs.append(tempfile.TemporaryDirectory())
            cls.addClassCleanup(cls.dirs[-1].cleanup)
            server = EprServer(redis_command(cls.dirs[-1].name), ports=[6379]).start()
            cls.addClassCleanup(server.stop)
            cls.servers.append(server)

    def test_each_answers_ping_on_its_own_port(self):
        a, b = self.servers
        self.assertNotEqual(a.port, b.port)
        self.assertNotEqual(a.port, 6379)
        self.assertEqual(a.ports[6379], a.port)
        for server in self.servers:
            self.assertEqual(redis_call(server.port, "PING"), "+PONG")

    def test_each_is_its_own_server(self):
        a, b = self.servers
        self.assertEqual(redis_call(a.port, "SET", "who", "a"), "+OK")
        self.assertEqual(redis_call(b.port, "GET", "who"), "$-1")


class HttpServerOnPortZero(unittest.TestCase):
    """A per-test fixture from the generator epr_server, as a pytest fixture would use it."""

    def setUp(self):
        fixture = epr_server([sys.executable, "-m", "http.server", "0", "--bind", "127.0.0.1",
                              "--directory", os.path.dirname(os.path.abspath(__file__))])
        self.server = next(fixture)
        self.addCleanup(fixture.close)

    def test_serves_on_the_exported_port(self):
        url = "http://127.0.0.1:%d/epr_fixture.py" % self.server.port
        with urllib.request.urlopen(url, timeout=10) as response:
            self.assertIn(b"class EprServer", response.read())


if __name__ == "__main__":
    unittest.main()
