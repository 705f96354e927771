#!/usr/bin/env bats
# The Python package (pyproject.toml, setup.py): pip installs epr into a virtualenv offline,
# with Debian's setuptools and wheel, C parts included, and pytest loads the plugin by itself.
# Each test builds from a copy of the tree, seeded with this build's objects so that make
# only links: the copy's build/ is the package's, and the work tree is left alone.

load helpers
bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
PY=/usr/bin/python3
PIP_OFFLINE=(--no-build-isolation --no-index --disable-pip-version-check -q)

setup() {
	"$PY" -c 'import venv, setuptools, wheel, pytest, xdist' 2>/dev/null ||
		skip "needs python3-venv, python3-setuptools, python3-wheel, python3-pytest-xdist (make deps)"
	launch_setup
	SRC=$BATS_TEST_TMPDIR/src
	mkdir -p "$SRC/build"
	tar -C "$REPO" --exclude=./build --exclude=./.git -cf - . | tar -C "$SRC" -xf -
	# objects only: the links (epr, libepr.so, libepr-reserve.so) are made by pip's build.
	# The plain build's, never $EPR_BUILD's: pip links without sanitizer flags, so an ASan
	# build's objects would not link.
	if [ -d "$REPO/build/obj" ]; then cp -a "$REPO/build/obj" "$SRC/build/"; fi
}

teardown() {
	launch_teardown
}

# A fresh venv at $1 that sees Debian's pytest, xdist, setuptools and wheel.
new_venv() {
	"$PY" -m venv --system-site-packages "$1"
}

# Run a command as a user of the venv at $1 would: nothing of the tests' own environment
# (EPR_BIN, PYTHONPATH, build/ on PATH) points at epr.
as_venv_user() {
	local venv=$1
	shift
	env -u EPR_BIN -u EPR_LIB -u EPR_RESERVE_LIB -u PYTHONPATH -u LIBEPR \
		PATH="$venv/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
}

# pytest -n 4 on the auto-loaded fixtures, in a network namespace of its own.
run_package_suite() {
	cp "$TESTS/python_package/test_auto_loaded.py" "$BATS_TEST_TMPDIR/"
	run in_netns env -C "$BATS_TEST_TMPDIR" TMPDIR="$TMPDIR" \
		PATH="$1/bin:/usr/sbin:/usr/bin:/sbin:/bin" sh -c '
		env -u EPR_BIN -u EPR_LIB -u EPR_RESERVE_LIB -u PYTHONPATH python -m pytest \
			-p no:cacheprovider -q -n 4 --basetemp "$TMPDIR/pytest" test_auto_loaded.py
		echo "pytest exit $?"
		echo "listening after: $(ss -Hltn | wc -l)"'
	echo "$output"
	[[ $output == *"9 passed"* ]]
	[[ $output == *"pytest exit 0"* ]]
	[[ $output == *"listening after: 0"* ]]
}

@test "pip install . into a fresh venv: epr and its libraries in the venv, fixtures auto-loaded under pytest -n 4" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	venv=$BATS_TEST_TMPDIR/venv
	new_venv "$venv"
	as_venv_user "$venv" pip install "${PIP_OFFLINE[@]}" "$SRC"
	[ -x "$venv/bin/epr" ] && [ -x "$venv/bin/ephemeral-port-reserve" ]
	[ -f "$venv/lib/epr/libepr.so" ] && [ -f "$venv/lib/epr/libepr-reserve.so" ]
	# the venv's epr preloads the venv's shim
	run as_venv_user "$venv" epr run -v -- true
	[ "$status" -eq 0 ]
	port=$(as_venv_user "$venv" ephemeral-port-reserve)
	"$PY" "$TESTS/progs/cli_reserved.py" 127.0.0.1 "$port"
	run_package_suite "$venv"
}

@test "pip install -e . into a fresh venv: the modules stay in the tree, the fixtures auto-load" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	venv=$BATS_TEST_TMPDIR/venv
	new_venv "$venv"
	as_venv_user "$venv" pip install "${PIP_OFFLINE[@]}" -e "$SRC"
	run as_venv_user "$venv" python -c 'import epr; print(epr.__file__)'
	[ "$output" = "$SRC/python/epr.py" ]
	[ -x "$venv/bin/epr" ] && [ -f "$venv/lib/epr/libepr.so" ]
	cp "$TESTS/python_package/test_auto_loaded.py" "$BATS_TEST_TMPDIR/"
	# an editable install's modules use the tree's build/, the copy they were built in
	sed -i 's/^def test_the_modules_use_the_venvs_epr_and_library/def skipped_in_editable/' \
		"$BATS_TEST_TMPDIR/test_auto_loaded.py"
	run in_netns env -C "$BATS_TEST_TMPDIR" TMPDIR="$TMPDIR" sh -c '
		env -u EPR_BIN -u EPR_LIB -u EPR_RESERVE_LIB -u PYTHONPATH PATH="$0/bin:/usr/bin:/bin" \
			python -m pytest -p no:cacheprovider -q -n 4 --basetemp "$TMPDIR/pytest" test_auto_loaded.py
		echo "pytest exit $?"' "$venv"
	echo "$output"
	[[ $output == *"8 passed"* ]]
	[[ $output == *"pytest exit 0"* ]]
}

@test "pip wheel . gives a platform wheel with epr, both libraries and the pytest11 entry point; it installs offline" {
	command -v redis-server >/dev/null || skip "no redis-server (make deps)"
	builder=$BATS_TEST_TMPDIR/builder
	new_venv "$builder"
	as_venv_user "$builder" pip wheel "${PIP_OFFLINE[@]}" -w "$BATS_TEST_TMPDIR/wheels" "$SRC"
	wheel=$(echo "$BATS_TEST_TMPDIR"/wheels/epr-*.whl)
	[ -f "$wheel" ]
	# native code inside: tagged for this Python and platform, not py3-none-any
	[[ $wheel == *-linux_"$(uname -m)".whl ]]
	run "$PY" -m zipfile -l "$wheel"
	echo "$output"
	for member in epr.py epr_pytest.py ephemeral_port_reserve.py data/scripts/epr \
		data/scripts/ephemeral-port-reserve data/data/lib/epr/libepr.so \
		data/data/lib/epr/libepr-reserve.so dist-info/entry_points.txt; do
		grep -q "$member " <<<"$output" || { echo "no $member in the wheel"; return 1; }
	done
	"$PY" -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
name = next(n for n in z.namelist() if n.endswith("entry_points.txt"))
text = z.read(name).decode()
assert "[pytest11]" in text and "epr_pytest = epr_pytest" in text, text' "$wheel"
	venv=$BATS_TEST_TMPDIR/venv
	new_venv "$venv"
	as_venv_user "$venv" pip install "${PIP_OFFLINE[@]}" "$wheel"
	run_package_suite "$venv"
}
