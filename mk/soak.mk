# make soak: 10 minutes (SOAK_SECONDS) of parallel epr start/stop, then a count of what
# failed and what leaked. Not part of make check or CI: it is long by design. Needs root
# (a private network namespace).
SOAK_SECONDS ?= 600

.PHONY: soak
soak: all
	SOAK_SECONDS=$(SOAK_SECONDS) tests/soak/soak.sh $(abspath $(B))/epr
