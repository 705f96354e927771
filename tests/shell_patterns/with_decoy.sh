#!/usr/bin/env bash
# with_decoy.sh LOG CMD [ARG...]: run CMD (in a private network namespace: the caller's
# in_netns) while a decoy server on 127.0.0.1:6379 answers every connection with +PONG and
# notes it in LOG. A pattern that goes on after a failed epr start hands its clients an
# empty port, and redis-cli -p "" reaches 6379: the decoy. Prints "exit N" for CMD.
log=$1
shift
: >"$log"
python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 6379))
s.listen(8)
open(sys.argv[1] + ".ready", "w").close()
while True:
    c, _ = s.accept()
    with open(sys.argv[1], "a") as log:
        log.write("connected\n")
    c.sendall(b"+PONG\r\n")
    c.close()' "$log" 3>&- &
decoy=$!
for ((i = 0; i < 100; i++)); do
	[ -e "$log.ready" ] && break
	sleep 0.1
done
"$@"
echo "exit $?"
kill "$decoy"
wait "$decoy" 2>/dev/null
exit 0
