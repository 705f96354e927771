#!/usr/bin/env python3
"""cli_listen.py IP PORT [SECONDS]

Binds and listens on (IP, PORT), prints the port the kernel gave it, and stays up for
SECONDS (default 0), so that tests can compare it with what the shim exported."""
import socket
import sys
import time

ip, port = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM)
s.bind((ip, port))
s.listen(8)
print(s.getsockname()[1], flush=True)
time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 0)
