# Binds a socket, then binds the same socket again: the kernel says EINVAL.   rebind.py PORT
import socket
import sys

s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
print("first bind:", s.getsockname()[1])
for port in (int(sys.argv[1]), 0):
    try:
        s.bind(("127.0.0.1", port))
        print("second bind to %d: succeeded" % port)
    except OSError as e:
        print("second bind to %d: errno %d" % (port, e.errno))
