# A program that probes for a free port with bind(0), closes, and binds that number again.
import socket

s = socket.socket()
s.bind(("127.0.0.1", 0))
port = s.getsockname()[1]
s.close()
t = socket.socket()
try:
    t.bind(("127.0.0.1", port))
    t.listen()
    print("bind the probed port again: ok")
except OSError as e:
    print("bind the probed port again:", e)
