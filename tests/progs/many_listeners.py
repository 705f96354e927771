# Listens on argv[2] consecutive ports from argv[1] on 127.0.0.1, says "ready", and holds them
# for argv[3] s: a crowded network namespace. Named ports, not port 0: 9000 binds to port 0
# scan an ever fuller ephemeral range (11 s of system time for two crowds), and the crowd
# must not take the ports epr reserves from that range either.
import socket
import sys
import time

first, count, hold = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
keep = []
for port in range(first, first + count):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.listen(1)
    keep.append(s)
print("ready", flush=True)
time.sleep(hold)
