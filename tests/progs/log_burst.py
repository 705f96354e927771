# Writes a burst of MIB MiB of lines and then READY to stdout, in as few writes as the
# kernel takes, listens on a port of its own, and says nothing more.
import os
import socket
import sys
import time

burst = (b"x" * 99 + b"\n") * (int(sys.argv[1]) * 1048576 // 100) + b"READY\n"
view = memoryview(burst)
while view:
    view = view[os.write(1, view):]
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
time.sleep(60)
