# A server that lives on through SIGTERM and binds once more when it gets it: its bind falls
# in the stop's grace period.
import signal, socket, time

def on_term(sig, frame):
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", 0))
        print("bind during the stop: succeeded", flush=True)
    except OSError as e:
        print("bind during the stop: failed with errno", e.errno, flush=True)


# The handler before the listen: epr start returns once the port listens, and a stop sent
# then must find it in place, not kill the server before it is set.
signal.signal(signal.SIGTERM, on_term)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
for _ in range(120):
    time.sleep(1)
