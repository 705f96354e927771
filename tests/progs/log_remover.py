# Removes its log (argv[1]) as log rotation or a clean-up of the directory would, then
# listens on a port of its own for argv[2] s (default 30).
import os
import socket
import sys
import time

os.unlink(sys.argv[1])
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 30)
