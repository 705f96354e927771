#!/usr/bin/env python3
"""cli_reserved.py IP PORT

The classic ephemeral-port-reserve test of a reserved port: a plain bind to (IP, PORT)
must fail with EADDRINUSE, and a bind with SO_REUSEADDR must succeed. Exit 0 when both
hold, else 1 with what happened on stdout."""
import errno
import socket
import sys

ip, port = sys.argv[1], int(sys.argv[2])
family = socket.AF_INET6 if ":" in ip else socket.AF_INET

plain = socket.socket(family, socket.SOCK_STREAM)
try:
    plain.bind((ip, port))
    print("plain bind succeeded")
    sys.exit(1)
except OSError as e:
    if e.errno != errno.EADDRINUSE:
        print("plain bind failed with", errno.errorcode.get(e.errno, e.errno))
        sys.exit(1)
finally:
    plain.close()

reuse = socket.socket(family, socket.SOCK_STREAM)
reuse.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    reuse.bind((ip, port))
except OSError as e:
    print("SO_REUSEADDR bind failed with", errno.errorcode.get(e.errno, e.errno))
    sys.exit(1)
finally:
    reuse.close()
