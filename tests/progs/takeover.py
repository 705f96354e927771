# #2, run as another user: takes over a dead supervisor's abstract name and waits for a
# process of the launch to hand it a socket. Says what it got; waits 10 s for a first
# connection, 2 s for another.
import array, os, socket, sys, time

name = "\0" + sys.argv[1]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
for _ in range(200):
    try:
        srv.bind(name)
        break
    except OSError:
        time.sleep(0.05)  # still held by the live supervisor
else:
    sys.exit("takeover: the name stayed taken")
srv.listen(8)
print("takeover uid %d: holds the name" % os.getuid(), flush=True)
try:
    for wait in (10, 2):
        srv.settimeout(wait)
        conn, _ = srv.accept()
        conn.settimeout(2)
        fds = array.array("i")
        try:
            msg, anc, _, _ = conn.recvmsg(144, socket.CMSG_LEN(4))
        except OSError:
            msg, anc = b"", []
        for _, _, data in anc:
            fds.frombytes(data[:4])
        if fds:
            print("takeover: got a socket of the launch", flush=True)
        else:
            print("takeover: a connection that sent no socket (%d bytes)" % len(msg), flush=True)
        conn.close()
except socket.timeout:
    print("takeover: nothing more came", flush=True)
