"""Start test servers under epr and learn their ports: the fixture launcher.

    import epr

    with epr.Server(["redis-server", "--port", "6379", "--save", ""], ports=[6379]) as redis:
        redis.port              # the first port it listens on (not 6379)
        redis.ports[6379]       # the port that sentinel 6379 was given
        redis.log_text()        # what it has written to stdout and stderr

Server(command, ports=(), timeout=30, ...).start() runs `epr start --json -t TIMEOUT
--owner PID -p S... -- COMMAND`: the server runs in the background with libepr.so
preloaded, and start() returns once every sentinel has its port and listens, and every
wait given holds (wait_log=REGEX, wait_cmd=SHELL_COMMAND, wait_http=PATH, wait_notify=True
for the server's own READY=1 on NOTIFY_SOCKET: epr start's --wait-* options), or raises
EprError with epr's message and the end of the server's log.
The server is owned by this Python process (owner=os.getpid(), the default; owner=None
for none): when it exits, however it exits, epr stops the server within a second. stop()
runs `epr stop ENVFILE`: the server's whole process tree is stopped and its private
directory removed; the log's last 64 KiB stay in .final_log. For pytest, see epr_pytest.

epr is $EPR_BIN if set, else the epr installed beside this module (../../../bin/epr from
it: PREFIX/bin/epr), else build/epr of the source tree this file is in, else epr on PATH;
with none of them, or one that cannot run, start() and stop() raise EprError.
"""

import json
import os
import shlex
import shutil
import subprocess

__all__ = ["Server", "EprError", "epr_command", "parse_start_output"]

# epr start's keys, the new spelling first: EPR_ENV_FILE and EPR_PORTS are the older names.
ENV_FILE_KEYS = ("EPR_FILE", "EPR_ENV_FILE")
PORT_LIST_KEYS = ("EPR_PORT_LIST", "EPR_PORTS")
LOG_TAIL_BYTES = 65536


class EprError(RuntimeError):
    """epr start or epr stop failed; .returncode and .stderr say how."""

    def __init__(self, message, returncode=None, stderr=""):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def epr_command():
    """The epr executable to run; EprError naming where it looked when there is none."""
    if os.environ.get("EPR_BIN"):
        return os.environ["EPR_BIN"]
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [os.path.normpath(os.path.join(here, "..", "..", "..", "bin", "epr")),
                  os.path.normpath(os.path.join(here, "..", "build", "epr"))]
    for candidate in candidates:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("epr")
    if found:
        return found
    raise EprError("no epr found: EPR_BIN is not set, and there is no %s, no %s, and no epr "
                   "on PATH (%s)" % (candidates[0], candidates[1], os.environ.get("PATH", "")))


def _run_epr(args, **options):
    """subprocess.run of epr; an epr that cannot be run is an EprError too."""
    try:
        return subprocess.run(args, **options)
    except OSError as error:
        raise EprError("cannot run %s: %s" % (args[0], error.strerror or error)) from None


def parse_start_output(text):
    """epr start's NAME=value lines as a dict; a value is sh-quoted when it needs to be."""
    values = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name:
            words = shlex.split(value)
            values[name] = words[0] if words else ""
    return values


def _first(values, keys):
    for key in keys:
        if key in values:
            return values[key]
    raise KeyError("epr start printed none of %s" % ", ".join(keys))


class Server:
    """A server started with `epr start`; stop() (or leaving the `with`) stops it."""

    def __init__(self, command, ports=(), timeout=30, env=None, cwd=None, options=(),
                 name=None, wait_log=None, wait_cmd=None, wait_http=None, wait_notify=False,
                 owner="self"):
        self.command = [str(word) for word in command]
        self.sentinels = [int(port) for port in ports]
        self.timeout = timeout
        self.env = dict(env) if env else None
        self.cwd = cwd
        self.options = list(options)  # more epr start options: "--no-zero", "-v", "-l", FILE
        self.name = name or os.path.basename(self.command[0])
        self.waits = [("--wait-log", wait_log), ("--wait-cmd", wait_cmd),
                      ("--wait-http", wait_http)]
        self.wait_notify = bool(wait_notify)
        self.owner = owner
        self.values = {}
        self.final_log = None

    def start(self):
        """Starts the server and returns self once it accepts connections."""
        args = [epr_command(), "start", "--json", "-t", str(self.timeout)] + self.options
        for sentinel in self.sentinels:
            args += ["-p", str(sentinel)]
        for option, value in self.waits:
            if value is not None:
                args += [option, str(value)]
        if self.wait_notify:
            args.append("--wait-notify")
        if self.owner is not None:
            owner = os.getpid() if self.owner == "self" else int(self.owner)
            args += ["--owner", str(owner)]
        env = dict(os.environ, **self.env) if self.env else None
        try:
            done = _run_epr(args + ["--"] + self.command, stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True, env=env, cwd=self.cwd,
                                  timeout=self.timeout + 30)
        except subprocess.TimeoutExpired as expired:
            raise EprError("epr start %s: no answer after %s s" % (shlex.join(self.command),
                           expired.timeout)) from None
        if done.returncode != 0:
            raise EprError("epr start %s failed (exit %d):\n%s" % (shlex.join(self.command),
                           done.returncode, done.stderr.rstrip()), done.returncode, done.stderr)
        try:
            self.values = json.loads(done.stdout)
        except ValueError:
            raise EprError("epr start %s printed no JSON object:\n%s" % (
                shlex.join(self.command), done.stdout.rstrip())) from None
        self.final_log = None
        return self

    @property
    def running(self):
        """True between a successful start() and stop()."""
        return bool(self.values)

    def stop(self, timeout=10):
        """Stops the server and its whole process tree; safe to call twice."""
        if not self.values:
            return
        self.final_log = self.log_text()
        env_file = self.env_file
        done = _run_epr([epr_command(), "stop", "-t", str(timeout), env_file],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=timeout + 30)
        self.values = {}
        if done.returncode != 0:
            raise EprError("epr stop %s failed (exit %d):\n%s" % (env_file, done.returncode,
                           done.stderr.rstrip()), done.returncode, done.stderr)

    @property
    def env_file(self):
        """The env file, the server's handle for `epr stop`."""
        return _first(self.values, ENV_FILE_KEYS)

    @property
    def port(self):
        """The first port it listens on."""
        return int(self.values["EPR_PORT"])

    @property
    def ports(self):
        """{sentinel: port} for each sentinel asked for."""
        return {s: int(self.values["EPR_PORT_%d" % s]) for s in self.sentinels}

    @property
    def port_list(self):
        """Every port it listens on, in listen order."""
        ports = _first(self.values, PORT_LIST_KEYS)
        if isinstance(ports, list):
            return [int(p) for p in ports]
        return [int(p) for p in str(ports).split(",") if p]

    @property
    def pid(self):
        return int(self.values["EPR_PID"])

    @property
    def log_path(self):
        return self.values.get("EPR_LOG")

    def log_text(self, limit=LOG_TAIL_BYTES):
        """The last `limit` bytes of the server's stdout and stderr; after stop(), what
        they were when it was stopped."""
        if not self.values:
            return self.final_log or ""
        try:
            with open(self.log_path, "rb") as log:
                log.seek(max(0, os.fstat(log.fileno()).st_size - limit))
                return log.read(limit).decode(errors="replace")
        except (OSError, TypeError):
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def __repr__(self):
        state = "port %d" % self.port if self.values else "stopped"
        return "<epr.Server %s, %s>" % (self.name, state)
