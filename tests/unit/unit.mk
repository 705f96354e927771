# C unit tests (tests/unit/): one TAP program per module, linked with just that module.
#   make unit               build them into $(B)/unit/ and run them with prove
#   make B=/tmp/u unit      the same in another build directory

UNIT_NAMES := test_port_spec test_envfile test_address test_reserve test_elf_check test_seccomp_filter \
	test_json_out test_sh_quote
UNIT_TESTS := $(addprefix $(B)/unit/,$(UNIT_NAMES))

.PHONY: unit unit-build
unit-build: $(UNIT_TESTS)

unit: unit-build
	prove $(UNIT_TESTS)

# The module each test links; reserve.c also needs sys_bind/sys_listen, which its test defines.
$(B)/unit/test_port_spec: common/port_spec.c
$(B)/unit/test_envfile: common/envfile.c
$(B)/unit/test_address: common/address.c
$(B)/unit/test_reserve: common/reserve.c
# elf_check.c classifies a static program built here; its cli_warn is the test's own.
$(B)/unit/test_elf_check: helper/seccomp/elf_check.c common/elf_kind.c $(B)/tests/static_server \
	$(B)/tests/go_buildinfo
$(B)/unit/test_elf_check: UNIT_FLAGS = $(HELPER_INC) -DSTATIC_PROG='"$(abspath $(B))/tests/static_server"' \
	-DTEST_PROGS='"$(abspath $(B))/tests"'
$(B)/unit/test_seccomp_filter: helper/seccomp/seccomp_filter.c helper/seccomp/seccomp_notify.c helper/seccomp/seccomp_redirect.c common/fd_pass.c \
	common/seccomp_bpf.c \
	helper/seccomp/seccomp_notify.h
$(B)/unit/test_seccomp_filter: UNIT_FLAGS = $(HELPER_INC)
$(B)/unit/test_json_out: helper/cmd/json_out.c
$(B)/unit/test_json_out: UNIT_FLAGS = $(HELPER_INC)
$(B)/unit/test_sh_quote: helper/sh_quote.c
$(B)/unit/test_sh_quote: UNIT_FLAGS = $(HELPER_INC)

$(UNIT_TESTS): $(B)/unit/%: tests/unit/%.c tests/unit/tap.h $(wildcard common/*.h shim/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE) -Ishim $(UNIT_FLAGS) $(CFLAGS) $(LDFLAGS) -o $@ $(filter %.c,$^) $(UNIT_LIBS)
