#!/usr/bin/env python3
"""cli_two_ports.py PORT1 PORT2 DELAY

Listens on 127.0.0.1:PORT1, then DELAY seconds later on 127.0.0.1:PORT2, then stays up
until killed: a server whose ports come up at different times."""
import socket
import sys
import time

first = socket.socket()
first.bind(("127.0.0.1", int(sys.argv[1])))
first.listen(8)
time.sleep(float(sys.argv[3]))
second = socket.socket()
second.bind(("127.0.0.1", int(sys.argv[2])))
second.listen(8)
time.sleep(300)
