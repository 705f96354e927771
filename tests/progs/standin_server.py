#!/usr/bin/env python3
"""standin_server.py LOG SECONDS PORT...

Stands in for the host's own servers: listens on 127.0.0.1 and [::1] on each PORT, prints
"ready", and appends a line "PORT" to LOG for each connection it accepts (and closes), for at
most SECONDS. A test that must never reach the host's server checks that LOG stays empty."""
import select
import socket
import sys
import time

log_path, seconds, ports = sys.argv[1], float(sys.argv[2]), [int(p) for p in sys.argv[3:]]
listeners = []
for port in ports:
    for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        s = socket.socket(family, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(16)
        listeners.append(s)
print("ready", flush=True)
deadline = time.monotonic() + seconds
with open(log_path, "a") as log:
    while time.monotonic() < deadline:
        readable, _, _ = select.select(listeners, [], [], max(0.0, deadline - time.monotonic()))
        for s in readable:
            connection, _ = s.accept()
            log.write("%d\n" % s.getsockname()[1])
            log.flush()
            connection.close()
