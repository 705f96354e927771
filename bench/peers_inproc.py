"""In-process cost of one port from each Python peer, and from epr's ephemeral_port_reserve
(ctypes, common/reserve.c), interleaved by round: ROUNDS batches of N calls per peer.
Prints "NAME MEDIAN_NS" per peer (the median over rounds of the batch mean), then
"paired epr-python/classic RATIO", the median over rounds of the ratio within a round.
  peers_inproc.py ROUNDS N PEER..."""
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def loader(name):
    if name == "classic":
        import classic_reserve
        return classic_reserve.reserve
    if name == "epr-python":
        import ephemeral_port_reserve
        return ephemeral_port_reserve.reserve
    if name == "portpicker":
        import portpicker
        return portpicker.pick_unused_port
    if name == "port-for":
        import port_for
        return port_for.select_random
    raise SystemExit("peers_inproc.py: no peer %s" % name)


rounds, n = int(sys.argv[1]), int(sys.argv[2])
peers = {name: loader(name) for name in sys.argv[3:] if name != "get-port"}  # get-port: node
for f in peers.values():  # warm up: imports, first-call costs
    f()
per = {name: [] for name in peers}
for r in range(rounds):
    order = list(peers)[r % len(peers):] + list(peers)[:r % len(peers)]
    for name in order:
        f = peers[name]
        t0 = time.perf_counter_ns()
        for _ in range(n):
            f()
        per[name].append((time.perf_counter_ns() - t0) / n)
for name, values in per.items():
    print(name, round(statistics.median(values)))
if "epr-python" in per and "classic" in per:
    print("paired epr-python/classic %.3f" % statistics.median(
        a / b for a, b in zip(per["epr-python"], per["classic"])))
