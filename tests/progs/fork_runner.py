#!/usr/bin/env python3
"""fork_runner.py: a tree that only SIGKILL stops, and that a pid snapshot cannot hold: it
listens on 127.0.0.1 port 0 and ignores SIGTERM; one child stops itself (SIGSTOP); another
forks and exits in a loop, so that its pid changes all the time (for 60 s at most: a pid
that hops is hard to clean up after a failed test). Prints the port. Its arguments are
ignored: a test passes its own directory, so that pgrep -f finds its runner and no other
suite's."""
import os
import signal
import socket
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
deadline = time.monotonic() + 60
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
if os.fork() == 0:
    s.close()
    os.kill(os.getpid(), signal.SIGSTOP)
    time.sleep(300)
    os._exit(0)
if os.fork() == 0:
    s.close()
    os.setsid()
    while time.monotonic() < deadline:
        if os.fork() != 0:
            os._exit(0)
        time.sleep(0.01)
    os._exit(0)
print(s.getsockname()[1], flush=True)
time.sleep(300)
