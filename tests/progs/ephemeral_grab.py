#!/usr/bin/env python3
"""ephemeral_grab.py PORT

What the kernel hands out while PORT is held: binds port 0 on 127.0.0.1 until the
ephemeral range is used up, then makes 20 outgoing connections to a listener outside the
range. Prints "bind0 N" and "connect N" (how many each got) and exits 1 if either ever got
PORT."""
import socket
import sys

held = int(sys.argv[1])
kept, got = [], []
for _ in range(70000):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", 0))
    except OSError:
        s.close()
        break
    kept.append(s)
    got.append(s.getsockname()[1])
print("bind0", len(got))
for s in kept:
    s.close()

server = socket.socket()
server.bind(("127.0.0.2", 0))  # outside the ports that the range holds on 127.0.0.1
server.listen(64)
clients, local = [], []
for _ in range(20):
    c = socket.socket()
    try:
        c.connect(server.getsockname())
    except OSError:
        c.close()
        break
    clients.append(c)
    local.append(c.getsockname()[1])
print("connect", len(local))
if held in got or held in local:
    print("the kernel handed out the held port", held)
    sys.exit(1)
