#!/usr/bin/env python3
"""cli_stubborn.py: listens on 127.0.0.1 port 0 and ignores SIGTERM, so that only SIGKILL
stops it."""
import signal
import socket
import time

signal.signal(signal.SIGTERM, signal.SIG_IGN)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
time.sleep(300)
