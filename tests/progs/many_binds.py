# #14: 160 threads bind port 0 at once when $TRIGGER appears (the test stops the supervisor
# first), and say how many binds returned, and how long the last took, once all have or
# after 40 s.
import os, socket, threading, time

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(8)
for _ in range(600):
    if os.path.exists(os.environ["TRIGGER"]):
        break
    time.sleep(0.1)
done = []


def one():
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", 0))
        done.append("ok")
    except OSError as e:
        done.append(e.errno)


start = time.time()
threads = [threading.Thread(target=one, daemon=True) for _ in range(160)]
for th in threads:
    th.start()
for th in threads:
    th.join(max(0.1, start + 40 - time.time()))
print("%d of 160 binds returned within %.0f s" % (len(done), time.time() - start), flush=True)
time.sleep(60)
