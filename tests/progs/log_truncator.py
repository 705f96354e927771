# Listens, writes a line, truncates its log (stdout) and at once writes READY and more than
# the old length: a scan that comes after both sees a log longer than before.
import os
import socket
import time

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
os.write(1, b"starting up, not ready yet " + b"." * 200 + b"\n")
time.sleep(0.5)
os.ftruncate(1, 0)
os.write(1, b"READY\n" + b"-" * 500 + b"\n")
time.sleep(60)
