# epr: libepr.so (shim/), the epr command (helper/), code both use (common/).
# make            build build/libepr.so and build/epr
# make check      build, then run the C unit tests and every bats suite
# make CC=clang   the same with clang; both must build warning-free

CC      ?= cc
CFLAGS  ?= -O2 -g
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat -Wformat-security
BASE    := -std=gnu11 -D_GNU_SOURCE -fPIC -pthread -Icommon $(WARN)
LDFLAGS ?=
B       ?= build

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
LIBDIR  ?= $(PREFIX)/lib/epr
MANDIR  ?= $(PREFIX)/share/man

COMMON_SRC := $(wildcard common/*.c)
SHIM_SRC   := $(wildcard shim/*.c) $(COMMON_SRC)
HELPER_SRC := $(wildcard helper/*.c helper/*/*.c) $(COMMON_SRC)
# helper/ is in parts: the commands (cmd/), the supervisor and its launch state (launch/),
# the seccomp interceptor (seccomp/), the readiness waits (wait/) and port holds (hold/).
HELPER_INC := -Ihelper -Ihelper/cmd -Ihelper/launch -Ihelper/seccomp -Ihelper/wait -Ihelper/hold

SHIM_OBJ   := $(patsubst %.c,$(B)/obj/%.o,$(SHIM_SRC))
HELPER_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(HELPER_SRC))

.PHONY: all check test-progs bats deps demo clean
all: $(B)/libepr.so $(B)/epr $(B)/ephemeral-port-reserve

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(INC) $(CFLAGS) -MMD -MP -c -o $@ $<
$(B)/obj/helper/%.o: INC = $(HELPER_INC)

-include $(SHIM_OBJ:.o=.d) $(HELPER_OBJ:.o=.d)

# Only the hooks are exported (shim/libepr.map): the version script hides everything else.
$(B)/libepr.so: $(SHIM_OBJ) shim/libepr.map
	$(CC) $(CFLAGS) -shared -pthread -Wl,--version-script=shim/libepr.map -Wl,-z,now \
		$(LDFLAGS) -o $@ $(SHIM_OBJ) -ldl

$(B)/epr: $(HELPER_OBJ)
	$(CC) $(CFLAGS) -pthread $(LDFLAGS) -o $@ $(HELPER_OBJ)

$(B)/ephemeral-port-reserve: $(B)/epr
	ln -sf epr $@

# Programs the bats suites drive (tests/progs/). libctor_bind.so binds from its
# constructor, which may run before libepr.so's own.
TEST_PROGS := $(B)/tests/listen_server $(B)/tests/ctor_bind $(B)/tests/fork_storm \
	$(B)/tests/udp_echo \
	$(B)/tests/static_server $(B)/tests/threads_bind $(B)/tests/fork_bind \
	$(B)/tests/own_notifier $(B)/tests/seccomp_driver $(B)/tests/signalled_bind
# tests/seccomp_edges.bats: threads, unix sockets and port 0 under the notifier.
TEST_PROGS += $(B)/tests/leader_exit $(B)/tests/leader_exit_static $(B)/tests/unshare_files \
	$(B)/tests/unix_server $(B)/tests/zero_static
# tests/seccomp_connect.bats: a client the shim cannot reach.
TEST_PROGS += $(B)/tests/static_client
# tests/wait_notify.bats: a server that speaks sd_notify in the orders that matter.
TEST_PROGS += $(B)/tests/notify_speaker
# tests/port_space.bats: a server that closes connections unless getsockname() says its port.
TEST_PROGS += $(B)/tests/port_check_server
test-progs: $(TEST_PROGS)

$(B)/tests/%: tests/progs/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< -pthread

$(B)/tests/libctor_bind.so: tests/progs/ctor_bind_lib.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -shared -o $@ $<

$(B)/tests/ctor_bind: tests/progs/ctor_bind.c $(B)/tests/libctor_bind.so
	$(CC) $(BASE) $(CFLAGS) -o $@ $< -L$(B)/tests -lctor_bind -Wl,-rpath,'$$ORIGIN'

# The seccomp suites: a server the shim cannot reach, a notifier of a sandbox's own, and the
# interception mechanism driven without epr's supervisor.
# Sanitizer runtimes cannot be linked statically: an ASan build gets a plain static_server.
$(B)/tests/static_server: tests/progs/static_server.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(filter-out -fsanitize=%,$(CFLAGS)) -static -o $@ $<

$(B)/tests/static_client: tests/progs/static_client.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(filter-out -fsanitize=%,$(CFLAGS)) -static -o $@ $<

$(B)/tests/zero_static: tests/progs/zero_static.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(filter-out -fsanitize=%,$(CFLAGS)) -static -o $@ $<

$(B)/tests/leader_exit_static: tests/progs/leader_exit.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(filter-out -fsanitize=%,$(CFLAGS)) -static -o $@ $< -pthread

$(B)/tests/own_notifier: tests/progs/own_notifier.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< -lseccomp

SECCOMP_DRIVER_SRC := tests/progs/seccomp_driver.c helper/seccomp/seccomp_filter.c \
	helper/seccomp/seccomp_notify.c helper/seccomp/seccomp_redirect.c common/fd_pass.c common/reserve.c helper/seccomp/sys_socket.c \
	common/seccomp_bpf.c
$(B)/tests/seccomp_driver: $(SECCOMP_DRIVER_SRC) helper/seccomp/seccomp_notify.h common/reserve.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(HELPER_INC) $(CFLAGS) -o $@ $(SECCOMP_DRIVER_SRC)

# Every bats suite through prove, whose closing "Result: PASS" CI reads. The files run side by
# side, each in a network namespace of its own (tests/run_isolated.sh): they mostly wait on
# servers, so BATS_JOBS of them share the cores well. The slowest start first, so the run does
# not end waiting on one long suite. Without unshare -n (not root) they run one at a time.
BATS_SLOW := tests/epr_hold.bats tests/trust_channel.bats tests/epr_fixture.bats \
	tests/containment.bats tests/wait_cmd_cgroup.bats tests/python_package.bats \
	tests/epr_supervise.bats \
	tests/epr_start.bats tests/waits_edges.bats tests/python.bats
BATS_FILES ?= $(filter $(wildcard tests/*.bats),$(BATS_SLOW)) \
	$(filter-out $(BATS_SLOW),$(wildcard tests/*.bats))
BATS_JOBS ?= 6
bats: all test-progs
	tests/run_suites.sh $(BATS_JOBS) $(BATS_FILES)

# Two redis-servers told --port 6379, each on its own port: what epr is for, in 30 s.
demo: all
	examples/demo.sh

check: $(if $(wildcard tests/unit/unit.mk),unit) bats

# What the build, the tests and CI need on Debian 12, installed non-interactively.
# Installing a server may start its system service: the tests work either way.
DEB_PACKAGES := build-essential make gcc clang libc6-dev bats python3 curl iproute2 procps \
	util-linux redis-server redis-tools dpkg-dev debhelper lintian mandoc man-db \
	mariadb-server mariadb-client nginx memcached postgresql postgresql-client socat \
	libclang-rt-14-dev valgrind cppcheck shellcheck
# Servers that cross process edges (tests/server_daemons.bats)
DEB_PACKAGES += mosquitto gunicorn
DEB_PACKAGES += dnsmasq bind9-dnsutils
# seccomp interception (helper/seccomp/) and the Go servers its tests drive.
DEB_PACKAGES += libseccomp-dev nats-server etcd-server
# epr exec's Go client (tests/epr_exec.bats)
DEB_PACKAGES += etcd-client
# Python: the modules' tests and the benchmark's peers; get-port comes from npm.
DEB_PACKAGES += python3-pytest python3-pytest-xdist python3-portpicker python3-port-for nodejs
# portpicker's own portserver (the benchmark's peer of epr portserver) imports psutil.
DEB_PACKAGES += python3-psutil
# strace: the portserver test of what it writes before it answers.
DEB_PACKAGES += strace
# The Python package (pyproject.toml): a venv, pip, and setuptools and wheel to build it offline.
DEB_PACKAGES += python3-venv python3-pip python3-setuptools python3-wheel
# Root runs apt-get itself (Debian images have no sudo); anyone else through sudo. Debian's npm
# only where no npm is installed: NodeSource's nodejs brings its own and conflicts with it.
SUDO = $(shell test "$$(id -u)" = 0 || echo sudo)
deps:
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(DEB_PACKAGES) \
		$$(command -v npm >/dev/null || echo npm)

clean:
	rm -rf $(B)

# Each area keeps its own rules: unit tests, fuzzers, sanitizer and lint runs, benchmarks.
-include tests/unit/unit.mk tests/fuzz/fuzz.mk mk/sanitize.mk bench/bench.mk mk/install.mk \
	mk/soak.mk
-include python/python.mk
