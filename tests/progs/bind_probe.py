#!/usr/bin/env python3
"""bind_probe.py FAMILY TYPE ADDR PORT [v6only=0|1] [reuse=0|1] [listen]

Binds one socket the way a test asks and prints what came of it, one line:
  OK <port> reuseaddr=<0|1> v6only=<0|1|->
  ERR <errno name>
FAMILY is inet, inet6 or unix (ADDR is then a path); TYPE is stream or dgram."""
import errno
import socket
import sys

family = {"inet": socket.AF_INET, "inet6": socket.AF_INET6, "unix": socket.AF_UNIX}[sys.argv[1]]
kind = {"stream": socket.SOCK_STREAM, "dgram": socket.SOCK_DGRAM}[sys.argv[2]]
opts = dict(a.split("=") for a in sys.argv[5:] if "=" in a)
s = socket.socket(family, kind)
if family == socket.AF_INET6 and "v6only" in opts:
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, int(opts["v6only"]))
if "reuse" in opts:
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(opts["reuse"]))
try:
    s.bind(sys.argv[3] if family == socket.AF_UNIX else (sys.argv[3], int(sys.argv[4])))
    if "listen" in sys.argv[5:]:
        s.listen(8)
except OSError as e:
    print("ERR", errno.errorcode.get(e.errno, e.errno))
    sys.exit(1)
port = "-" if family == socket.AF_UNIX else s.getsockname()[1]
v6only = s.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) if family == socket.AF_INET6 else "-"
print("OK", port, "reuseaddr=%d" % s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR), "v6only=%s" % v6only)
