"""Reserve a free TCP port: the classic ephemeral-port-reserve API, on epr's C reservation.

    from ephemeral_port_reserve import reserve
    port = reserve()                    # on 127.0.0.1, any free port
    port = reserve('::1')               # on IPv6
    port = reserve('127.0.0.1', 8080)   # 8080 if it can be reserved, else another port

reserve(ip='127.0.0.1', port=0) binds a socket to (ip, port), falling back to (ip, 0) when
that port is taken, connects to it, accepts, and closes the accepted side first: the port
is left in TIME_WAIT. For about 60 seconds the kernel will not hand it to another bind to
port 0 or outgoing connection, but a server that binds it with SO_REUSEADDR (as nearly all
do) can take it. A preferred port that is free, or that was just reserved, is the port
returned. Errors raise OSError, as socket calls do; an address with a NUL in it raises
ValueError (which is also a TypeError, as socket.bind's is in some Pythons).

The reservation is common/reserve.c of epr, the code that libepr.so and `epr reserve` run,
loaded with ctypes from libepr-reserve.so: $EPR_RESERVE_LIB if set, else the copy that
`make install` or the Debian package put in ../../epr/ from this file
(PREFIX/lib/epr/), else build/ of the source tree this file is in.

Run as a program, `python3 -m ephemeral_port_reserve [IP [PORT]]` prints a reserved port.
"""

import ctypes
import errno
import os
import socket
import sys

__all__ = ["reserve", "LOCALHOST"]

LOCALHOST = "127.0.0.1"
LIBRARY_NAME = "libepr-reserve.so"


def _library_path():
    """Where libepr-reserve.so is: never looked up in the current directory."""
    path = os.environ.get("EPR_RESERVE_LIB")
    if path:
        return path
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "..", "..", "epr", LIBRARY_NAME),
                      os.path.join(here, "..", "build", LIBRARY_NAME)):
        if os.path.isfile(candidate):
            return os.path.normpath(candidate)
    raise ImportError("ephemeral_port_reserve: no %s in %s/../../epr/ or %s/../build/ "
                      "(set EPR_RESERVE_LIB)" % (LIBRARY_NAME, here, here))


library_path = _library_path()
_c_reserve = ctypes.CDLL(library_path).epr_reserve
_c_reserve.argtypes = (ctypes.c_char_p, ctypes.c_int)
_c_reserve.restype = ctypes.c_int


def _numeric(ip, port):
    """A name, as the classic tool's IPv4 socket would resolve it (IPv6 if it has none)."""
    for family in (socket.AF_INET, socket.AF_UNSPEC):
        try:
            return socket.getaddrinfo(ip, port, family, socket.SOCK_STREAM)[0][4][0]
        except socket.gaierror:
            if family == socket.AF_UNSPEC:
                raise
    raise AssertionError("unreachable")


class _NullCharacter(ValueError, TypeError):
    """A NUL in the address: socket.bind says TypeError in some Pythons, ValueError in
    others; this is both, so that either except clause catches it."""


def reserve(ip=LOCALHOST, port=0):
    """Reserve a TCP port on ip, preferring port; return it (an int).

    The port stays in TIME_WAIT for about 60 seconds: binds to port 0 and outgoing
    connections will not get it, a bind with SO_REUSEADDR will. Raises OSError.
    """
    port = int(port)
    if not 0 <= port <= 65535:
        raise OverflowError("bind(): port must be 0-65535.")
    if "\0" in ip:  # C would read only what comes before it
        raise _NullCharacter("embedded null character")
    result = _c_reserve(ip.encode(), port)
    if result == -errno.EINVAL:  # not a numeric address
        result = _c_reserve(_numeric(ip, port).encode(), port)
    if result == -errno.EAGAIN:
        raise OSError(errno.EAGAIN, "no free port on %s: the ephemeral port range is used up "
                      "(ports in TIME_WAIT free up within 60 s)" % ip)
    if result < 0:
        raise OSError(-result, "%s: %s" % (ip, os.strerror(-result)))
    return result


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 2:
        sys.stderr.write("usage: python3 -m ephemeral_port_reserve [IP [PORT]]\n")
        return 2
    print(reserve(*args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
