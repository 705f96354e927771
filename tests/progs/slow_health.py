"""A server that listens at once but is not ready at once, like postgres or a search engine:
GET /health answers 503 until DELAY seconds (argv[2], default 1) after it listens, then
200. Every other path is 404. It prints "listening" when it listens and "ready" when
/health turns 200, for the log, and then, with $NOTIFY_SOCKET set (epr start
--wait-notify), says READY=1 there as sd_notify(3) does; with $SLOW_HEALTH_STAMP set, it
first writes the CLOCK_MONOTONIC time of that moment into that file, for bench/waits.py.
Usage: slow_health.py PORT [DELAY]."""
import http.server
import os
import socket
import sys
import threading
import time

port = int(sys.argv[1])
delay = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
ready = threading.Event()


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            code = 404
        else:
            code = 200 if ready.is_set() else 503
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
print("listening on port %d" % server.server_address[1], flush=True)


def become_ready():
    time.sleep(delay)
    ready.set()
    stamp = os.environ.get("SLOW_HEALTH_STAMP")
    if stamp:
        with open(stamp, "w") as out:
            out.write("%.6f\n" % time.clock_gettime(time.CLOCK_MONOTONIC))
    print("ready to serve", flush=True)
    notify = os.environ.get("NOTIFY_SOCKET")
    if notify:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as out:
            out.sendto(b"READY=1", "\0" + notify[1:] if notify.startswith("@") else notify)


threading.Thread(target=become_ready, daemon=True).start()
server.serve_forever()
