#!/usr/bin/env bats
# make install and make uninstall (mk/install.mk), into a temporary DESTDIR and PREFIX: the
# installed epr must find the installed libepr.so, and uninstall must take back exactly
# what install put there.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)

setup() {
	DEST=$BATS_TEST_TMPDIR/dest
	PREFIX=/opt/epr-test
	ROOT=$DEST$PREFIX
	export TMPDIR=$BATS_TEST_TMPDIR/tmp
	mkdir -p "$TMPDIR"
}

# make in the work tree, on the build that the other suites test.
make_here() {
	make -s -C "$REPO" B="$EPR_BUILD" "$@"
}

install_here() {
	make_here install DESTDIR="$DEST" PREFIX="$PREFIX" >/dev/null
}

# Every path under $1 with its type and mode, one a line, sorted: what a tree holds.
listing() {
	(cd "$1" && find . -printf '%y %m %p -> %l\n' | sort)
}

@test "make install puts epr, the ephemeral-port-reserve link, libepr.so and the man pages under DESTDIR/PREFIX" {
	install_here
	[ -x "$ROOT/bin/epr" ] && [ ! -L "$ROOT/bin/epr" ]
	[ "$(readlink "$ROOT/bin/ephemeral-port-reserve")" = epr ]
	[ -f "$ROOT/lib/epr/libepr.so" ]
	[ "$(stat -c %a "$ROOT/lib/epr/libepr.so")" = 644 ]
	[ -f "$ROOT/share/man/man1/epr.1" ]
	[ "$(readlink "$ROOT/share/man/man1/ephemeral-port-reserve.1")" = epr.1 ]
	[ -f "$ROOT/share/man/man7/libepr.7" ]
	# nothing else
	[ "$(find "$DEST" -type f -o -type l | wc -l)" -eq 10 ] # and libepr-reserve.so, 3 Python modules
}

@test "PREFIX defaults to /usr/local" {
	run env -u PREFIX -u BINDIR -u LIBDIR -u MANDIR make -n -C "$REPO" B="$EPR_BUILD" install DESTDIR=/nonexistent
	[ "$status" -eq 0 ]
	[[ $output == *"/nonexistent/usr/local/bin/epr"* ]]
	[[ $output == *"/nonexistent/usr/local/lib/epr/libepr.so"* ]]
	[[ $output == *"/nonexistent/usr/local/share/man/man1/epr.1"* ]]
}

@test "the installed epr run preloads the installed libepr.so, and its binds are rewritten" {
	install_here
	run env -u EPR_LIB "$ROOT/bin/epr" run -- sh -c 'printf "%s\n" "$LD_PRELOAD"'
	[ "$status" -eq 0 ]
	[ "$(realpath "$output")" = "$ROOT/lib/epr/libepr.so" ]
	run env -u EPR_LIB "$ROOT/bin/epr" run --real-ports -p 8000 -e "$BATS_TEST_TMPDIR/env" -- \
		python3 "$TESTS/progs/cli_listen.py" 127.0.0.1 8000
	[ "$status" -eq 0 ]
	[ "$output" -ne 8000 ]
	[ "$(env_value "$BATS_TEST_TMPDIR/env" EPR_PORT_8000)" = "$output" ]
}

@test "the installed epr start and stop a server, and leave nothing behind" {
	install_here
	out=$(env -u EPR_LIB "$ROOT/bin/epr" start -t 20 -- \
		python3 "$TESTS/progs/cli_listen.py" 127.0.0.1 0 600)
	eval "$out"
	wait_for_port "$EPR_PORT"
	run env -u EPR_LIB "$ROOT/bin/epr" stop "$EPR_FILE"
	[ "$status" -eq 0 ]
	[ ! -e "$EPR_TMPDIR" ]
	[ -z "$(ls -A "$TMPDIR")" ]
}

@test "the installed ephemeral-port-reserve prints a reserved port" {
	install_here
	run env -u EPR_LIB "$ROOT/bin/ephemeral-port-reserve"
	[ "$status" -eq 0 ]
	[[ $output =~ ^[0-9]+$ ]]
}

@test "man finds the installed pages" {
	command -v man >/dev/null || skip "no man"
	install_here
	[ "$(man -M "$ROOT/share/man" -w epr)" = "$ROOT/share/man/man1/epr.1" ]
	[ "$(man -M "$ROOT/share/man" -w libepr)" = "$ROOT/share/man/man7/libepr.7" ]
	man -M "$ROOT/share/man" -w ephemeral-port-reserve
}

@test "make uninstall removes exactly what make install put there" {
	# what was there before, epr's or not, stays
	mkdir -p "$ROOT/bin" "$ROOT/lib" "$ROOT/share/man/man1" "$ROOT/share/man/man7"
	# Debian's python3 makes PREFIX/lib/python3.X/dist-packages for /usr/local: shared too
	mkdir -p "$ROOT/$(/usr/bin/python3 -c 'import sys; print("lib/python%d.%d/dist-packages" % sys.version_info[:2])')"
	echo other >"$ROOT/bin/other-tool"
	echo other >"$ROOT/share/man/man1/other-tool.1"
	before=$(listing "$DEST")
	install_here
	[ "$(listing "$DEST")" != "$before" ]
	make_here uninstall DESTDIR="$DEST" PREFIX="$PREFIX" >/dev/null
	after=$(listing "$DEST")
	diff <(echo "$before") <(echo "$after") >&2 || true
	[ "$after" = "$before" ]
}

@test "make uninstall leaves lib/epr in place if something else lives there" {
	install_here
	echo local >"$ROOT/lib/epr/notes"
	make_here uninstall DESTDIR="$DEST" PREFIX="$PREFIX" >/dev/null
	[ -f "$ROOT/lib/epr/notes" ]
	[ ! -e "$ROOT/lib/epr/libepr.so" ] && [ ! -e "$ROOT/bin/epr" ]
}

@test "a LIBDIR that epr cannot find by itself gets a warning" {
	run make -s -C "$REPO" B="$EPR_BUILD" install DESTDIR="$DEST" PREFIX="$PREFIX" \
		LIBDIR="$PREFIX/lib64/epr"
	[ "$status" -eq 0 ]
	[[ $output == *"epr will need EPR_LIB"* ]]
}

@test "the man pages lint clean (mandoc -T lint -W warning)" {
	command -v mandoc >/dev/null || skip "no mandoc"
	run make -s -C "$REPO" man-lint
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
