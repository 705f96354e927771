#!/usr/bin/env python3
"""exec_getsockname.py PORT: binds 127.0.0.1:PORT and listens, then execs itself with the
socket's descriptor (bind, execve, listen as servers restarted in place do); the new image
prints what getsockname() says of the socket it inherited."""
import os
import socket
import sys

if sys.argv[1] == "--fd":
    print(socket.socket(fileno=int(sys.argv[2])).getsockname()[1])
    sys.exit(0)
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
os.set_inheritable(s.fileno(), True)
os.execv(sys.executable, [sys.executable, __file__, "--fd", str(s.fileno())])
