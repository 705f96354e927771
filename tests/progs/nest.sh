#!/bin/sh
# nest.sh N: N levels of sh, each waiting for its child, then a bind to port 0 and a listen
# that prints "LISTEN <port>".
n=$1
if [ "$n" -gt 0 ]; then
	sh "$0" $((n - 1))
	exit $?
fi
exec python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print("LISTEN", s.getsockname()[1], flush=True)'
