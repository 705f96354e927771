# S2: a process of the launch asks the supervisor to bind a socket and exits before it is
# answered; another process of the launch then gets its pid. The request must not be acted
# on. Run as root in a pid namespace of its own (ns_last_pid picks the next pid).
import os, signal, socket, struct, time

name = os.environ["EPR_SUPERVISOR_SOCKET"]
supervisor = int(name.split("-")[1])
s = socket.socket()
addr = struct.pack("=HH4s", socket.AF_INET, socket.htons(0),
                   socket.inet_aton("127.0.0.1")).ljust(128, b"\0")
request = struct.pack("IIII", 1, 1, 16, 0) + addr  # version 1, LAUNCH_BIND

os.kill(supervisor, signal.SIGSTOP)  # so that nothing is accepted before the pid is reused
asker = os.fork()
if asker == 0:
    c = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    c.connect("\0" + name)
    c.sendmsg([request], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack("i", s.fileno()))])
    os._exit(0)
os.waitpid(asker, 0)
reuser = 0
for _ in range(20):
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(asker - 1))
    reuser = os.fork()
    if reuser == 0:
        time.sleep(5)
        os._exit(0)
    if reuser == asker:
        break
    os.kill(reuser, signal.SIGKILL)
    os.waitpid(reuser, 0)
print("pid reused:", reuser == asker, flush=True)
os.kill(supervisor, signal.SIGCONT)
time.sleep(1.5)
print("the socket's port:", s.getsockname()[1], flush=True)
os.kill(reuser, signal.SIGKILL)
