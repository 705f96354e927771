#!/usr/bin/env python3
"""A server of sentinel argv[1] over UDP and TCP that binds its UDP side first and binds and
listens on TCP only 2 s later (loading zones, say); the supervisor review's #19."""
import socket
import sys
import time

port = int(sys.argv[1])
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", port))
time.sleep(2)
t = socket.socket()
t.bind(("127.0.0.1", port))
t.listen(8)
print("LISTEN tcp", t.getsockname()[1], flush=True)
time.sleep(60)
