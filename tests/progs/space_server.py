#!/usr/bin/env python3
"""space_server.py tcp|udp HOST PORT: a server for tests/port_space.bats. It binds HOST:PORT
(HOST "::" is dual-stack), prints "LISTEN <port getsockname says>", and then answers: TCP,
"hello\\n" on each connection (and prints "ACCEPTED"); UDP, echoes each datagram. Serves until killed."""
import socket
import sys

proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
s = socket.socket(family, socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM)
if family == socket.AF_INET6:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind((host, port))
if proto == "tcp":
    s.listen(16)
print("LISTEN", s.getsockname()[1], flush=True)
while True:
    if proto == "tcp":
        c, _ = s.accept()
        print("ACCEPTED", flush=True)
        c.sendall(b"hello\n")
        c.close()
    else:
        data, peer = s.recvfrom(512)
        s.sendto(data, peer)
