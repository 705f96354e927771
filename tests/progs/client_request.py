# Run as a process outside a launch: connects to the launch's supervisor by its abstract
# name and sends one well-formed request (common/launch_wire.h: version 1) about
# 127.0.0.1:PORT with a TCP socket of its own: OP is "connect" (LAUNCH_CONNECT, which a
# client of the supervisor's user may ask) or "bind" (LAUNCH_BIND, which only the tree may).
# Prints "reply RESULT PORT", or "no reply: WHY" when the supervisor sent nothing, and then
# the port its socket ended up bound to.
import os, socket, struct, sys

name, op, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
ops = {"bind": 1, "connect": 4}
c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c.settimeout(3)
try:
    c.connect("\0" + name)
except OSError as e:
    print("uid %d: connect failed: %s" % (os.getuid(), e), flush=True)
    sys.exit(0)
s = socket.socket()
addr = struct.pack("=HH4s", socket.AF_INET, socket.htons(port), socket.inet_aton("127.0.0.1"))
req = struct.pack("=IIII", 1, ops[op], 16, 0) + addr.ljust(128, b"\0")
try:
    c.sendmsg([req], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", s.fileno()))])
    reply = c.recv(8)
    if len(reply) == 8:
        print("uid %d: reply %d %d" % ((os.getuid(),) + struct.unpack("=iI", reply)), flush=True)
    else:
        print("uid %d: no reply: closed after %d bytes" % (os.getuid(), len(reply)), flush=True)
except OSError as e:
    print("uid %d: no reply: %s" % (os.getuid(), e), flush=True)
print("uid %d: its socket's port: %d" % (os.getuid(), s.getsockname()[1]), flush=True)
