#!/usr/bin/env python3
"""space_client.py MODE ...: the client side of tests/port_space.bats. Prints one line per
attempt: what came back, or the errno's name.
  tcp HOST PORT [TRIES]  connect (retried every 0.1 s up to TRIES times while refused, with
                         a "refused" line each), print
                         "peer <getpeername port> <first line received>"
  nonblock HOST PORT     a non-blocking connect: the errno it starts with, then, if it
                         completes within 2 s, "peer <port> <line>"
  udp HOST PORT          a datagram each by sendto, sendmsg, and connect + send: the echoes
  unix PATH              connect an AF_UNIX stream socket to PATH"""
import errno
import select
import socket
import sys
import time


def name(err):
    return errno.errorcode.get(err, str(err))


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def tcp(host, port, tries=1):
    for attempt in range(tries):
        s = socket.socket(family(host), socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect((host, port))
        except OSError as e:
            s.close()
            if e.errno == errno.ECONNREFUSED and attempt + 1 < tries:
                print("refused", flush=True)
                time.sleep(0.1)
                continue
            print("error", name(e.errno))
            return
        print("peer", s.getpeername()[1], s.makefile().readline().strip() or "<closed>")
        s.close()
        return


def nonblock(host, port):
    s = socket.socket(family(host), socket.SOCK_STREAM)
    s.setblocking(False)
    err = s.connect_ex((host, port))
    print("connect", name(err) if err else "0")
    if err == errno.EINPROGRESS:
        _, w, _ = select.select([], [s], [], 2)
        err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) if w else errno.ETIMEDOUT
        if err:
            print("then", name(err))
            return
    if err in (0, errno.EINPROGRESS):
        s.setblocking(True)
        s.settimeout(2)
        print("peer", s.getpeername()[1], s.makefile().readline().strip())


def udp(host, port):
    s = socket.socket(family(host), socket.SOCK_DGRAM)
    s.settimeout(2)
    for how in ("sendto", "sendmsg", "send"):
        try:
            if how == "sendto":
                s.sendto(how.encode(), (host, port))
            elif how == "sendmsg":
                s.sendmsg([how.encode()], [], 0, (host, port))
            else:
                s.connect((host, port))
                s.send(how.encode())
            print(how, s.recv(64).decode())
        except OSError as e:
            print(how, "error", name(e.errno) if e.errno else "timeout")


def unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        print("connected")
    except OSError as e:
        print("error", name(e.errno))


mode = sys.argv[1]
if mode == "tcp":
    tcp(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 1)
elif mode == "nonblock":
    nonblock(sys.argv[2], int(sys.argv[3]))
elif mode == "udp":
    udp(sys.argv[2], int(sys.argv[3]))
elif mode == "unix":
    unix(sys.argv[2])
