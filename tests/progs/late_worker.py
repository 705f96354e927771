#!/usr/bin/env python3
"""late_worker.py: listens on 127.0.0.1 port 0, prints the port; one second later forks a
worker that calls setsid() and prints "WORKER <pid>"; both then sleep for 120 s. The worker
is born after the launch was ready."""
import os
import socket
import sys
import time

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(1)
if os.fork() == 0:
    os.setsid()
    print("WORKER", os.getpid(), flush=True)
    time.sleep(120)
    os._exit(0)
time.sleep(120)
sys.exit(0)
