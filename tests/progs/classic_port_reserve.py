"""The classic ephemeral-port-reserve command, written here from its documented contract
for the side-by-side test (tests/classic_cli.bats): Debian does not package it.

    classic_port_reserve.py [IP [PORT]]

On an IPv4 TCP socket with SO_REUSEADDR, bind (IP, PORT), or (IP, 0) if PORT is in use;
listen, connect to it and accept, and close the accepted side first, so that the port is
left in TIME_WAIT; print it. Every error is Python's: a traceback and exit status 1."""
import errno
import socket
import sys


def reserve(ip="127.0.0.1", port=0):
    port = int(port)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind((ip, port))
        except OSError as error:
            if port == 0 or error.errno != errno.EADDRINUSE:
                raise
            listener.bind((ip, 0))
        listener.listen(1)
        address = listener.getsockname()
        client = socket.create_connection(address)
        accepted = listener.accept()[0]
        accepted.close()  # first: this side holds the port in TIME_WAIT
        client.close()
        return address[1]
    finally:
        listener.close()


if __name__ == "__main__":
    print(reserve(*sys.argv[1:]))
