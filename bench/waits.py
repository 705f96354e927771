"""make bench: how soon epr start returns once a server is ready, with each --wait-* and
with the loop people write by hand (`until curl -sf URL; do sleep 0.1; done`), and how soon
an --owner launch is gone once its owner is SIGKILLed. Run inside a private network
namespace (bench/waits.sh). Times are CLOCK_MONOTONIC, which every process shares: the
server stamps the moment /health turns 200 (tests/progs/slow_health.py).
    python3 bench/waits.py EPR ROUNDS"""
import json
import os
import random
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

EPR, ROUNDS = sys.argv[1], int(sys.argv[2])
SLOW = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "progs",
                    "slow_health.py")
# The server is ready this long after it listens: drawn anew for each round, so that no
# arm's polling happens to line up with it.
DELAYS = (0.30, 0.40)
delay = "0.35"


def now():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def stamped(stamp):
    with open(stamp) as f:
        return float(f.read())


def through_epr(wait, stamp):
    """epr start with one wait; the ms between ready and epr start's return."""
    out = subprocess.run([EPR, "start", "--json"] + wait + ["--", sys.executable, SLOW, "0", delay],
                         check=True, capture_output=True, text=True,
                         env=dict(os.environ, SLOW_HEALTH_STAMP=stamp)).stdout
    returned = now()
    launch = json.loads(out)
    latency = (returned - stamped(stamp)) * 1000
    subprocess.run([EPR, "stop", launch["EPR_FILE"]], check=True)
    return latency


def by_hand(stamp):
    """The server started directly and polled every 100 ms, as a shell loop does."""
    server = subprocess.Popen([sys.executable, SLOW, "0", delay], stdout=subprocess.PIPE,
                              text=True, env=dict(os.environ, SLOW_HEALTH_STAMP=stamp))
    port = int(server.stdout.readline().split()[-1])
    url = "http://127.0.0.1:%d/health" % port
    for _ in range(200):
        try:
            if urllib.request.urlopen(url, timeout=2).status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    returned = now()
    server.terminate()
    server.wait()
    return (returned - stamped(stamp)) * 1000


def owner_gone():
    """ms from the owner's SIGKILL until the server process is gone."""
    owner = subprocess.Popen(["sleep", "600"])
    out = subprocess.run([EPR, "start", "--json", "--owner", str(owner.pid), "--", sys.executable,
                          SLOW, "0", "0"], check=True, capture_output=True, text=True).stdout
    launch = json.loads(out)
    server = os.pidfd_open(launch["EPR_PID"])
    killed = now()
    owner.send_signal(signal.SIGKILL)
    ready, _, _ = select.select([server], [], [], 10)
    gone = now()
    owner.wait()
    os.close(server)
    if not ready:
        raise SystemExit("bench: the server outlived its owner by 10 s")
    return (gone - killed) * 1000


def main():
    stamp = os.path.join(tempfile.mkdtemp(prefix="epr-bench-waits."), "stamp")
    arms = {
        "--wait-http /health": lambda: through_epr(["--wait-http", "/health"], stamp),
        "--wait-log '^ready'": lambda: through_epr(["--wait-log", "^ready"], stamp),
        "--wait-cmd curl -sf": lambda: through_epr(
            ["--wait-cmd", 'curl -sf "http://127.0.0.1:$EPR_PORT/health"'], stamp),
        "by hand, sleep 0.1": lambda: by_hand(stamp),
    }
    results = {name: [] for name in arms}
    global delay
    for _ in range(ROUNDS):  # interleaved, so that the machine's noise hits every arm alike
        for name, arm in arms.items():
            delay = "%.3f" % random.uniform(*DELAYS)
            results[name].append(arm())
    owner = [owner_gone() for _ in range(ROUNDS)]
    print("\n%-24s %12s %12s" % ("ready -> start returns", "median", "max"))
    for name, times in results.items():
        print("%-24s %9.1f ms %9.1f ms" % (name, statistics.median(times), max(times)))
    print("%-24s %9.1f ms %9.1f ms" % ("--owner: SIGKILL -> gone", statistics.median(owner),
                                        max(owner)))
    print("(%d rounds; the server is ready %g to %g s after it listens)" % ((ROUNDS,) + DELAYS))
    os.unlink(stamp)
    os.rmdir(os.path.dirname(stamp))
    worst = max(statistics.median(t) for n, t in results.items() if n.startswith("--wait"))
    hand = statistics.median(results["by hand, sleep 0.1"])
    print("  slowest wait's median %.1f ms vs by hand %.1f ms" % (worst, hand))
    missed = 0
    if statistics.median(owner) > 1000:
        print("  missed: --owner stop took over 1 s")
        missed = 1
    return missed


sys.exit(main())
