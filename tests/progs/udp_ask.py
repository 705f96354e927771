#!/usr/bin/env python3
"""udp_ask.py PORT [HOST]: send one datagram to HOST:PORT (default 127.0.0.1), print the
answer; waits at most 2 s."""
import socket
import sys

host = sys.argv[2] if len(sys.argv) > 2 else "127.0.0.1"
s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(b"ping", (host, int(sys.argv[1])))
print(s.recv(64).decode())
