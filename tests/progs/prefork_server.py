#!/usr/bin/env python3
"""prefork_server.py PORT WORKERS [SECONDS]

Forks WORKERS processes first; each then binds 127.0.0.1:PORT itself with SO_REUSEPORT
(sibling processes, no socket inherited), listens, and answers every connection with its
own pid. The parent waits for them; all exit after SECONDS (default 60)."""
import os
import signal
import socket
import sys
import time

port, workers = int(sys.argv[1]), int(sys.argv[2])
seconds = float(sys.argv[3]) if len(sys.argv) > 3 else 60.0


def worker():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    s.settimeout(0.2)
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            c, _ = s.accept()
        except socket.timeout:
            continue
        c.sendall(b"%d\n" % os.getpid())
        c.close()
    os._exit(0)


children = []
for _ in range(workers):
    pid = os.fork()
    if pid == 0:
        worker()
    children.append(pid)
signal.signal(signal.SIGTERM, lambda *_: [os.kill(p, signal.SIGTERM) for p in children])
for pid in children:
    while True:
        try:
            os.waitpid(pid, 0)
            break
        except ChildProcessError:
            break
        except InterruptedError:
            continue
