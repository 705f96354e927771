# A server that connects while it shuts down, as servers do to wake their own accept loop:
# listens on 127.0.0.1:argv[1]; on SIGTERM connects to the port it really holds, then to
# argv[1] itself, then binds argv[1] again on a new socket, writes how each went to argv[2]
# ("own: ok", "bind: ESHUTDOWN"), and exits 0. A handler stuck in a call never writes it.
import errno
import os
import signal
import socket
import sys

sentinel, out = int(sys.argv[1]), sys.argv[2]
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", sentinel))
server.listen(8)
own = server.getsockname()[1]


def attempt(port):
    try:
        socket.create_connection(("127.0.0.1", port), 5).close()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def bind_again(port):
    try:
        socket.socket().bind(("127.0.0.1", port))
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def shutdown(*_):
    lines = "own: %s\nsentinel: %s\nbind: %s\n" % (attempt(own), attempt(sentinel), bind_again(sentinel))
    with open(out + ".tmp", "w") as f:
        f.write(lines)
    os.rename(out + ".tmp", out)
    os._exit(0)


signal.signal(signal.SIGTERM, shutdown)
print("LISTEN %d" % own, flush=True)
while True:
    server.accept()[0].close()
