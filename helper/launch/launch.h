/* One launch of epr run or epr start, owned by its supervisor: the process tree, the port
 * map, the env file, readiness and stop. The shim and the seccomp notifier both feed it
 * through launch_bind() and launch_listened(), which apply the common policy. */
#ifndef EPR_LAUNCH_H
#define EPR_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "cli.h"
#include "envfile.h"
#include "policy.h"
#include "port_map.h"
#include "launch_wait.h"

#define LAUNCH_MAX_EXPORTS EPR_MAX_EXPORTS
/* seccomp listeners served at once: CMD's own, and one for each process the shim saw exec a
 * program it cannot reach (each lives until the processes under that filter are gone). */
#define LAUNCH_MAX_NOTIFIERS 64

struct launch_export {
	uint16_t port, sentinel; /* sentinel 0: a port-0 bind */
	bool udp;                 /* a UDP socket, exported once bound; else a TCP listener */
	unsigned long long inode; /* the listening socket, to tell when it is closed */
	int pidfd;                /* the process that listened, to hear when it exits; -1 */
	struct sockaddr_storage addr; /* where it listens, for --wait-http */
	socklen_t addrlen;
};

/* A listener on a port that the launch did not hand out and that the kernel did not choose:
 * a port asked for by number that is no sentinel, likely one the user forgot to name with -p. */
#define LAUNCH_MAX_UNMOVED 16
struct launch_unmoved {
	char name[32];                /* the process that listened: /proc/PID/comm */
	struct sockaddr_storage addr; /* where it listens */
	unsigned long long inode;     /* its socket, to tell at -t whether it still listens */
};

enum launch_phase { LAUNCH_STARTING, LAUNCH_READY, LAUNCH_STOPPING };

struct launch_state {
	/* set up by the command */
	const struct launch *options; /* -p, -e, --no-zero, -v */
	bool foreground;              /* epr run: no readiness, the exit status is CMD's */
	const char *name;             /* CMD as given */
	char *path;                   /* CMD as found */
	char **argv;
	const char *log;              /* epr start: CMD's stdout and stderr */
	const char *tmpdir;           /* epr start without -e: the private directory */
	double timeout;               /* epr start -t */
	int ready_fd;                 /* epr start: told 'R' once ready; -1: none */
	bool seccomp;                 /* binds caught by seccomp user notification, not the shim */
	pid_t owner;                  /* --owner: its exit stops the launch; 0: none */
	unsigned long long owner_start;
	int owner_fd;                 /* a pidfd of the owner; -1: none */

	/* owned by the supervisor */
	struct policy policy;
	struct port_map map;
	struct launch_export exports[LAUNCH_MAX_EXPORTS];
	size_t n_exports;
	struct launch_unmoved unmoved[LAUNCH_MAX_UNMOVED]; /* distinct ones, the newest last */
	size_t n_unmoved;
	enum launch_phase phase;
	pid_t main_pid;               /* CMD */
	int main_status;              /* its wait status, once reaped */
	bool main_reaped;
	bool reaped_tree;             /* tree_reap() reaped a process of the tree, not only a
				       * --wait-cmd attempt */
	char socket_name[EPR_SUPERVISOR_NAME_MAX + 1];
	char why[256];                /* why it is not ready yet */
	struct launch_wait wait;      /* epr start --wait-*: readiness beyond the listen */
	int notifiers[LAUNCH_MAX_NOTIFIERS]; /* seccomp listeners, -1 in a free slot */
	bool notifier_client[LAUNCH_MAX_NOTIFIERS]; /* that listener is a client's (epr exec) */
	bool serving_client;          /* the listener being served is a client's */
};

/* launch_ports.c: the launch's ports. */
void launch_ports_init(struct launch_state *l);
/* The policy applied to bind(fd, addr, len) on the supervisor's copy of a target's socket:
 * 0 bound, POLICY_PASS to let the target bind as asked, or a positive errno. *port is the
 * port bound (for port 0 too). A candidate bind of a socket already bound fails EINVAL, as
 * the kernel would say. A UDP bind to a sentinel (pid's) is exported at once. */
int launch_bind(struct launch_state *l, int fd, const struct sockaddr *addr, socklen_t len,
		unsigned *port, pid_t pid);
/* fd (the supervisor's copy) now listens in process pid: exported when its port is one the
 * launch handed out, else recorded as unmoved (launch_unmoved.c). 0, or a positive errno
 * when the env file cannot be written. */
int launch_listened(struct launch_state *l, int fd, pid_t pid);
/* Where a connect or send of the tree to addr/len goes: 0 with *port the launch's port for
 * the sentinel addr names on this host; POLICY_PASS when addr is not one (connect as asked);
 * ECONNREFUSED while the sentinel has no port in the launch: the connect never reaches
 * what the host runs on it, as in a fresh network namespace. */
int launch_connect(const struct launch_state *l, const struct sockaddr *addr, socklen_t len,
		   unsigned *port);
/* The process behind export i exited (its pidfd is readable): forget the pidfd; the
 * supervisor then prunes unless the whole launch is over. */
void launch_export_exited(struct launch_state *l, size_t i);
/* Drops exports whose socket no longer listens, rewriting the env file if that changed. */
void launch_prune(struct launch_state *l);
/* The export behind EPR_PORT: the first sentinel's with -p, else the first; NULL if none. */
const struct launch_export *launch_first_export(const struct launch_state *l);
/* Whether every sentinel asked for (or, with none, some port) is exported and listening;
 * if not, why says what is missing. */
bool launch_ready(struct launch_state *l);
/* EPR_PID: the process the server named with MAINPID= (--wait-notify), else CMD. */
pid_t launch_main_pid(const struct launch_state *l);
/* Writes the env file from the launch state. 0 or -1 with errno. */
int launch_write_env(struct launch_state *l);

/* launch_unmoved.c: listeners on ports epr was not told to move. */
/* fd, which process pid listens on, has a port the launch did not hand out: recorded, and
 * with -v said at once ("NAME listens on ADDR:PORT, which epr was not told to move; add -p
 * PORT"), once per program, address and port, unless the kernel may have chosen the port
 * (it is in net.ipv4.ip_local_port_range). */
void launch_unmoved_listened(struct launch_state *l, int fd, pid_t pid);
/* For epr start's -t message: the same line for the newest few that still listen. */
void launch_unmoved_say(const struct launch_state *l);

/* launch_tree.c: the process tree: a cgroup v2 of the launch's own where one is writable,
 * else the supervisor's descendants (it is a child subreaper either way). */
/* Becomes a child subreaper and makes the launch's cgroup unless EPR_CGROUP=off or none is
 * writable. 0, or -1 with errno. */
int tree_setup(void);
/* fork() for CMD: the child starts in the launch's cgroup (or, if the kernel refuses that,
 * the launch goes on without one). */
pid_t tree_fork(void);
/* For -v: "the launch's cgroup is PATH", or "no writable cgroup v2 (why): child subreaper". */
void tree_describe(char *out, size_t cap);
/* The launch's cgroup directory; "" on the subreaper path. */
const char *tree_cgroup(void);
/* The cgroup's cgroup.events, to poll for POLLPRI: "populated" changed; -1: none. */
int tree_pollfd(void);
/* Signals every process of the tree. */
void tree_signal(int sig);
/* SIGTERM, then SIGCONT (a stopped process would keep SIGTERM pending) to every process. */
void tree_terminate(void);
/* SIGKILL to every process of the tree (cgroup.kill where there is one). */
void tree_kill(void);
/* Reaps every child that has exited; the main one's status goes into l. True when no child
 * is left but the --wait-cmd attempts' (and the cgroup is empty but for theirs). */
bool tree_reap(struct launch_state *l);
/* Whether pid belongs to the tree: in the launch's cgroup or below (the attempts' cgroups
 * excepted), else its parent chain reaches the supervisor. */
bool tree_contains(pid_t pid);
/* Whether id is the id of the launch's cgroup or one below it (not a --wait-cmd attempt's):
 * where a process that has exited was (its pidfd says, Linux 6.16). False on the
 * subreaper path. */
bool tree_held_cgroup(uint64_t id);
/* Writes "pid:start" items of the tree, comma-separated, into out. */
void tree_snapshot(char *out, size_t cap);
/* The directory below the launch's cgroup that holds the --wait-cmd attempts' cgroups. */
#define TREE_ATTEMPTS "wait-cmd"
/* fork() for a --wait-cmd attempt: born in a fresh cgroup, <launch>/wait-cmd/N, when the
 * launch has one; else under a keeper (the pid returned), a child subreaper that kills what
 * the attempt left once it ends, and then exits as it did. why gets a line for -v when the
 * kernel would not start the attempt in a cgroup, and keepers take over; else "". */
pid_t tree_fork_attempt(char *why, size_t cap);
/* Kills whatever the attempt left: its cgroup whole (removed once empty), or, given the pid
 * of a keeper not yet reaped, the keeper's descendants. */
void tree_kill_attempt(pid_t keeper);
/* The launch is over: its cgroups are removed. */
void tree_release(void);

/* child_signals.c: in a child before exec, every signal at its default and none blocked. */
void child_reset_signals(void);

/* launch_channel.c: the abstract socket the shim talks to. Driven from the supervisor's
 * poll loops, as the waits are: it never blocks, whatever a peer does. */
#define CHANNEL_PEERS 32 /* connections kept waiting for their request at once */
#define CHANNEL_POLLFDS (2 + CHANNEL_PEERS) /* the listener, a timer, the connections */
/* Creates it, naming it in l->socket_name; it lives as long as the supervisor. 0, or -1
 * with errno. */
int channel_open(struct launch_state *l);
/* Fills CHANNEL_POLLFDS entries of p (fd -1 for those not in use). */
void channel_pollfds(struct pollfd *p);
/* After poll: answers the requests that arrived (with -ESHUTDOWN while the launch stops),
 * accepts new peers, drops silent ones. True when some request was answered. */
bool channel_events(struct launch_state *l, const struct pollfd *p);

/* listeners.c: which of the launch's sockets listen, from the kernel's sock_diag. */
/* Sets found[i] for each socket inodes[i] (bound to ports[i]) that listens (TCP) or is bound
 * (UDP) in this network namespace; the kernel is asked of those ports only. 0, or -1 with
 * errno when it could not say (found[] then means nothing). */
int listeners_find(const uint16_t *ports, const unsigned long long *inodes, bool *found, size_t n);
/* 1 when some TCP socket is bound to port and none listens on it yet: a listen is to come.
 * 0 if not (and always before Linux 6.8, which does not report bound sockets), -1 with errno. */
int listeners_listen_pending(uint16_t port);

/* launch_registry.c: the caller's launches, one entry each in a directory of the user's. The
 * supervisor writes its entry alone (write and rename) and holds an flock on "PID.lock"
 * there for its whole life: that lock, which the kernel drops when it dies, is what says
 * that a launch is supervised. An env file given with -e is claimed by a lock file there
 * too, so that two live launches never share one. */
struct launch_entry {
	pid_t supervisor, main;
	unsigned long long supervisor_start, main_start;
	char env_file[4096];
	char tmpdir[4096]; /* the private directory epr start made: the only one stop removes */
	char tree[1024]; /* the tree snapshot, for a stop after the supervisor died */
	pid_t owner;     /* --owner: the process whose exit stops the launch; 0: none */
	unsigned long long owner_start;
	/* CMD and its arguments, each percent-encoded, joined by "%00": any argv reads back */
	char command[ENVFILE_MAX];
	bool command_cut; /* the last arguments were left out, to fit the entry */
	char cgroup[4096];  /* the launch's cgroup, for a stop after the supervisor died; "" */
	/* For epr exec: the supervisor's abstract socket, and the sentinels (EPR_PORTS as CMD
	 * got it) that a client's connects follow; "" for an entry of an older epr. */
	char socket[EPR_SUPERVISOR_NAME_MAX + 1];
	char ports[EPR_MAX_SENTINELS * 12 + 1]; /* 64 items of "65535=65535," */
	bool listed; /* read from the registry (not only from an env file): never written */
};
/* The registry directory, created 0700 if missing: EPR_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/epr, else /tmp/epr-UID, or when one of the last two is another user's
 * or open to others, the next, then $HOME/.cache/epr. Exits 1 when none can be used. */
const char *registry_dir(void);
/* registry_dir() for epr start and epr run, before anything is made or forked; verbose
 * says (once) which directory stands in for one that cannot be used. */
void registry_check(bool verbose);
int registry_write(const struct launch_entry *e);
/* Records argv in e->command, whole arguments as long as they fit. */
void registry_set_command(struct launch_entry *e, char *const argv[]);
/* e's command as sh would need it typed, one space between arguments, " ..." after when
 * some were left out; printable: a control character as '?', for a terminal. malloc'd;
 * exits 1 when memory runs out. */
char *registry_command_text(const struct launch_entry *e, bool printable);
/* The supervisor's own launch is over: its entry, its lock and its env file's claim go. */
void registry_remove(pid_t supervisor);
/* Reads the entry of supervisor; 0, or -1 (errno ENOENT) if none. */
int registry_read(pid_t supervisor, struct launch_entry *e);
/* Whether the registry still has e's launch: an entry for its supervisor's pid with its start
 * time, not that of a later launch that reuses the pid. That entry goes into now. */
bool registry_lists(const struct launch_entry *e, struct launch_entry *now);
/* Calls each for every entry; stops early when it returns non-zero. */
int registry_each(int (*each)(const struct launch_entry *e, void *arg), void *arg);
/* Every entry, oldest launch first, in a malloc'd array of *n (NULL when none); exits 1 when
 * memory runs out. */
struct launch_entry *registry_all(size_t *n);
/* A process the registry recorded, with its start time to tell a reused pid. */
struct launch_process {
	pid_t pid;
	unsigned long long start;
};
/* The processes of e: CMD, then the rest of its tree snapshot; how many went into out. */
size_t registry_processes(const struct launch_entry *e, struct launch_process *out, size_t cap);
enum entry_state {
	ENTRY_OVER,       /* nothing of it runs: only its entry and files are left, or its
			   * supervisor, which removed its entry, is exiting */
	ENTRY_SUPERVISED, /* its supervisor runs: it holds the entry's lock */
	ENTRY_ORPHANED,   /* its supervisor is gone (killed), some process of its tree runs */
	ENTRY_FOREIGN,    /* no supervisor, and what it names runs as another user: not ours */
};
enum entry_state registry_state(const struct launch_entry *e);
/* Whether e's supervisor runs: a process holds the lock of e's entry and has e's start
 * time. Never true for pid 1. */
bool registry_supervised(const struct launch_entry *e);
/* The supervisor: takes the lock that says it runs, for its whole life (kept from CMD).
 * Its file is named as long as the supervisor's entry is: registry_remove() takes both,
 * the entry first; an entry left at exit keeps it for whoever removes that entry.
 * 0, or -1 with errno. */
int registry_hold(void);
/* Claims env_file for this launch until it ends; exits 1 naming the live launch that holds
 * it (or why it cannot be claimed). */
void registry_claim(const char *env_file);
/* epr start: the claim's descriptor, to keep it in the supervisor (-1: none); the
 * supervisor adopts it at fd, and epr start, which then exits, disowns its own. */
int registry_claim_fd(void);
void registry_claim_adopt(int fd);
void registry_claim_disown(void);
/* In a forked child, before exec: lets go of the supervisor's locks (they stay held). */
void registry_close_inherited(void);
/* Removes what is left of e once nothing of it runs, unless a live supervisor has its pid
 * now: the entry, its lock and the claim on its env file. 0, or -1 with errno. */
int registry_clean(const struct launch_entry *e);

/* launch_stop.c: stopping launches, many at once. */
#define LAUNCH_STOP_MAX 256 /* processes of one orphaned tree */
struct launch_stop {
	const struct launch_entry *entry;
	int supervisor;                /* a pidfd of the supervisor, asked to stop; -1: none */
	int orphans[LAUNCH_STOP_MAX];  /* pidfds of what a killed supervisor left; -1 once gone */
	size_t n_orphans;
	int error;       /* the supervisor could not be asked, or did not finish (ETIMEDOUT);
			  * EPERM: some process of it is not the caller's to signal */
	bool survivors;  /* some orphan outlived SIGKILL */
	double waited;   /* seconds launch_stop_wait waited */
};
/* Begins to stop e: SIGTERM with the grace period (in seconds) to its supervisor, or when
 * that is gone, SIGTERM and SIGCONT to each process of e's cgroup, or of its tree snapshot
 * (and their descendants) that still runs. False when nothing of it runs. */
bool launch_stop_begin(struct launch_stop *s, const struct launch_entry *e, double grace);
/* Waits for the stops s[0..n) together: orphans get SIGKILL after grace (a supervisor sends
 * its own). Sets error and survivors; true when nothing of any is left. */
bool launch_stop_wait(struct launch_stop *s, size_t n, double grace);
/* What a supervisor would have removed had it not been killed: e's registry entry, its
 * cgroup (what still runs in it killed) and the private directory of epr start. 0, or -1
 * with errno. */
int launch_clean_up(const struct launch_entry *e);
/* Whether some process is in the cgroup e recorded: 1, 0, or -1 (none, or not epr's). */
int launch_cgroup_populated(const struct launch_entry *e);

/* launch_via.c: finds l->name as execvp would and picks the interceptor (l->path,
 * l->seccomp); *shim is the malloc'd libepr.so to preload, or NULL under seccomp. 0, or
 * the exit status for a CMD that cannot be found or run (said on stderr). */
int launch_resolve(struct launch_state *l, char **shim);

/* launch_seccomp.c: the seccomp interceptor's side of the supervisor. */
/* Answers one pending notification on listener with the launch's policy; false once the
 * listener is done (every target gone). */
bool launch_seccomp_serve(struct launch_state *l, int listener);

/* launch_notifiers.c: the seccomp listeners the supervisor serves. */
/* Every slot free. */
void launch_notifiers_init(struct launch_state *l);
/* Keeps a copy of fd, which process pid sent, once it is checked to be a seccomp listener;
 * client: pid is a client (epr exec's CMD, outside the tree), whose binds and listens pass
 * through. 0, or a positive errno: EBADF for another kind of descriptor, EMFILE when every
 * slot is taken. */
int launch_adopt_notifier(struct launch_state *l, int fd, pid_t pid, bool client);
/* Whether listener, one of l->notifiers, was a client's: its targets are outside the tree. */
bool launch_notifier_client(const struct launch_state *l, int listener);

/* launch_client.c: epr exec's side of a running launch's channel. */
struct launch_reply;
/* A connection to the supervisor of e (e->socket), checked to be held by it: e's supervisor
 * pid, and the uid and pidfs inode the name says. -1 with errno: EINVAL when e names no
 * socket of its supervisor's, ECONNREFUSED when nobody holds the name, EPERM when another
 * process does, ETIMEDOUT when the supervisor takes no connection. */
int launch_client_connect(const struct launch_entry *e);
/* Sends the request op (no address) with fd on conn and waits, bounded, for the reply.
 * 0, or -1 with errno (ECONNRESET: closed without an answer). */
int launch_client_call(int conn, uint32_t op, int fd, struct launch_reply *rep);

/* supervisor.c: runs the launch until its tree is gone; returns the exit status. For epr
 * start it runs in the background after telling ready_fd. */
int supervisor_run(struct launch_state *l);

#endif
