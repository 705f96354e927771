"""A test fixture for servers started through `epr start`, with the standard library only.

    from epr_fixture import EprServer

    with EprServer(["redis-server", "--port", "6379", "--save", ""], ports=[6379]) as redis:
        connect(("127.0.0.1", redis.port))          # where it really listens
        redis.ports[6379]                           # the same, by sentinel

unittest: start it in setUpClass and register its stop with addClassCleanup (see
test_epr_fixture.py). pytest: a generator fixture yields from epr_server():

    @pytest.fixture
    def redis():
        yield from epr_server(["redis-server", "--port", "6379", "--save", ""], ports=[6379])

The epr command is $EPR_BIN, else build/epr beside this directory, else epr on PATH.
"""

import os
import shlex
import shutil
import subprocess
import tempfile


def epr_command():
    """The epr executable to run."""
    if os.environ.get("EPR_BIN"):
        return os.environ["EPR_BIN"]
    built = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "epr")
    if os.access(built, os.X_OK):
        return os.path.normpath(built)
    return shutil.which("epr") or "epr"


def parse_start_output(text):
    """The NAME=VALUE lines that `epr start` prints, as a dict; values are sh-quoted."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep:
            words = shlex.split(value)
            values[name] = words[0] if words else ""
    return values


class EprServer:
    """A server started with `epr start`; stop() (or leaving the `with`) stops it."""

    def __init__(self, command, ports=(), timeout=30, env_file=None):
        self.command = list(command)
        self.sentinels = [int(p) for p in ports]
        self.timeout = timeout
        self.env_file = env_file
        self.values = {}
        self._tmpdir = None

    def start(self):
        if self.env_file is None:
            self._tmpdir = tempfile.mkdtemp(prefix="epr-fixture.")
            self.env_file = os.path.join(self._tmpdir, "env")
        # owned by this process: should it die without stop(), SIGKILL included, the
        # server goes with it
        args = [epr_command(), "start", "-t", str(self.timeout), "-e", self.env_file,
                "--owner", str(os.getpid())]
        for sentinel in self.sentinels:
            args += ["-p", str(sentinel)]
        done = subprocess.run(args + ["--"] + self.command, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        if done.returncode != 0:
            self._remove_tmpdir()
            raise RuntimeError("epr start %s failed (exit %d):\n%s"
                               % (shlex.join(self.command), done.returncode, done.stderr))
        self.values = parse_start_output(done.stdout)
        return self

    def stop(self):
        """Stops the server and its whole process group; safe to call twice."""
        if self.values:
            subprocess.run([epr_command(), "stop", self.env_file], check=True,
                           stdout=subprocess.DEVNULL)
            self.values = {}
        self._remove_tmpdir()

    def _remove_tmpdir(self):
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    @property
    def port(self):
        """The first port it listens on."""
        return int(self.values["EPR_PORT"])

    @property
    def ports(self):
        """{sentinel: port} for each sentinel asked for."""
        return {s: int(self.values["EPR_PORT_%d" % s]) for s in self.sentinels}

    @property
    def pid(self):
        return int(self.values["EPR_PID"])

    @property
    def log(self):
        return self.values["EPR_LOG"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def epr_server(command, ports=(), timeout=30):
    """A generator fixture: yields the started server, stops it when resumed or closed."""
    server = EprServer(command, ports, timeout).start()
    try:
        yield server
    finally:
        server.stop()
