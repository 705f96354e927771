# A server that lives on through SIGTERM and binds once more when it gets it: its bind falls
# in the stop's grace period.
import signal, socket, time

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)


def on_term(sig, frame):
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", 0))
        print("bind during the stop: succeeded", flush=True)
    except OSError as e:
        print("bind during the stop: failed with errno", e.errno, flush=True)


signal.signal(signal.SIGTERM, on_term)
for _ in range(120):
    time.sleep(1)
