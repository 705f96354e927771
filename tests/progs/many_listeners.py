# Listens on N ports of its own (argv[1]), says "ready", and holds them for argv[2] s: a
# crowded network namespace.
import socket
import sys
import time

keep = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    keep.append(s)
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
