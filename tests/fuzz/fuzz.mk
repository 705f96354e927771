# libFuzzer targets (tests/fuzz/), built with clang into $(B)/fuzz/.
#   make fuzz                     each target for FUZZ_SECONDS (default 60)
#   make fuzz-smoke               each target for 10 s
#   make fuzz FUZZ_SECONDS=600    longer
# Each target runs on $(B)/fuzz/corpus/<target>/, seeded from the checked-in corpus (which is
# never written); a crash leaves its reproducer in $(B)/fuzz/<target>-crash-*; run it again with
#   $(B)/fuzz/<target> $(B)/fuzz/<target>-crash-...

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  ?= -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_NAMES   := fuzz_port_spec fuzz_envfile fuzz_address fuzz_ip_arg
FUZZ_TARGETS := $(addprefix $(B)/fuzz/,$(FUZZ_NAMES))

.PHONY: fuzz fuzz-smoke fuzz-build
fuzz-build: $(FUZZ_TARGETS)

$(B)/fuzz/fuzz_port_spec: common/port_spec.c
$(B)/fuzz/fuzz_envfile: common/envfile.c
$(B)/fuzz/fuzz_address: common/address.c
$(B)/fuzz/fuzz_ip_arg: helper/cmd/ip_arg.c

$(FUZZ_TARGETS): $(B)/fuzz/%: tests/fuzz/%.c $(wildcard common/*.h shim/*.h helper/*.h helper/*/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) -Ishim $(HELPER_INC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^)

# $(call fuzz_run,seconds): each target in turn; the first crash stops make.
define fuzz_run
	@set -e; for t in $(FUZZ_NAMES); do \
		mkdir -p $(B)/fuzz/corpus/$$t; \
		cp tests/fuzz/corpus/$$t/* $(B)/fuzz/corpus/$$t/; \
		echo "== $$t: $(1) s"; \
		$(B)/fuzz/$$t -max_total_time=$(1) -print_final_stats=1 \
			-artifact_prefix=$(B)/fuzz/$$t- $(B)/fuzz/corpus/$$t \
			2>$(B)/fuzz/$$t.log || { tail -60 $(B)/fuzz/$$t.log; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|stat::new_units_added|Done)' $(B)/fuzz/$$t.log || true; \
	done
endef

fuzz: fuzz-build
	$(call fuzz_run,$(FUZZ_SECONDS))

fuzz-smoke: fuzz-build
	$(call fuzz_run,10)
