"""The classic ephemeral-port-reserve algorithm, written from its description as the CLI
baseline (the package cannot be installed here). Usage: classic_reserve.py [IP [PORT]]"""
import contextlib
import errno
import socket
import sys


def reserve(ip="127.0.0.1", port=0):
    with contextlib.closing(socket.socket()) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((ip, port))
        except socket.error as e:
            if e.errno != errno.EADDRINUSE or port == 0:
                raise
            s.bind((ip, 0))
        s.listen(1)
        sockname = s.getsockname()
        with contextlib.closing(socket.socket()) as s2:
            s2.connect(sockname)
            sock, _ = s.accept()
            # The accepted side closes first, so the listener's port is left in TIME_WAIT.
            with contextlib.closing(sock):
                return sockname[1]


if __name__ == "__main__":
    args = sys.argv[1:]
    print(reserve(args[0] if args else "127.0.0.1", int(args[1]) if len(args) > 1 else 0))
