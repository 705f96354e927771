# Peers of the launch's supervisor that connect and then say nothing, and a bind beside them.
#   silent_peer.py HOW N WHEN
# HOW: "sleep" (a stuck helper) or "stop" (one stopped by SIGSTOP, as by Ctrl-Z or a
# debugger); N: how many; WHEN: "before" (they connect, then this process binds and listens
# three times and says how long that took), "after" (it listens first, then they connect),
# "only" (they connect; nothing binds). It then waits, up to 60 s, for SIGTERM.
import os, signal, socket, sys, time

how, n, when = sys.argv[1], int(sys.argv[2]), sys.argv[3]
name = "\0" + os.environ["EPR_SUPERVISOR_SOCKET"]
peers = []


def connect_silently():
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            c.settimeout(20)
            try:
                c.connect(name)
            except OSError:
                os._exit(1)
            if how == "stop":
                os.kill(os.getpid(), signal.SIGSTOP)
            time.sleep(60)
            os._exit(0)
        peers.append(pid)
    time.sleep(0.5)  # every peer has connected, or waits in connect()
    print("the silent peers are there", flush=True)


def finish(*_):
    for pid in peers:
        os.kill(pid, signal.SIGKILL)
    os._exit(0)


signal.signal(signal.SIGTERM, finish)
listeners = []
if when != "before":
    s = socket.socket()
    if when == "after":
        s.bind(("127.0.0.1", 0))
        s.listen(8)
    connect_silently()
else:
    connect_silently()
    start = time.time()
    for _ in range(3):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", 0))
            s.listen(8)
            listeners.append(s)
        except OSError as e:
            print("bind failed:", e, flush=True)
    print("three binds took %.1f s" % (time.time() - start), flush=True)
    if os.environ.get("EXIT"):
        finish()
time.sleep(60)
finish()
