# Run as a process outside a launch: connects to the launch's supervisor by its abstract
# name, sends it a well-formed bind request (common/launch_wire.h: version 1, LAUNCH_BIND,
# 127.0.0.1:PORT) with a socket of its own, and says what came back and what its socket
# ended up bound to. A supervisor that answers only its own tree sends nothing.
import os, socket, struct, sys

name, port = sys.argv[1], int(sys.argv[2])
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.settimeout(3)
try:
    c.connect("\0" + name)
except OSError as e:
    print("forged uid %d: connect failed: %s" % (os.getuid(), e), flush=True)
    sys.exit(0)
s = socket.socket()
addr = struct.pack("=HH4s", socket.AF_INET, socket.htons(port), socket.inet_aton("127.0.0.1"))
req = struct.pack("=IIII", 1, 1, 16, 0) + addr.ljust(128, b"\0")
try:
    c.sendmsg([req], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", s.fileno()))])
    reply = c.recv(8)
    print("forged uid %d: reply %r" % (os.getuid(), reply), flush=True)
except OSError as e:
    print("forged uid %d: no reply: %s" % (os.getuid(), e), flush=True)
print("forged uid %d: its socket's port: %d" % (os.getuid(), s.getsockname()[1]), flush=True)
