# Sanitizer, valgrind and lint runs.
#   make check-asan       everything built with ASan+UBSan into $(B)/asan, then the unit tests
#                         and every bats suite run against that build
#   make check-valgrind   the unit tests, a shimmed listen_server (port 0, a sentinel, 8
#                         threads) and every epr subcommand (tests/valgrind_cli.sh) under
#                         valgrind's memcheck
#   make lint             cppcheck on the C sources, shellcheck on the shell scripts

SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_B    := $(B)/asan
ASAN_LOGS := $(abspath $(ASAN_B))/sanitizer-logs

# The bats suites preload $(ASAN_B)/libepr.so into uninstrumented programs (python3,
# redis-server, sh), where the ASan runtime arrives as the library's dependency, after libc:
# verify_asan_link_order=0 lets it start there. Stack and global checks work so; malloc is
# not intercepted, and the shim never mallocs. (EPR_LIB="libasan.so libepr.so" would put
# the runtime first, but epr rightly refuses a library path with a space in it.)
# handle_segv=0: a test kills sh with SIGSEGV on purpose; a report would replace the signal.
# Reports go to files, not stderr, so that a report from a process whose failure a test
# expects, or from a background server, still fails the run. Host programs' leaks are not ours.
SAN_ENV := ASAN_OPTIONS=detect_leaks=0:verify_asan_link_order=0:handle_segv=0:log_exe_name=1:log_path=$(ASAN_LOGS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_exe_name=1:log_path=$(ASAN_LOGS)/ubsan

# mariadbd (C++) dies at start-up (SEGV at pc 0, before ASan is initialised) when the
# runtime is not first; epr start builds its LD_PRELOAD itself, so the runtime cannot be
# put first there. make check runs that suite; check-asan leaves it out.
ASAN_BATS ?= $(filter-out tests/server_mariadb.bats,$(BATS_FILES))

.PHONY: asan-build check-asan check-valgrind lint lint-c lint-sh
asan-build:
	$(MAKE) B=$(ASAN_B) CFLAGS="-O1 -g $(SAN_FLAGS)" LDFLAGS="$(SAN_FLAGS)" \
		all test-progs unit-build

# Every step runs even when one fails; the target fails if any did, or if any sanitizer
# report was written. The plain build too: the README and example suites run the
# commands as a user types them, with build/epr. The reports' directory is writable by all
# (sticky, as /tmp): suites run servers as nobody, whose reports must land there too.
check-asan: all asan-build
	@rm -rf $(ASAN_LOGS) && mkdir -p $(ASAN_LOGS) && chmod 1777 $(ASAN_LOGS)
	@rc=0; \
	echo "== unit tests (ASan+UBSan, leaks checked)"; \
	ASAN_OPTIONS=detect_leaks=1:log_exe_name=1:log_path=$(ASAN_LOGS)/asan \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:log_exe_name=1:log_path=$(ASAN_LOGS)/ubsan \
		prove $(addprefix $(ASAN_B)/unit/,$(UNIT_NAMES)) || rc=1; \
	echo "== bats suites against $(ASAN_B)"; \
	$(SAN_ENV) EPR_BUILD=$(abspath $(ASAN_B)) tests/run_suites.sh $(BATS_JOBS) $(ASAN_BATS) || rc=1; \
	if [ -n "$$(ls -A $(ASAN_LOGS))" ]; then \
		echo "== sanitizer reports in $(ASAN_LOGS):"; \
		for f in $(ASAN_LOGS)/*; do echo "--- $$f"; head -40 "$$f"; done; rc=1; \
	fi; \
	exit $$rc

# check-valgrind: the plain build, each program once under memcheck.
VALGRIND := valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
	--track-fds=no
VG_DIR   := $(abspath $(B))/valgrind

check-valgrind: all test-progs unit-build
	@rm -rf $(VG_DIR) && mkdir -p $(VG_DIR)
	@rc=0; \
	for t in $(UNIT_NAMES); do \
		echo "== valgrind $$t"; \
		$(VALGRIND) $(B)/unit/$$t >$(VG_DIR)/$$t.tap 2>$(VG_DIR)/$$t.err || \
			{ rc=1; echo "FAILED: $$t"; cat $(VG_DIR)/$$t.err; grep '^not ok' $(VG_DIR)/$$t.tap | grep -v '# TODO'; }; \
	done; \
	echo "== valgrind shimmed listen_server: port 0 and sentinel 3306 on both loopbacks"; \
	EPR_PORTS=3306 EPR_ENV_FILE=$(VG_DIR)/one.env LD_PRELOAD=$(abspath $(B))/libepr.so \
		$(VALGRIND) $(B)/tests/listen_server 127.0.0.1:0 '[::1]:0' 127.0.0.1:3306 '[::1]:3306' \
		|| { rc=1; echo FAILED; }; \
	cat $(VG_DIR)/one.env 2>/dev/null | sed 's/^/   env: /'; \
	echo "== valgrind shimmed listen_server -t 8: eight threads bind port 0 at once"; \
	EPR_ENV_FILE=$(VG_DIR)/threads.env LD_PRELOAD=$(abspath $(B))/libepr.so \
		$(VALGRIND) $(B)/tests/listen_server -t 8 127.0.0.1:0 '[::1]:0' >$(VG_DIR)/threads.out \
		|| { rc=1; echo FAILED; cat $(VG_DIR)/threads.out; }; \
	echo "   $$(grep -c '^LISTEN' $(VG_DIR)/threads.out) listeners, $$(sed -n 's/^EPR_PORT_LIST=//p' $(VG_DIR)/threads.env | tr , '\n' | wc -l) exported"; \
	echo "== valgrind epr: every subcommand and its failure paths"; \
	tests/valgrind_cli.sh $(abspath $(B)) || rc=1; \
	exit $$rc

# lint: cppcheck and shellcheck. Suppressions are justified where they are written:
# .cppcheck-suppressions, and tests/.shellcheckrc for the bats suites and their helpers.
CPPCHECK := cppcheck --enable=warning,performance,portability --error-exitcode=1 --inline-suppr \
	--std=c11 --library=posix -D_GNU_SOURCE '-D_Noreturn=__attribute__((noreturn))' \
	-Icommon -Ishim -Ihelper -Ihelper/cmd -Ihelper/launch -Ihelper/seccomp -Ihelper/wait --suppressions-list=.cppcheck-suppressions -q
LINT_C_DIRS := common shim helper python tests/progs tests/unit tests/fuzz
LINT_SH     := .ci/run $(wildcard tests/*.bash tests/*/*.bash tests/*.bats \
	examples/*.sh bench/*.sh bench/*.bash tests/*.sh tests/soak/*.sh)

lint: lint-c lint-sh
lint-c:
	$(CPPCHECK) $(LINT_C_DIRS)
lint-sh:
	shellcheck $(LINT_SH)
