# Benchmarks (issue 5), included by the Makefile: it provides B, CC, BASE, CFLAGS and COMMON_SRC.
# make bench        every benchmark (about 4 minutes on 2 cores; needs root for unshare -n); prints one
#                   table and exits 1 naming each target missed; last, the database fixtures
# make bench-smoke  the same code paths with a few samples (seconds), for CI
# Both also measure the peers (python3-portpicker, python3-port-for, the classic algorithm, and
# get-port@5, which the first run installs with npm into $(B)/npm); a missing one is named and
# left out.
.PHONY: bench bench-smoke bench-progs bench-db

BENCH_LIB   := bench/stats.c bench/netns.c bench/command.c
BENCH_DRIVERS := spawn inproc collide churn timewait scale launch bind_loop hold seccomp_connect_loop \
	connect_loop
BENCH_PLAIN := trivial serve naive_port
BENCH_PROGS := $(addprefix $(B)/bench/,$(BENCH_DRIVERS) $(BENCH_PLAIN))
BENCH_COMMON_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(COMMON_SRC))

bench-progs: $(BENCH_PROGS)

# inproc, scale and hold call common/ itself; the others need only the helpers.
$(addprefix $(B)/bench/,$(BENCH_DRIVERS)): $(B)/bench/%: bench/%.c $(BENCH_LIB) bench/bench.h $(BENCH_COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ $< $(BENCH_LIB) $(if $(filter inproc scale hold,$*),$(BENCH_COMMON_OBJ))

$(addprefix $(B)/bench/,$(BENCH_PLAIN)): $(B)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(CFLAGS) -o $@ $<

# The database fixtures (bench/db_fixtures.py), in a private network namespace: a postgres
# database per test copied from a template against initdb per test. Debian's python3, whose
# pytest epr_pytest imports.
BENCH_DB = unshare -n sh -c 'ip link set lo up && exec "$$@"' sh env PYTHONPATH=$(CURDIR)/python \
	EPR_BIN=$(abspath $(B))/epr /usr/bin/python3 bench/db_fixtures.py

bench: all bench-progs
	sh bench/run.sh $(B)
	sh bench/launch.sh $(B)
	$(BENCH_DB) 15

# That part alone: make bench-db
bench-db: all
	$(BENCH_DB) 15

bench-smoke: all bench-progs
	sh bench/run.sh --smoke $(B)
	sh bench/launch.sh --smoke $(B)
	$(BENCH_DB) --smoke 2

# The seccomp pass-through bind (issue 11): links the interception modules, not epr.
#   build/bench/seccomp_bind [-N] N   prints pass-bare and pass-seccomp medians
SECCOMP_BENCH_SRC := bench/seccomp_bind.c bench/stats.c bench/netns.c helper/seccomp/seccomp_filter.c \
	helper/seccomp/seccomp_notify.c helper/seccomp/seccomp_redirect.c common/fd_pass.c
$(B)/bench/seccomp_bind: $(SECCOMP_BENCH_SRC) bench/bench.h helper/seccomp/seccomp_notify.h
	@mkdir -p $(dir $@)
	$(CC) $(BASE) $(HELPER_INC) $(CFLAGS) -o $@ $(SECCOMP_BENCH_SRC) -lseccomp


# Two builds' epr start and stop overheads, side by side in one run (bench/compare.sh):
#   make bench-compare OLD=/path/to/old/build
.PHONY: bench-compare
bench-compare: all bench-progs
	sh bench/compare.sh $(OLD) $(B)
