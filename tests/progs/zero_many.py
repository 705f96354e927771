# A socket bound to port 0 listens only after many later port-0 binds.   zero_many.py COUNT
import socket
import sys
import time

first = socket.socket()
first.bind(("127.0.0.1", 0))
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.close()
first.listen()
print("LISTEN", first.getsockname()[1], flush=True)
time.sleep(30)
