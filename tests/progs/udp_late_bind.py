#!/usr/bin/env python3
"""A server of one sentinel over TCP and UDP whose UDP bind comes late: binds TCP port
argv[1] and listens (the launch is ready), waits (at most 30 s) for file argv[2], then binds
UDP argv[1] on 0.0.0.0, says how that went, and echoes one datagram."""
import os
import socket
import sys
import time

port, trigger = int(sys.argv[1]), sys.argv[2]
tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
tcp.bind(("127.0.0.1", port))
tcp.listen(1)
for _ in range(300):
    if os.path.exists(trigger):
        break
    time.sleep(0.1)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    udp.bind(("0.0.0.0", port))
except OSError as e:
    print("UDP bind failed:", e, flush=True)
    sys.exit(1)
print("UDP bound", udp.getsockname()[1], flush=True)
udp.settimeout(20)
data, peer = udp.recvfrom(100)
udp.sendto(data, peer)
print("echoed", data.decode(), flush=True)
time.sleep(30)
