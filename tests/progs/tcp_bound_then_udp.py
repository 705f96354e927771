# A server of sentinel 5353 over TCP and UDP: binds its TCP socket, then its UDP one, and
# listens only 2 s later (loading zones, say). Ready must mean a TCP client gets in.
import socket
import time

t = socket.socket()
t.bind(("127.0.0.1", 5353))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 5353))
time.sleep(2)
t.listen(8)
print("LISTEN tcp", t.getsockname()[1], flush=True)
time.sleep(60)
